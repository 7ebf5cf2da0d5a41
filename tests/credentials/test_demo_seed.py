"""The demo seed: idempotent, real live validation against the embedded sandbox."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.extensions import db as _db
from clickpro.models import (
    Client,
    Contact,
    ContactList,
    ContactListMember,
    Conversation,
    CredentialStatus,
    OpenAICredential,
    Template,
    WhatsAppCredential,
)
from clickpro.services.accounts.service import authenticate
from clickpro.services.demo import PASSWORD, seed_demo


def _embedded(make_app):
    demo_app = make_app(SANDBOX_ENABLED=True, EMBEDDED=True)
    state = demo_app.extensions["clickpro.sandbox"].extensions["sandbox"]
    state.update_config({"webhook_delivery": "manual"})  # no background threads in tests
    return demo_app, state


def _dump() -> dict:
    """Every row of every table (the strongest "nothing changed" check)."""
    with _db.engine.connect() as conn:
        return {
            table.name: sorted(map(repr, conn.execute(sa.select(table)).all()))
            for table in _db.metadata.sorted_tables
        }


def test_seed_once_then_nothing_changes(app, make_app):
    demo_app, state = _embedded(make_app)
    with demo_app.app_context():
        info = seed_demo()
        assert info is not None
        assert (info.email, info.password, info.super_email) == (
            "demo@clickpro.local", "clickpro-demo", "admin@clickpro.local",
        )  # fmt: skip
        shop = _db.session.scalar(sa.select(Client).where(Client.name == "Loja Demo"))
        assert shop.ai_enabled is True
        whatsapp = _db.session.scalar(sa.select(WhatsAppCredential))
        assert whatsapp.client_id == shop.id and whatsapp.status == CredentialStatus.VALID
        assert whatsapp.validated_at is not None and whatsapp.display_phone_number
        openai = _db.session.scalar(sa.select(OpenAICredential))
        assert openai.status == CredentialStatus.VALID and "Loja Demo" in openai.instructions
        templates = {t.name: t for t in _db.session.scalars(sa.select(Template))}
        assert set(templates) == {"boas_vindas", "promo_black_friday"}
        assert {t.status for t in templates.values()} == {"APPROVED"}
        header = templates["promo_black_friday"].components[0]
        assert header["format"] == "IMAGE" and header["example"]["header_handle"][0].startswith(
            "4::"
        )
        assert state.stats()["openai"].get("models", 0) >= 1  # the key was really tested
        contacts = list(_db.session.scalars(sa.select(Contact).where(Contact.bsuid.is_(None))))
        assert len(contacts) == 50
        # One WhatsApp username user (issue #16): no phone, a BSUID, a conversation.
        (username_user,) = _db.session.scalars(
            sa.select(Contact).where(Contact.phone_e164.is_(None))
        )
        assert (username_user.username, username_user.bsuid) == (
            "lojadamaria",
            "BR.1502576394655843",
        )
        (conversation,) = _db.session.scalars(
            sa.select(Conversation).where(Conversation.contact_id == username_user.id)
        )
        assert conversation.number_id == whatsapp.id and conversation.unread_count == 1
        assert conversation.last_message_preview.startswith("Oi! Vi o vestido azul")
        assert all(c.phone_e164.startswith("+55119") and len(c.phone_e164) == 14 for c in contacts)
        assert len({c.name for c in contacts}) > 30
        demo_list = _db.session.scalar(
            sa.select(ContactList).where(ContactList.name == "Clientes demo")
        )
        members = _db.session.scalar(
            sa.select(sa.func.count()).where(ContactListMember.list_id == demo_list.id)
        )
        assert members == 50
        for email in ("demo@clickpro.local", "agente@clickpro.local", "admin@clickpro.local"):
            assert authenticate(email, PASSWORD).email == email

        before = _dump()
        again = seed_demo()
        assert again == info
        assert _dump() == before
        _db.session.remove()
    state.close()


def test_after_a_restart_the_sandbox_gets_the_templates_back(app, make_app):
    first_app, first_state = _embedded(make_app)
    with first_app.app_context():
        seed_demo()
        _db.session.remove()
    first_state.close()
    second_app, second_state = _embedded(make_app)  # a new process: an empty sandbox
    with second_app.app_context():
        before = _dump()
        seed_demo()
        assert _dump() == before
        for name in ("boas_vindas", "promo_black_friday"):
            remote = second_state.templates.find("100000000000001", name, "pt_BR")
            assert remote is not None and remote["status"] == "APPROVED"
        _db.session.remove()
    second_state.close()


def test_no_demo_without_the_sandbox(app, monkeypatch):
    monkeypatch.delenv("CLICKPRO_DEMO", raising=False)
    assert seed_demo() is None
    assert _db.session.scalar(sa.select(sa.func.count(Client.id))) == 0


def test_clickpro_demo_forces_the_seed(app, sandbox):
    app.config["DEMO"] = True  # CLICKPRO_DEMO=1 (tests/foundation/test_settings.py)
    info = seed_demo()
    assert info is not None
    assert _db.session.scalar(sa.select(WhatsAppCredential.status)) == CredentialStatus.VALID
    statuses = set(_db.session.scalars(sa.select(Template.status)))
    assert statuses == {"APPROVED"}  # approved by the sandbox's own (zero-delay) review


def test_the_username_customer_is_in_the_demo_inbox(app, make_app):
    """Issue #16: the demo shows a customer with no phone, listed by username."""
    from clickpro.models import User

    demo_app, state = _embedded(make_app)
    with demo_app.app_context():
        seed_demo()
        user = _db.session.scalar(sa.select(User).where(User.email == "demo@clickpro.local"))
        shop = _db.session.scalar(sa.select(Client).where(Client.name == "Loja Demo"))
        http = demo_app.test_client()
        with http.session_transaction() as session:
            session.update(_user_id=user.get_id(), _fresh=True, client_id=shop.id)
        answer = http.get("/inbox/api/conversations")
        assert answer.status_code == 200
        items = [i for i in answer.get_json()["items"] if i.get("username") == "lojadamaria"]
        assert len(items) == 1 and items[0]["phone"] is None
        assert items[0]["bsuid"] == "BR.1502576394655843"
        _db.session.remove()
    state.close()


def test_demo_has_teams_and_hours(app, make_app):
    """The demo shows teams: Suporte owns the number (conversations that come in through
    the webhook land in its queue), Financeiro takes transfers, the shop's hours have a lunch break (the
    off-hours reply is written but left off)."""
    from clickpro.models import BusinessHours, Team

    demo_app, state = _embedded(make_app)
    with demo_app.app_context():
        seed_demo()
        shop = _db.session.scalar(sa.select(Client).where(Client.name == "Loja Demo"))
        teams = {
            t.name: t for t in _db.session.scalars(sa.select(Team).where(Team.client_id == shop.id))
        }
        assert set(teams) == {"Suporte", "Financeiro"}
        assert teams["Suporte"].number_id is not None and teams["Suporte"].csat_enabled
        hours = _db.session.scalar(
            sa.select(BusinessHours).where(BusinessHours.client_id == shop.id)
        )
        assert hours.weekly["0"] == [["08:00", "12:00"], ["13:00", "18:00"]]
        assert not hours.off_hours_enabled and "{abertura}" in hours.off_hours_message
        _db.session.remove()
    state.close()
