"""Meta webhook ingestion: verify, store the raw event, process it exactly once.

Ack path (the HTTP request, kept tiny): :func:`subscription_ok` / :func:`signature_ok`,
then :func:`store_event` — one ``INSERT … ON CONFLICT (body_sha256) DO NOTHING`` — and
the caller hands the id to processing (inline or the webhooks queue).

Processing (:func:`process_events`): claim the events (a lease in ``next_attempt_at``),
apply each in one transaction that also marks it processed, then send the domain
signals. A failure rolls back, records ``error``/``attempts`` and a backoff;
:func:`due_event_ids` feeds the periodic retry. Processing is idempotent by
construction (wamid and body dedupe, monotonic statuses), so a re-run never doubles.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from clickpro.events import message_received, send_safely
from clickpro.extensions import db
from clickpro.models import WebhookEvent, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.messaging.delivery import prefetched, reconcile_pending
from clickpro.services.webhook.inbound import PayloadError
from clickpro.services.webhook.route import Outcome, process_payload, status_wamids
from clickpro.services.webhook.sql import insert_ignoring

log = logging.getLogger(__name__)
_events = WebhookEvent.__table__
_credentials = WhatsAppCredential.__table__

LEASE_S = 300  # a claimed event is not reprocessed for this long (crashed worker)
RETRY_GRACE_S = 120  # never-claimed events (lost enqueue) are retried after this
_SECRET_TTL_S = 60.0


# --------------------------------------------------------------------------- ack path
def subscription_ok(mode: str | None, token: str | None) -> bool:
    """``hub.mode=subscribe`` with our verify token or one client's own."""
    if mode != "subscribe" or not token:
        return False
    expected = current_app.config.get("META_VERIFY_TOKEN")
    if expected and hmac.compare_digest(token.encode(), str(expected).encode()):
        return True
    digest = hashlib.sha256(token.encode()).hexdigest()
    stmt = sa.select(_credentials.c.id).where(_credentials.c.verify_token_sha256 == digest)
    return db.session.execute(stmt.limit(1)).first() is not None


def _digest_ok(secret: str, raw: bytes, given: bytes) -> bool:
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, given)


