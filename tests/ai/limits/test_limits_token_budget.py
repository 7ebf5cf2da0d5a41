"""The monthly token budget beside the money budget (issue #21): reaching either pauses
the AI for the client, with one notification per month."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from clickpro.models import Client, Notification
from clickpro.services.ai import reply as ai_reply
from clickpro.services.costs import ai_spend


def _budget_notes(db, tenant_id):
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Notification).where(
                Notification.client_id == tenant_id, Notification.kind == "credentials"
            )
        )
    )


def test_token_budget_pauses_the_ai_with_one_notification_per_month(shop, db):
    ai_spend.set_monthly_token_budget(shop.tenant.id, 10)
    shop.say("Primeira pergunta")  # answered: nothing used yet this month
    assert len(shop.ai_messages()) == 1
    used = ai_spend.tokens_between(shop.tenant.id, ai_spend.month_start())
    assert used >= 10

    shop.say("Segunda pergunta")  # over the budget: no OpenAI call, AI off for the client
    assert shop.openai_calls() == 1
    tenant = db.session.get(Client, shop.tenant.id)
    assert tenant.ai_enabled is False
    [note] = _budget_notes(db, shop.tenant.id)
    assert "tokens" in note.text and note.dedupe_key.startswith("ai_budget:")

    tenant.ai_enabled = True  # the admin turns it back on, still over the budget
    db.session.commit()
    ai_reply.resume_ai(shop.tenant.id, shop.conversation.id)  # and gives the chat back
    shop.say("Terceira pergunta")
    assert db.session.get(Client, shop.tenant.id).ai_enabled is False
    assert len(_budget_notes(db, shop.tenant.id)) == 1  # one notification this month
    assert shop.openai_calls() == 1


def test_either_budget_may_be_set(shop, db):
    tenant = db.session.get(Client, shop.tenant.id)
    assert ai_spend.monthly_token_budget(tenant) is None
    ai_spend.set_monthly_token_budget(shop.tenant.id, 1_000_000)
    ai_spend.set_monthly_budget(shop.tenant.id, Decimal("0.0000001"))
    shop.say("Oi")
    shop.say("Oi de novo")  # the money budget is the one reached
    notes = _budget_notes(db, shop.tenant.id)
    assert len(notes) == 1 and "orçamento mensal de IA" in notes[0].text
    ai_spend.set_monthly_token_budget(shop.tenant.id, None)
    assert ai_spend.monthly_token_budget(db.session.get(Client, shop.tenant.id)) is None


def test_token_count_is_per_client(shop, db, create_client):
    shop.say("Oi")
    other = create_client("Outra IA", ai_enabled=True)
    assert ai_spend.tokens_between(shop.tenant.id, ai_spend.month_start()) > 0
    assert ai_spend.tokens_between(other.id, ai_spend.month_start()) == 0
    ai_spend.set_monthly_token_budget(other.id, 1)
    assert ai_spend.budget_reached(other.id) is False


def test_costs_page_saves_the_token_budget(shop, db, client, login_as):
    login_as(shop.tenant.admin, shop.tenant)
    page = client.get("/costs").get_data(as_text=True)
    assert 'name="token_budget"' in page
    assert client.post("/costs/ai-budget", data={"budget": "", "token_budget": "2.000.000"}
                       ).status_code == 302  # fmt: skip
    assert ai_spend.monthly_token_budget(db.session.get(Client, shop.tenant.id)) == 2_000_000
    client.post("/costs/ai-budget", data={"budget": "5", "token_budget": "muitos"})
    tenant = db.session.get(Client, shop.tenant.id)
    assert ai_spend.monthly_token_budget(tenant) == 2_000_000  # the bad one is refused
    assert ai_spend.monthly_budget(tenant) == Decimal("5")  # the good one kept
    client.post("/costs/ai-budget", data={"budget": "5", "token_budget": ""})
    assert ai_spend.monthly_token_budget(db.session.get(Client, shop.tenant.id)) is None
