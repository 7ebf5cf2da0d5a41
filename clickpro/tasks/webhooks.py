"""Webhook processing jobs: hand-off from the ack path, the drain job, the periodic retry.

Hand-off (:func:`dispatch`) costs one Redis round trip per event: the id is pushed on
a list and a drain job is enqueued on ``QUEUE_WEBHOOKS`` only when none is running for
the event's shard (a ``SET NX`` flag; ``WEBHOOK_DRAIN_JOBS`` shards, so that many
workers can drain the list side by side). The drain job pops ids in batches, so a worker pays RQ's per-job
overhead once per batch instead of once per event, and it watches the emptied list for
``DRAIN_IDLE_S`` (BLPOP) before ending, so a steady trickle of inbound messages is handed
over in one Redis round trip each instead of a fresh RQ job each. Whatever happens to Redis or a
worker, the event row is in the database: :func:`retry_unprocessed` (periodic) picks
up anything left unprocessed.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app
from redis.commands.core import Script
from rq import Queue, Worker

from clickpro import events
from clickpro.extensions import db
from clickpro.services.api.outbound_webhooks import remembering_endpoints
from clickpro.services.webhook import ingest as webhook_ingest
from clickpro.tasks import QUEUE_FOLLOWUPS, QUEUE_WEBHOOKS, enqueue, redis_connection

log = logging.getLogger(__name__)

PENDING_KEY = "clickpro:webhooks:pending"
FLAG_KEY = "clickpro:webhooks:draining"
FLAG_TTL_S = 120
BATCH = 100
DRAIN_SLICE_S = 30.0  # a drain job hands over to a fresh job after this long
DRAIN_IDLE_S = 1.0  # an emptied list is watched this long before the drain job ends
# Inbound messages whose slow receivers may wait behind newer messages' live round: a
# worker that cannot keep up goes back to finishing them before it takes more ids.
MAX_DEFERRED = BATCH


def processes_inline(app: Flask | None = None) -> bool:
    """Embedded runtime or synchronous RQ (tests): process in the request."""
    config = (app or current_app).config
    return bool(config["EMBEDDED"]) or not config["RQ_ASYNC"]


def _flag(shard: int) -> str:
    return f"{FLAG_KEY}:{shard}"


def dispatch(event_id: int, *, inline: bool | None = None) -> None:
    """Process a freshly stored event now (inline) or hand it to the webhooks queue.

    Never raises: the event is already stored, and the retry job finds it if this
    hand-off fails.
    """
    try:
        if inline if inline is not None else processes_inline():
            webhook_ingest.process_event(event_id, claimed=True)
            return
        shard = event_id % max(1, int(current_app.config["WEBHOOK_DRAIN_JOBS"]))
        pipe = redis_connection().pipeline(transaction=False)
        pipe.rpush(PENDING_KEY, event_id)
        pipe.set(_flag(shard), 1, nx=True, ex=FLAG_TTL_S)
        _, first = pipe.execute()
        if first:
            enqueue(drain_pending, shard, queue=QUEUE_WEBHOOKS)
    except Exception:
        db.session.rollback()
        log.exception(
            "could not hand off webhook event %s; the retry job will process it", event_id
        )


# A committed batch's hand-off in one command: push the ids, claim the drain flag of each
# shard they fall in, return the (0-based) shards whose flag was free — those need a
# drain job. One EVALSHA instead of a pipeline of RPUSH + one SET NX per shard, and the
# ids as one comma-joined argument: the ack pays one command's packing (not one
# argument's encoding per id) and Redis one command's dispatch per batch (#24).
_HAND_OFF_LUA = """
local ids = {}
for id in string.gmatch(ARGV[2], '[^,]+') do ids[#ids + 1] = id end
redis.call('RPUSH', KEYS[1], unpack(ids))
local fresh = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    fresh[#fresh + 1] = i - 2
  end
end
return fresh
"""
_HAND_OFF_SCRIPT = "clickpro.webhooks.hand_off_script"


def _hand_off_script(app: Flask) -> Script:
    """The hand-off script bound to the app's Redis client (registered once per app)."""
    script = app.extensions.get(_HAND_OFF_SCRIPT)
    if script is None:
        script = app.extensions[_HAND_OFF_SCRIPT] = redis_connection(app).register_script(
            _HAND_OFF_LUA
        )
    return script


def dispatch_many(event_ids: list[int], app: Flask | None = None) -> None:
    """:func:`dispatch` for a committed batch of acks: one Redis command for all.

    ``app`` when called outside an app context (the group committer's hand-off): a
    context is pushed only to enqueue a drain job, when a shard has none. Never raises
    (the events are stored; the retry job finds any not handed off).
    """
    if not event_ids:
        return
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        shards = max(1, int(app.config["WEBHOOK_DRAIN_JOBS"]))
        wanted = sorted({int(i) % shards for i in event_ids})
        keys = [PENDING_KEY, *(_flag(shard) for shard in wanted)]
        joined = ",".join(str(int(i)) for i in event_ids)
        fresh = _hand_off_script(app)(keys=keys, args=[FLAG_TTL_S, joined])
        if fresh:
            with app.app_context():
                for index in fresh:
                    enqueue(drain_pending, wanted[int(index)], queue=QUEUE_WEBHOOKS)
    except Exception:
        log.exception(
            "could not hand off %s webhook events; the retry job will process them",
            len(event_ids),
        )


def _process_batch(raw_ids: list) -> int:
    """One drained batch; never raises (a bad event costs only itself, see ingest).

    If the whole batch cannot even be claimed (database down), its ids are only lost
    from the Redis hand-off: the rows are stored and :func:`retry_unprocessed` finds them.
    """
    ids = []
    for raw in raw_ids:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            log.warning("dropping a malformed webhook id from the hand-off: %r", raw)
    try:
        return webhook_ingest.process_events(ids)
    except Exception:
        db.session.rollback()
        log.exception("webhook batch of %s failed; the retry job will pick it up", len(ids))
        return 0
    finally:
        db.session.remove()


def _wait_for_more(redis, idle_s: float) -> list:
    """Block up to ``idle_s`` for the next id (one BLPOP), then take what else is there.

    At a steady trickle (a few inbound messages a second) the list empties between
    events; ending the job there would make every event pay a fresh RQ job (enqueue,
    dequeue, registries, result) and its pick-up. Waiting a moment on the list instead
    hands the next id over in one Redis round trip.
    """
    if idle_s <= 0:
        return []
    got = redis.blpop([PENDING_KEY], timeout=idle_s)
    if not got:
        return []
    more = redis.lpop(PENDING_KEY, BATCH - 1)
    return [got[1], *(more if isinstance(more, list) else [])]


def drain_pending(shard: int = 0, idle_s: float | None = None) -> int:
    """Process queued event ids in batches until the list stays empty for ``idle_s``
    (``DRAIN_IDLE_S``; none under tests) or the slice ends.

    Latency first (#24): a batch is stored and its live round (``message:new``) sent at
    once, while the slow receivers of its inbound messages (outbound webhooks, media,
    service cycles and routing, flows, AI) are queued (:func:`events.deferring_second_rounds`)
    and run one message at a time, the hand-off list checked before each: a message that
    arrives meanwhile waits for one earlier message's slow receivers, not for all of
    theirs. Every queued receiver has run before the job ends or waits on the emptied
    list (and when the block ends, whatever happened), so a warm shutdown loses none; a
    worker killed outright loses the receivers of at most ``MAX_DEFERRED`` messages and
    of the batch in hand, as it lost those of the batch in hand before (the events are
    processed exactly once either way: ``processed_at`` is committed first).
    """
    redis = redis_connection()
    started = time.monotonic()
    if idle_s is None:
        idle_s = 0.0 if current_app.testing else DRAIN_IDLE_S
    as_jobs = bool(current_app.config["WEBHOOK_FOLLOWUPS_QUEUE"]) and followups_served(redis)
    with events.deferring_second_rounds() as later:
        return _drain(redis, shard, started, idle_s, later, as_jobs)


def _drain(
    redis,
    shard: int,
    started: float,
    idle_s: float,
    later: events.SecondRounds,
    followups_as_jobs: bool = False,
) -> int:
    flag = _flag(shard)
    done = 0
    while True:
        if len(later) >= MAX_DEFERRED:  # behind: the queued receivers before more ids
            _run_one_round(later)
            continue
        raw_ids = redis.lpop(PENDING_KEY, BATCH)  # with a count: a list, or None when empty
        if not (isinstance(raw_ids, list) and raw_ids) and later:
            _run_one_round(later)
            continue
        if not (isinstance(raw_ids, list) and raw_ids):
            raw_ids = _wait_for_more(
                redis, min(idle_s, DRAIN_SLICE_S - (time.monotonic() - started))
            )
        if raw_ids:
            redis.expire(flag, FLAG_TTL_S)
            done += _process_batch(raw_ids)
            if followups_as_jobs:
                _queue_followups(later)
            if time.monotonic() - started < DRAIN_SLICE_S:
                continue
            _run_all_rounds(later)
            redis.delete(flag)
            if redis.llen(PENDING_KEY) and redis.set(flag, 1, nx=True, ex=FLAG_TTL_S):
                enqueue(drain_pending, shard, queue=QUEUE_WEBHOOKS)
            return done
        redis.delete(flag)
        # An id pushed between our last pop and the delete saw the flag set: take it.
        if redis.llen(PENDING_KEY) and redis.set(flag, 1, nx=True, ex=FLAG_TTL_S):
            continue
        return done


def _run_one_round(later: events.SecondRounds) -> None:
    """One message's queued receivers, in a session of their own (not the next batch's)."""
    try:
        later.run_item()
    finally:
        db.session.remove()


def _run_all_rounds(later: events.SecondRounds) -> None:
    while later:
        _run_one_round(later)


def followups_served(redis) -> bool:
    """Some worker serves the followups queue (RQ's per-queue worker set, one SCARD).

    Checked when a drain job starts (a job lasts at most ``DRAIN_SLICE_S``): a
    deployment without a followups worker (an upgrade that kept ``-q webhooks,ai``)
    runs the slow receivers in the drain, as before, instead of piling up jobs no one
    takes. A followups worker that dies later leaves its jobs queued in Redis for the
    next one (none is lost)."""
    try:
        return Worker.count(connection=redis, queue=Queue(QUEUE_FOLLOWUPS, connection=redis)) > 0
    except Exception:
        log.exception("could not read the followups workers; slow receivers run here")
        return False


def _queue_followups(later: events.SecondRounds) -> None:
    """Hand the batch's queued second rounds to the followups queue as one job
    (``WEBHOOK_FOLLOWUPS_QUEUE``): the next batch's live round then waits for no slow
    receiver at all, which runs in another process (on another core). If Redis refuses
    the job, the rounds go back to the queue and run here, as without the setting."""
    rounds = later.take()
    if not rounds:
        return
    try:
        enqueue(run_followups, rounds, queue=QUEUE_FOLLOWUPS)
    except Exception:
        log.exception(
            "could not queue the follow-ups of %s messages; running them here", len(rounds)
        )
        for name, kwargs in rounds:
            events.send_round(events.signal_named(name), False, **kwargs)


def run_followups(rounds: list) -> int:
    """Job: the second rounds of a processed batch's inbound messages (cycles, routing,
    flows, AI triggers, outbound webhooks, media), in the messages' order, each in a
    session of its own. One followups worker keeps that order across batches; several
    run batches side by side, as several drain shards already do. A receiver that fails
    is logged and the others still run (:func:`events.send_round`); a round that names
    an unknown signal (a job queued by another release) is skipped and logged."""
    ran = 0
    with remembering_endpoints():
        for name, kwargs in rounds:
            try:
                signal = events.signal_named(str(name))
            except KeyError:
                log.error("follow-up job: unknown signal %r skipped", name)
                continue
            try:
                events.send_round(signal, False, **dict(kwargs))
                ran += 1
            finally:
                db.session.remove()
    return ran


def retry_unprocessed(now=None) -> int:
    """Periodic: process events left unprocessed (failed with backoff due, or lost).

    Dead-letters first the events whose last attempt never finished; then retries in
    slices of the due ids, so one bad event never stops the others (nor this job).
    """
    try:
        dead = webhook_ingest.dead_letter_exhausted(now)
        if dead:
            log.error("webhook retry: %s events dead-lettered (attempts exhausted)", dead)
        ids = webhook_ingest.due_event_ids(now)
    except Exception:
        db.session.rollback()
        log.exception("webhook retry could not list the due events")
        return 0
    done = 0
    for start in range(0, len(ids), BATCH):
        try:
            done += webhook_ingest.process_events(ids[start : start + BATCH], now=now)
        except Exception:
            db.session.rollback()
            log.exception("webhook retry: a slice of %s events failed", BATCH)
    if ids:
        log.info("webhook retry: %s of %s events processed", done, len(ids))
    return done
