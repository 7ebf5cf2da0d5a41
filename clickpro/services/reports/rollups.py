"""The rollup job: fold new and changed messages into ``report_message_days``.

How it stays incremental, idempotent and right about late status updates:

- the unit of work is a whole (client, local day) bucket, rebuilt from ``messages`` with
  one ``DELETE`` + ``INSERT … SELECT … GROUP BY`` in one transaction (under a per-client
  advisory lock), never ``counter += n``: re-running the job, or two jobs at once, can
  never count a message twice;
- which buckets to rebuild comes from a high-water mark on ``messages.updated_at`` (the
  ``ix_messages_client_updated`` index). Every status change (sent → delivered → read,
  failed, the pricing/cost of a delivered message) bumps ``updated_at``, so a status that
  arrives days later marks the day the message was *created* dirty, and that day is
  rebuilt with the new status: the funnel of an old campaign grows as statuses come in;
- the scan starts ``OVERLAP`` before the mark, so a transaction that committed late with
  an older ``updated_at`` is still seen (rebuilding a bucket twice is harmless);
- replies and opt-outs count for a campaign message when they come within
  ``REPLY_WINDOW`` of its send: a new inbound message or opt-out marks dirty the days of
  that contact's campaign messages sent in the window before it.

The same pass keeps ``report_service_days`` (conversations opened / resolved, AI
containment, CSAT, AI runs by outcome, intent spend) under its own mark (``SERVICE``), so
the report never aggregates cycles, surveys or AI runs at request time. Its dirty (client, day) buckets: the days
of cycles opened or resolved past the mark (a resolution rebuilds the opening day too: the
team / agent is final then), of CSAT surveys and AI runs changed past the mark
(``updated_at``), and the resolution day of the cycle that holds a changed AI run. The
first pass after the migration finds no mark and rebuilds every day.

And ``report_cycle_time_buckets`` (:mod:`clickpro.services.reports.cycle_times`), the
histograms of the cycles' first response / resolution seconds the percentiles are read
from, under the mark ``CYCLE_TIMES``: day rows per client × local day × number × team ×
agent × metric × bucket, and month rows (the sum of a month's day rows) rebuilt for every
month holding a rebuilt day. Dirty days: the opening day of the cycles opened, first
answered or resolved past the mark (the resolution makes team / agent final), and the
resolution day of those resolved past it.

PostgreSQL only (local days via ``AT TIME ZONE``); on SQLite the job does nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Client, ReportRollupState
from clickpro.services.accounts.validation import safe_zone_name
from clickpro.services.reports import cycle_times
from clickpro.services.reports.periods import month_after

log = logging.getLogger(__name__)

NAME = "messages"
SERVICE = "service"
CYCLE_TIMES = "cycle_times"
OVERLAP = timedelta(minutes=5)
REPLY_WINDOW = timedelta(days=7)
DAYS_PER_BATCH = 31

_DAY = "(m.created_at AT TIME ZONE :tz)::date"

_DELETE = """
DELETE FROM {table} WHERE client_id = :c AND day = ANY(:days)
"""

_INSERT_DAYS = f"""
INSERT INTO report_message_days (client_id, day, number_id, campaign_id, category, currency,
  msgs_in, msgs_out, out_ai, out_agent, sent, delivered, read, failed, replied, opted_out,
  charged, free, cost, ai_cost)
