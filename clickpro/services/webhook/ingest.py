"""Meta webhook ingestion: verify, store the raw event, process it exactly once.

Ack path (the HTTP request, kept tiny): :func:`subscription_ok` / :func:`signature_ok`,
then :func:`store_event` — one ``INSERT … ON CONFLICT (body_sha256) DO NOTHING`` — and
the caller hands the id to processing (inline or the webhooks queue). With a queue on
PostgreSQL, :func:`store_grouped` shares that INSERT between the concurrent requests of
the process (group commit, :mod:`.committer`), still committed before each 200.

Processing (:func:`process_events`): claim the events (a lease in ``next_attempt_at``),
apply each in one transaction that also marks it processed, then send the domain
signals. A batch's status webhooks are applied set-based on PostgreSQL (one statement,
:mod:`clickpro.services.messaging.status_batch`). A failure of any type rolls back,
records ``error`` and a backoff on that event alone (the attempt is counted when the
event is claimed); after the last attempt the event is dead-lettered (``dead_at``) for
the super admin. :func:`due_event_ids` feeds the periodic retry. Processing is
idempotent by construction (wamid and body dedupe, monotonic statuses), so a re-run never doubles.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.pool import PoolProxiedConnection

from clickpro import metrics
from clickpro.events import message_received, send_round
from clickpro.extensions import db, rowcount
from clickpro.models import WebhookEvent, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.realtime import publishing_together
from clickpro.services.api.outbound_webhooks import remembering_endpoints
from clickpro.services.costs.sending_rules import opt_out_marketing_stopped
from clickpro.services.messaging.delivery import prefetched, reconcile_pending, status_batch
from clickpro.services.webhook.committer import GroupCommitter, committer_for
from clickpro.services.webhook.inbound import PayloadError
from clickpro.services.webhook.limits import json_depth_ok
from clickpro.services.webhook.route import Outcome, process_payload, status_wamids
from clickpro.services.webhook.signer import (
    PLATFORM,
    client_signer,
    own_secrets_exist,
    platform_signed,
    signer_of,
)
from clickpro.services.webhook.signer import clear_secret_cache as clear_secret_cache
from clickpro.services.webhook.sql import id_in, insert_ignoring

log = logging.getLogger(__name__)
_events = WebhookEvent.__table__
_credentials = WhatsAppCredential.__table__

LEASE_S = 300  # a claimed event is not reprocessed for this long (crashed worker)
RETRY_GRACE_S = 120  # never-claimed events (lost enqueue) are retried after this


# --------------------------------------------------------------------------- ack path
def subscription_ok(mode: str | None, token: str | None) -> bool:
    """``hub.mode=subscribe`` with our verify token or one client's own."""
    if mode != "subscribe" or not token:
        return False
    expected = current_app.config["META_VERIFY_TOKEN"]
    if expected and hmac.compare_digest(token.encode(), str(expected).encode()):
        return True
    digest = hashlib.sha256(token.encode()).hexdigest()
    stmt = sa.select(_credentials.c.id).where(_credentials.c.verify_token_sha256 == digest)
    return db.session.execute(stmt.limit(1)).first() is not None


