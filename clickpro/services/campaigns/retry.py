"""Sending campaign rows again: failures, unknown outcomes, or marking unknown failed.

Every re-send is recorded in the ``message_retries`` ledger under its *failure kind*: the
error code (``"131000"``) or ``"unknown"``. The rules:

* "resend failed" re-queues a row with a retryable code at most once per kind: a second
  click, or the same failure again, re-sends nothing; a *different* failure afterwards is
  a new kind and may be retried once;
* 131049 (Meta held a marketing message to protect the user's engagement) is never
  retried at once: an earlier retry just fails again. Round 1 is offered 12 h after the
  failure, round 2 (if it failed again) 24 h after that one, then never
  (:data:`BACKOFF_131049_H`);
* "resend unknown" re-queues each UNKNOWN row once (it may already have been delivered,
  so it is the admin's explicit, confirmed choice, never automatic).

Re-queued rows go through the normal dispatcher and the number's rate limiter. The
ledger row is inserted first (``ON CONFLICT DO NOTHING`` on ``(message, kind, round)``),
so two clicks at the same moment re-send a row once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db, rowcount
from clickpro.models import Campaign, Message, MessageRetry, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.campaigns import control, dispatchers
from clickpro.services.campaigns.counters import refresh_counters
from clickpro.services.campaigns.form import CampaignError
from clickpro.services.campaigns.queries import S, get_campaign, status_label
from clickpro.services.webhook.sql import insert_ignoring

ECOSYSTEM_CODE = 131049
RETRYABLE_FAILED_CODES = (ECOSYSTEM_CODE, 131000)
# Meta's advised back-off of 131049, per retry round (hours after the failure retried).
BACKOFF_131049_H = (12.0, 24.0)
KIND_UNKNOWN = "unknown"
_CHUNK = 1000
_retries = MessageRetry.__table__


def _kind_of_failure() -> sa.ColumnElement:
    return sa.cast(Message.error_code, sa.String(16))


def _rounds(kind: sa.ColumnElement | str) -> sa.ScalarSelect:
    """How many times this row was already re-sent for ``kind`` (correlated)."""
    return (
        sa.select(sa.func.count())
        .where(MessageRetry.message_id == Message.id, MessageRetry.kind == kind)
        .scalar_subquery()
    )


def _failed_at() -> sa.ColumnElement:
    return sa.func.coalesce(Message.failed_at, Message.updated_at)


def retryable_failed_filter(now: datetime | None = None) -> list:
    """FAILED rows "resend failed" may re-queue now (see the module's rules)."""
    now = now or utcnow()
    rounds = _rounds(_kind_of_failure())
    first, second = (now - timedelta(hours=h) for h in BACKOFF_131049_H)
    ecosystem_ready = sa.or_(
        sa.and_(rounds == 0, _failed_at() <= first),
        sa.and_(rounds == 1, _failed_at() <= second),
    )
    return [
        Message.status == MessageStatus.FAILED,
        Message.error_code.in_(RETRYABLE_FAILED_CODES),
        sa.or_(
            sa.and_(Message.error_code != ECOSYSTEM_CODE, rounds == 0),
            sa.and_(Message.error_code == ECOSYSTEM_CODE, ecosystem_ready),
        ),
    ]


def resendable_unknown_filter() -> list:
    """UNKNOWN rows never re-sent as unknown before."""
    return [Message.status == MessageStatus.UNKNOWN, _rounds(KIND_UNKNOWN) == 0]


@dataclass
class Waiting:
    """131049 failures still inside Meta's back-off: how many, and when they open."""

    count: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None


def waiting_131049(campaign_id: int, now: datetime | None = None) -> Waiting:
    now = now or utcnow()
    waiting = Waiting()
    for round_done, hours in enumerate(BACKOFF_131049_H):
        count, earliest, latest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(_failed_at()), sa.func.max(_failed_at())).where(
                Message.campaign_id == campaign_id,
                Message.status == MessageStatus.FAILED,
                Message.error_code == ECOSYSTEM_CODE,
                _rounds(_kind_of_failure()) == round_done,
                _failed_at() > now - timedelta(hours=hours),
            )
        ).one()
        if not count:
            continue
        waiting.count += int(count)
        opens = (earliest + timedelta(hours=hours), latest + timedelta(hours=hours))
        waiting.first_at = min(filter(None, (waiting.first_at, opens[0])))
        waiting.last_at = max(filter(None, (waiting.last_at, opens[1])))
    return waiting


