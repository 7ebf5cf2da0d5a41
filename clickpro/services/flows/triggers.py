"""Which inbound message starts (or advances) a flow run; agent replies leave it.

Receivers stay cheap and synchronous: a conversation with a run in progress gets its
message queued to the input job (exactly-once there); otherwise the published +
enabled flows' triggers are matched, and the winner's run is created (the partial
unique index "one active run per conversation" is the claim) and queued.

Priority: keyword > campaign_reply > new_conversation > off_hours; ties go to the
lowest flow id. Never on an opt-out keyword ("PARAR"), an opted-out contact, or while an
agent is handling the conversation (assigned to it and replied in this cycle, or the AI
was paused for them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from clickpro.extensions import db
from clickpro.jobs import QUEUE_AI, enqueue
from clickpro.models import (
    Author,
    Contact,
    Conversation,
    Direction,
    Flow,
    FlowRunInput,
    FlowVersion,
    Message,
)
from clickpro.services.flows.templating import fold
from clickpro.tenancy import get_owned

log = logging.getLogger(__name__)
PRIORITY = {"keyword": 0, "campaign_reply": 1, "new_conversation": 2, "off_hours": 3}
TEXT_TYPES = ("text", "button", "interactive")
CAMPAIGN_REPLY_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Match:
    flow_id: int
    kind: str


def enabled() -> bool:
    return "flows" in tuple(current_app.config["PLUGINS"])


def reply_of(message: Message) -> tuple[str, str | None]:
    """(text, button/list reply id) of an inbound message."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    if message.type == "interactive":
        inter = payload.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        return str(reply.get("title") or message.body or ""), (
            str(reply["id"]) if reply.get("id") else None
        )
    if message.type == "button":
        button = payload.get("button") or {}
        return str(button.get("text") or message.body or ""), (
            str(button["payload"]) if button.get("payload") else None
        )
    return str(message.body or ""), None


def _keyword(trigger: dict, text: str) -> bool:
    body = fold(text)
    if not body:
        return False
    for word in trigger.get("keywords") or []:
        w = fold(word)
        if not w:
            continue
        if trigger.get("match") == "contains":
            if f" {w} " in f" {body} ":
                return True
        elif body == w:
            return True
    return False


def _is_new_conversation(conv: Conversation, message: Message) -> bool:
    earlier = db.session.scalar(
        sa.select(sa.func.max(Message.created_at)).where(
            Message.client_id == conv.client_id,
            Message.conversation_id == conv.id,
            Message.direction == Direction.IN,
            Message.id < message.id,
        )
    )
    if earlier is None:
        return True
    opened = conv.opened_at
    return opened is not None and earlier < opened <= (message.created_at or opened)


