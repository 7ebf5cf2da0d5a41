"""What a step handler gets (:class:`Ctx`) and returns (:class:`Result`).

A handler is ``handler(ctx, step_id, step) -> Result``. It may be called again for the
same visit after a crash (the run resumes at ``current_step``), so every side effect it
makes goes through something idempotent: :func:`clickpro.services.flows.steps.outbox.send`
(once per journal row) or a flag in the visit's ``ctx.state`` committed right after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clickpro.extensions import db
from clickpro.models import Contact, Conversation, FlowRun, FlowRunMode, FlowRunStep
from clickpro.services.flows import templating
from clickpro.services.flows.variables import clean_variables


@dataclass
class Result:
    kind: str  # "next" | "wait_input" | "wait_timer" | "done" | "fail"
    next: str | None = None
    exit_field: str = "next"  # which exit ``next`` came from (for the journal)
    outcome: str = ""  # the visit's journal outcome
    detail: dict[str, Any] = field(default_factory=dict)
    status: str | None = None  # "done": COMPLETED / HANDED_OFF
    reason: str = ""
    wake_at: datetime | None = None


@dataclass
class Ctx:
    run: FlowRun
    graph: dict
    conversation: Conversation | None
    contact: Contact | None
    now: datetime
    row: FlowRunStep | None = None  # the journal row of the visit being executed

    @property
    def client_id(self) -> int:
        return self.run.client_id

    @property
    def live(self) -> bool:
        return self.run.mode == FlowRunMode.LIVE and self.conversation is not None

    @property
    def state(self) -> dict:
        """The current visit's working state (a copy: write it back with :meth:`save_state`)."""
        sid = self.run.current_step or ""
        return dict((self.run.step_state or {}).get(sid) or {})

    def save_state(self, state: dict, *, commit: bool = True) -> None:
        sid = self.run.current_step or ""
        self.run.step_state = {**(self.run.step_state or {}), sid: state}
        self.run.updated_at = self.now
        if commit:
            db.session.commit()

    @property
    def variables(self) -> dict:
        return dict(self.run.variables or {})

    def set_variables(self, values: dict[str, Any]) -> None:
        self.run.variables = clean_variables({**(self.run.variables or {}), **values})

    def contact_values(self) -> dict:
        return templating.contact_values(self.contact)

    def render(self, text: Any) -> str:
        return templating.render(text, self.variables, self.contact_values())

    def render_deep(self, value: Any) -> Any:
        return templating.render_deep(value, self.variables, self.contact_values())

    def journal(self, step_id: str, step_type: str, outcome: str, detail: dict) -> FlowRunStep:
        """Append a journal row (the caller commits)."""
        run = self.run
        run.seq = (run.seq or 0) + 1
        row = FlowRunStep(
            client_id=run.client_id,
            run_id=run.id,
            flow_id=run.flow_id,
            seq=run.seq,
            step_id=step_id[:64],
            step_type=step_type[:16],
            outcome=outcome[:20],
            detail=detail,
            created_at=self.now,
        )
        db.session.add(row)
        run.updated_at = self.now
        return row

    def update_row(self, row: FlowRunStep, *, outcome: str | None = None, **detail: Any) -> None:
        if outcome:
            row.outcome = outcome[:20]
        if detail:
            row.detail = {**(row.detail or {}), **detail}
