"""AI replies record their token cost; a monthly AI budget pauses the AI with a notice."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Client, Notification
from clickpro.services.costs import ai_spend

# The AI tests' fixtures (a shop with WhatsApp + OpenAI on the sandbox, a customer).
_spec = importlib.util.spec_from_file_location(
    "ai_fixtures", Path(__file__).resolve().parent.parent / "ai" / "conftest.py"
)
_ai = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ai)
openai_spy = _ai.openai_spy
create_openai_credential = _ai.create_openai_credential
shop = _ai.shop


def test_ai_reply_records_its_token_cost(shop, app):
    shop.say("Oi, vocês entregam em Campinas?")
    (answer,) = shop.ai_messages()
    usage = answer.ai_usage
    expected = (usage["input_tokens"] * 0.4 + usage["output_tokens"] * 1.6) / 1_000_000
    assert usage["cost"] == round(expected, 8) and usage["cost_currency"] == "USD"
    spent, replies = ai_spend.spend_between(shop.tenant.id, ai_spend.month_start())
    assert replies == 1 and spent == Decimal(str(round(expected, 8)))
    # A price change applies to the next replies only.
    app.config["AI_MODEL_PRICES"] = {"gpt-4.1-mini": {"input": 100.0, "output": 100.0}}
    db.session.refresh(answer)
    assert answer.ai_usage["cost"] == round(expected, 8)


def test_unknown_model_records_no_cost(shop, app):
    app.config["AI_MODEL_PRICES"] = {}
    shop.say("Oi")
    (answer,) = shop.ai_messages()
    assert "cost" not in answer.ai_usage


def test_monthly_budget_reached_pauses_the_ai_and_notifies(shop, app):
    ai_spend.set_monthly_budget(shop.tenant.id, Decimal("0.0000001"))
    shop.say("Primeira pergunta")  # answered: the month had spent nothing yet
    assert len(shop.ai_messages()) == 1
    shop.say("Segunda pergunta")  # the budget is used up now: no OpenAI call, AI paused
    assert len([m for m in shop.ai_messages() if m.ai_usage and m.ai_usage.get("model")]) == 1
    tenant = db.session.get(Client, shop.tenant.id)
    assert tenant.ai_enabled is False
    notes = db.session.scalars(
        sa.select(Notification.text).where(Notification.client_id == tenant.id)
    ).all()
    assert sum("orçamento mensal de IA" in text for text in notes) == 1
    # Another client's spend never counts against this one.
    other = Client(name="Outra IA", slug="outra-ia", ai_enabled=True)
    db.session.add(other)
    db.session.commit()
    assert ai_spend.budget_reached(other.id) is False


def test_costs_page_shows_ai_spend_and_saves_the_budget(shop, client, login_as):
    shop.say("Oi")
    login_as(shop.tenant.admin, shop.tenant)
    page = client.get("/costs").get_data(as_text=True)
    assert 'data-testid="ai-spend"' in page
    assert client.post("/costs/ai-budget", data={"budget": "12,50"}).status_code == 302
    assert ai_spend.monthly_budget(db.session.get(Client, shop.tenant.id)) == Decimal("12.50")
    client.post("/costs/ai-budget", data={"budget": "abc"})
    assert ai_spend.monthly_budget(db.session.get(Client, shop.tenant.id)) == Decimal("12.50")
    client.post("/costs/ai-budget", data={"budget": ""})
    assert ai_spend.monthly_budget(db.session.get(Client, shop.tenant.id)) is None