def _campaign_of_last_out(conv: Conversation, message: Message) -> int | None:
    row = db.session.execute(
        sa.select(Message.campaign_id, Message.created_at)
        .where(
            Message.client_id == conv.client_id,
            Message.conversation_id == conv.id,
            Message.direction == Direction.OUT,
            Message.is_internal_note.is_(False),
            Message.id < message.id,
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    if row is None or row.campaign_id is None:
        return None
    if (
        message.created_at
        and row.created_at
        and message.created_at - row.created_at > CAMPAIGN_REPLY_WINDOW
    ):
        return None
    return int(row.campaign_id)


def _off_hours(conv: Conversation, message: Message) -> bool:
    from clickpro.services.teams import hours

    schedule = hours.schedule_for(conv.client_id, conv.team_id)
    if schedule.always_open:
        return False
    return not schedule.is_open(message.created_at or hours.now())


def agent_engaged(conv: Conversation) -> bool:
    if conv.assigned_user_id is None or conv.status != "OPEN":
        return False
    if conv.ai_paused:
        return True
    since = conv.opened_at
    stmt = sa.select(Message.id).where(
        Message.client_id == conv.client_id,
        Message.conversation_id == conv.id,
        Message.author == Author.AGENT,
        Message.direction == Direction.OUT,
        Message.is_internal_note.is_(False),
    )
    if since is not None:
        stmt = stmt.where(Message.created_at >= since)
    return db.session.scalar(stmt.limit(1)) is not None


def pick(conv: Conversation, message: Message) -> Match | None:
    """The flow this inbound message starts, by trigger priority (None: no flow)."""
    from clickpro.services.contacts.optout import is_contact_opted_out, keyword_action

    text, _reply = reply_of(message)
    if message.type in TEXT_TYPES and keyword_action(conv.client_id, text):
        return None
    contact = db.session.get(Contact, conv.contact_id)
    if contact is None or is_contact_opted_out(contact) or agent_engaged(conv):
        return None
    rows = db.session.execute(
        sa.select(Flow.id, FlowVersion.graph)
        .join(FlowVersion, FlowVersion.id == Flow.published_version_id)
        .where(
            Flow.client_id == conv.client_id,
            FlowVersion.client_id == conv.client_id,
            Flow.enabled.is_(True),
            Flow.archived_at.is_(None),
            sa.or_(Flow.number_id.is_(None), Flow.number_id == conv.number_id),
        )
        .order_by(Flow.id)
    ).all()
    best: tuple[int, int, str] | None = None
    facts: dict[str, object] = {}
    for flow_id, graph in rows:
        for trigger in (graph or {}).get("triggers") or []:
            if not isinstance(trigger, dict):
                continue
            kind = trigger.get("kind")
            if kind not in PRIORITY or (best is not None and (PRIORITY[kind], flow_id) >= best[:2]):
                continue
            if kind == "keyword":
                ok = message.type in TEXT_TYPES and _keyword(trigger, text)
            elif kind == "campaign_reply":
                if "campaign" not in facts:
                    facts["campaign"] = _campaign_of_last_out(conv, message)
                wanted = trigger.get("campaign_id")
                ok = facts["campaign"] is not None and (
                    wanted is None or wanted == facts["campaign"]
                )
            elif kind == "new_conversation":
                if "new" not in facts:
                    facts["new"] = _is_new_conversation(conv, message)
                ok = bool(facts["new"])
            else:
                if "off" not in facts:
                    facts["off"] = _off_hours(conv, message)
                ok = bool(facts["off"])
            if ok:
                best = (PRIORITY[kind], flow_id, kind)
    return Match(best[1], best[2]) if best else None


def _taken(conv: Conversation, message: Message) -> bool:
    """Whether a run consumed this inbound message (``flow_run_inputs``)."""
    if message.id is None:
        return False
    found = db.session.scalar(
        sa.select(FlowRunInput.id).where(
            FlowRunInput.client_id == conv.client_id, FlowRunInput.message_id == message.id
        )
    )
    return found is not None


def flow_takes(conv: Conversation, message: Message | None = None) -> bool:
    """Whether a flow has (or will take) this conversation's latest inbound message: the
    AI and the off-hours auto reply then stay quiet."""
    from clickpro.services.flows.engine import active_run

    if not enabled():
        return False
    if active_run(conv.client_id, conv.id) is not None:
        return True
    if message is None:
        message = db.session.scalar(
            sa.select(Message)
            .where(
                Message.client_id == conv.client_id,
                Message.conversation_id == conv.id,
                Message.direction == Direction.IN,
            )  # fmt: skip
            .order_by(Message.id.desc())
            .limit(1)
        )
    if message is None:
        return False
    # a run took it as an answer and has ended since (the AI job runs later): still the flow's
    return _taken(conv, message) or pick(conv, message) is not None


def on_message_received(
    sender=None,
    *,
    client_id: int,
    message_id: int,
    contact_id: int,
    conversation_id: int | None = None,
    number_id: int | None = None,
    **_,
) -> None:
    """Receiver of ``message_received``: advance the run in progress, or start one."""
    from clickpro.services.flows import engine
    from clickpro.services.flows.errors import FlowError
    from clickpro.services.messaging.sender import conversation_of_inbound

    try:
        conv = conversation_of_inbound(
            client_id, message_id, contact_id, conversation_id, number_id
        )
        message = get_owned(Message, message_id, client_id)
        if conv is None or message is None or message.direction != Direction.IN:
            return
        if message.type == "reaction":
            return
        run = engine.active_run(client_id, conv.id)
        if run is not None:
            enqueue(engine.INPUT_JOB, client_id, run.id, message_id, queue=QUEUE_AI,
                    job_id=f"flow-input-{message_id}")  # fmt: skip
            return
        match = pick(conv, message)
        if match is None:
            return
        try:
            engine.start_run(client_id, match.flow_id, conversation_id=conv.id, trigger=match.kind)
        except FlowError as exc:
            log.info("flow %s not started on message %s: %s", match.flow_id, message_id, exc)
    except Exception:
        db.session.rollback()
        log.exception("flows: message %s could not be handled", message_id)


def on_message_created(sender=None, *, client_id: int, message_id: int, **_) -> None:
    """An agent replied in the conversation: its run in progress ends (EXITED)."""
    from clickpro.services.flows import engine

    try:
        message = get_owned(Message, message_id, client_id)
        if (message is None or message.author != Author.AGENT or message.is_internal_note
                or message.conversation_id is None):  # fmt: skip
            return
        run = engine.active_run(client_id, message.conversation_id)
        if run is not None:
            engine.exit_run(client_id, run.id, "agent_reply")
    except Exception:
        db.session.rollback()
        log.exception("flows: agent reply %s could not end the run", message_id)
