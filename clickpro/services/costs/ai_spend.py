"""What the AI replies cost: OpenAI usage × the per-model price table, and the budget.

Each AI reply's ``ai_usage`` gets ``cost`` (in ``AI_PRICE_CURRENCY``) when it is written,
from ``AI_MODEL_PRICES`` ({model: {"input": per 1M tokens, "output": per 1M tokens}}) as
it is then; a model missing from the table records no cost (counted apart). A client's
monthly budget (``Client.settings["ai_monthly_budget"]``, else ``AI_MONTHLY_BUDGET``; 0 =
none) is checked before each OpenAI call: once this month's spend reaches it, the AI is
switched off for the client (``ai_enabled``) and the admins are notified, once. Voice-note
transcripts (``message_media.transcript_usage``, same key) count in the spend too.

A monthly *token* budget (``Client.settings["ai_monthly_token_budget"]``; input + output
tokens of the answers, the intent classifier and the transcripts) sits beside the money
one (h5, #21): either may be set, reaching either pauses the AI the same way, with one
notification per client and month (``dedupe_key``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import AIReplyRun, Author, Client, Message, MessageMedia
from clickpro.services.accounts.notifications import notify

MILLION = Decimal(1_000_000)


def _prices(model: str | None) -> tuple[Decimal, Decimal] | None:
    table = current_app.config["AI_MODEL_PRICES"] or {}
    entry = table.get(str(model or "")) if isinstance(table, dict) else None
    if entry is None and model:  # dated snapshots: "gpt-4.1-mini-2025-04-14"
        matches = [k for k in table if str(model).startswith(f"{k}-")]
        entry = table.get(max(matches, key=len)) if matches else None
    if not isinstance(entry, dict):
        return None
    try:
        return Decimal(str(entry["input"])), Decimal(str(entry["output"]))
    except (KeyError, InvalidOperation):
        return None


def usage_cost(model: str | None, input_tokens: int, output_tokens: int) -> dict:
    """``{"cost": …, "cost_currency": …}`` for one reply's usage ({} when unpriced)."""
    prices = _prices(model)
    if prices is None:
        return {}
    cost = (
        Decimal(int(input_tokens or 0)) * prices[0] + Decimal(int(output_tokens or 0)) * prices[1]
    ) / MILLION
    return {"cost": float(round(cost, 8)), "cost_currency": current_app.config["AI_PRICE_CURRENCY"]}


def month_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def spend_between(
    client_id: int, start: datetime, end: datetime | None = None
) -> tuple[Decimal, int]:
    """(AI cost, replies) of ``client_id`` from ``start`` (to ``end``)."""
    cost = Message.ai_usage["cost"].as_float()
    where = [
        Message.client_id == client_id,
        Message.author == Author.AI,
        Message.created_at >= start,
    ]
    if end is not None:
        where.append(Message.created_at < end)
    row = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(cost), 0), sa.func.count()).where(*where)
    ).one()
    total = (
        float(row[0] or 0)
        + transcript_spend(client_id, start, end)
        + intent_spend(client_id, start, end)
    )
    return Decimal(str(round(total, 8))), int(row[1])


def intent_spend(client_id: int, start: datetime, end: datetime | None = None) -> float:
    """What the intent classifier calls cost (``ai_reply_runs.intent_usage``, h5)."""
    cost = AIReplyRun.intent_usage["cost"].as_float()
    where = [AIReplyRun.client_id == client_id, AIReplyRun.created_at >= start]
    if end is not None:
        where.append(AIReplyRun.created_at < end)
    value = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(cost), 0)).where(*where))
    return float(value or 0)


def _token_sum(column, *where) -> int:
    total = sa.func.coalesce(column["input_tokens"].as_integer(), 0) + sa.func.coalesce(
        column["output_tokens"].as_integer(), 0
    )
    value = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(total), 0)).where(*where))
    return int(value or 0)


