"""The campaign dispatcher: claim rows, take rate tokens, send, record — exactly once.

One :class:`Dispatcher` runs per RQ job (one job per worker and campaign; several may run
for one campaign at once). Guarantees:

* **one send per row**: a row is claimed ``QUEUED → SENDING`` by one statement
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer), and only the
  claimer sends it. A claimed row is leased to this dispatcher (``lease_until``,
  renewed every ``ROW_LEASE_RENEW_S`` while it runs). A row left SENDING by a dead worker
  is never re-sent: the status webhook reconciles it through ``biz_opaque_callback_data``
  or, once its lease expired and ``CAMPAIGN_UNKNOWN_GRACE_S`` passed, the watchdog turns
  it UNKNOWN (the admin may resend it once);
* **rate**: every send takes a slot of the number's limiter ``phone:<id>`` (Redis GCRA),
  shared by every worker and every campaign of the number; slots are reserved ~20 ms of
  the rate per Redis call (:class:`~clickpro.integrations.ratelimit.SlotBook`) and a slot
  missed by more than ``MAX_LATE_S`` is dropped, never used late;
* **pause/cancel < 1 s**: send threads re-check the control state (cached ≤ 50 ms) before
  every send and never sleep more than 0.2 s without re-checking; rows reserved but not
  sent go back to QUEUED.

Threads only do HTTP (the Graph client's lean pooled client), Redis and queueing; every
DB write happens on the job's thread, batched (every ``FLUSH_EVERY_S`` or ``FLUSH_ROWS``
outcomes: the sends in one set-based UPDATE on PostgreSQL, other kinds one executemany).
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import secrets
import time
from collections import deque
from dataclasses import dataclass

import redis
import sqlalchemy as sa
from flask import current_app

from clickpro.errors import ServiceError
from clickpro.extensions import db, redis_connection
from clickpro.integrations.meta import GraphClient, GraphError
from clickpro.integrations.meta.messages import Recipient
from clickpro.integrations.ratelimit import RateLimiter, SlotBook
from clickpro.jobs import QUEUE_CAMPAIGNS, enqueue
from clickpro.models import Campaign, CampaignStatus, Contact, Message, MessageStatus, Template
from clickpro.models.base import utcnow
from clickpro.services.campaigns import dispatch_store as store
from clickpro.services.campaigns import service
from clickpro.services.campaigns.audience import recipient_data
from clickpro.services.campaigns.control import (
    ROW_LEASE_RENEW_S,
    ControlView,
    SlotLease,
    db_status,
)
from clickpro.services.campaigns.dispatch_outcome import Outcome, classify
from clickpro.services.campaigns.form import client_zone
from clickpro.services.campaigns.numbers import campaign_sender
from clickpro.services.campaigns.schedule import in_window
from clickpro.services.campaigns.send_pool import SendPool
from clickpro.services.campaigns.vars import send_components
from clickpro.services.costs.marketing_api import uses_marketing_api
from clickpro.services.credentials import NoCredentials
from clickpro.services.messaging.addressing import check_template_allowed, recipient_for

log = logging.getLogger(__name__)
S = CampaignStatus
MAX_SLEEP = 0.2
MAX_LATE_S = 0.005
MAX_SLOT_TRIES = 5
LEASE_WAIT_S = 3.0
COOLDOWN_130429_S = 0.25
# Outcomes are written in batches of up to FLUSH_ROWS rows or every FLUSH_EVERY_S (a row
# not written yet is SENDING under its lease: a crash loses no send, the status webhook
# or the watchdog settles it). Fewer, larger batches cost less CPU per send.
FLUSH_ROWS = 500
FLUSH_EVERY_S = 0.25
# Claimed rows per send thread (queued for a slot): larger claims, fewer round trips.
INFLIGHT_PER_THREAD = 4


@dataclass
class SendJob:
    id: int
    to: Recipient  # phone in "to", else BSUID in "recipient" (messaging.addressing)
    phone: str | None
    attempts: int
    components: list
    body: str


class Dispatcher:
    def __init__(self, campaign_id: int, slot: int = 0) -> None:
        cfg = current_app.config
        self.campaign_id = campaign_id
        self.slot = slot
        self.slice_s = float(cfg["CAMPAIGN_DISPATCH_SLICE_S"])
        self.max_threads = int(cfg["CAMPAIGN_SEND_THREADS"])
        self.fail_window = int(cfg["CAMPAIGN_FAILURE_WINDOW"])
        self.fail_share = float(cfg["CAMPAIGN_FAILURE_SHARE"])
        self.redis = redis_connection()
        self.limiter = RateLimiter(self.redis)
        self.results: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self.recent: deque[bool] = deque(maxlen=self.fail_window)
        self.cooldown_until = 0.0
        self.action: tuple[str, str] | None = None
        self.inflight = 0
        self.pending: list[Outcome] = []
        self.last_flush = time.monotonic()
        self.held: set[int] = set()  # claimed rows whose outcome is not recorded yet
        self.next_renew = time.monotonic() + ROW_LEASE_RENEW_S

    # ------------------------------------------------------------------ setup
    def run(self) -> str:
        """Send until done, paused, cancelled or the slice ends; the exit reason."""
        lease = SlotLease(self.redis, self.campaign_id, self.slot, secrets.token_hex(8))
        # A quick pause → resume may find the previous job of this slot still returning
        # its rows: wait a moment for its lease rather than leave the slot idle.
        deadline = time.monotonic() + LEASE_WAIT_S
        while not lease.acquire():
            if time.monotonic() > deadline:
                return "slot-busy"
            time.sleep(0.1)
        try:
            reason = self._run(lease)
        finally:
            lease.release()
        if reason == "slice" and current_app.config["RQ_ASYNC"]:
            # Give the worker back, then continue in a fresh job (inline RQ: the caller loops).
            enqueue(
                "campaigns.dispatch",
                self.campaign_id,
                self.slot,
                queue=QUEUE_CAMPAIGNS,
                job_timeout=int(self.slice_s) + 300,
            )
        return reason

    def _run(self, lease: SlotLease) -> str:
        campaign = db.session.get(Campaign, self.campaign_id)
        if campaign is None or campaign.status != S.RUNNING:
            return "not-running"
        self.client_id = campaign.client_id
        problem = self._load(campaign)
        if problem:
            service.pause_campaign(self.client_id, self.campaign_id, problem, by="system")
            store.notify_pause(self.client_id, self.campaign_id, problem)
            return "paused"
        self.view = ControlView(self.redis, self.campaign_id, S.RUNNING)
        threads = min(self.max_threads, max(2, math.ceil(self.rate * 0.05)))
        self.max_inflight = threads * INFLIGHT_PER_THREAD
        self.claim_size = max(1, min(self.max_inflight, math.ceil(self.rate * 0.5)))
        # Limiter slots ~20 ms of the rate per Redis call (one call per send before).
        self.slots = SlotBook(
            self.limiter, self.limiter_key, self.rate, min(threads, math.ceil(self.rate * 0.02))
        )
        pool: SendPool[SendJob] = SendPool(threads, self._send_safe, f"campaign{self.campaign_id}")
        try:
            reason = self._loop(pool, lease)
        finally:
            pool.shutdown()
            self._flush(force=True)
        return self._finish(reason)

    def _load(self, campaign: Campaign) -> str | None:
        """Credentials, template and rate; a reason to pause when something is missing."""
        try:
            credential, client = campaign_sender(campaign)  # the campaign's own number
        except NoCredentials as exc:
            return str(exc)
        self.number_id = credential.id
        template = db.session.get(Template, campaign.template_id) if campaign.template_id else None
        if template is None or template.status != "APPROVED":
            return store.setup_problem(campaign.client_id, campaign.template_id or 0, credential.id)
        self.graph: GraphClient = client
        self.phone_number_id = credential.phone_number_id
        self.waba_id = credential.waba_id or ""  # a BSUID is valid in its portfolio only
        self.limiter_key = f"phone:{credential.phone_number_id}"
        # Slots are spaced for a little under the rate: a send that leaves a few ms late
        # (GIL, scheduling) then cannot push any 1-second window at Meta over the rate.
        headroom = float(current_app.config["CAMPAIGN_RATE_HEADROOM"])
        self.rate = float(min(campaign.rate_mps or 1, credential.throughput_mps)) * (1 - headroom)
        # Plain values: ORM objects expire on commit and send threads have no session.
        self.template_id = template.id
        self.template_name = template.name
        self.template_language = template.language
        self.template_category = template.category  # authentication: never to a BSUID
        # Marketing template on a number onboarded to the Marketing Messages API (h6).
        self.marketing_api = uses_marketing_api(credential.id, template.category)
        self.template_components = list(template.components or [])
        self.variables = dict(campaign.variables or {})
        self.fallback = (
            self.variables.pop("fallback", None)
            if campaign.missing_value_policy == "fallback"
            else None
        )
        self.variables.pop("fallback", None)
        self.window = campaign.send_window
        self.batch_size = campaign.batch_size or 0
        self.batch_interval = float(campaign.batch_interval_s or 0)

        self.zone = client_zone(campaign.client_id)
        return None

    # ------------------------------------------------------------------ main loop
    def _loop(self, pool: SendPool[SendJob], lease: SlotLease) -> str:
        started = time.monotonic()
        next_check = 0.0
        next_counters = time.monotonic() + 1.0
        self.last_flush = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= next_check:
                next_check = now + 0.5
                status = db_status(self.campaign_id)
                db.session.commit()
                self.view.refresh_from_db(status)
                lease.refresh()
                store.heartbeat(self.campaign_id)
                if now >= self.next_renew:
                    self.next_renew = now + ROW_LEASE_RENEW_S
                    store.renew_leases(sorted(self.held))
                problem = self._periodic_problem()
                if problem:
                    self.action = problem
            self._collect()
            self._flush()
            if self.action is not None:
                return "action"
            if not self.view.running():
                return "stopped"
            if now - started > self.slice_s:
                return "slice"
            if now >= next_counters:
                next_counters = now + 1.0
                service.refresh_counters(self.campaign_id)
            if self.inflight == 0 and self.results.empty():
                jobs = self._claim(self.claim_size)
                if not jobs:
                    if store.queued_count(self.campaign_id) == 0:
                        return "drained"
                    time.sleep(MAX_SLEEP)
                    continue
                self._submit(pool, jobs)
            elif self.max_inflight - self.inflight >= self.claim_size // 2 + 1:
                self._submit(
                    pool, self._claim(min(self.claim_size, self.max_inflight - self.inflight))
                )
            self._collect(wait=0.05)  # sleeps until an outcome arrives (no busy loop)

    def _periodic_problem(self) -> tuple[str, str] | None:
        if self.window and not in_window(self.window, self.zone, utcnow()):
            return ("window", "Fora da janela de envio.")
        problem = store.setup_problem(self.client_id, self.template_id, self.number_id)
        return ("system", problem) if problem else None

    def _claim(self, limit: int) -> list[SendJob]:
        if limit <= 0 or time.time() < self.cooldown_until:
            return []
        limit = store.batch_allowance(
            self.redis, self.campaign_id, self.batch_size, self.batch_interval, limit
        )
        if limit <= 0:
            return []
        rows = store.claim(self.campaign_id, limit)
        if not rows:
            return []
        self.held.update(r.id for r in rows)
        contacts = {
            c.id: c
            for c in db.session.execute(
                sa.select(Contact.id, Contact.phone_e164, Contact.wa_id, Contact.bsuid,
                          Contact.name, Contact.attributes)
                .where(Contact.id.in_([r.contact_id for r in rows]))
            )
        }  # fmt: skip
        row_data = recipient_data(self.campaign_id, contacts.values())
        jobs: list[SendJob] = []
        for row in rows:
            contact = contacts.get(row.contact_id)
            if contact is None:
                self.results.put(Outcome(row.id, "skipped", error_title="Contato removido"))
                continue
            data = row_data[contact.id]  # a sheet campaign: the row's own values
            try:
                components, body = send_components(
                    self.template_components, self.variables, data, self.fallback
                )
            except ValueError as exc:
                self.results.put(Outcome(row.id, "skipped", error_title=str(exc)[:480]))
                continue
            try:
                to = recipient_for(self.client_id, contact, self.waba_id)  # its portfolio
                check_template_allowed(self.template_category, to)
            except ServiceError as exc:  # no address, or an OTP template to a BSUID
                self.results.put(Outcome(row.id, "skipped", error_title=str(exc)[:480]))
                continue
            jobs.append(SendJob(row.id, to, contact.phone_e164, row.attempts, components, body))
        return jobs

    def _submit(self, pool: SendPool[SendJob], jobs: list[SendJob]) -> None:
        for job in jobs:
            self.inflight += 1
            pool.submit(job)

    # ------------------------------------------------------------------ send threads
    def _send_safe(self, job: SendJob) -> None:
        try:
            outcome = self._send(job)
        except Exception as exc:  # noqa: BLE001 - never lose a row's outcome
            log.exception("campaign %s: send of message %s crashed", self.campaign_id, job.id)
            outcome = Outcome(job.id, "unknown", error_title=f"Erro interno: {type(exc).__name__}")
        self.results.put(outcome)

    def _wait_until(self, deadline: float) -> bool:
        """Sleep until ``deadline`` (monotonic) in ≤ 0.2 s steps; False if stopped."""
        while True:
            if not self.view.running() or self.action is not None:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            time.sleep(min(MAX_SLEEP, remaining))

    def _take_slot(self) -> bool:
        """Reserve a limiter slot and wait for it; False when paused/stopped meanwhile.

        A thread that wakes up more than ``MAX_LATE_S`` after its slot (a busy CPU) gives
        the slot up and takes a new one: sending late would bunch with the next slots and
        push a 1-second window at Meta over the rate.
        """
        for _ in range(MAX_SLOT_TRIES):
            try:
                slot = self.slots.take(MAX_LATE_S)
            except redis.RedisError:
                if not self._wait_until(time.monotonic() + MAX_SLEEP):
                    return False
                continue  # no limiter, no send: wait for Redis
            if not self._wait_until(slot):
                return False
            if time.monotonic() - slot <= MAX_LATE_S:
                return True
        # Late every time (a starved CPU): never send without an on-time slot — the row
        # goes back to QUEUED (``release``) and is sent on a later slot.
        return False

    def _send(self, job: SendJob) -> Outcome:
        release = Outcome(job.id, "release")
        cooldown = self.cooldown_until - time.time()
        if cooldown > 0 and not self._wait_until(time.monotonic() + cooldown):
            return release
        if not self._take_slot():
            return release
        try:
            result = self.graph.send_template(
                self.phone_number_id, job.to, self.template_name, self.template_language,
                job.components, callback_data=f"clickpro:m:{job.id}",
                marketing_api=self.marketing_api,
            )  # fmt: skip
        except GraphError as error:
            who = job.phone or job.to.key  # a BSUID-only recipient is opted out by BSUID
            outcome = classify(job.id, error, attempts=job.attempts, phone=who, at=utcnow())
            if outcome.kind == "retry" and error.code == 130429:
                self.cooldown_until = max(self.cooldown_until, time.time() + COOLDOWN_130429_S)
            outcome.payload = {"components": job.components}
            return outcome
        return Outcome(job.id, "sent", wamid=result.wamid, at=utcnow(),
                       payload={"components": job.components, **result.row_payload()},
                       body=job.body)  # fmt: skip

    # ------------------------------------------------------------------ results
    def _collect(self, wait: float = 0.0) -> None:
        """Take the outcomes the send threads queued (blocking up to ``wait`` for one)."""
        try:
            self._accept(self.results.get(timeout=wait) if wait else self.results.get_nowait())
        except queue.Empty:
            return
        while True:
            try:
                self._accept(self.results.get_nowait())
            except queue.Empty:
                return

    def _accept(self, outcome: Outcome) -> None:
        if outcome.kind != "skipped":
            self.inflight -= 1
        self.pending.append(outcome)
        if outcome.kind in ("sent", "failed", "unknown"):
            self.recent.append(outcome.hard_failure)
        if outcome.action and self.action is None:
            self.action = ("system", store.action_reason(outcome))

    def _flush(self, force: bool = False) -> None:
        self._collect()
        pending = self.pending
        if not pending or (
            not force
            and len(pending) < FLUSH_ROWS
            and time.monotonic() - self.last_flush < FLUSH_EVERY_S
        ):
            return
        self.pending = []
        self.last_flush = time.monotonic()
        store.record(self.client_id, self.campaign_id, pending)
        self.held.difference_update(o.message_id for o in pending)
        if self.action is None and len(self.recent) >= self.fail_window:
            share = sum(self.recent) / len(self.recent)
            if share > self.fail_share:
                self.action = ("system", store.failure_share_reason(share, len(self.recent)))

    # ------------------------------------------------------------------ exit
    def _finish(self, reason: str) -> str:
        if self.action is not None:
            by, text = self.action
            with contextlib.suppress(service.CampaignError):
                service.pause_campaign(self.client_id, self.campaign_id, text, by=by)
            if by == "system":
                store.notify_pause(self.client_id, self.campaign_id, text)
            return "paused"
        status = db_status(self.campaign_id)
        db.session.commit()
        if status == S.CANCELLED:
            service.cancel_queued_rows(self.campaign_id)
        service.refresh_counters(self.campaign_id)
        if reason == "drained" and status == S.RUNNING:
            service.finish_if_done(self.campaign_id)
        if reason == "slice" and status != S.RUNNING:
            return "stopped"
        return reason


def run_dispatcher(campaign_id: int, slot: int = 0) -> str:
    return Dispatcher(campaign_id, slot).run()


__all__ = ["Dispatcher", "Message", "MessageStatus", "run_dispatcher"]
