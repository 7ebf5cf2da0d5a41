"""The AI run row (``ai_reply_runs``) of a flow's ai step on a live conversation.

Why a row: the AI activity page, the daily reply cap and the per-conversation cap
count ``ai_reply_runs`` (outcome ``answered``), the run log keeps the citations and
tool calls (:func:`clickpro.services.ai.answer.record`), and the client's tools get the
run id in ``X-ClickPro-Run`` — a flow's answer is an AI answer like any other.

The row stays outside the conversation's claim chain (:mod:`clickpro.services.ai.claim`):
``trigger_message_id`` and ``after_message_id`` are negative numbers derived from the
flow journal row of the visit (never a real message id, so the chain's watermark
``max(trigger_message_id)`` and its ``UNIQUE(conversation_id, after_message_id)`` links
are untouched; the two ranges never meet each other or the ``-run.id`` values a contact
merge writes). One row per visit: its id is kept in the visit's state.

Spend: when the answer is sent, the message carries ``ai_usage`` (author AI) like the AI
reply, which is what the monthly money/token budgets sum. An answer only saved into a
variable has no message, so its usage goes on the row's ``intent_usage`` — the other
per-run usage the budgets sum (:func:`clickpro.services.costs.ai_spend.intent_spend`).
"""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import AIOutcome, AIReplyRun, AIRunStatus, Direction, Message
from clickpro.models.base import utcnow
from clickpro.services.flows.steps.base import Ctx
from clickpro.services.webhook.sql import insert_ignoring

TRIGGER_BASE = 2**41  # trigger_message_id = -(TRIGGER_BASE + journal row id)
AFTER_BASE = 2**40  # after_message_id = -(AFTER_BASE + journal row id)
_runs = AIReplyRun.__table__


def _last_inbound(ctx: Ctx) -> int | None:
    conv = ctx.conversation
    assert conv is not None
    value = db.session.scalar(
        sa.select(sa.func.max(Message.id)).where(
            Message.client_id == conv.client_id,
            Message.conversation_id == conv.id,
            Message.direction == Direction.IN,
        )
    )
    return int(value) if value else None


def open_run(ctx: Ctx, *, assistant_id: str | None, assistant_version: str) -> int:
    """The visit's AI run row (created once; the caller keeps the id in the state)."""
    conv = ctx.conversation
    assert conv is not None and ctx.row is not None
    trigger = -(TRIGGER_BASE + ctx.row.id)
    inbound = _last_inbound(ctx)
    stamp = utcnow()
    db.session.execute(
        insert_ignoring(_runs).values(
            client_id=ctx.client_id,
            contact_id=conv.contact_id,
            conversation_id=conv.id,
            trigger_message_id=trigger,
            after_message_id=-(AFTER_BASE + ctx.row.id),
            message_ids=[inbound] if inbound else [],
            status=AIRunStatus.CLAIMED,
            attempts=1,
            input_tokens=0,
            output_tokens=0,
            assistant_id=assistant_id,
            assistant_version=assistant_version,
            created_at=stamp,
            updated_at=stamp,
        )  # fmt: skip
    )
    run_id = db.session.scalar(sa.select(_runs.c.id).where(_runs.c.trigger_message_id == trigger))
    db.session.commit()
    assert run_id is not None
    return int(run_id)


def update_run(run_id: int, **values) -> None:
    """Write ``values`` on the row and commit."""
    db.session.execute(
        sa.update(_runs).where(_runs.c.id == run_id).values(updated_at=utcnow(), **values)
    )
    db.session.commit()


def answered(run_id: int, usage: dict, latency_ms: int | None) -> None:
    update_run(run_id, outcome=AIOutcome.ANSWERED, model=usage.get("model"),
               input_tokens=int(usage.get("input_tokens") or 0),
               output_tokens=int(usage.get("output_tokens") or 0), latency_ms=latency_ms,
               error_kind=None, error=None)  # fmt: skip


def failed(run_id: int, kind: str, error: str) -> None:
    update_run(run_id, status=AIRunStatus.FAILED, error_kind=kind[:20], error=error[:500])


def done(run_id: int, *, reply_message_id: int | None, unsent_usage: dict | None) -> None:
    """The answer went out as ``reply_message_id`` (its usage is on the message), or was
    only saved (``unsent_usage`` then counts through the row)."""
    values: dict = {"status": AIRunStatus.DONE, "reply_message_id": reply_message_id}
    if unsent_usage is not None:
        values["intent_usage"] = unsent_usage
    update_run(run_id, **values)
