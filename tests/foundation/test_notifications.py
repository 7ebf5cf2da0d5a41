"""Notifications page, mark one/all read, and the bell's unread.json."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from clickpro.models import Contact, NotificationRead, Role
from clickpro.services.accounts.notifications import notify


def _read_by(db, notification_id: int) -> set[int]:
    stmt = sa.select(NotificationRead.user_id).where(
        NotificationRead.notification_id == notification_id
    )
    return set(db.session.scalars(stmt))


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
    assert _read_by(db, note.id) == {tenant.admin.id}
    assert _read_by(db, other.id) == set()
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
    assert _read_by(db, personal.id) == set()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/notifications/unread.json")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --------------------------------------------------------------------------- per user


def test_one_member_reading_leaves_it_unread_for_the_others(
    login_as, create_client, create_member, db
):
    tenant = create_client()
    second_admin = create_member(tenant, Role.CLIENT_ADMIN)
    agent = create_member(tenant, Role.CLIENT_USER)
    note = notify(tenant.id, "handoff", "Maria precisa de um atendente")
    first = login_as(tenant.admin, tenant)
    assert first.post(f"/notifications/{note.id}/read").status_code == 302
    assert first.get("/notifications/unread.json").json == {"unread": 0}
    for other in (second_admin, agent):
        http = login_as(other, tenant)
        assert http.get("/notifications/unread.json").json == {"unread": 1}
        page = http.get("/notifications").get_data(as_text=True)
        assert f'data-notification-id="{note.id}" data-read="no"' in page
    assert _read_by(db, note.id) == {tenant.admin.id}


def test_mark_all_read_is_per_user(login_as, create_client, create_member):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    for i in range(3):
        notify(tenant.id, "x", f"n{i}")
    agent_http = login_as(agent, tenant)
    assert agent_http.post("/notifications/read-all").status_code == 302
    assert agent_http.get("/notifications/unread.json").json == {"unread": 0}
    # a second read-all marks nothing new (no duplicate read rows, no error)
    assert agent_http.post("/notifications/read-all").status_code == 302
    admin_http = login_as(tenant.admin, tenant)
    assert admin_http.get("/notifications/unread.json").json == {"unread": 3}
    assert 'id="bell-count">3<' in admin_http.get("/").get_data(as_text=True)


def test_admin_notifications_are_not_shown_to_agents(login_as, create_client, create_member):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    key = notify(tenant.id, "credentials", "A Meta recusou o token")
    notify(tenant.id, "handoff", "Cliente quer falar com alguém")
    agent_http = login_as(agent, tenant)
    assert agent_http.get("/notifications/unread.json").json == {"unread": 1}
    assert "A Meta recusou o token" not in agent_http.get("/notifications").get_data(as_text=True)
    assert agent_http.post(f"/notifications/{key.id}/read").status_code == 404
    assert login_as(tenant.admin, tenant).get("/notifications/unread.json").json == {"unread": 2}


def test_reads_of_another_client_do_not_count(login_as, create_client, db):
    first, second = create_client(), create_client()
    mine = notify(first.id, "x", "do primeiro")
    notify(second.id, "x", "do segundo")
    http = login_as(second.admin, second)
    assert http.post(f"/notifications/{mine.id}/read").status_code == 404
    assert _read_by(db, mine.id) == set()
    assert http.get("/notifications/unread.json").json == {"unread": 1}


# --------------------------------------------------------------------------- one per event


def test_the_same_event_key_notifies_once(create_client, db):
    from clickpro.models import Notification

    tenant = create_client()
    first = notify(tenant.id, "x", "Evento", dedupe_key="evento:1")
    again = notify(tenant.id, "x", "Evento", dedupe_key="evento:1")
    other_client = create_client()
    elsewhere = notify(other_client.id, "x", "Evento", dedupe_key="evento:1")
    assert first is not None and again is None and elsewhere is not None
    count = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.client_id == tenant.id)
    )
    assert count == 1


def test_a_key_already_used_inside_an_open_transaction_keeps_the_transaction(create_client, db):
    """commit=False (the template status path): a duplicate must not abort the caller's
    transaction (ON CONFLICT DO NOTHING, no IntegrityError)."""
    from clickpro.models import Notification

    tenant = create_client()
    notify(tenant.id, "x", "Evento", dedupe_key="k")
    tenant.name = "Renomeado"
    assert notify(tenant.id, "x", "Evento", dedupe_key="k", commit=False) is None
    db.session.commit()
    db.session.expire_all()
    assert tenant.name == "Renomeado"
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_live_event_of_an_admin_notification_goes_to_admins_only(
    create_client, create_member, monkeypatch
):
    from clickpro.services.inbox import events

    tenant = create_client()
    other_admin = create_member(tenant, Role.CLIENT_ADMIN)
    create_member(tenant, Role.CLIENT_USER)
    sent: list[tuple] = []
    monkeypatch.setattr(events, "emit_to_client", lambda c, e, d: sent.append(("client", c)))
    monkeypatch.setattr(events, "emit_to_user", lambda c, u, e, d: sent.append(("user", u)))
    admins_only = notify(tenant.id, "credentials", "A Meta recusou o token", commit=False)
    everyone = notify(tenant.id, "handoff", "Cliente quer falar", commit=False)
    from clickpro.extensions import db

    db.session.commit()
    events.on_notification_created(None, client_id=tenant.id, notification_id=admins_only.id)
    assert sorted(sent) == sorted([("user", tenant.admin.id), ("user", other_admin.id)])
    sent.clear()
    events.on_notification_created(None, client_id=tenant.id, notification_id=everyone.id)
    assert sent == [("client", tenant.id)]