def signature_ok(raw: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256`` over the raw body, constant-time, global or client secret."""
    if not header or not header.startswith("sha256="):
        return False
    given = header[7:].strip().lower().encode("utf-8", "replace")
    secret = current_app.config.get("META_APP_SECRET")
    if secret and _digest_ok(secret, raw, given):
        return True
    return any(_digest_ok(s, raw, given) for s in _client_secrets(raw))


def _client_secrets(raw: bytes) -> tuple[str, ...]:
    """App secrets of the credentials the payload names (cached briefly per process)."""
    try:
        data = json.loads(raw)
        numbers = {
            str(change["value"]["metadata"]["phone_number_id"])
            for entry in data["entry"]
            for change in entry["changes"]
            if isinstance(change.get("value"), dict) and "metadata" in change["value"]
        }
        wabas = {str(entry.get("id")) for entry in data["entry"] if entry.get("id")}
    except (ValueError, TypeError, KeyError, AttributeError):
        return ()
    key = ",".join(sorted(numbers)) + "|" + ",".join(sorted(wabas))
    cache = _secret_cache()
    cached = cache.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    secrets = _load_client_secrets(numbers, wabas)
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (time.monotonic() + _SECRET_TTL_S, secrets)
    return secrets


def _secret_cache() -> dict[str, tuple[float, tuple[str, ...]]]:
    """Per app and process; a client's new secret is picked up within a minute."""
    return current_app.extensions.setdefault("clickpro.webhook_secrets", {})


def _load_client_secrets(numbers: set[str], wabas: set[str]) -> tuple[str, ...]:
    from clickpro.crypto import decrypt

    c = _credentials.c
    where = []
    if numbers:
        where.append(c.phone_number_id.in_(numbers))
    if wabas:
        where.append(c.waba_id.in_(wabas))
    if not where:
        return ()
    stmt = sa.select(c.app_secret_enc).where(sa.or_(*where), c.app_secret_enc.is_not(None))
    found = []
    for token in db.session.scalars(stmt):
        try:
            found.append(decrypt(token))
        except Exception:  # a secret under a removed key: that client cannot verify
            log.warning("undecryptable app secret on a WhatsApp credential")
    return tuple(found)


def clear_secret_cache() -> None:
    _secret_cache().clear()


_PG_INSERT = (
    "INSERT INTO webhook_events (body, body_sha256, signature_ok, routed, received_at,"
    " attempts, next_attempt_at) VALUES (%s, %s, true, false, %s, 0, %s)"
    " ON CONFLICT (body_sha256) DO NOTHING RETURNING id"
)


def store_event(raw: bytes, *, claimed: bool = False) -> int | None:
    """Store a verified delivery; its id, or None when the same body is already stored.

    ``claimed`` stores it leased to the caller, which processes it right away. On
    PostgreSQL this is one autocommitted statement on a pooled DBAPI connection (one
    round trip, no ORM, no SQLAlchemy transaction bookkeeping): it is the whole ack.
    """
    now = utcnow()
    text = raw.decode("utf-8", "replace").replace("\x00", "\ufffd")
    digest = hashlib.sha256(raw).hexdigest()
    lease = now + timedelta(seconds=LEASE_S) if claimed else None
    if db.engine.dialect.name == "postgresql":
        return _store_pg(text, digest, now, lease)
    stmt = (
        insert_ignoring(_events, "body_sha256")
        .values(
            body=text,
            body_sha256=digest,
            signature_ok=True,
            routed=False,
            received_at=now,
            attempts=0,
            next_attempt_at=lease,
        )
        .returning(_events.c.id)
    )
    event_id = db.session.execute(stmt).scalar()
    db.session.commit()
    return event_id


def _store_pg(text: str, digest: str, now: datetime, lease: datetime | None) -> int | None:
    fairy = db.engine.raw_connection()  # pooled (and pre-pinged) like any checkout
    driver = fairy.driver_connection  # the psycopg connection itself
    try:
        driver.autocommit = True
        with driver.cursor() as cursor:
            cursor.execute(_PG_INSERT, (text, digest, now, lease))
            row = cursor.fetchone()
    finally:
        with contextlib.suppress(Exception):  # a broken connection: the pool drops it
            driver.autocommit = False
        fairy.close()  # back to the pool
    return row[0] if row else None


# --------------------------------------------------------------------------- processing
def _claim(ids: list[int], now: datetime) -> list:
    c = _events.c
    stmt = (
        sa.update(_events)
        .where(
            c.id.in_(ids),
            c.processed_at.is_(None),
            sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now),
        )
        .values(next_attempt_at=now + timedelta(seconds=LEASE_S))
        .returning(c.id, c.body, c.attempts)
    )
    rows = sorted(db.session.execute(stmt).all(), key=lambda r: r.id)
    db.session.commit()
    return rows


def process_events(ids: list[int], *, now: datetime | None = None) -> int:
    """Claim and process ``ids``; returns how many were processed successfully.

    The claimed events are applied in one transaction (one commit for the batch); if
    anything in it fails, the batch is rolled back and each event is processed alone,
    so one bad event costs only itself.
    """
    ids = sorted({int(i) for i in ids if i is not None})
    if not ids:
        return 0
    rows = _claim(ids, now or utcnow())
    if len(rows) > 1:
        done = _process_batch(rows)
        if done is not None:
            return done
    return sum(process_claimed(row.id, row.body, row.attempts) for row in rows)


