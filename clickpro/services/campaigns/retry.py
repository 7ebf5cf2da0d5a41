"""Sending rows again: retryable failures (once each), unknown outcomes (the admin's
choice), or marking unknown outcomes failed."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db, rowcount
from clickpro.models import Campaign, Message, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.campaigns import control, dispatchers
from clickpro.services.campaigns.counters import refresh_counters
from clickpro.services.campaigns.form import CampaignError
from clickpro.services.campaigns.queries import S, get_campaign, status_label

RETRYABLE_FAILED_CODES = (131049, 131000)


def requeue_rows(campaign: Campaign, where: list, *, mark_retried: bool = False) -> int:
    if campaign.status not in (S.RUNNING, S.PAUSED, S.COMPLETED):
        raise CampaignError(_("Não é possível reenviar mensagens de uma campanha %(s)s.",
                              s=status_label(campaign.status)))  # fmt: skip
    ids = list(
        db.session.scalars(sa.select(Message.id).where(Message.campaign_id == campaign.id, *where))
    )
    if not ids:
        return 0
    for chunk in range(0, len(ids), 1000):
        values: dict = {"status": MessageStatus.QUEUED, "next_attempt_at": None, "claimed_at": None}
        if mark_retried:
            values["retried_at"] = utcnow()
        db.session.execute(
            sa.update(Message).where(Message.id.in_(ids[chunk : chunk + 1000])).values(**values)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    if campaign.status == S.COMPLETED:
        db.session.execute(
            sa.update(Campaign).where(Campaign.id == campaign.id)
            .values(status=S.RUNNING, finished_at=None, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    db.session.commit()
    db.session.refresh(campaign)
    if campaign.status == S.RUNNING:
        control.set_state(campaign.id, S.RUNNING)
        dispatchers.enqueue_dispatchers(campaign.id)
    refresh_counters(campaign.id)
    return len(ids)


def retryable_failed_filter() -> list:
    return [
        Message.status == MessageStatus.FAILED,
        Message.error_code.in_(RETRYABLE_FAILED_CODES),
        Message.retried_at.is_(None),
    ]


def retry_failed(client_id: int, campaign_id: int) -> int:
    """Re-queue the rows that failed with a retryable code (131049…), each only once."""
    campaign = get_campaign(client_id, campaign_id)
    return requeue_rows(campaign, retryable_failed_filter(), mark_retried=True)


def resend_unknown(client_id: int, campaign_id: int) -> int:
    """The admin chose to re-send the rows whose outcome is unknown (may duplicate)."""
    campaign = get_campaign(client_id, campaign_id)
    return requeue_rows(campaign, [Message.status == MessageStatus.UNKNOWN])


def mark_unknown_failed(client_id: int, campaign_id: int) -> int:
    campaign = get_campaign(client_id, campaign_id)
    count = rowcount(
        db.session.execute(
            sa.update(Message)
            .where(Message.campaign_id == campaign.id, Message.status == MessageStatus.UNKNOWN)
            .values(
                status=MessageStatus.FAILED,
                failed_at=utcnow(),
                error_title=_("Resultado desconhecido: marcado como falha"),
            )  # fmt: skip
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    refresh_counters(campaign.id)
    return count
