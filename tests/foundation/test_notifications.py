"""Notifications page, mark one/all read, and the bell's unread.json."""

from __future__ import annotations

from clickpro.models import Notification, Role
from clickpro.services.accounts.notifications import notify


def test_list_and_unread_json(login_as, create_client):
    tenant = create_client()
    notify(tenant.id, "template", "Modelo aprovado: boas_vindas")
    notify(tenant.id, "import", "Importação concluída")
    http = login_as(tenant.admin, tenant)
    page = http.get("/notifications").get_data(as_text=True)
    assert "Modelo aprovado: boas_vindas" in page and "Importação concluída" in page
    assert http.get("/notifications/unread.json").json == {"unread": 2}
    # The bell in the navbar shows the count.
    assert 'id="bell-count">2<' in http.get("/").get_data(as_text=True)


def test_mark_one_read_follows_local_link(login_as, create_client, db):
    tenant = create_client()
    note = notify(tenant.id, "x", "Abra a equipe", link="/members")
    other = notify(tenant.id, "x", "Outra")
    http = login_as(tenant.admin, tenant)
    response = http.post(f"/notifications/{note.id}/read")
    assert response.status_code == 302 and response.headers["Location"] == "/members"
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None
    assert db.session.get(Notification, other.id).read_at is None
    assert http.get("/notifications/unread.json").json == {"unread": 1}


def test_external_link_is_not_followed(login_as, create_client):
    tenant = create_client()
    note = notify(tenant.id, "x", "Externo", link="https://evil.example.com/")
    response = login_as(tenant.admin, tenant).post(f"/notifications/{note.id}/read")
    assert response.headers["Location"] == "/notifications"


def test_mark_all_read(login_as, create_client):
    tenant = create_client()
    for i in range(3):
        notify(tenant.id, "x", f"n{i}")
    http = login_as(tenant.admin, tenant)
    assert http.post("/notifications/read-all").status_code == 302
    assert http.get("/notifications/unread.json").json == {"unread": 0}


def test_personal_notification_of_another_member_is_404(login_as, create_client, create_member, db):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    personal = notify(tenant.id, "x", "Só para o admin", user_id=tenant.admin.id)
    http = login_as(agent, tenant)
    assert "Só para o admin" not in http.get("/notifications").get_data(as_text=True)
    assert http.get("/notifications/unread.json").json == {"unread": 0}
    assert http.post(f"/notifications/{personal.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, personal.id).read_at is None


def test_anonymous_is_sent_to_login(client):
    response = client.get("/notifications/unread.json")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