def signature_ok(raw: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256`` over the raw body matches the global or a client's secret."""
    return signer_of(raw, header) is not None


def verify_delivery(raw: bytes, header: str | None) -> str | int:
    """The signing app's key, or the HTTP status refusing the delivery (400 or 403).

    Cheapest first: the global secret is one HMAC; when it does not match and no client
    has an own secret, the answer is 403 with nothing else done. The nesting depth is
    checked before any secret is looked up in the database (and before storing).
    """
    signer: str | None = PLATFORM if platform_signed(raw, header) else None
    if signer is None and not own_secrets_exist():
        return 403
    if not body_limits_ok(raw):
        return 400
    if signer is None:
        signer = client_signer(raw, header)
    return signer if signer is not None else 403


def body_limits_ok(raw: bytes, config: Mapping[str, Any] | None = None) -> bool:
    """The nesting depth cap (the size cap is applied while reading the stream)."""
    return json_depth_ok(raw, max_json_depth(config))


def max_body_bytes(config: Mapping[str, Any] | None = None) -> int:
    return int((current_app.config if config is None else config)["WEBHOOK_MAX_BODY_BYTES"])


def max_json_depth(config: Mapping[str, Any] | None = None) -> int:
    return int((current_app.config if config is None else config)["WEBHOOK_MAX_JSON_DEPTH"])


_PG_INSERT = (
    "INSERT INTO webhook_events (body, body_sha256, signature_ok, routed, received_at,"
    " attempts, next_attempt_at, signed_by, dropped)"
    " VALUES (%s, %s, true, false, %s, %s, %s, %s, 0)"
    " ON CONFLICT (body_sha256) DO NOTHING RETURNING id"
)


def store_event(raw: bytes, *, signer: str = PLATFORM, claimed: bool = False) -> int | None:
    """Store a verified delivery; its id, or None when the same body is already stored.

    ``signer`` is the app key of the app that signed it (see :mod:`.signer`).
    ``claimed`` stores it leased to the caller, which processes it right away (that run
    counts as the first attempt, like a claim by a worker). On
    PostgreSQL this is one autocommitted statement on a pooled DBAPI connection (one
    round trip, no ORM, no SQLAlchemy transaction bookkeeping): it is the whole ack.
    """
    now = utcnow()
    text = raw.decode("utf-8", "replace").replace("\x00", "\ufffd")
    digest = hashlib.sha256(raw).hexdigest()
    lease = now + timedelta(seconds=LEASE_S) if claimed else None
    attempts = 1 if claimed else 0
    if db.engine.dialect.name == "postgresql":
        return _store_pg(text, digest, now, attempts, lease, signer)
    stmt = (
        insert_ignoring(_events, "body_sha256")
        .values(
            body=text,
            body_sha256=digest,
            signature_ok=True,
            routed=False,
            received_at=now,
            attempts=attempts,
            next_attempt_at=lease,
            signed_by=signer,
            dropped=0,
        )
        .returning(_events.c.id)
    )
    event_id = db.session.execute(stmt).scalar()
    db.session.commit()
    return event_id


def _store_pg(
    text: str, digest: str, now: datetime, attempts: int, lease: datetime | None, signer: str
) -> int | None:
    fairy = db.engine.raw_connection()  # pooled (and pre-pinged) like any checkout
    driver = fairy.driver_connection  # the psycopg connection itself
    if driver is None:  # pragma: no cover - a checked-out pool connection always has one
        fairy.close()
        raise RuntimeError("the pool gave a connection without a DBAPI connection")
    try:
        driver.autocommit = True
        with driver.cursor() as cursor:
            cursor.execute(_PG_INSERT, (text, digest, now, attempts, lease, signer))
            row = cursor.fetchone()
    finally:
        with contextlib.suppress(Exception):  # a broken connection: the pool drops it
            driver.autocommit = False
        fairy.close()  # back to the pool
    return row[0] if row else None


# Binary parameters (``%b``): in text format psycopg escapes each element of a text[]
# with a regex substitution — dozens of matches in a JSON body, ~0.06 ms of CPU per
# body; in binary an element is its length and its bytes.
_PG_INSERT_MANY = (
    "INSERT INTO webhook_events (body, body_sha256, signature_ok, routed, received_at,"
    " attempts, next_attempt_at, signed_by, dropped)"
    " SELECT b, h, true, false, r, 0, NULL, s, 0"
    " FROM unnest(%b::text[], %b::text[], %b::timestamptz[], %b::text[]) AS t(b, h, r, s)"
    " ON CONFLICT (body_sha256) DO NOTHING RETURNING id, body_sha256"
)


def groups_commits(app: Flask | None = None) -> bool:
    """Whether acks share commits (PostgreSQL; ``WEBHOOK_GROUP_COMMIT``, on by default).

    ``app`` when called without an app context (the ack's WSGI shortcut).
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return bool(app.config["WEBHOOK_GROUP_COMMIT"]) and _dialect(app) == "postgresql"


def _dialect(app: Flask) -> str:
    """The database dialect's name, looked up once per app (the engine never changes)."""
    name = app.extensions.get("clickpro.webhook_dialect")
    if name is None:
        with app.app_context():
            name = app.extensions["clickpro.webhook_dialect"] = db.engine.dialect.name
    return name


# The hand-off of a committed batch: its new event ids and the app, no app context.
HandOff = Callable[[list[int], Flask], Any]


def store_grouped(
    raw: bytes,
    *,
    signer: str = PLATFORM,
    after_commit: HandOff | None = None,
    app: Flask | None = None,
) -> int | None:
    """:func:`store_event` through the process's group committer (see :mod:`.committer`).

    Returns once the row is committed (its id; None for a body already stored); raises
    when the batch it was in could not be committed. ``after_commit`` receives the new
    ids of each committed batch (the hand-off to processing) and the app, set on first
    use; it runs without an app context (it pushes one if it needs one). ``app`` when
    called without an app context (the ack's WSGI shortcut): none is needed per request.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    text = raw.decode("utf-8", "replace").replace("\x00", "\ufffd")
    digest = hashlib.sha256(raw).hexdigest()
    committer = committer_for(app.extensions, lambda: _committer(app, after_commit))
    return committer.store((text, digest, utcnow(), signer))


def _committer(app: Flask, hand_off: HandOff | None) -> GroupCommitter:
    with app.app_context():
        engine = db.engine
    if hand_off is None:
        return GroupCommitter(_BatchInserter(engine))
    return GroupCommitter(_BatchInserter(engine), functools.partial(_hand_off, hand_off, app))


def _hand_off(hand_off: HandOff, app: Flask, ids: list[int]) -> Any:
    return hand_off(ids, app)


class _BatchInserter:
    """The committer's flush: one autocommitted multi-row INSERT per batch.

    The committer runs one flush at a time per process, so one connection serves them
    all (a lock guards it anyway); it is kept checked out of the pool (no checkout and no
    pre-ping round trip per batch) and dropped after any error (the next batch opens a
    fresh one).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._idle: list[PoolProxiedConnection] = []
        self._lock = threading.Lock()

    def __call__(self, rows: Sequence[tuple]) -> dict[str, int]:
        columns = [list(col) for col in zip(*rows, strict=True)]
        with self._lock:
            fairy = self._idle.pop() if self._idle else None
        fresh = fairy is None
        if fairy is None:
            fairy = self.engine.raw_connection()
        try:
            driver = fairy.driver_connection
            if driver is None:  # pragma: no cover - a checked-out connection always has one
                raise RuntimeError("no DBAPI connection for the webhook group commit")
            if fresh:
                driver.autocommit = True
            with driver.cursor() as cursor:
                cursor.execute(_PG_INSERT_MANY, columns)
                found = {digest: event_id for event_id, digest in cursor.fetchall()}
        except BaseException:
            with contextlib.suppress(Exception):
                fairy.invalidate()  # never back to the pool: its state is unknown
            raise
        with self._lock:
            self._idle.append(fairy)
        return found


# --------------------------------------------------------------------------- processing
def _claim(ids: list[int], now: datetime) -> list:
    """Lease ``ids`` (those live and not leased) and commit; their rows, by id."""
    rows = sorted(db.session.execute(_claim_statement(ids, now)).all(), key=lambda r: r.id)
    db.session.commit()
    return rows


def _claim_statement(ids: list[int], now: datetime) -> sa.Update:
    """Lease ``ids`` and count the attempt now: a worker that dies on an event (crash,
    timeout, out of memory) has still spent one of that event's attempts.

    "Neither processed nor dead" is written ``coalesce(processed_at, dead_at) IS NULL``
    on purpose: no index matches it, so the planner finds the ids by primary key. With
    the two ``IS NULL`` tests it may (and with a table's usual statistics, almost all
    rows processed, it does) read the indexes of those columns instead, and so every
    unprocessed event for each batch: quadratic in a backlog.
    """
    c = _events.c
    stmt = (
        sa.update(_events)
        .where(
            id_in(c.id, ids),
            sa.func.coalesce(c.processed_at, c.dead_at).is_(None),
            sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now),
        )
        .values(next_attempt_at=now + timedelta(seconds=LEASE_S), attempts=c.attempts + 1)
        .returning(c.id, c.body, c.attempts, c.signed_by, c.received_at)
    )
    return stmt


