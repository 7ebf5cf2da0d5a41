"""The flows runtime: start a run, walk its steps, take the customer's answers.

Durability. Every step entered is a journal row (``flow_run_steps``, ``seq``) and the
run's ``current_step`` / ``step_state`` / ``variables`` / ``seq`` are committed with it,
so a worker killed mid-run resumes exactly at that step (the run job re-run, or the
sweep that picks RUNNING runs whose ``updated_at`` is old). A step's side effects are
idempotent per visit (see :mod:`.steps.base`; sends: :mod:`.steps.outbox`).

One executor per run: a lease (``step_state["@lease"]``, token + deadline, taken
under ``SELECT ... FOR UPDATE``) so a duplicated job or the sweep never walks a run
another worker is walking; an expired lease (a dead worker) is taken over.

Exactly-once inbound: :func:`take_input` locks the run row, INSERTs the
``flow_run_inputs`` row (UNIQUE message_id) and moves the run to RUNNING in one
commit, before acting. A duplicate webhook/job hits the unique row; a concurrent
second message finds the run no longer WAITING_INPUT and is ignored by the flow.

A cycle in the graph is bounded: at most :data:`MAX_STEPS_PER_ADVANCE` steps run
without waiting, then the run FAILS with the reason in the journal.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from clickpro.extensions import db
from clickpro.jobs import QUEUE_AI, enqueue
from clickpro.models import (
    Contact,
    Conversation,
    Flow,
    FlowRun,
    FlowRunInput,
    FlowRunMode,
    FlowRunStatus,
    FlowRunStep,
    FlowVersion,
)
from clickpro.models.base import utcnow
from clickpro.models.flows import ACTIVE_RUN_STATUSES
from clickpro.services.flows import graph as graphs
from clickpro.services.flows.errors import (
    ConversationBusy,
    ConversationNotFound,
    FlowError,
    FlowInvalid,
    FlowNotFound,
    FlowNotPublished,
    RunNotFound,
)
from clickpro.services.flows.steps import HANDLERS, Ctx, Result
from clickpro.services.flows.steps.outbox import send
from clickpro.services.flows.templating import fold
from clickpro.services.flows.variables import clean_variables
from clickpro.tenancy import get_owned

log = logging.getLogger(__name__)

clock = utcnow  # tests replace it
MAX_STEPS_PER_ADVANCE = 50
LEASE_S = 120
MAX_INPUT = 2000  # chars of an inbound text kept in the journal (validation refuses > 1000)
LEASE = "@lease"
RUN_JOB = "flows.run_job"
INPUT_JOB = "flows.input_job"


# --------------------------------------------------------------------------- helpers


def graph_of(run: FlowRun) -> dict:
    if run.graph_snapshot:
        return run.graph_snapshot
    version = db.session.get(FlowVersion, run.version_id) if run.version_id else None
    return version.graph if version is not None else {}


def _load(client_id: int, run_id: int, *, lock: bool = False) -> FlowRun | None:
    stmt = sa.select(FlowRun).where(FlowRun.id == run_id, FlowRun.client_id == client_id)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt.execution_options(populate_existing=True))


def _ctx(run: FlowRun) -> Ctx:
    conv = (
        db.session.get(Conversation, run.conversation_id)
        if run.conversation_id and run.mode == FlowRunMode.LIVE
        else None
    )
    contact = db.session.get(Contact, run.contact_id) if run.contact_id else None
    return Ctx(run=run, graph=graph_of(run), conversation=conv, contact=contact, now=clock())


def _set_lease(run: FlowRun, token: str | None) -> None:
    state = dict(run.step_state or {})
    if token is None:
        state.pop(LEASE, None)
    else:
        state[LEASE] = {"token": token, "until": (clock() + timedelta(seconds=LEASE_S)).isoformat()}
    run.step_state = state


def _lease_free(run: FlowRun, token: str | None) -> bool:
    lease = (run.step_state or {}).get(LEASE)
    if not lease or lease.get("token") == token:
        return True
    try:
        return datetime.fromisoformat(lease["until"]) <= clock()
    except (KeyError, TypeError, ValueError):
        return True


def take_lease(client_id: int, run_id: int, token: str | None = None) -> str | None:
    """Become the run's one executor; the lease token, or None (not RUNNING / held)."""
    run = _load(client_id, run_id, lock=True)
    if run is None or run.status != FlowRunStatus.RUNNING or not _lease_free(run, token):
        db.session.rollback()
        return None
    token = token or uuid.uuid4().hex
    _set_lease(run, token)
    run.updated_at = clock()
    db.session.commit()
    return token


