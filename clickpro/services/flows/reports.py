"""Per-flow numbers: runs started and how they ended, where they were abandoned, and how
many runs passed each step.

Three grouped queries, whatever the number of runs (no per-run Python): run statuses
(``ix_flow_runs_flow_started``), abandoned runs by the step they were waiting on
(``current_step`` at the time the timeout ended them), and distinct runs per journal
step (``ix_flow_run_steps_flow_step``). Simulator runs are left out unless asked for:
the admin testing the draft is not a customer.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models.flows import (
    ACTIVE_RUN_STATUSES,
    FlowRun,
    FlowRunMode,
    FlowRunStatus,
    FlowRunStep,
)
from clickpro.services.flows import versions

EXIT_FIELDS = ("next", "on_invalid", "on_error", "else")


@dataclass(frozen=True)
class StepCount:
    step_id: str
    name: str
    type: str
    count: int

    def as_dict(self) -> dict:
        return {"step_id": self.step_id, "name": self.name, "type": self.type, "count": self.count}


@dataclass
class FlowReport:
    flow_id: int
    since: datetime | None
    started: int = 0
    completed: int = 0
    handed_off: int = 0
    exited: int = 0
    abandoned: int = 0
    failed: int = 0
    in_progress: int = 0
    abandoned_at: list[StepCount] = field(default_factory=list)  # most first
    steps: list[StepCount] = field(default_factory=list)  # the graph's order from the start

    @property
    def finished(self) -> int:
        """Reached the end of the flow: an end step or a handoff."""
        return self.completed + self.handed_off

    def percent(self, count: int) -> int:
        return round(100 * count / self.started) if self.started else 0

    def as_dict(self) -> dict:
        return {
            "flow_id": self.flow_id,
            "since": self.since.isoformat() if self.since else None,
            "started": self.started,
            "finished": self.finished,
            "completed": self.completed,
            "handed_off": self.handed_off,
            "exited": self.exited,
            "abandoned": self.abandoned,
            "failed": self.failed,
            "in_progress": self.in_progress,
            "abandoned_at": [s.as_dict() for s in self.abandoned_at],
            "steps": [s.as_dict() for s in self.steps],
        }


def _exits(step: dict) -> list[str]:
    out = [step[k] for k in EXIT_FIELDS if isinstance(step.get(k), str)]
    for rule in step.get("rules") or []:
        if isinstance(rule, dict) and isinstance(rule.get("next"), str):
            out.append(rule["next"])
    validation = step.get("validation")
    choices = validation.get("choices") if isinstance(validation, dict) else None
    for choice in choices if isinstance(choices, list) else []:
        if isinstance(choice, dict) and isinstance(choice.get("next"), str):
            out.append(choice["next"])
    return out


def step_order(graph: dict) -> list[str]:
    """Step ids breadth-first from the start, then the unreachable ones (in file order)."""
    raw = graph.get("steps")
    steps: dict = raw if isinstance(raw, dict) else {}
    order: list[str] = []
    seen: set[str] = set()
    queue = deque([graph.get("start")])
    while queue:
        step_id = queue.popleft()
        if not isinstance(step_id, str) or step_id in seen or step_id not in steps:
            continue
        seen.add(step_id)
        order.append(step_id)
        step = steps[step_id]
        queue.extend(_exits(step) if isinstance(step, dict) else [])
    return order + [s for s in steps if s not in seen]


def _runs(client_id: int, flow_id: int, since: datetime | None, simulator: bool):
    conditions = [FlowRun.client_id == client_id, FlowRun.flow_id == flow_id]
    if since is not None:
        conditions.append(FlowRun.started_at >= since)
    if not simulator:
        conditions.append(FlowRun.mode == FlowRunMode.LIVE)
    return conditions


def flow_report(
    client_id: int,
    flow_id: int,
    *,
    since: datetime | None = None,
    include_simulator: bool = False,
) -> FlowReport:
    """The report of the client's flow (``FlowNotFound`` for another client's)."""
    flow = versions.get_flow(client_id, flow_id)
    report = FlowReport(flow_id=flow.id, since=since)
    where = _runs(client_id, flow.id, since, include_simulator)

    statuses = dict(
        db.session.execute(
            sa.select(FlowRun.status, sa.func.count()).where(*where).group_by(FlowRun.status)
        ).all()
    )
    report.started = sum(statuses.values())
    report.completed = statuses.get(FlowRunStatus.COMPLETED, 0)
    report.handed_off = statuses.get(FlowRunStatus.HANDED_OFF, 0)
    report.exited = statuses.get(FlowRunStatus.EXITED, 0)
    report.abandoned = statuses.get(FlowRunStatus.ABANDONED, 0)
    report.failed = statuses.get(FlowRunStatus.FAILED, 0)
    report.in_progress = sum(statuses.get(s, 0) for s in ACTIVE_RUN_STATUSES)

    graph = _graph_of(flow)
    names = {sid: s for sid, s in (graph.get("steps") or {}).items() if isinstance(s, dict)}

    abandoned = db.session.execute(
        sa.select(FlowRun.current_step, sa.func.count())
        .where(*where, FlowRun.status == FlowRunStatus.ABANDONED)
        .group_by(FlowRun.current_step)
    ).all()
    report.abandoned_at = sorted(
        (_count(names, step_id or "", n) for step_id, n in abandoned),
        key=lambda s: (-s.count, s.step_id),
    )

    passed = dict(
        db.session.execute(
            sa.select(FlowRunStep.step_id, sa.func.count(sa.distinct(FlowRunStep.run_id)))
            .join(FlowRun, FlowRun.id == FlowRunStep.run_id)
            .where(FlowRunStep.flow_id == flow.id, FlowRunStep.client_id == client_id, *where)
            .group_by(FlowRunStep.step_id)
        ).all()
    )
    ordered = step_order(graph)
    ordered += sorted(s for s in passed if s not in names)  # steps of older versions
    report.steps = [_count(names, step_id, passed.get(step_id, 0)) for step_id in ordered]
    return report


def _graph_of(flow) -> dict:
    version = versions.published_version(flow)
    graph = version.graph if version is not None else flow.draft
    return graph if isinstance(graph, dict) else {}


def _count(steps: dict, step_id: str, count: int) -> StepCount:
    step = steps.get(step_id) or {}
    return StepCount(
        step_id=step_id,
        name=str(step.get("name") or step_id),
        type=str(step.get("type") or ""),
        count=int(count),
    )
