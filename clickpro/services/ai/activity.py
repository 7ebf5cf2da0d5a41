"""What the AI did today, for the activity page: answers, tokens, failures, handoffs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import (
    AIOutcome,
    AIReplyRun,
    AIRunStatus,
    Client,
    Contact,
    Message,
    WhatsAppCredential,
)
from clickpro.models.ai import HANDOFF_OUTCOMES
from clickpro.models.base import utcnow
from clickpro.services.ai.effects import local_midnight
from clickpro.services.contacts.display import contact_label

RECENT = 50
STUCK_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class RecentReply:
    run_id: int
    created_at: datetime
    contact_id: int
    contact_name: str
    conversation_id: int | None  # None: a run older than conversations
    number_name: str  # the number it answered from ("" when unknown)
    body: str
    latency_ms: int | None
    input_tokens: int
    output_tokens: int
    model: str | None
    assistant_version: str | None
    in_reply_to: int
    tool_calls: list  # h6: the client's HTTP tools the answer called (AIReplyRun.tool_calls)
    citations: list = field(default_factory=list)  # h4: knowledge documents the answer used


@dataclass(frozen=True)
class Activity:
    since: datetime
    answers: int
    tokens: int
    failures: int
    handoffs: int
    ai_enabled: bool
    recent: list[RecentReply]


def activity(client_id: int, now: datetime | None = None) -> Activity:
    client = db.session.get(Client, client_id)
    current = now or utcnow()
    since = local_midnight(current, client.timezone if client else "America/Sao_Paulo")
    r = AIReplyRun.__table__.c
    today = sa.and_(r.client_id == client_id, r.created_at >= since)
    counts = db.session.execute(
        sa.select(
            sa.func.count().filter(r.outcome == AIOutcome.ANSWERED),
            sa.func.coalesce(sa.func.sum(r.input_tokens + r.output_tokens), 0),
            sa.func.count().filter(
                sa.or_(
                    r.error_kind.is_not(None),
                    r.status == AIRunStatus.FAILED,
                    # a worker died mid-run: never re-sent automatically, so count it
                    sa.and_(
                        r.status.in_((AIRunStatus.CLAIMED, AIRunStatus.SENDING)),
                        r.updated_at < current - STUCK_AFTER,
                    ),
                )
            ),
            sa.func.count().filter(r.outcome.in_(HANDOFF_OUTCOMES)),
        ).where(today)
    ).one()
    return Activity(
        since=since,
        answers=int(counts[0]),
        tokens=int(counts[1]),
        failures=int(counts[2]),
        handoffs=int(counts[3]),
        ai_enabled=bool(client and client.ai_enabled),
        recent=recent_replies(client_id),
    )


def recent_replies(client_id: int, limit: int = RECENT) -> list[RecentReply]:
    r = AIReplyRun
    stmt = (
        sa.select(
            r,
            Contact.name,
            Contact.phone_e164,
            Contact.username,
            Contact.bsuid,
            Message.body,
            WhatsAppCredential.display_name,
            WhatsAppCredential.display_phone_number,
        )
        .join(Contact, Contact.id == r.contact_id)
        .join(Message, Message.id == r.reply_message_id)
        .outerjoin(WhatsAppCredential, WhatsAppCredential.id == Message.number_id)
        .where(r.client_id == client_id, r.outcome == AIOutcome.ANSWERED)
        .order_by(r.id.desc())
        .limit(limit)
    )
    return [
        RecentReply(
            run_id=run.id,
            created_at=run.created_at,
            contact_id=run.contact_id,
            contact_name=name
            or contact_label({"phone_e164": phone, "username": user, "bsuid": bsuid}),
            conversation_id=run.conversation_id,
            number_name=number_name or number_phone or "",
            body=body,
            latency_ms=run.latency_ms,
            input_tokens=run.input_tokens,
            output_tokens=run.output_tokens,
            model=run.model,
            assistant_version=run.assistant_version,
            in_reply_to=len(run.message_ids or []),
            tool_calls=list(run.tool_calls or []),
            citations=list(run.citations or []),
        )
        for run, name, phone, user, bsuid, body, number_name, number_phone in db.session.execute(
            stmt
        )
    ]