def active_run(client_id: int, conversation_id: int) -> FlowRun | None:
    """The conversation's live run in progress, if any."""
    return db.session.scalar(
        sa.select(FlowRun).where(
            FlowRun.client_id == client_id,
            FlowRun.conversation_id == conversation_id,
            FlowRun.mode == FlowRunMode.LIVE,
            FlowRun.status.in_([s.value for s in ACTIVE_RUN_STATUSES]),
        )
    )


# --------------------------------------------------------------------------- start


def start_run(
    client_id: int,
    flow_id: int,
    *,
    conversation_id: int | None,
    trigger: str,
    mode: str = "live",
    use_draft: bool = False,
    started_by_id: int | None = None,
    variables: dict | None = None,
) -> FlowRun:
    """Start ``flow_id`` (live: on a conversation, executed by the run job; simulator:
    executed here, synchronously)."""
    flow = get_owned(Flow, flow_id, client_id)
    if flow is None or flow.archived_at is not None:
        raise FlowNotFound()
    simulator = mode == FlowRunMode.SIMULATOR
    version_id, snapshot = None, None
    if use_draft and simulator:
        graph = flow.draft or {}
        problems = graphs.validate(graph)
        if graphs.errors_of(problems):
            raise FlowInvalid(problems)
        snapshot = graph
    else:
        version = (
            db.session.get(FlowVersion, flow.published_version_id)
            if flow.published_version_id
            else None
        )
        if version is None:
            raise FlowNotPublished()
        version_id, graph = version.id, version.graph
        snapshot = None if not simulator else None
    conv = None
    if not simulator:
        if conversation_id is None:
            raise ConversationNotFound()
        conv = get_owned(Conversation, conversation_id, client_id)
        if conv is None:
            raise ConversationNotFound()
        if flow.number_id is not None and conv.number_id != flow.number_id:
            raise FlowError(_("Este fluxo é de outro número do WhatsApp."))
    start = graph.get("start")
    if start not in graphs.steps_of(graph):
        raise FlowInvalid(graphs.validate(graph))
    now = clock()
    run = FlowRun(
        client_id=client_id,
        flow_id=flow.id,
        version_id=version_id,
        graph_snapshot=snapshot,
        mode=FlowRunMode.SIMULATOR if simulator else FlowRunMode.LIVE,
        conversation_id=conv.id if conv else None,
        contact_id=conv.contact_id if conv else None,
        trigger=str(trigger)[:20],
        status=FlowRunStatus.RUNNING,
        step_state={},
        variables=clean_variables(dict(variables or {})),
        seq=0,
        started_at=now,
        created_at=now,
        updated_at=now,
        started_by_id=started_by_id,
    )
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ConversationBusy() from None
    ctx = Ctx(run=run, graph=graph, conversation=conv, contact=None, now=now)
    _enter(ctx, start)
    db.session.commit()
    run_id = run.id
    if simulator:
        drive(client_id, run_id)
    else:
        enqueue(RUN_JOB, client_id, run_id, queue=QUEUE_AI, job_id=f"flow-run-{run_id}")
    return _load(client_id, run_id) or run


# --------------------------------------------------------------------------- walking


def _enter(ctx: Ctx, step_id: str) -> FlowRunStep:
    """Journal the visit of ``step_id`` and make it current (the caller commits)."""
    step = graphs.steps_of(ctx.graph).get(step_id) or {}
    row = ctx.journal(step_id, str(step.get("type") or "?"), "entered", {})
    run = ctx.run
    run.current_step = step_id
    state = {k: v for k, v in (run.step_state or {}).items() if k == LEASE}
    state[step_id] = {"seq": run.seq}
    run.step_state = state
    return row


def _visit_row(ctx: Ctx) -> FlowRunStep | None:
    seq = ctx.state.get("seq")
    if seq is None:
        return None
    return db.session.scalar(
        sa.select(FlowRunStep).where(FlowRunStep.run_id == ctx.run.id, FlowRunStep.seq == seq)
    )