def _process_batch(rows: list) -> int | None:
    """All rows in one transaction; None (rolled back) if any of them fails."""
    outcomes: list[tuple[int, Outcome]] = []
    try:
        payloads = [(row.id, json.loads(row.body)) for row in rows]
        with prefetched(status_wamids(data for _, data in payloads)):
            for event_id, data in payloads:
                outcomes.append((event_id, process_payload(data)))
        groups: dict[int | None, list[int]] = {}
        for event_id, outcome in outcomes:
            groups.setdefault(outcome.client_ids[0] if outcome.client_ids else None, []).append(
                event_id
            )
        for client_id, event_ids in groups.items():
            db.session.execute(
                sa.update(_events)
                .where(_events.c.id.in_(event_ids))
                .values(
                    processed_at=utcnow(),
                    attempts=_events.c.attempts + 1,
                    error=None,
                    next_attempt_at=None,
                    routed=client_id is not None,
                    client_id=client_id,
                )
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.info("webhook batch of %s fell back to one-by-one processing", len(rows))
        return None
    for _event_id, outcome in outcomes:
        _announce(outcome)
    return len(outcomes)


def process_event(event_id: int, *, claimed: bool = False) -> bool:
    """Process one event (``claimed``: the caller stored it leased, e.g. the ack path)."""
    if not claimed:
        return process_events([event_id]) == 1
    row = db.session.execute(
        sa.select(_events.c.body, _events.c.attempts).where(_events.c.id == event_id)
    ).first()
    return row is not None and process_claimed(event_id, row.body, row.attempts)


def process_claimed(event_id: int, body: str, attempts: int) -> bool:
    """Apply one claimed event; never raises (errors are recorded on the event)."""
    try:
        data = json.loads(body)
    except ValueError as exc:  # kept with the error; a retry cannot fix the body
        return _finish_permanent(event_id, attempts, f"JSON inválido: {exc}")
    try:
        outcome = process_payload(data)
        _finish(event_id, attempts, outcome=outcome)
        db.session.commit()
    except PayloadError as exc:
        db.session.rollback()
        return _finish_permanent(event_id, attempts, str(exc))
    except Exception as exc:
        db.session.rollback()
        log.exception("webhook event %s failed (attempt %s)", event_id, attempts + 1)
        _record_failure(event_id, attempts + 1, exc)
        return False
    _announce(outcome)
    return True


def _finish_permanent(event_id: int, attempts: int, error: str) -> bool:
    try:
        _finish(event_id, attempts, error=error[:2000])
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        _record_failure(event_id, attempts + 1, exc)
    return False


def _finish(
    event_id: int, attempts: int, *, outcome: Outcome | None = None, error: str | None = None
) -> None:
    values = {
        "processed_at": utcnow(),
        "attempts": attempts + 1,
        "error": error,
        "next_attempt_at": None,
    }
    if outcome is not None:
        values["routed"] = bool(outcome.client_ids)
        values["client_id"] = outcome.client_ids[0] if outcome.client_ids else None
    db.session.execute(sa.update(_events).where(_events.c.id == event_id).values(**values))


def retry_delay_s(attempts: int) -> float:
    base = float(current_app.config.get("WEBHOOK_RETRY_BASE_S", 30))
    cap = float(current_app.config.get("WEBHOOK_RETRY_MAX_DELAY_S", 3600))
    return min(cap, base * 2 ** max(0, attempts - 1))


def max_attempts() -> int:
    return int(current_app.config.get("WEBHOOK_MAX_ATTEMPTS", 8))


def _record_failure(event_id: int, attempts: int, exc: Exception) -> None:
    """Keep the event unprocessed with its error and the next try time (backoff)."""
    detail = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        db.session.execute(
            sa.update(_events)
            .where(_events.c.id == event_id)
            .values(
                attempts=attempts,
                error=detail,
                next_attempt_at=utcnow() + timedelta(seconds=retry_delay_s(attempts)),
            )
        )
        db.session.commit()
    except Exception:  # the database itself is down: the lease expires, retry finds it
        db.session.rollback()
        log.exception("could not record the failure of webhook event %s", event_id)


def _announce(outcome: Outcome) -> None:
    for item in outcome.received:
        send_safely(
            message_received,
            client_id=item.client_id,
            message_id=item.message_id,
            contact_id=item.contact_id,
        )
    for change in outcome.changes:
        change.send_signal()
    for client_id, wamid in outcome.pending:
        try:
            reconcile_pending(client_id, wamid)
        except Exception:  # applied later by apply_pending_statuses anyway
            db.session.rollback()
            log.exception("reconciling pending status %s failed", wamid)


# --------------------------------------------------------------------------- retries
def due_event_ids(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Unprocessed events whose backoff (or lost enqueue grace) has passed."""
    now = now or utcnow()
    c = _events.c
    stmt = (
        sa.select(c.id)
        .where(
            c.processed_at.is_(None),
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


def reprocess_events(ids: list[int]) -> int:
    """Run events again now, whatever their state (super admin action); returns successes.

    Safe on processed events: every write is idempotent. Useful after adding the
    credential of an unrouted number or fixing the cause of an error.
    """
    ids = sorted({int(i) for i in ids})
    if not ids:
        return 0
    db.session.execute(
        sa.update(_events)
        .where(_events.c.id.in_(ids))
        .values(processed_at=None, next_attempt_at=None, error=None)
    )
    db.session.commit()
    return process_events(ids)
