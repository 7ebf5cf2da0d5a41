"""The handoff step (and the "atendente" exit): a person takes over.

Optional message first, then an internal note for the agent (the step's template plus
the collected variables), the priority, the team (``route_to_team``: its rule picks
the agent, else it waits in the team's queue) or a given agent, and the AI paused on
the conversation. Each effect is flagged in the visit's state once done, so a resumed
run does not repeat it. The simulator records what would happen.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Author, Direction, FlowRunStatus, Message, MessageStatus
from clickpro.services.flows.steps.base import Ctx, Result
from clickpro.services.flows.steps.outbox import send

log = logging.getLogger(__name__)
NOTE_MAX = 4096


def note_text(ctx: Ctx, template: object) -> str:
    lines = [ctx.render(template)] if template else []
    public = {k: v for k, v in ctx.variables.items() if not k.startswith("_")}
    if public:
        lines.append(_("Dados coletados pelo fluxo:"))
        lines += [f"• {k}: {v}" for k, v in public.items()]
    return "\n".join(line for line in lines if line).strip()[:NOTE_MAX]


def hand_over(ctx: Ctx, *, team_id: int | None, user_id: int | None, priority: str, note: str,
              state: dict) -> dict:  # fmt: skip
    """Apply the handoff's effects once each; returns what was done (journal detail)."""
    from clickpro.services.ai.effects import pause_conversation
    from clickpro.services.inbox.events import publish_message
    from clickpro.services.teams import assignment, routing

    conv = ctx.conversation
    done: dict = {"team_id": team_id, "user_id": user_id, "priority": priority, "note": note}
    if not ctx.live or conv is None:
        return {**done, "simulated": True}
    if note and not state.get("noted"):
        row = Message(client_id=conv.client_id, contact_id=conv.contact_id, number_id=conv.number_id,
                      conversation_id=conv.id, direction=Direction.OUT, author=Author.AI, type="note",
                      body=note, payload={"flow_run_id": ctx.run.id}, is_internal_note=True,
                      status=MessageStatus.SKIPPED)  # fmt: skip
        db.session.add(row)
        state["noted"] = True
        ctx.save_state(state)
        publish_message(conv.client_id, row.id)
    if priority == "urgent" and conv.priority < 1:
        conv.priority = 1
        db.session.commit()
    if not state.get("routed"):
        team = team_id or conv.team_id
        if team is None:
            found = routing.team_for_number(conv.client_id, conv.number_id)
            team = found.id if found else None
        try:
            if user_id is not None:
                assignment.assign(conv.client_id, conv.id, team_id=team if team else assignment.KEEP,
                                  user_id=user_id, actor="flow")  # fmt: skip
            elif team is not None:
                routing.route_to_team(conv.client_id, conv.id, team, actor="flow")
        except Exception as exc:  # an archived team, an agent who left: stay in the queue
            db.session.rollback()
            done["error"] = str(exc)[:200]
            log.warning("flow run %s: handoff routing failed: %s", ctx.run.id, exc)
        done["team_id"] = team
        state["routed"] = True
        ctx.save_state(state)
    pause_conversation(conv.client_id, conv.id)
    return done


def step_handoff(ctx: Ctx, sid: str, step: dict) -> Result:
    assert ctx.row is not None
    if step.get("message"):
        send(ctx, ctx.row, step.get("message"))
    state = ctx.state
    done = hand_over(ctx, team_id=step.get("team_id"), user_id=step.get("user_id"),
                     priority=str(step.get("priority") or "normal"),
                     note=note_text(ctx, step.get("note")), state=state)  # fmt: skip
    return Result("done", status=FlowRunStatus.HANDED_OFF, reason="handoff", outcome="handoff",
                  detail={"handoff": done})  # fmt: skip