def _finish(ctx: Ctx, status: str, reason: str, *, system: str | None = None) -> None:
    run = ctx.run
    run.status = status
    run.end_reason = reason[:40]
    run.ended_at = ctx.now
    run.wake_at = None
    run.expires_at = None
    _set_lease(run, None)
    if system is not None:
        ctx.journal(
            run.current_step or "-", "system", status[:20], {"system": system, "reason": reason}
        )
    run.updated_at = ctx.now


def _apply(ctx: Ctx, row: FlowRunStep, result: Result) -> bool:
    """Record the step's result; True when the walk goes on to another step."""
    run = ctx.run
    ctx.update_row(
        row, outcome=result.outcome or None, **({"result": result.detail} if result.detail else {})
    )
    if result.kind == "next":
        target = result.next
        if not isinstance(target, str) or target not in graphs.steps_of(ctx.graph):
            _finish(ctx, FlowRunStatus.FAILED, "no_exit",
                    system=_("Saída “%(f)s” sem conexão", f=result.exit_field))  # fmt: skip
            db.session.commit()
            return False
        ctx.update_row(row, exit=result.exit_field, next=target)
        _enter(ctx, target)
        run.updated_at = ctx.now
        db.session.commit()
        return True
    if result.kind == "wait_input":
        run.status = FlowRunStatus.WAITING_INPUT
        minutes = graphs.settings_of(ctx.graph)["timeout_minutes"]
        run.expires_at = ctx.now + timedelta(minutes=minutes) if minutes else None
        _set_lease(run, None)
    elif result.kind == "wait_timer":
        run.status = FlowRunStatus.WAITING_TIMER
        run.wake_at = result.wake_at
        _set_lease(run, None)
    elif result.kind == "done":
        _finish(ctx, result.status or FlowRunStatus.COMPLETED, result.reason or "completed")
    else:
        system = str(result.detail.get("system") or result.reason or "failed")
        _finish(ctx, FlowRunStatus.FAILED, result.reason or "failed", system=system)
    run.updated_at = ctx.now
    db.session.commit()
    return False


def drive(client_id: int, run_id: int, token: str | None = None) -> FlowRun | None:
    """Walk a RUNNING run until it waits or ends (taking the lease unless given)."""
    token = take_lease(client_id, run_id, token)
    if token is None:
        return _load(client_id, run_id)
    for _i in range(MAX_STEPS_PER_ADVANCE):
        run = _load(client_id, run_id)
        if run is None or run.status != FlowRunStatus.RUNNING:
            break
        ctx = _ctx(run)
        if not _lease_free(run, token):
            break  # taken over (we were presumed dead)
        _set_lease(run, token)
        step = graphs.steps_of(ctx.graph).get(run.current_step or "")
        handler = HANDLERS.get(str(step.get("type"))) if step else None
        row = _visit_row(ctx)
        if step is None or handler is None or row is None:
            _finish(ctx, FlowRunStatus.FAILED, "missing_step", system=_("Passo inexistente"))
            db.session.commit()
            break
        ctx.row = row
        try:
            result = handler(ctx, run.current_step or "", step)
        except Exception as exc:
            db.session.rollback()
            log.exception("flow run %s: step %s failed", run_id, run.current_step)
            run = _load(client_id, run_id)
            if run is None:
                break
            ctx = _ctx(run)
            _finish(ctx, FlowRunStatus.FAILED, "step_error", system=str(exc)[:300])
            db.session.commit()
            break
        run = _load(client_id, run_id)
        if run is None:
            break
        ctx.run = run
        row = db.session.get(FlowRunStep, row.id) or row
        if not _apply(ctx, row, result):
            break
    else:
        run = _load(client_id, run_id)
        if run is not None and run.status == FlowRunStatus.RUNNING:
            ctx = _ctx(run)
            _finish(ctx, FlowRunStatus.FAILED, "too_many_steps",
                    system=_("Mais de %(n)s passos sem esperar (ciclo?)", n=MAX_STEPS_PER_ADVANCE))  # fmt: skip
            db.session.commit()
    return _load(client_id, run_id)


# --------------------------------------------------------------------------- input


def _is_exit(graph: dict, text: str | None) -> bool:
    words = {fold(w) for w in graphs.settings_of(graph)["exit_keywords"]}
    return bool(text) and fold(text) in words


