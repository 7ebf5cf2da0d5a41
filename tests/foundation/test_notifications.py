"""Notifications page, mark one/all read, and the bell's unread.json."""

from __future__ import annotations

import re
from pathlib import Path

from clickpro.models import Contact, Notification, Role
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


def test_mark_one_read_opens_what_it_is_about(login_as, create_client, db):
    tenant = create_client()
    contact = Contact(client_id=tenant.id, phone_e164="+5511987650001", wa_id="5511987650001")
    db.session.add(contact)
    db.session.commit()
    note = notify(tenant.id, "handoff", "Maria precisa de um atendente", contact_id=contact.id)
    other = notify(tenant.id, "x", "Outra")
    http = login_as(tenant.admin, tenant)
    page = http.get("/notifications").get_data(as_text=True)
    assert page.count("Abrir") == 1  # only the one with a target has a link
    response = http.post(f"/notifications/{note.id}/read")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/inbox/?contact={contact.id}"
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None
    assert db.session.get(Notification, other.id).read_at is None
    assert http.get("/notifications/unread.json").json == {"unread": 1}


def test_links_come_from_kind_and_ids_via_url_for(login_as, create_client):
    tenant = create_client()
    http = login_as(tenant.admin, tenant)
    plain = notify(tenant.id, "x", "Sem destino")
    assert http.post(f"/notifications/{plain.id}/read").headers["Location"] == "/notifications"
    key = notify(tenant.id, "credentials", "A Meta recusou o token")
    assert http.post(f"/notifications/{key.id}/read").headers["Location"] == "/credentials"


def test_services_spell_no_urls():
    """Links are the web layer's job: no service builds a panel path by hand."""
    root = Path(__file__).resolve().parents[2] / "clickpro" / "services"
    spelled = re.compile(r"""["'](/inbox|/campaigns|/templates|/credentials|/contacts)\b|f["']/""")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if spelled.search(line)
    ]
    assert offenders == []


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