SELECT :c, {_DAY}, COALESCE(m.number_id, 0), COALESCE(m.campaign_id, 0),
  CASE WHEN m.status IN ('DELIVERED', 'READ') THEN COALESCE(m.pricing_category, '') ELSE '' END,
  CASE WHEN m.status IN ('DELIVERED', 'READ') AND m.cost IS NOT NULL
       THEN COALESCE(m.cost_currency, '') ELSE '' END,
  COUNT(*) FILTER (WHERE m.direction = 'IN'),
  COUNT(*) FILTER (WHERE m.direction = 'OUT'),
  COUNT(*) FILTER (WHERE m.direction = 'OUT' AND m.author = 'AI'),
  COUNT(*) FILTER (WHERE m.direction = 'OUT' AND m.author = 'AGENT'),
  COUNT(*) FILTER (WHERE m.direction = 'OUT' AND (m.sent_at IS NOT NULL
                   OR m.status IN ('SENT', 'DELIVERED', 'READ'))),
  COUNT(*) FILTER (WHERE m.direction = 'OUT' AND (m.delivered_at IS NOT NULL
                   OR m.status IN ('DELIVERED', 'READ'))),
  COUNT(*) FILTER (WHERE m.direction = 'OUT' AND (m.read_at IS NOT NULL OR m.status = 'READ')),
  COUNT(*) FILTER (WHERE m.direction = 'OUT' AND m.status = 'FAILED'),
  COUNT(*) FILTER (WHERE m.campaign_id IS NOT NULL AND m.sent_at IS NOT NULL AND EXISTS (
      SELECT 1 FROM messages i WHERE i.contact_id = m.contact_id AND i.direction = 'IN'
        AND i.created_at > m.sent_at AND i.created_at <= m.sent_at + :window
        AND (m.number_id IS NULL OR i.number_id = m.number_id))),
  COUNT(*) FILTER (WHERE m.campaign_id IS NOT NULL AND (m.error_code = 131050 OR (
      m.sent_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM opt_outs o JOIN contacts ct ON ct.phone_e164 = o.phone_e164
        WHERE ct.id = m.contact_id AND o.client_id = :c
          AND o.created_at >= m.sent_at AND o.created_at <= m.sent_at + :window)))),
  COUNT(*) FILTER (WHERE m.status IN ('DELIVERED', 'READ') AND m.cost > 0),
  COUNT(*) FILTER (WHERE m.status IN ('DELIVERED', 'READ') AND m.cost = 0),
  COALESCE(SUM(m.cost) FILTER (WHERE m.status IN ('DELIVERED', 'READ')), 0),
  COALESCE(SUM(CASE WHEN m.author = 'AI' AND jsonb_typeof(m.ai_usage -> 'cost') = 'number'
                    THEN (m.ai_usage ->> 'cost')::numeric END), 0)
FROM messages m
WHERE m.client_id = :c AND m.created_at >= :lo AND m.created_at < :hi
  AND NOT m.is_internal_note AND {_DAY} = ANY(:days)
GROUP BY 2, 3, 4, 5, 6
"""

_INSERT_FAILURES = f"""
INSERT INTO report_failure_days (client_id, day, number_id, campaign_id, error_code, failures)
SELECT :c, {_DAY}, COALESCE(m.number_id, 0), COALESCE(m.campaign_id, 0),
  COALESCE(m.error_code, 0), COUNT(*)
FROM messages m
WHERE m.client_id = :c AND m.created_at >= :lo AND m.created_at < :hi
  AND m.status = 'FAILED' AND NOT m.is_internal_note AND {_DAY} = ANY(:days)
GROUP BY 2, 3, 4, 5
"""

_DIRTY_CHANGED = f"""
SELECT DISTINCT {_DAY} FROM messages m WHERE m.client_id = :c AND m.updated_at > :since
"""

# Campaign messages whose reply / opt-out window holds a new inbound message or opt-out.
_DIRTY_REPLIES = f"""
SELECT DISTINCT {_DAY} FROM messages i JOIN messages m
  ON m.contact_id = i.contact_id AND m.campaign_id IS NOT NULL
 AND m.sent_at < i.created_at AND m.sent_at >= i.created_at - :window
WHERE i.client_id = :c AND i.updated_at > :since AND i.direction = 'IN'
"""

_DIRTY_OPTOUTS = f"""
SELECT DISTINCT {_DAY} FROM opt_outs o
  JOIN contacts ct ON ct.client_id = o.client_id AND ct.phone_e164 = o.phone_e164
  JOIN messages m ON m.contact_id = ct.id AND m.campaign_id IS NOT NULL
   AND m.sent_at <= o.created_at AND m.sent_at >= o.created_at - :window
