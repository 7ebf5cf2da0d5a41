"""The dispatcher's database side: claim rows, record outcomes in batches, heartbeat.

Every outcome write is guarded by ``status = 'SENDING'``: a status webhook that already
reconciled the row (through ``biz_opaque_callback_data``) is never overwritten. A claimed
row is leased to its dispatcher (``lease_until``, renewed while it lives): the watchdog
only gives up rows whose lease expired (:func:`.schedule.expire_sending`).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import redis
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql

from clickpro.extensions import db
from clickpro.labels import label
from clickpro.models import (
    Campaign,
    CredentialStatus,
    Message,
    MessageStatus,
    PendingStatus,
    Template,
)
from clickpro.models.base import utcnow
from clickpro.services.accounts.notifications import notify
from clickpro.services.campaigns.control import ROW_LEASE_S
from clickpro.services.campaigns.dispatch_outcome import Outcome
from clickpro.services.contacts.bsuids import is_bsuid
from clickpro.services.contacts.optout import add_opt_out
from clickpro.services.conversations import get_number
from clickpro.services.messaging.delivery import apply_pending_statuses

log = logging.getLogger(__name__)
M = MessageStatus
_t = Message.__table__
_WAMIDS = postgresql.ARRAY(sa.String)
_DT = _t.c.sent_at.type
_JSON = _t.c.payload.type


def claim(campaign_id: int, limit: int):
    """``QUEUED → SENDING`` for up to ``limit`` due rows; rows (id, contact_id, attempts)."""
    now = utcnow()
    due = sa.or_(_t.c.next_attempt_at.is_(None), _t.c.next_attempt_at <= now)
    inner = (
        sa.select(_t.c.id)
        .where(_t.c.campaign_id == campaign_id, _t.c.status == M.QUEUED, due)
        .order_by(_t.c.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        # ``= ANY(ARRAY(subquery))`` is an InitPlan, evaluated once: a plain ``IN
        # (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` may be re-run per outer row and
        # then claims more than ``n`` rows.
        picked = _t.c.id == sa.any_(
            sa.func.array(inner.with_for_update(skip_locked=True).scalar_subquery())
        )
    else:  # SQLite: one writer at a time, the IN list is built once
        picked = _t.c.id.in_(inner.scalar_subquery())
    stmt = (
        sa.update(_t)
        .where(picked, _t.c.status == M.QUEUED)
        .values(
            status=M.SENDING,
            claimed_at=now,
            attempts=_t.c.attempts + 1,
            updated_at=now,
            lease_until=now + timedelta(seconds=ROW_LEASE_S),
        )  # fmt: skip
        .returning(_t.c.id, _t.c.contact_id, _t.c.attempts)
    )
    rows = db.session.execute(stmt).all()
    db.session.commit()
    return rows


def renew_leases(message_ids: list[int]) -> None:
    """Extend the lease of the rows this living dispatcher still holds (SENDING)."""
    if not message_ids:
        return
    until = utcnow() + timedelta(seconds=ROW_LEASE_S)
    for start in range(0, len(message_ids), 500):
        db.session.execute(
            sa.update(_t)
            .where(_t.c.id.in_(message_ids[start : start + 500]), _t.c.status == M.SENDING)
            .values(lease_until=until)
        )
    db.session.commit()


def queued_count(campaign_id: int) -> int:
    count = db.session.scalar(
        sa.select(sa.func.count()).where(_t.c.campaign_id == campaign_id, _t.c.status == M.QUEUED)
    )
    db.session.commit()
    return int(count or 0)


def heartbeat(campaign_id: int) -> None:
    db.session.execute(sa.update(Campaign.__table__).where(Campaign.__table__.c.id == campaign_id)
                       .values(heartbeat_at=utcnow()))  # fmt: skip
    db.session.commit()


def _guarded(*statuses: str, **values) -> sa.Update:
    return (
        sa.update(_t)
        # ``or_`` of equalities, not ``IN``: an expanding IN cannot run as executemany.
        .where(
            _t.c.id == sa.bindparam("mid"),
            sa.or_(*(_t.c.status == s for s in (statuses or (M.SENDING,)))),
        )
        .values(**values)
    )


# A send recorded after the watchdog gave the row up as UNKNOWN (a stalled, not dead,
# dispatcher) still lands: the outcome is known after all.
_SENT = _guarded(M.SENDING, M.UNKNOWN, status=M.SENT, wamid=sa.bindparam("wamid"), sent_at=sa.bindparam("at", type_=_DT),
                 payload=sa.bindparam("payload", type_=_JSON), body=sa.bindparam("body"),
                 error_code=None, error_title=None, updated_at=sa.bindparam("at", type_=_DT))  # fmt: skip
_RETRY = _guarded(status=M.QUEUED, claimed_at=None, next_attempt_at=sa.bindparam("next", type_=_DT),
                  error_code=sa.bindparam("code"), error_title=sa.bindparam("title"))  # fmt: skip
_RELEASE = _guarded(status=M.QUEUED, claimed_at=None, attempts=_t.c.attempts - 1)
_FAILED = _guarded(status=M.FAILED, failed_at=sa.bindparam("at", type_=_DT), error_code=sa.bindparam("code"),
                   error_title=sa.bindparam("title"), payload=sa.bindparam("payload", type_=_JSON))  # fmt: skip
_UNKNOWN = _guarded(
    status=M.UNKNOWN, error_code=sa.bindparam("code"), error_title=sa.bindparam("title")
)
_SKIPPED = _guarded(status=M.SKIPPED, error_title=sa.bindparam("title"))


def record(client_id: int, campaign_id: int, outcomes: list[Outcome]) -> None:
    """Store a batch of outcomes (one executemany per kind), then early statuses."""
    now = utcnow()
    by_kind: dict[str, list[dict]] = {}
    for o in outcomes:
        params: dict = {"mid": o.message_id}
        if o.kind == "sent":
            params.update(wamid=o.wamid, at=o.at or now, payload=o.payload, body=o.body[:4000])
        elif o.kind == "retry":
            params.update(
                next=now + timedelta(seconds=o.delay_s), code=o.error_code, title=o.error_title
            )
        elif o.kind == "failed":
            params.update(at=o.at or now, code=o.error_code, title=o.error_title, payload=o.payload)
        elif o.kind == "unknown":
            params.update(code=o.error_code, title=o.error_title)
        elif o.kind == "skipped":
            params.update(title=o.error_title)
        by_kind.setdefault(o.kind, []).append(params)
    statements = {"sent": _SENT, "retry": _RETRY, "release": _RELEASE, "failed": _FAILED,
                  "unknown": _UNKNOWN, "skipped": _SKIPPED}  # fmt: skip
    set_based = db.engine.dialect.name == "postgresql"
    for kind, rows in by_kind.items():
        if kind == "sent" and set_based:
            _record_sent_set_based(rows)
        else:
            db.session.execute(statements[kind], rows)
    db.session.commit()
    sent = [(p["mid"], p["wamid"]) for p in by_kind.get("sent", [])]
    if sent:
        _apply_early_statuses(sent)
    for o in outcomes:
        if o.opt_out_phone:
            _opt_out(client_id, o.opt_out_phone)


# The sends of a batch in one statement and one round trip (PostgreSQL): the same guard
# and values as ``_SENT``, the rows passed as one JSON document (one C-encoded string:
# an ``executemany`` or per-column arrays cost the dispatcher's CPU per row and value).
_SENT_SET_BASED = sa.text(
    """
