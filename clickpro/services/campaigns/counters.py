"""A campaign's counters and completion.

Counters are ``GROUP BY (campaign_id, status)`` on ``ix_messages_campaign_status`` —
exact whatever changed a row (dispatcher, status webhook, admin action) and fast enough
to poll; ``campaigns.counters`` keeps the last result for lists and signals.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from clickpro.events import campaign_finished, campaign_progress, send_safely
from clickpro.extensions import db, rowcount
from clickpro.models import Campaign, CampaignStatus, Message, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.campaigns import control

log = logging.getLogger(__name__)
S = CampaignStatus


def status_counts(campaign_id: int) -> dict[str, int]:
    """GROUP BY (campaign_id, status) on its index: exact, and fast enough to poll."""
    rows = db.session.execute(
        sa.select(Message.status, sa.func.count())
        .where(Message.campaign_id == campaign_id)
        .group_by(Message.status)
    ).all()
    counts = {s.lower(): 0 for s in ("QUEUED", "SENDING", "SENT", "DELIVERED", "READ", "FAILED",
                                     "SKIPPED", "CANCELLED", "UNKNOWN")}  # fmt: skip
    for status, n in rows:
        counts[str(status).lower()] = int(n)
    counts["total"] = sum(counts.values())
    return counts


def refresh_counters(campaign_id: int) -> dict:
    counts = status_counts(campaign_id)
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign_id).values(counters=counts)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    row = db.session.execute(
        sa.select(Campaign.client_id, Campaign.status).where(Campaign.id == campaign_id)
    ).one()
    send_safely(
        campaign_progress, client_id=row[0], campaign_id=campaign_id, status=row[1], counters=counts
    )
    return counts


def _announce(campaign: Campaign) -> None:
    send_safely(campaign_progress, client_id=campaign.client_id, campaign_id=campaign.id,
                status=campaign.status, counters=campaign.counters or {})  # fmt: skip


def finish_if_done(campaign_id: int) -> bool:
    """RUNNING with nothing queued or in flight → COMPLETED (exactly one caller wins)."""
    pending = db.session.scalar(
        sa.select(sa.func.count()).where(
            Message.campaign_id == campaign_id,
            Message.status.in_((MessageStatus.QUEUED, MessageStatus.SENDING)),
        )
    )
    if pending:
        return False
    done = rowcount(db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign_id, Campaign.status == S.RUNNING)
        .values(status=S.COMPLETED, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    ))  # fmt: skip
    db.session.commit()
    if done:
        control.set_state(campaign_id, S.COMPLETED)
        counts = refresh_counters(campaign_id)
        client_id = db.session.scalar(
            sa.select(Campaign.client_id).where(Campaign.id == campaign_id)
        )
        send_safely(
            campaign_finished, client_id=client_id, campaign_id=campaign_id, status=S.COMPLETED
        )
        log.info("campaign %s completed: %s", campaign_id, counts)
    return bool(done)
