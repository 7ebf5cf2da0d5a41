"""Time-driven campaign rules, run by the watchdog job (every ``CAMPAIGN_WATCHDOG_INTERVAL_S``).

* scheduled starts that are due (a safety net for the ``enqueue(at=…)`` job);
* send windows: a RUNNING campaign outside its window pauses itself (``paused_by =
  "window"``) and resumes when the window opens again;
* dispatchers whose heartbeat expired are enqueued again (their slot leases make a
  duplicate job exit at once);
* a PREPARING campaign whose preparation job died (its lease expired) is prepared again;
* a row left SENDING by a dead dispatcher (it died between the claim and the record)
  becomes UNKNOWN once its lease (``messages.lease_until``, renewed by the living
  dispatcher) has expired and ``CAMPAIGN_UNKNOWN_GRACE_S`` more has passed with no status
  webhook (a status naming the row through ``biz_opaque_callback_data`` marks it sent
  first) — never re-sent blindly; the admin decides ("resend unknown");
* optionally (``CAMPAIGN_AUTO_RETRY_131049_H``) 131049 failures are re-queued once
  Meta's back-off has passed.

``now`` is injectable everywhere so tests control the clock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from clickpro.extensions import db
from clickpro.models import Campaign, CampaignStatus, Message, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.campaigns import dispatchers, preparation, retry, service
from clickpro.services.campaigns.control import ROW_LEASE_S
from clickpro.services.campaigns.counters import refresh_counters
from clickpro.services.campaigns.dispatch_store import notify_pause
from clickpro.services.campaigns.form import client_zone

log = logging.getLogger(__name__)
S = CampaignStatus


def in_window(window: dict | None, zone: ZoneInfo, now: datetime) -> bool:
    """Is ``now`` inside ``{"days": [0=Mon..6], "start": "HH:MM", "end": "HH:MM"}``?"""
    if not window:
        return True
    local = now.astimezone(zone)
    if local.weekday() not in set(window.get("days") or []):
        return False
    hhmm = local.strftime("%H:%M")
    return str(window.get("start", "00:00")) <= hhmm < str(window.get("end", "24:00"))


def tick(now: datetime | None = None) -> dict[str, int]:
    """One watchdog pass over every client's campaigns; counts of what it did."""
    now = now or utcnow()
    done = {
        "auto_retried": 0,
        "started": 0,
        "window_paused": 0,
        "window_resumed": 0,
        "restarted": 0,
        "prepare_restarted": 0,
        "unknown": 0,
    }
    for cid, client_id in _rows(S.SCHEDULED, Campaign.scheduled_at <= now):
        try:
            service.start_campaign(client_id, cid, now=now, scheduled=True)
            done["started"] += 1
        except service.CampaignError as exc:
            db.session.rollback()
            _fail_scheduled(cid, str(exc))
    for campaign in _campaigns(
        Campaign.send_window.is_not(None), Campaign.status.in_((S.RUNNING, S.PAUSED))
    ):
        inside = in_window(campaign.send_window, client_zone(campaign.client_id), now)
        if campaign.status == S.RUNNING and not inside:
            service.pause_campaign(
                campaign.client_id, campaign.id, "Fora da janela de envio.", by="window"
            )
            done["window_paused"] += 1
        elif campaign.status == S.PAUSED and campaign.paused_by == "window" and inside:
            service.resume_campaign(campaign.client_id, campaign.id, by="window")
            done["window_resumed"] += 1
    done["unknown"] = expire_sending(now)
    done["auto_retried"] = auto_retry_ecosystem(now)
    timeout = timedelta(seconds=float(current_app.config["CAMPAIGN_HEARTBEAT_TIMEOUT_S"]))
    stale = sa.or_(Campaign.heartbeat_at.is_(None), Campaign.heartbeat_at < now - timeout)
    stale_ids = {cid for cid, _ in _rows(S.RUNNING, stale)}
    for cid, _client_id in _rows(S.RUNNING):
        if not service.finish_if_done(cid) and cid in stale_ids:
            dispatchers.enqueue_dispatchers(cid)
            done["restarted"] += 1
    for cid, _client_id in _rows(S.PREPARING):
        done["prepare_restarted"] += preparation.resume_stalled(cid)
    return done


def expire_sending(now: datetime) -> int:
    """SENDING rows whose dispatcher lease expired more than the grace ago → UNKNOWN.

    Rows claimed before leases existed (``lease_until`` empty) count from the claim plus
    one lease length. The campaigns touched get fresh counters (the page and the
    ``campaign:progress`` event show it) and can then finish.
    """
    grace = timedelta(seconds=float(current_app.config["CAMPAIGN_UNKNOWN_GRACE_S"]))
    lease = timedelta(seconds=ROW_LEASE_S)
    expired = sa.or_(
        sa.and_(Message.lease_until.is_not(None), Message.lease_until < now - grace),
        sa.and_(Message.lease_until.is_(None), Message.claimed_at < now - grace - lease),
    )
    campaign_ids = list(
        db.session.scalars(
            sa.update(Message)
            .where(
                Message.campaign_id.is_not(None),
                Message.status == MessageStatus.SENDING,
                expired,
            )
            .values(
                status=MessageStatus.UNKNOWN,
                error_title="Resultado desconhecido: o envio foi interrompido (worker parou)",
            )  # fmt: skip
            .returning(Message.campaign_id)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    if campaign_ids:
        log.warning("%s campaign messages left SENDING became UNKNOWN", len(campaign_ids))
        for campaign_id in sorted({c for c in campaign_ids if c is not None}):
            refresh_counters(campaign_id)
    return len(campaign_ids)


def auto_retry_ecosystem(now: datetime) -> int:
    """Optional (``CAMPAIGN_AUTO_RETRY_131049_H``): re-queue 131049 failures by themselves
    once they may be retried (Meta's back-off, the same rule and ledger as "resend
    failed") and are at least that many hours old."""
    hours = current_app.config["CAMPAIGN_AUTO_RETRY_131049_H"]
    if not hours:
        return 0

    old_enough = Message.failed_at <= now - timedelta(hours=float(hours))
    where = [*retry.retryable_failed_filter(now), Message.error_code == retry.ECOSYSTEM_CODE,
             old_enough]  # fmt: skip
    rows = db.session.execute(
        sa.select(Campaign.id, Campaign.client_id)
        .where(Campaign.status.in_((S.RUNNING, S.PAUSED, S.COMPLETED)))
        .where(sa.exists().where(Message.campaign_id == Campaign.id, *where))
    ).all()
    total = 0
    for campaign_id, client_id in rows:
        total += retry.retry_failed(client_id, campaign_id, now=now, only_code=retry.ECOSYSTEM_CODE,
                                    older_than=now - timedelta(hours=float(hours)))  # fmt: skip
    return total


def _rows(status: str, *where) -> list[tuple[int, int]]:
    rows = db.session.execute(
        sa.select(Campaign.id, Campaign.client_id).where(Campaign.status == status, *where)
    ).all()
    db.session.commit()
    return [(r[0], r[1]) for r in rows]


def _campaigns(*where) -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign).where(*where)))


def _fail_scheduled(campaign_id: int, reason: str) -> None:
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign_id, Campaign.status == S.SCHEDULED)
        .values(status=S.DRAFT, pause_reason=reason[:500])
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    client_id = db.session.scalar(sa.select(Campaign.client_id).where(Campaign.id == campaign_id))
    if client_id is not None:  # the campaign may have been deleted meanwhile
        notify_pause(client_id, campaign_id, reason)