def take_input(
    client_id: int,
    run_id: int,
    *,
    text: str | None,
    reply_id: str | None = None,
    message_id: int | None = None,
) -> str:
    """The customer wrote ``text`` to the run: claim it once, then act.

    Returns what happened: "advanced", "exited", "duplicate", "ignored" (the run was
    not waiting for an answer) or "not_found".
    """
    run = _load(client_id, run_id, lock=True)
    if run is None:
        db.session.rollback()
        return "not_found"
    if run.status not in (FlowRunStatus.WAITING_INPUT, FlowRunStatus.WAITING_TIMER):
        db.session.rollback()
        return "ignored"
    if message_id is not None:
        db.session.add(
            FlowRunInput(
                client_id=client_id, run_id=run.id, message_id=message_id, created_at=clock()
            )
        )
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return "duplicate"
    ctx = _ctx(run)
    text = (text or "")[:MAX_INPUT]
    row = ctx.journal(run.current_step or "-", "input", "received",
                      {"input": {"text": text, "reply_id": reply_id, "message_id": message_id}})  # fmt: skip
    ctx.set_variables({"_last_input": text[:1000]})
    if _is_exit(ctx.graph, text):
        _finish(ctx, FlowRunStatus.EXITED, "exit_keyword", system=_("O contato pediu um atendente"))
        db.session.commit()
        _exit_handoff(client_id, run_id)
        return "exited"
    if run.status == FlowRunStatus.WAITING_TIMER:
        db.session.commit()  # consumed, journaled: a wait step does not take answers
        return "ignored"
    db.session.flush()
    state = ctx.state
    state["answer"] = {"text": text, "reply_id": reply_id, "row_id": row.id}
    ctx.save_state(state, commit=False)
    run.status = FlowRunStatus.RUNNING
    run.expires_at = None
    token = uuid.uuid4().hex
    _set_lease(run, token)
    run.updated_at = ctx.now
    db.session.commit()
    drive(client_id, run_id, token)
    return "advanced"