UPDATE messages AS m
SET status = 'SENT', wamid = v.wamid, sent_at = v.at, payload = v.payload, body = v.body,
    error_code = NULL, error_title = NULL, updated_at = v.at
FROM jsonb_to_recordset(CAST(:rows AS jsonb))
     AS v(id bigint, wamid varchar, at timestamptz, payload jsonb, body text)
WHERE m.id = v.id AND m.status IN ('SENDING', 'UNKNOWN')
"""
)


def _record_sent_set_based(rows: list[dict]) -> None:
    doc = [
        {"id": r["mid"], "wamid": r["wamid"], "at": r["at"].isoformat(),
         "payload": r["payload"], "body": r["body"]}
        for r in rows
    ]  # fmt: skip
    db.session.execute(_SENT_SET_BASED, {"rows": json.dumps(doc, ensure_ascii=False)})


def _apply_early_statuses(sent: list[tuple[int, str]]) -> None:
    """Statuses that arrived before we stored the wamid (one query finds them)."""
    by_wamid = {wamid: mid for mid, wamid in sent}
    if db.engine.dialect.name == "postgresql":  # one array parameter: no IN list to render
        wanted = PendingStatus.wamid == sa.any_(sa.bindparam("w", list(by_wamid), type_=_WAMIDS))
    else:
        wanted = PendingStatus.wamid.in_(list(by_wamid))
    found = set(db.session.scalars(sa.select(PendingStatus.wamid).where(wanted)))
    db.session.commit()
    if not found:
        return

    for wamid in found:
        try:
            apply_pending_statuses(by_wamid[wamid])
        except Exception:  # noqa: BLE001 - the status stays pending; the webhook retries
            db.session.rollback()
            log.exception("applying early statuses of %s failed", wamid)


def _opt_out(client_id: int, phone: str) -> None:
    """``phone``: the recipient's phone, or its BSUID when it was sent by BSUID."""
    bsuid = phone if is_bsuid(phone) else None
    try:
        add_opt_out(
            client_id, None if bsuid else phone, source="meta",
            reason="131050: o contato parou de receber marketing", bsuid=bsuid,
        )  # fmt: skip
    except Exception:  # noqa: BLE001
        db.session.rollback()
        log.exception("could not add opt-out for a 131050 failure")