WHERE o.client_id = :c AND o.updated_at > :since
"""


def _local(column: str) -> str:
    return f"({column} AT TIME ZONE :tz)::date"


# One row per (day, number, team, agent) from the four sources, summed.
_INSERT_SERVICE = f"""
INSERT INTO report_service_days (client_id, day, number_id, team_id, agent_user_id,
  opened, resolved, ai_resolved, ai_contained, csat_asked, csat_1, csat_2, csat_3, csat_4,
  csat_5, ai_runs, ai_answers, ai_handoffs, ai_intent_cost)
SELECT :c, day, number_id, team_id, agent_id, SUM(opened), SUM(resolved), SUM(ai_resolved),
  SUM(ai_contained), SUM(asked), SUM(s1), SUM(s2), SUM(s3), SUM(s4), SUM(s5), SUM(runs),
  SUM(answers), SUM(handoffs), COALESCE(SUM(intent), 0)
FROM (
  SELECT {_local("cy.opened_at")} AS day, COALESCE(cy.number_id, 0) AS number_id,
    COALESCE(cy.team_id, 0) AS team_id, COALESCE(cy.agent_user_id, 0) AS agent_id,
    1 AS opened, 0 AS resolved, 0 AS ai_resolved, 0 AS ai_contained, 0 AS asked, 0 AS s1,
    0 AS s2, 0 AS s3, 0 AS s4, 0 AS s5, 0 AS runs, 0 AS answers, 0 AS handoffs,
    NULL::numeric AS intent
  FROM conversation_cycles cy
  WHERE cy.client_id = :c AND cy.opened_at >= :lo AND cy.opened_at < :hi
    AND {_local("cy.opened_at")} = ANY(:days)
  UNION ALL
  SELECT day, number_id, team_id, agent_id, 0, 1, ai::int, (ai AND agent_id = 0)::int,
    0, 0, 0, 0, 0, 0, 0, 0, 0, NULL
  FROM (
    SELECT {_local("cy.resolved_at")} AS day, COALESCE(cy.number_id, 0) AS number_id,
      COALESCE(cy.team_id, 0) AS team_id, COALESCE(cy.agent_user_id, 0) AS agent_id,
      EXISTS (SELECT 1 FROM ai_reply_runs r WHERE r.conversation_id = cy.conversation_id
        AND r.client_id = :c AND r.status = 'DONE'
        AND r.created_at >= cy.opened_at AND r.created_at <= cy.resolved_at) AS ai
    FROM conversation_cycles cy
    WHERE cy.client_id = :c AND cy.resolved_at >= :lo AND cy.resolved_at < :hi
      AND {_local("cy.resolved_at")} = ANY(:days)
  ) resolved
  UNION ALL
  SELECT {_local("s.asked_at")}, COALESCE(cy.number_id, 0), COALESCE(s.team_id, 0), 0,
    0, 0, 0, 0, 1, (s.score IS NOT DISTINCT FROM 1)::int, (s.score IS NOT DISTINCT FROM 2)::int, (s.score IS NOT DISTINCT FROM 3)::int,
    (s.score IS NOT DISTINCT FROM 4)::int, (s.score IS NOT DISTINCT FROM 5)::int, 0, 0, 0, NULL
  FROM csat_surveys s
  LEFT JOIN conversation_cycles cy ON cy.id = s.cycle_id AND cy.client_id = :c
  WHERE s.client_id = :c AND s.asked_at >= :lo AND s.asked_at < :hi
    AND {_local("s.asked_at")} = ANY(:days)
  UNION ALL
  SELECT {_local("r.created_at")}, COALESCE(cv.number_id, 0), 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    (r.outcome IS NOT NULL)::int, (r.outcome IS NOT DISTINCT FROM :answered)::int,
    COALESCE(r.outcome = ANY(:handoffs), false)::int,
    CASE WHEN jsonb_typeof(r.intent_usage::jsonb -> 'cost') = 'number'
         THEN (r.intent_usage::jsonb ->> 'cost')::numeric END
  FROM ai_reply_runs r
  LEFT JOIN conversations cv ON cv.id = r.conversation_id AND cv.client_id = :c
  WHERE r.client_id = :c AND r.created_at >= :lo AND r.created_at < :hi
    AND {_local("r.created_at")} = ANY(:days)
) parts
GROUP BY day, number_id, team_id, agent_id
"""

_SERVICE_DIRTY_ALL = f"""
SELECT {_local("opened_at")} FROM conversation_cycles WHERE client_id = :c
UNION SELECT {_local("resolved_at")} FROM conversation_cycles
  WHERE client_id = :c AND resolved_at IS NOT NULL