def tokens_between(client_id: int, start: datetime, end: datetime | None = None) -> int:
    """Input + output tokens of ``client_id`` from ``start``: AI messages (answers,
    fallbacks), intent classifier calls and voice-note transcripts."""

    def span(column) -> list:
        return [column >= start] + ([column < end] if end is not None else [])

    return (
        _token_sum(
            Message.ai_usage,
            Message.client_id == client_id,
            Message.author == Author.AI,
            *span(Message.created_at),
        )
        + _token_sum(
            AIReplyRun.intent_usage,
            AIReplyRun.client_id == client_id,
            *span(AIReplyRun.created_at),
        )
        + _token_sum(
            MessageMedia.transcript_usage,
            MessageMedia.client_id == client_id,
            *span(MessageMedia.created_at),
        )
    )


def transcript_spend(client_id: int, start: datetime, end: datetime | None = None) -> float:
    """What the voice-note transcripts of ``client_id`` cost (``transcript_usage``), by
    when the media arrived: the same OpenAI key and budget as the replies."""
    cost = MessageMedia.transcript_usage["cost"].as_float()
    where = [MessageMedia.client_id == client_id, MessageMedia.created_at >= start]
    if end is not None:
        where.append(MessageMedia.created_at < end)
    value = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(cost), 0)).where(*where))
    return float(value or 0)


def monthly_budget(client: Client) -> Decimal | None:
    raw = (client.settings or {}).get("ai_monthly_budget")
    if raw in (None, ""):
        raw = current_app.config["AI_MONTHLY_BUDGET"]
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    return value if value > 0 else None


def set_monthly_budget(client_id: int, value: Decimal | None) -> None:
    client = db.session.get(Client, client_id)
    if client is None:
        return
    settings = dict(client.settings or {})
    if value is None or value <= 0:
        settings.pop("ai_monthly_budget", None)
    else:
        settings["ai_monthly_budget"] = str(value)
    client.settings = settings
    db.session.commit()


def monthly_token_budget(client: Client) -> int | None:
    """The client's monthly token budget (None: no token limit)."""
    raw = (client.settings or {}).get("ai_monthly_token_budget")
    try:
        value = int(str(raw)) if raw not in (None, "") else 0
    except ValueError:
        return None
    return value if value > 0 else None


def set_monthly_token_budget(client_id: int, value: int | None) -> None:
    client = db.session.get(Client, client_id)
    if client is None:
        return
    settings = dict(client.settings or {})
    if value is None or value <= 0:
        settings.pop("ai_monthly_token_budget", None)
    else:
        settings["ai_monthly_token_budget"] = int(value)
    client.settings = settings
    db.session.commit()


def _money_reached(client: Client, start: datetime) -> str | None:
    budget = monthly_budget(client)
    if budget is None:
        return None
    spent, _replies = spend_between(client.id, start)
    if spent < budget:
        return None
    return _(
        "O orçamento mensal de IA (%(budget)s %(currency)s) foi atingido: gasto de "
        "%(spent)s %(currency)s. As respostas automáticas foram pausadas; reative a IA "
        "ou aumente o orçamento em Custos.",
        budget=budget,
        spent=round(spent, 4),
        currency=current_app.config["AI_PRICE_CURRENCY"],
    )


def _tokens_reached(client: Client, start: datetime) -> str | None:
    budget = monthly_token_budget(client)
    if budget is None:
        return None
    used = tokens_between(client.id, start)
    if used < budget:
        return None
    return _(
        "O orçamento mensal de tokens da IA (%(budget)s) foi atingido: %(used)s tokens "
        "usados. As respostas automáticas foram pausadas; reative a IA ou aumente o "
        "orçamento em Custos.",
        budget=format_number(budget),
        used=format_number(used),
    )


def budget_reached(client_id: int, now: datetime | None = None) -> bool:
    """This month's AI spend or tokens reached a budget: AI off + one notification per
    month (a client who turns the AI back on and runs over again is not told twice).
    True if so."""
    client = db.session.get(Client, client_id)
    if client is None:
        return False
    start = month_start(now)
    text = _money_reached(client, start) or _tokens_reached(client, start)
    if text is None:
        return False
    if client.ai_enabled:
        client.ai_enabled = False
        db.session.commit()
    notify(client_id, "credentials", text, dedupe_key=f"ai_budget:{start:%Y-%m}")
    return True
