"""What the campaign page shows: progress, send rate now, ETA, failures, replies, CSV.

Counters are computed by ``GROUP BY (campaign_id, status)`` on the
``ix_messages_campaign_status`` index — exact whatever path changed a row (dispatcher,
status webhook, admin actions) — and cached in ``campaigns.counters`` by the
dispatcher for lists and signals.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from clickpro.extensions import db
from clickpro.models import Campaign, Direction, Message, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.campaigns.form import client_zone
from clickpro.services.campaigns.retry import (
    resendable_unknown_filter,
    retryable_failed_filter,
    waiting_131049,
)
from clickpro.services.campaigns.service import status_counts

RATE_WINDOW_S = 5
_REPLIES_TTL_S = 5.0
_replies_cache: dict[int, tuple[float, int]] = {}
DONE = ("sent", "delivered", "read", "failed", "skipped", "cancelled", "unknown")


def replies(campaign_id: int) -> int:
    """Recipients who wrote back after their campaign message (cached a few seconds), to
    the number it came from: a message to the client's other number is another
    conversation, not a reply to the campaign."""
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
                              inbound.c.created_at > m.c.sent_at,
                              sa.or_(m.c.number_id.is_(None), inbound.c.number_id == m.c.number_id)),
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
            Message.campaign_id == campaign.id, *retryable_failed_filter(now)
        )
    )
    unknown = db.session.scalar(
        sa.select(sa.func.count()).where(
            Message.campaign_id == campaign.id, *resendable_unknown_filter()
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
        "resendable_unknown": int(unknown or 0),
        "waiting_131049": waiting_note(campaign, now),
        "retry_text": _retry_text(int(retryable or 0), int(unknown or 0)),
        "heartbeat_at": campaign.heartbeat_at.isoformat() if campaign.heartbeat_at else None,
    }


def waiting_note(campaign: Campaign, now: datetime) -> dict:
    """131049 failures inside Meta's back-off: how many and when they may be re-sent
    (the client's local time), with the sentence the page shows."""
    waiting = waiting_131049(campaign.id, now)
    if not waiting.count or waiting.first_at is None or waiting.last_at is None:
        return {"count": 0, "first_at": None, "last_at": None, "text": ""}
    zone = client_zone(campaign.client_id)
    first = waiting.first_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
    last = waiting.last_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
    if first == last:
        text = ngettext(
            "%(num)s falha 131049 (limite de marketing por pessoa) aguarda o prazo da Meta: "
            "poderá ser reenviada a partir de %(at)s.",
            "%(num)s falhas 131049 (limite de marketing por pessoa) aguardam o prazo da Meta: "
            "poderão ser reenviadas a partir de %(at)s.",
            waiting.count,
            at=first,
        )
    else:
        text = ngettext(
            "%(num)s falha 131049 (limite de marketing por pessoa) aguarda o prazo da Meta: "
            "poderá ser reenviada entre %(first)s e %(last)s.",
            "%(num)s falhas 131049 (limite de marketing por pessoa) aguardam o prazo da Meta: "
            "poderão ser reenviadas entre %(first)s e %(last)s, conforme a hora de cada falha.",
            waiting.count,
            first=first,
            last=last,
        )
    return {
        "count": waiting.count,
        "first_at": waiting.first_at.isoformat(),
        "last_at": waiting.last_at.isoformat(),
        "text": text,
    }


def _retry_text(failed: int, unknown: int) -> str:
    """What the resend buttons would send now (each row once per failure kind)."""
    if not failed and not unknown:
        return ""
    return gettext(
        "Prontas para reenvio agora: %(failed)s falha(s) recuperável(is) e %(unknown)s "
        "desconhecida(s). Cada destinatário é reenviado uma vez por tipo de falha.",
        failed=failed,
        unknown=unknown,
    )