def process_events(ids: list[int], *, now: datetime | None = None) -> int:
    """Claim and process ``ids``; returns how many were processed successfully.

    The claimed events are applied in one transaction (one commit for the batch); if
    anything in it fails, the batch is rolled back and each event is processed alone,
    so one bad event costs only itself. Never raises for a bad event.
    """
    ids = sorted({int(i) for i in ids if i is not None})
    if not ids:
        return 0
    rows = _claim(ids, now or utcnow())
    if len(rows) > 1:
        done = _process_batch(rows)
        if done is not None:
            for row in rows:
                metrics.webhook_processed(row.received_at)
            return done
    done = 0
    for row in rows:
        if process_claimed(row.id, row.body, row.attempts, row.signed_by):
            metrics.webhook_processed(row.received_at)
            done += 1
    return done


def _process_batch(rows: list) -> int | None:
    """All rows in one transaction; None (rolled back) if any of them fails."""
    outcomes: list[tuple[int, Outcome]] = []
    try:
        payloads = [(row.id, row.signed_by, json.loads(row.body)) for row in rows]
        with status_batch() as statuses:
            # Set-based (PostgreSQL): statuses are collected, then applied in one statement.
            reads = (
                nullcontext()
                if statuses is not None
                else prefetched(status_wamids(d for *_, d in payloads))
            )
            with reads:
                for event_id, signer, data in payloads:
                    outcomes.append((event_id, process_payload(data, signer)))
            if statuses is not None:
                changes, pending = statuses.apply()
                outcomes.append((0, Outcome(changes=changes, pending=pending)))
        groups: dict[tuple[int | None, int, int], list[int]] = {}
        for event_id, outcome in outcomes:
            if not event_id:  # the batch's statuses (announced, no event row)
                continue
            client = outcome.client_ids[0] if outcome.client_ids else None
            key = (client, outcome.dropped, outcome.malformed)
            groups.setdefault(key, []).append(event_id)
        for (client_id, dropped, malformed), event_ids in groups.items():
            db.session.execute(
                sa.update(_events)
                .where(id_in(_events.c.id, event_ids))
                .values(
                    processed_at=utcnow(),
                    error=None,
                    next_attempt_at=None,
                    routed=client_id is not None,
                    client_id=client_id,
                    dropped=dropped,
                    malformed=malformed,
                )
            )
        db.session.commit()
    except Exception:  # any type, RecursionError included: retried one by one
        db.session.rollback()
        log.info("webhook batch of %s fell back to one-by-one processing", len(rows))
        return None
    with remembering_endpoints():
        _announce_batch([outcome for _event_id, outcome in outcomes])
    return len(rows)