def requeue_rows(
    campaign: Campaign,
    where: list,
    *,
    kind: sa.ColumnElement | str,
    expected: str,
    now: datetime | None = None,
) -> int:
    """Re-queue the rows of ``campaign`` matching ``where`` (all in status ``expected``),
    each recorded once under its failure ``kind``; the number re-queued."""
    if campaign.status not in (S.RUNNING, S.PAUSED, S.COMPLETED):
        raise CampaignError(_("Não é possível reenviar mensagens de uma campanha %(s)s.",
                              s=status_label(campaign.status)))  # fmt: skip
    now = now or utcnow()
    kind_column = sa.literal(kind, sa.String(16)) if isinstance(kind, str) else kind
    candidates = db.session.execute(
        sa.select(Message.id, kind_column, _rounds(kind_column), Message.failed_at).where(
            Message.campaign_id == campaign.id, *where
        )
    ).all()
    total = 0
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        entries = [
            {"message_id": mid, "kind": k, "round": int(done) + 1, "failed_at": failed,
             "retried_at": now}
            for mid, k, done, failed in chunk
        ]  # fmt: skip
        recorded = set(
            db.session.scalars(
                insert_ignoring(_retries, "message_id", "kind", "round")
                .values(entries)
                .returning(_retries.c.message_id)
            )
        )
        if not recorded:
            continue
        moved = set(
            db.session.scalars(
                sa.update(Message)
                .where(Message.id.in_(recorded), Message.status == expected)
                .values(status=MessageStatus.QUEUED, next_attempt_at=None, claimed_at=None,
                        lease_until=None, failed_at=None, retried_at=now)
                .returning(Message.id)
                .execution_options(synchronize_session=False)
            )
        )  # fmt: skip
        # Changed meanwhile (a late delivery): not re-sent, so its retry stays available.
        for entry in entries:
            if entry["message_id"] in recorded - moved:
                db.session.execute(
                    sa.delete(_retries).where(
                        _retries.c.message_id == entry["message_id"],
                        _retries.c.kind == entry["kind"],
                        _retries.c.round == entry["round"],
                    )
                )
        total += len(moved)
    if not total:
        db.session.commit()
        return 0
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
    return total


def retry_failed(
    client_id: int,
    campaign_id: int,
    *,
    now: datetime | None = None,
    only_code: int | None = None,
    older_than: datetime | None = None,
) -> int:
    """Re-queue the failures that may be retried now (once per kind, 131049 after its
    back-off); ``only_code``/``older_than`` narrow it (the automatic 131049 retry)."""
    campaign = get_campaign(client_id, campaign_id)
    now = now or utcnow()
    where = retryable_failed_filter(now)
    if only_code is not None:
        where.append(Message.error_code == only_code)
    if older_than is not None:
        where.append(Message.failed_at <= older_than)
    return requeue_rows(campaign, where, kind=_kind_of_failure(),
                        expected=MessageStatus.FAILED, now=now)  # fmt: skip


def resend_unknown(client_id: int, campaign_id: int, *, now: datetime | None = None) -> int:
    """The admin chose to re-send the rows whose outcome is unknown (may duplicate): each
    UNKNOWN row once."""
    campaign = get_campaign(client_id, campaign_id)
    return requeue_rows(campaign, resendable_unknown_filter(), kind=KIND_UNKNOWN,
                        expected=MessageStatus.UNKNOWN, now=now)  # fmt: skip


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
