"""What the campaign page shows: progress, send rate now, ETA, failures, replies, CSV.

Counters are computed by ``GROUP BY (campaign_id, status)`` on the
``ix_messages_campaign_status`` index — exact whatever path changed a row (dispatcher,
status webhook, admin actions) — and cached in ``campaigns.counters`` by the
dispatcher for lists and signals.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa

from clickpro.csv_safe import SafeWriter
from clickpro.extensions import db
from clickpro.models import Campaign, Contact, Direction, Message, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.campaigns.service import retryable_failed_filter, status_counts

RATE_WINDOW_S = 5
_REPLIES_TTL_S = 5.0
_replies_cache: dict[int, tuple[float, int]] = {}
DONE = ("sent", "delivered", "read", "failed", "skipped", "cancelled", "unknown")


def replies(campaign_id: int) -> int:
    """Recipients who wrote back after their campaign message (cached a few seconds)."""
    cached = _replies_cache.get(campaign_id)
    if cached and time.monotonic() - cached[0] < _REPLIES_TTL_S:
        return cached[1]
    inbound = sa.alias(Message.__table__, "inbound")
    m = Message.__table__
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(m).where(
            m.c.campaign_id == campaign_id,
            m.c.sent_at.is_not(None),
            sa.exists().where(inbound.c.contact_id == m.c.contact_id, inbound.c.direction == Direction.IN,
                              inbound.c.created_at > m.c.sent_at),
        )
    )  # fmt: skip
    _replies_cache[campaign_id] = (time.monotonic(), int(count or 0))
    return int(count or 0)


def failures(campaign_id: int) -> list[dict]:
    rows = db.session.execute(
        sa.select(Message.error_code, sa.func.min(Message.error_title), sa.func.count())
        .where(Message.campaign_id == campaign_id, Message.status == MessageStatus.FAILED)
        .group_by(Message.error_code)
        .order_by(sa.func.count().desc())
    ).all()
    return [{"code": code, "title": title or "", "count": int(n)}
            for code, title, n in rows]  # fmt: skip


def rate_now(campaign_id: int, now: datetime) -> float:
    count = db.session.scalar(
        sa.select(sa.func.count()).where(
            Message.campaign_id == campaign_id,
            Message.sent_at >= now - timedelta(seconds=RATE_WINDOW_S),
        )
    )
    return round((count or 0) / RATE_WINDOW_S, 1)


def progress(campaign: Campaign, now: datetime | None = None) -> dict:
    """The JSON the campaign page polls every 1–2 s."""
    now = now or utcnow()
    counts = status_counts(campaign.id)
    total = counts["total"]
    finished = sum(counts[k] for k in DONE)
    rate = rate_now(campaign.id, now) if campaign.status == "RUNNING" else 0.0
    remaining = counts["queued"] + counts["sending"]
    pace = rate or (campaign.rate_mps if campaign.status == "RUNNING" else 0)
    retryable = db.session.scalar(
        sa.select(sa.func.count()).where(
            Message.campaign_id == campaign.id, *retryable_failed_filter()
        )
    )
    return {
        "id": campaign.id,
        "status": campaign.status,
        "pause_reason": campaign.pause_reason,
        "paused_by": campaign.paused_by,
        "counters": {**counts, "replies": replies(campaign.id)},
        "total": total,
        "percent": round(100.0 * finished / total, 1) if total else 0.0,
        "rate_now": rate,
        "eta_s": round(remaining / pace) if pace and remaining else None,
        "failures": failures(campaign.id),
        "retryable_failed": int(retryable or 0),
        "heartbeat_at": campaign.heartbeat_at.isoformat() if campaign.heartbeat_at else None,
    }


CSV_HEADER = ("telefone", "nome", "status", "wamid", "codigo_erro", "erro", "enviada_em",
              "entregue_em", "lida_em", "falhou_em")  # fmt: skip


def export_rows(campaign_id: int) -> Iterator[str]:
    """The per-recipient results as CSV text chunks (streamed, 1000 rows at a time)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(CSV_HEADER)
    stmt = (
        sa.select(Contact.phone_e164, Contact.name, Message.status, Message.wamid, Message.error_code,
                  Message.error_title, Message.sent_at, Message.delivered_at, Message.read_at, Message.failed_at)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Message.campaign_id == campaign_id)
        .order_by(Message.id)
        .execution_options(yield_per=1000)
    )  # fmt: skip
    for n, row in enumerate(db.session.execute(stmt), start=1):
        writer.writerow([_cell(v) for v in row])
        if n % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not text[1:2].isdigit() else text