def process_event(event_id: int, *, claimed: bool = False) -> bool:
    """Process one event (``claimed``: the caller stored it leased, e.g. the ack path)."""
    if not claimed:
        return process_events([event_id]) == 1
    row = db.session.execute(
        sa.select(
            _events.c.body, _events.c.attempts, _events.c.signed_by, _events.c.received_at
        ).where(_events.c.id == event_id)
    ).first()
    if row is None or not process_claimed(event_id, row.body, row.attempts, row.signed_by):
        return False
    metrics.webhook_processed(row.received_at)
    return True


def process_claimed(event_id: int, body: str, attempt: int, signer: str | None = PLATFORM) -> bool:
    """Apply one claimed event (``attempt`` is its number, already counted); never raises.

    A body that cannot be processed as it is (invalid JSON, unknown shape) is
    dead-lettered at once: no retry can fix it. Any other failure — of any exception
    type — is recorded on this event alone and retried with backoff, up to the last
    attempt, after which the event is dead-lettered.
    """
    try:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # a retry cannot fix the body
            return _dead_letter(event_id, f"JSON inválido: {_error_text(exc)}")
        outcome = process_payload(data, signer)
        _finish(event_id, outcome=outcome)
        db.session.commit()
    except PayloadError as exc:
        db.session.rollback()
        return _dead_letter(event_id, str(exc))
    except Exception as exc:
        db.session.rollback()
        log.exception("webhook event %s failed (attempt %s)", event_id, attempt)
        _record_failure(event_id, attempt, exc)
        return False
    try:
        _announce(outcome)
    except Exception:  # the event is applied and committed; a receiver's failure is its own
        db.session.rollback()
        log.exception("announcing webhook event %s failed", event_id)
    return True