UNION SELECT {_local("asked_at")} FROM csat_surveys WHERE client_id = :c
UNION SELECT {_local("created_at")} FROM ai_reply_runs WHERE client_id = :c
"""

_SERVICE_DIRTY = f"""
SELECT {_local("opened_at")} FROM conversation_cycles
  WHERE client_id = :c AND (opened_at > :since OR resolved_at > :since)
UNION SELECT {_local("resolved_at")} FROM conversation_cycles
  WHERE client_id = :c AND resolved_at > :since
UNION SELECT {_local("asked_at")} FROM csat_surveys WHERE client_id = :c AND updated_at > :since
UNION SELECT {_local("created_at")} FROM ai_reply_runs
  WHERE client_id = :c AND updated_at > :since
UNION SELECT {_local("cy.resolved_at")} FROM ai_reply_runs r
  JOIN conversation_cycles cy ON cy.conversation_id = r.conversation_id
   AND cy.opened_at <= r.created_at AND cy.resolved_at >= r.created_at
  WHERE r.client_id = :c AND r.updated_at > :since
"""


_CYCLE_BUCKETS = f"""
INSERT INTO report_cycle_time_buckets (client_id, span, day, number_id, team_id,
  agent_user_id, metric, bucket, cycles)
SELECT :c, 0, day, number_id, team_id, agent_id, metric, bucket, COUNT(*)
FROM (
  SELECT {_local("cy.opened_at")} AS day, COALESCE(cy.number_id, 0) AS number_id,
    COALESCE(cy.team_id, 0) AS team_id, COALESCE(cy.agent_user_id, 0) AS agent_id,
    {cycle_times.FIRST_RESPONSE} AS metric,
    {cycle_times.bucket_sql("cy.first_response_seconds")} AS bucket
  FROM conversation_cycles cy
  WHERE cy.client_id = :c AND cy.opened_at >= :lo AND cy.opened_at < :hi
    AND cy.first_response_seconds IS NOT NULL AND {_local("cy.opened_at")} = ANY(:days)
  UNION ALL
  SELECT {_local("cy.resolved_at")}, COALESCE(cy.number_id, 0), COALESCE(cy.team_id, 0),
    COALESCE(cy.agent_user_id, 0), {cycle_times.RESOLUTION},
    {cycle_times.bucket_sql("cy.resolution_seconds")}
  FROM conversation_cycles cy
  WHERE cy.client_id = :c AND cy.resolved_at >= :lo AND cy.resolved_at < :hi
    AND cy.resolution_seconds IS NOT NULL AND {_local("cy.resolved_at")} = ANY(:days)
) parts
GROUP BY day, number_id, team_id, agent_id, metric, bucket
"""

_CYCLE_BUCKETS_DELETE = """
DELETE FROM report_cycle_time_buckets WHERE client_id = :c AND span = 0 AND day = ANY(:days)
"""

_CYCLE_MONTHS_DELETE = """
DELETE FROM report_cycle_time_buckets WHERE client_id = :c AND span = 1 AND day = :month
"""

_CYCLE_MONTHS = """
INSERT INTO report_cycle_time_buckets (client_id, span, day, number_id, team_id,
  agent_user_id, metric, bucket, cycles)
SELECT :c, 1, :month, number_id, team_id, agent_user_id, metric, bucket, SUM(cycles)
FROM report_cycle_time_buckets
WHERE client_id = :c AND span = 0 AND day >= :month AND day < :following
GROUP BY number_id, team_id, agent_user_id, metric, bucket
"""

_CYCLE_DIRTY_ALL = f"""
SELECT {_local("opened_at")} FROM conversation_cycles WHERE client_id = :c
UNION SELECT {_local("resolved_at")} FROM conversation_cycles
  WHERE client_id = :c AND resolved_at IS NOT NULL