def _exit_handoff(client_id: int, run_id: int) -> None:
    """The "atendente" exit: the conversation goes to its team, with the collected data."""
    from clickpro.services.flows.steps.handoff import hand_over, note_text

    run = _load(client_id, run_id)
    if run is None:
        return
    ctx = _ctx(run)
    try:
        done = hand_over(ctx, team_id=None, user_id=None, priority="normal",
                         note=note_text(ctx, None), state={})  # fmt: skip
        ctx.run = _load(client_id, run_id) or run
        ctx.journal(
            run.current_step or "-", "system", "handoff", {"system": "handoff", "handoff": done}
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("flow run %s: exit handoff failed", run_id)


def simulate_input(
    client_id: int, run_id: int, text: str | None = None, *, reply_id: str | None = None
) -> FlowRun:
    """The customer types in the simulator (synchronous)."""
    run = _load(client_id, run_id)
    if run is None or run.mode != FlowRunMode.SIMULATOR:
        raise RunNotFound()
    if text is None and reply_id:
        text = reply_id
    take_input(client_id, run_id, text=text, reply_id=reply_id)
    return _load(client_id, run_id) or run


def exit_run(client_id: int, run_id: int, reason: str) -> None:
    """Leave the run now (an agent replied, an agent stopped it...). No-op when ended."""
    run = _load(client_id, run_id, lock=True)
    if run is None:
        db.session.rollback()
        raise RunNotFound()
    if run.status not in [s.value for s in ACTIVE_RUN_STATUSES]:
        db.session.rollback()
        return
    ctx = _ctx(run)
    _finish(ctx, FlowRunStatus.EXITED, str(reason)[:40] or "exited", system=str(reason)[:200])
    db.session.commit()


# --------------------------------------------------------------------------- sweeps


def _due(status: str, deadline: Any, now: datetime, limit: int) -> Iterator[FlowRun]:
    """The runs in ``status`` whose ``deadline`` column (``expires_at`` / ``wake_at``) has
    passed, oldest first, each locked (``SELECT ... FOR UPDATE``) and checked again under
    the lock: one that another worker moved on meanwhile is skipped. The caller ends each
    run's transaction (commit) before asking for the next."""
    ids = db.session.execute(
        sa.select(FlowRun.client_id, FlowRun.id)
        .where(FlowRun.status == status, deadline <= now)
        .order_by(deadline)
        .limit(limit)
    ).all()
    db.session.commit()
    for client_id, run_id in ids:
        run = _load(client_id, run_id, lock=True)
        due = getattr(run, deadline.key, None) if run is not None else None
        if run is None or run.status != status or due is None or due > now:
            db.session.rollback()
            continue
        yield run


def expire_due(now: datetime | None = None, limit: int = 200) -> int:
    """Runs waiting for an answer past their flow's timeout → ABANDONED (+ message)."""
    now = now or clock()
    done = 0
    for run in _due(FlowRunStatus.WAITING_INPUT, FlowRun.expires_at, now, limit):
        run_id = run.id
        ctx = _ctx(run)
        message = graphs.settings_of(ctx.graph)["timeout_message"]
        step = run.current_step or "-"
        _finish(ctx, FlowRunStatus.ABANDONED, "timeout")
        row = ctx.journal(step, "system", "timeout", {"system": "timeout"})
        db.session.commit()
        done += 1
        if message:
            try:
                send(ctx, row, {"kind": "text", "text": message})
            except Exception:
                db.session.rollback()
                log.exception("flow run %s: timeout message failed", run_id)
    return done


def wake_due(now: datetime | None = None, limit: int = 200) -> int:
    """Wait steps whose time came: on to their ``next``."""
    now = now or clock()
    woken = 0
    for run in _due(FlowRunStatus.WAITING_TIMER, FlowRun.wake_at, now, limit):
        client_id, run_id = run.client_id, run.id
        ctx = _ctx(run)
        row = _visit_row(ctx)
        step = graphs.steps_of(ctx.graph).get(run.current_step or "") or {}
        run.status = FlowRunStatus.RUNNING
        run.wake_at = None
        token = uuid.uuid4().hex
        _set_lease(run, token)
        if row is None:
            _finish(ctx, FlowRunStatus.FAILED, "missing_step", system=_("Passo inexistente"))
            db.session.commit()
            continue
        if not _apply(ctx, row, Result("next", step.get("next"), outcome="woke")):
            continue
        woken += 1
        drive(client_id, run_id, token)
    return woken


def resume_stuck(now: datetime | None = None, limit: int = 100) -> int:
    """RUNNING runs nobody touched for a lease period (a worker died): walk them again."""
    now = now or clock()
    ids = db.session.execute(
        sa.select(FlowRun.client_id, FlowRun.id)
        .where(
            FlowRun.status == FlowRunStatus.RUNNING,
            FlowRun.updated_at <= now - timedelta(seconds=LEASE_S),
        )  # fmt: skip
        .limit(limit)
    ).all()
    db.session.commit()
    for client_id, run_id in ids:
        drive(client_id, run_id)
    return len(ids)


# --------------------------------------------------------------------------- transcript


def transcript(client_id: int, run_id: int) -> dict:
    """The run as a chat (for the simulator): bot / customer / system items, in order."""
    run = _load(client_id, run_id)
    if run is None:
        raise RunNotFound()
    rows = db.session.scalars(
        sa.select(FlowRunStep).where(FlowRunStep.run_id == run.id).order_by(FlowRunStep.seq)
    )
    items: list[dict] = []
    for row in rows:
        detail = row.detail or {}
        at = row.created_at.isoformat() if row.created_at else None
        if isinstance(detail.get("input"), dict):
            items.append({"from": "customer", "message": None, "text": str(detail["input"].get("text") or ""),
                          "step_id": row.step_id, "at": at})  # fmt: skip
        if isinstance(detail.get("message"), dict) and detail.get("send") in ("sent", "sending"):
            msg = detail["message"]
            items.append({"from": "bot", "message": msg, "text": str(msg.get("text") or ""),
                          "step_id": row.step_id, "at": at})  # fmt: skip
        if detail.get("system"):
            items.append({"from": "system", "message": None, "text": str(detail["system"]),
                          "step_id": row.step_id, "at": at})  # fmt: skip
        handoff = (
            (detail.get("result") or {}).get("handoff")
            if isinstance(detail.get("result"), dict)
            else None
        )
        if handoff:
            items.append({"from": "system", "message": None, "text": _("Transferido para atendimento"),
                          "step_id": row.step_id, "at": at})  # fmt: skip
    public = {k: v for k, v in (run.variables or {}).items() if not k.startswith("_")}
    return {
        "status": run.status,
        "current_step": run.current_step,
        "variables": public,
        "items": items,
    }