def setup_problem(client_id: int, template_id: int, number_id: int | None = None) -> str | None:
    """Credentials removed/refused or template no longer approved (checked each 0.5 s).

    ``number_id``: the campaign's number (None: the client's first)."""
    credential = get_number(client_id, number_id)
    status = db.session.scalar(sa.select(Template.status).where(Template.id == template_id))
    db.session.commit()
    if credential is None or credential.archived_at is not None:
        return _("As credenciais do WhatsApp foram removidas: reconecte-as para continuar.")
    if credential.status == CredentialStatus.INVALID:
        return _("A Meta recusou as credenciais do WhatsApp: reconecte-as para continuar.")
    if status != "APPROVED":
        shown = label("template", status) if status else _("removido")
        return _("O modelo da campanha está %(status)s na Meta.", status=shown)
    return None


def action_reason(outcome: Outcome) -> str:
    code = f" (#{outcome.error_code})" if outcome.error_code else ""
    if outcome.action == "auth":
        return _("A Meta recusou o token%(code)s: reconecte suas credenciais.", code=code)
    if outcome.action == "template":
        return _("O modelo foi pausado ou desativado pela Meta%(code)s.", code=code)
    return _("A conta do WhatsApp está bloqueada ou restrita%(code)s: %(t)s", code=code,
             t=outcome.error_title or "")  # fmt: skip


def failure_share_reason(share: float, n: int) -> str:
    return _("Pausada automaticamente: %(p)s%% de falhas nos últimos %(n)s envios.",
             p=round(share * 100), n=n)  # fmt: skip


def notify_pause(client_id: int, campaign_id: int, reason: str) -> None:
    try:
        name = db.session.scalar(sa.select(Campaign.name).where(Campaign.id == campaign_id)) or ""
        notify(client_id, "campaign_paused", _("Campanha \u201c%(name)s\u201d pausada: %(reason)s",
               name=name, reason=reason), campaign_id=campaign_id)  # fmt: skip
    except Exception:  # noqa: BLE001
        db.session.rollback()
        log.exception("could not notify the pause of campaign %s", campaign_id)


def batch_allowance(
    conn: redis.Redis, campaign_id: int, size: int, interval: float, want: int
) -> int:
    """How many rows may be claimed now under "``size`` per batch, then ``interval`` s".

    Shared by every worker through two Redis keys; a lost key only restarts the batch.
    """
    if size <= 0 or interval <= 0:
        return want
    base = f"clickpro:campaign:{campaign_id}:batch"
    try:
        until = float(conn.get(base + ":until") or 0)
        if time.time() < until:
            return 0
        used = int(conn.incrby(base + ":n", want))
        if used < size:
            return want
        allowed = max(0, want - (used - size))
        conn.set(base + ":n", 0)
        conn.set(base + ":until", time.time() + interval, ex=int(interval) + 60)
        return allowed
    except redis.RedisError:
        return want