"""

_CYCLE_DIRTY = f"""
SELECT {_local("opened_at")} FROM conversation_cycles
  WHERE client_id = :c
    AND (opened_at > :since OR first_response_at > :since OR resolved_at > :since)
UNION SELECT {_local("resolved_at")} FROM conversation_cycles
  WHERE client_id = :c AND resolved_at > :since
"""


def cycle_dirty_days(client_id: int, tz: str, since: datetime | None) -> set[date]:
    """The local days whose cycle-time histograms may have changed after ``since``
    (every day with a cycle when ``since`` is None)."""
    query = _CYCLE_DIRTY_ALL if since is None else _CYCLE_DIRTY
    params = {"c": client_id, "tz": tz, "since": since}
    return {d for (d,) in db.session.execute(sa.text(query), params) if d is not None}


def rebuild_cycle_buckets(client_id: int, tz: str, days: Iterable[date]) -> int:
    """Rebuild the day histograms of ``days`` for one client, then the month rows of
    every month holding one of them (DELETE + INSERT, under the client's advisory lock,
    one transaction per batch / month)."""
    ordered = sorted(set(days))
    lock = sa.text("SELECT pg_advisory_xact_lock(7022, :c)")
    for i in range(0, len(ordered), DAYS_PER_BATCH):
        batch = ordered[i : i + DAYS_PER_BATCH]
        lo, hi = _bounds(batch)
        params = {"c": client_id, "tz": tz, "days": batch, "lo": lo, "hi": hi}
        db.session.execute(lock, {"c": client_id})
        db.session.execute(sa.text(_CYCLE_BUCKETS_DELETE), params)
        db.session.execute(sa.text(_CYCLE_BUCKETS), params)
        db.session.commit()
    for month in sorted({d.replace(day=1) for d in ordered}):
        params = {"c": client_id, "month": month, "following": month_after(month)}
        db.session.execute(lock, {"c": client_id})
        db.session.execute(sa.text(_CYCLE_MONTHS_DELETE), params)
        db.session.execute(sa.text(_CYCLE_MONTHS), params)
        db.session.commit()
    return len(ordered)


def service_dirty_days(client_id: int, tz: str, since: datetime | None) -> set[date]:
    """The client's local days whose service figures may have changed after ``since``
    (every day with a cycle, survey or AI run when ``since`` is None)."""
    query = _SERVICE_DIRTY_ALL if since is None else _SERVICE_DIRTY
    params = {"c": client_id, "tz": tz, "since": since}
    return {d for (d,) in db.session.execute(sa.text(query), params) if d is not None}


def rebuild_service_days(client_id: int, tz: str, days: Iterable[date]) -> int:
    """Rebuild ``report_service_days`` of ``days`` for one client (DELETE + INSERT per
    batch, under the client's advisory lock); commits per batch."""
    from clickpro.models.ai import HANDOFF_OUTCOMES, AIOutcome

    ordered = sorted(set(days))
    for i in range(0, len(ordered), DAYS_PER_BATCH):
        batch = ordered[i : i + DAYS_PER_BATCH]
        lo, hi = _bounds(batch)
        params = {"c": client_id, "tz": tz, "days": batch, "lo": lo, "hi": hi}
        params["answered"] = str(AIOutcome.ANSWERED)
        params["handoffs"] = [str(o) for o in HANDOFF_OUTCOMES]
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(7022, :c)"), {"c": client_id})
        db.session.execute(sa.text(_DELETE.format(table="report_service_days")), params)
        db.session.execute(sa.text(_INSERT_SERVICE), params)
        db.session.commit()
    return len(ordered)


def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _state(name: str = NAME) -> ReportRollupState:
    state = db.session.get(ReportRollupState, name)
    if state is None:
        state = ReportRollupState(name=name, high_water=None, last_run_ms=0, last_days=0)
        db.session.add(state)
        db.session.flush()
    return state


def dirty_days(client_id: int, tz: str, since: datetime | None) -> set[date]:
    """The client's local days holding a message (or a reply window) changed after
    ``since`` (every day with a message when ``since`` is None)."""
    params = {"c": client_id, "tz": tz, "window": REPLY_WINDOW}
    if since is None:
        params["since"] = datetime(1970, 1, 1, tzinfo=UTC)
        queries: Iterable[str] = (_DIRTY_CHANGED,)
    else:
        params["since"] = since
        queries = (_DIRTY_CHANGED, _DIRTY_REPLIES, _DIRTY_OPTOUTS)
    days: set[date] = set()
    for query in queries:
        days.update(d for (d,) in db.session.execute(sa.text(query), params) if d is not None)
    return days


def _bounds(days: list[date]) -> tuple[datetime, datetime]:
    """UTC instants surely covering these local days in any zone (± 1 day)."""
    lo = datetime.combine(min(days), datetime.min.time(), tzinfo=UTC) - timedelta(days=1)
    hi = datetime.combine(max(days), datetime.min.time(), tzinfo=UTC) + timedelta(days=2)
    return lo, hi


def rebuild_days(client_id: int, tz: str, days: Iterable[date]) -> int:
    """Rebuild the buckets of ``days`` for one client; commits per batch. Returns the
    number of days rebuilt."""
    ordered = sorted(set(days))
    for i in range(0, len(ordered), DAYS_PER_BATCH):
        batch = ordered[i : i + DAYS_PER_BATCH]
        lo, hi = _bounds(batch)
        params = {"c": client_id, "tz": tz, "days": batch, "lo": lo, "hi": hi}
        params["window"] = REPLY_WINDOW
        # one rebuild of a client at a time: concurrent jobs would collide on the key
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(7022, :c)"), {"c": client_id})
        for table in ("report_message_days", "report_failure_days"):
            db.session.execute(sa.text(_DELETE.format(table=table)), params)
        db.session.execute(sa.text(_INSERT_DAYS), params)
        db.session.execute(sa.text(_INSERT_FAILURES), params)
        db.session.commit()
    return len(ordered)


def run(client_ids: Iterable[int] | None = None, *, full: bool = False) -> int:
    """One pass of the job over every client (or ``client_ids``). Returns days rebuilt.

    ``full`` rebuilds every day that has messages (after a change of the rollup's
    definition, or a client's time zone).
    """
    if not _is_postgres():
        log.info("report rollups need PostgreSQL; skipped")
        return 0
    started = time.monotonic()
    now = db.session.scalar(sa.text("SELECT now()"))
    marks = {}
    for name in (NAME, SERVICE, CYCLE_TIMES):
        state = _state(name)
        marks[name] = None if (full or state.high_water is None) else state.high_water - OVERLAP
    db.session.commit()
    stmt = sa.select(Client.id, Client.timezone).order_by(Client.id)
    if client_ids is not None:
        stmt = stmt.where(Client.id.in_(list(client_ids)))
    total = 0
    for client_id, zone in db.session.execute(stmt).all():
        tz = safe_zone_name(zone)
        days = dirty_days(client_id, tz, marks[NAME])
        if days:
            total += rebuild_days(client_id, tz, days)
        service = service_dirty_days(client_id, tz, marks[SERVICE])
        if service:
            rebuild_service_days(client_id, tz, service)
        cycles = cycle_dirty_days(client_id, tz, marks[CYCLE_TIMES])
        if cycles:
            rebuild_cycle_buckets(client_id, tz, cycles)
    for name in (NAME, SERVICE, CYCLE_TIMES):
        state = _state(name)
        if client_ids is None:  # a partial pass must not move the mark for everyone
            state.high_water = now
        state.last_run_at = now
        state.last_run_ms = int((time.monotonic() - started) * 1000)
        state.last_days = total
    db.session.commit()
    return total


def rollup_state() -> ReportRollupState | None:
    return db.session.get(ReportRollupState, NAME)
