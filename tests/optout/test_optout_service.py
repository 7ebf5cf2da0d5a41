"""clickpro.services.contacts.optout: idempotent add/remove, both Brazilian forms, bulk helpers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clickpro import events
from clickpro.extensions import db
from clickpro.models import Contact, OptOut
from clickpro.services.contacts import optout


@pytest.fixture
def signals():
    calls = []

    def out(sender, **kw):
        calls.append(("out", kw))

    def back(sender, **kw):
        calls.append(("in", kw))

    events.contact_opted_out.connect(out)
    events.contact_opted_in.connect(back)
    yield calls
    events.contact_opted_out.disconnect(out)
    events.contact_opted_in.disconnect(back)


def test_add_is_idempotent_across_both_forms(app, create_client, signals):
    tenant = create_client()
    assert optout.add_opt_out(tenant.id, "+551187654321", "keyword", reason="SAIR") is True
    assert optout.add_opt_out(tenant.id, "+5511987654321", "manual") is False
    rows = db.session.scalars(sa.select(OptOut)).all()
    assert [(r.phone_e164, r.source, r.reason) for r in rows] == [
        ("+5511987654321", "keyword", "SAIR")
    ]
    assert optout.is_opted_out(tenant.id, "+5511987654321")
    assert optout.is_opted_out(tenant.id, "+551187654321")
    assert signals == [
        (
            "out",
            {
                "client_id": tenant.id,
                "phone_e164": "+5511987654321",
                "bsuid": None,
                "source": "keyword",
            },
        )
    ]


def test_opt_outs_are_per_client(app, create_client):
    a, b = create_client(), create_client()
    optout.add_opt_out(a.id, "+5511987654321", "manual")
    assert not optout.is_opted_out(b.id, "+5511987654321")


def test_remove_either_form(app, create_client, signals):
    tenant = create_client()
    optout.add_opt_out(tenant.id, "+5511987654321", "api")
    assert optout.remove_opt_out(tenant.id, "+551187654321") is True
    assert optout.remove_opt_out(tenant.id, "+551187654321") is False
    assert not optout.is_opted_out(tenant.id, "+5511987654321")
    assert [kind for kind, _ in signals] == ["out", "in"]


def test_bulk_helpers(app, create_client, create_contact):
    tenant = create_client()
    out = create_contact(tenant, "+5511987654321")
    keep = create_contact(tenant, "+5511911112222")
    optout.add_opt_out(tenant.id, "+551187654321", "import")
    eligible = db.session.scalars(
        sa.select(Contact.id).where(
            Contact.client_id == tenant.id, ~optout.opted_out_clause(tenant.id)
        )
    ).all()
    assert eligible == [keep.id]
    assert optout.opted_out_phones(tenant.id, ["+551187654321", "+5511911112222"]) == {
        "+551187654321"
    }
    assert out.id != keep.id


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("SAIR", "stop"),
        ("sair ", "stop"),
        ("Sáir", "stop"),
        ("  parar   promoções ", "stop"),
        ("Parar promoções", "stop"),
        ("STOP!", "stop"),
        ("descadastrar", "stop"),
        ("cancelar", "stop"),
        ("voltar", "resubscribe"),
        ("quero sair do grupo", None),
        ("sairei", None),
        ("", None),
        (None, None),
    ],
)
def test_keyword_matching(app, create_client, text, action):
    tenant = create_client()
    assert optout.keyword_action(tenant.id, text) == action


def test_keywords_configurable_per_client(app, create_client):
    tenant = create_client(
        settings={"stop_keywords": ["chega"], "resubscribe_keywords": ["quero de novo"]}
    )
    assert optout.keyword_action(tenant.id, "Chega") == "stop"
    assert optout.keyword_action(tenant.id, "SAIR") is None
    assert optout.keyword_action(tenant.id, "quero de novo") == "resubscribe"