def _finish(event_id: int, *, outcome: Outcome) -> None:
    values = {
        "processed_at": utcnow(),
        "error": None,
        "next_attempt_at": None,
        "routed": bool(outcome.client_ids),
        "client_id": outcome.client_ids[0] if outcome.client_ids else None,
        "dropped": outcome.dropped,
        "malformed": outcome.malformed,
    }
    db.session.execute(sa.update(_events).where(_events.c.id == event_id).values(**values))


def retry_delay_s(attempts: int) -> float:
    base = float(current_app.config["WEBHOOK_RETRY_BASE_S"])
    cap = float(current_app.config["WEBHOOK_RETRY_MAX_DELAY_S"])
    return min(cap, base * 2 ** max(0, attempts - 1))


def max_attempts() -> int:
    return int(current_app.config["WEBHOOK_MAX_ATTEMPTS"])


def _error_text(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"[:2000]
    except Exception:  # an exception whose str() fails
        return type(exc).__name__


def _record_failure(event_id: int, attempts: int, exc: BaseException) -> None:
    """Keep the event with its error and the next try time; dead-letter after the last."""
    values: dict = {"error": _error_text(exc)}
    if attempts >= max_attempts():
        values.update(dead_at=utcnow(), next_attempt_at=None)
        log.error("webhook event %s dead-lettered after %s attempts", event_id, attempts)
    else:
        values["next_attempt_at"] = utcnow() + timedelta(seconds=retry_delay_s(attempts))
    try:
        db.session.execute(sa.update(_events).where(_events.c.id == event_id).values(**values))
        db.session.commit()
    except Exception:  # the database itself is down: the lease expires, retry finds it
        db.session.rollback()
        log.exception("could not record the failure of webhook event %s", event_id)


def _dead_letter(event_id: int, error: str) -> bool:
    """Set the event aside for the super admin (reprocess or discard); returns False."""
    log.warning("webhook event %s dead-lettered: %s", event_id, error[:200])
    try:
        db.session.execute(
            sa.update(_events)
            .where(_events.c.id == event_id)
            .values(error=error[:2000], dead_at=utcnow(), next_attempt_at=None)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not dead-letter webhook event %s", event_id)
    return False


def _announce(outcome: Outcome) -> None:
    _announce_received(outcome, first=True)
    _announce_received(outcome, first=False)
    for change in outcome.changes:
        change.send_signal()
    _announce_followups(outcome)


def _announce_batch(outcomes: list[Outcome]) -> None:
    """:func:`_announce` for a processed batch: its inbound messages first (someone may
    be waiting in the inbox), in two rounds — the live ``message:new`` of every message
    of the batch (the receivers marked ``live_first``), then the other receivers of each
    (cycles, routing, flows, AI: tens of milliseconds each), so message *k* of a batch
    no longer waits for *k − 1* messages' follow-ups; then its status changes, whose
    socket emits reach Redis in one pipelined burst (one round trip per batch)."""
    for outcome in outcomes:
        _announce_received(outcome, first=True)
    for outcome in outcomes:
        _announce_received(outcome, first=False)
    with publishing_together():
        for outcome in outcomes:
            for change in outcome.changes:
                change.send_signal()
    for outcome in outcomes:
        _announce_followups(outcome)


def _announce_received(outcome: Outcome, *, first: bool) -> None:
    for item in outcome.received:
        send_round(
            message_received,
            first,
            client_id=item.client_id,
            message_id=item.message_id,
            contact_id=item.contact_id,
            conversation_id=item.conversation_id,
            number_id=item.number_id,
        )


def _announce_followups(outcome: Outcome) -> None:
    """Opt-outs of Meta's 131050 and the pending statuses' reconciliation."""
    for client_id, wamid in outcome.marketing_stopped:
        opt_out_marketing_stopped(client_id, wamid)
    for client_id, wamid in outcome.pending:
        try:
            reconcile_pending(client_id, wamid)
        except Exception:  # applied later by apply_pending_statuses anyway
            db.session.rollback()
            log.exception("reconciling pending status %s failed", wamid)


# --------------------------------------------------------------------------- retries
def due_event_ids(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Unprocessed, live events whose backoff (or lost enqueue grace) has passed."""
    now = now or utcnow()
    c = _events.c
    stmt = (
        sa.select(c.id)
        .where(
            c.processed_at.is_(None),
            c.dead_at.is_(None),
            c.attempts < max_attempts(),
            sa.or_(
                c.next_attempt_at <= now,
                sa.and_(
                    c.next_attempt_at.is_(None),
                    c.received_at <= now - timedelta(seconds=RETRY_GRACE_S),
                ),
            ),
        )
        .order_by(c.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def dead_letter_exhausted(now: datetime | None = None) -> int:
    """Dead-letter events whose last attempt never finished (the worker died on them)."""
    now = now or utcnow()
    c = _events.c
    result = db.session.execute(
        sa.update(_events)
        .where(
            c.processed_at.is_(None),
            c.dead_at.is_(None),
            c.attempts >= max_attempts(),
            sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now),
        )
        .values(
            dead_at=now,
            next_attempt_at=None,
            error=sa.func.coalesce(c.error, "o processamento nunca terminou (worker interrompido)"),
        )
    )
    db.session.commit()
    return rowcount(result) or 0


def dead_letter_count() -> int:
    """Dead-lettered events still waiting for the super admin (for /healthz)."""
    c = _events.c
    stmt = sa.select(sa.func.count(c.id)).where(c.dead_at.is_not(None), c.processed_at.is_(None))
    return int(db.session.scalar(stmt) or 0)


def dropped_changes_since(since: datetime) -> int:
    """Changes dropped for naming another app's number/WABA since ``since`` (for /healthz)."""
    c = _events.c
    stmt = sa.select(sa.func.coalesce(sa.func.sum(c.dropped), 0)).where(c.received_at >= since)
    return int(db.session.scalar(stmt) or 0)


def reprocess_events(ids: list[int]) -> int:
    """Run events again now, whatever their state (super admin action); returns successes.

    Safe on processed events: every write is idempotent. Useful after adding the
    credential of an unrouted number or fixing the cause of an error; a dead-lettered
    event gets a fresh set of attempts.
    """
    ids = sorted({int(i) for i in ids})
    if not ids:
        return 0
    db.session.execute(
        sa.update(_events)
        .where(_events.c.id.in_(ids))
        .values(processed_at=None, next_attempt_at=None, error=None, dead_at=None, attempts=0)
    )
    db.session.commit()
    return process_events(ids)


def discard_events(ids: list[int]) -> int:
    """Close dead-lettered events without applying them (super admin action)."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return 0
    c = _events.c
    result = db.session.execute(
        sa.update(_events)
        .where(c.id.in_(ids), c.processed_at.is_(None))
        .values(
            processed_at=utcnow(),
            next_attempt_at=None,
            error=sa.func.coalesce(c.error, "") + " [descartado pelo super admin]",
        )
    )
    db.session.commit()
    return rowcount(result) or 0
