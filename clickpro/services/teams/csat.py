"""CSAT: a 1–5 question when a conversation of a ``csat_enabled`` team is resolved.

The question is an interactive **list** message with five rows (reply buttons allow only
three), ids ``csat:1`` … ``csat:5``; a bare digit 1–5 typed by the customer counts too.
After a score an optional comment is asked (plain text): the next *text* message within
:data:`COMMENT_WINDOW` is the comment.

CSAT never blocks. ``touch_conversation`` reopens a RESOLVED conversation on every
inbound message; :func:`take_answer` runs first in the ``message_received`` receiver
(before the open cycle is claimed) and:

- a valid answer (score, or the comment after one) puts the conversation back to
  RESOLVED as it was (resolved_at, assignee, cycle start, unread 0): no new cycle, no
  off-hours reply, ``csat.received`` is published;
- anything else to an ASKED survey drops it (DROPPED) and the message follows the
  normal path: the conversation stays reopened and a new cycle starts. After a score, a
  non-text message (or a text after the window) leaves the survey RATED and reopens.

A person reopening the conversation drops a pending survey (:func:`drop_pending`).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.events import conversation_updated, send_safely
from clickpro.extensions import db, rowcount
from clickpro.models import (
    Author,
    Conversation,
    ConversationCycle,
    ConversationEvent,
    ConversationEventKind,
    CsatStatus,
    CsatSurvey,
    Message,
    Team,
)
from clickpro.models.api import OutboundEvent
from clickpro.services.teams import hours

log = logging.getLogger(__name__)
ANSWER_WINDOW = timedelta(hours=24)
COMMENT_WINDOW = timedelta(hours=1)
_DIGIT = re.compile(r"^\s*([1-5])\s*[.!]?\s*$")
_surveys = CsatSurvey.__table__
_conversations = Conversation.__table__


def question_rows() -> list[dict]:
    labels = {
        5: _("Excelente"),
        4: _("Bom"),
        3: _("Regular"),
        2: _("Ruim"),
        1: _("Péssimo"),
    }
    return [{"id": f"csat:{n}", "title": f"{n} - {labels[n]}"[:24]} for n in (5, 4, 3, 2, 1)]


def question_payload() -> dict:
    return {
        "type": "list",
        "body": {"text": _("Como você avalia o nosso atendimento? Escolha uma nota de 1 a 5.")},
        "action": {
            "button": _("Avaliar")[:20],
            "sections": [{"title": _("Nota")[:24], "rows": question_rows()}],
        },
    }


def parse_score(message: Message) -> int | None:
    """The score of an interactive reply (``csat:N``) or a bare digit 1–5."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    if message.type == "interactive":
        inter = payload.get("interactive") or {}
        reply = inter.get("list_reply") or inter.get("button_reply") or {}
        match = re.fullmatch(r"csat:([1-5])", str(reply.get("id") or ""))
        return int(match.group(1)) if match else None
    if message.type == "text":
        match = _DIGIT.match(message.body or "")
        return int(match.group(1)) if match else None
    return None


def _send_interactive(conv: Conversation, interactive: dict, body: str) -> Message | None:
    from clickpro.services.messaging import steps
    from clickpro.services.messaging.outbound import window_open
    from clickpro.services.messaging.sender import route_of

    if not window_open(conv):
        return None
    route = route_of(conv)
    payload = {**route.recipient.fields(), "type": "interactive", "interactive": interactive}
    message = steps.store(route, Author.SYSTEM, None, "interactive", body, payload)
    steps.deliver(route, message, steps.poster(route, message, payload))
    return message


def pending_survey(conv: Conversation) -> CsatSurvey | None:
    return db.session.scalar(
        sa.select(CsatSurvey)
        .where(
            CsatSurvey.client_id == conv.client_id,
            CsatSurvey.conversation_id == conv.id,
            CsatSurvey.status.in_((CsatStatus.ASKED, CsatStatus.RATED)),
        )
        .order_by(CsatSurvey.id.desc())
        .limit(1)
    )


def answers_survey(conv: Conversation, message: Message) -> bool:
    """Whether ``message`` is (or was taken as) an answer to this conversation's survey.

    No side effects: the AI asks it so it never answers a "5" or the comment after it,
    whichever receiver of ``message_received`` runs first. Either the survey is still
    waiting and the message fits it, or a survey row already records taking it.
    """
    at = message.created_at or hours.now()
    survey = pending_survey(conv)
    if survey is not None:
        if survey.status == CsatStatus.ASKED:
            return parse_score(message) is not None and at - survey.asked_at <= ANSWER_WINDOW
        answered = survey.answered_at or survey.asked_at
        if at <= answered:
            return True  # the score message itself, already taken
        return (
            message.type == "text"
            and bool((message.body or "").strip())
            and (at - answered <= COMMENT_WINDOW)
        )
    taken = db.session.scalar(
        sa.select(CsatSurvey.id)
        .where(
            CsatSurvey.client_id == conv.client_id,
            CsatSurvey.conversation_id == conv.id,
            CsatSurvey.status.in_((CsatStatus.RATED, CsatStatus.COMMENTED)),
            CsatSurvey.updated_at >= at,
        )
        .limit(1)
    )
    return taken is not None


def maybe_ask(conv: Conversation, cycle: ConversationCycle) -> CsatSurvey | None:
    """Ask the 1–5 question for a just-closed cycle when its team has CSAT on."""
    team_id = cycle.team_id or conv.team_id
    team = db.session.get(Team, team_id) if team_id else None
    if team is None or team.client_id != conv.client_id or not team.csat_enabled:
        return None
    drop_pending(conv)
    survey = CsatSurvey(
        client_id=conv.client_id,
        conversation_id=conv.id,
        cycle_id=cycle.id,
        team_id=team.id,
        agent_user_id=cycle.agent_user_id,
        status=CsatStatus.ASKED,
        asked_at=hours.now(),
    )
    db.session.add(survey)
    db.session.commit()
    try:
        sent = _send_interactive(conv, question_payload(), question_payload()["body"]["text"])
    except Exception:
        db.session.rollback()
        log.exception("CSAT question of conversation %s", conv.id)
        sent = None
    if sent is None or sent.status == "FAILED":
        survey.status = CsatStatus.EXPIRED
        db.session.commit()
        return None
    return survey


def drop_pending(conv: Conversation) -> None:
    db.session.execute(
        sa.update(_surveys)
        .where(
            _surveys.c.client_id == conv.client_id,
            _surveys.c.conversation_id == conv.id,
            _surveys.c.status == CsatStatus.ASKED,
        )
        .values(status=CsatStatus.DROPPED, updated_at=hours.now())
    )
    db.session.commit()


def _re_resolve(conv: Conversation, cycle: ConversationCycle | None) -> None:
    """Undo ``touch_conversation``'s reopen: RESOLVED as it was before the answer."""
    values: dict = {"status": "RESOLVED", "unread_count": 0, "snoozed_until": None}
    if cycle is not None:
        values.update(
            resolved_at=cycle.resolved_at,
            assigned_user_id=cycle.agent_user_id,
            opened_at=cycle.opened_at,
            first_response_at=cycle.first_response_at,
        )
    db.session.execute(
        sa.update(_conversations)
        .where(_conversations.c.id == conv.id, _conversations.c.client_id == conv.client_id)
        .values(**values)
    )


def _event(conv: Conversation, survey: CsatSurvey) -> None:
    db.session.add(
        ConversationEvent(
            client_id=conv.client_id,
            conversation_id=conv.id,
            kind=ConversationEventKind.CSAT,
            actor="system",
            data={"survey_id": survey.id, "score": survey.score, "status": survey.status},
        )
    )


def _publish(conv: Conversation, survey: CsatSurvey) -> None:
    from clickpro.services.api.outbound_webhooks import publish

    data = {
        "conversation_id": conv.id,
        "contact_id": conv.contact_id,
        "cycle_id": survey.cycle_id,
        "team_id": survey.team_id,
        "agent_user_id": survey.agent_user_id,
        "score": survey.score,
        "comment": survey.comment,
        "answered_at": survey.answered_at.isoformat() if survey.answered_at else None,
    }
    try:
        publish(conv.client_id, OutboundEvent.CSAT_RECEIVED, data)
    except Exception:
        db.session.rollback()
        log.exception("csat.received webhook of conversation %s", conv.id)


def _claim(survey: CsatSurvey, from_status: str, **values) -> bool:
    done = rowcount(
        db.session.execute(
            sa.update(_surveys)
            .where(_surveys.c.id == survey.id, _surveys.c.status == from_status)
            .values(updated_at=hours.now(), **values)
        )
    )
    return bool(done)


def take_answer(conv: Conversation, message: Message) -> bool:
    """Handle ``message`` as a CSAT answer; True when it was one (stop there)."""
    survey = pending_survey(conv)
    if survey is None:
        return False
    at = message.created_at or hours.now()
    cycle = db.session.get(ConversationCycle, survey.cycle_id) if survey.cycle_id else None
    if survey.status == CsatStatus.ASKED:
        score = parse_score(message)
        if score is None or at - survey.asked_at > ANSWER_WINDOW:
            status = CsatStatus.DROPPED if score is None else CsatStatus.EXPIRED
            _claim(survey, CsatStatus.ASKED, status=status)
            db.session.commit()
            return False
        if not _claim(survey, CsatStatus.ASKED, status=CsatStatus.RATED, score=score,
                      answered_at=at):  # fmt: skip
            db.session.rollback()
            return False
        if cycle is not None:
            cycle.csat_score = score
        _re_resolve(conv, cycle)
        db.session.commit()
        db.session.refresh(survey)
        _event(conv, survey)
        db.session.commit()
        send_safely(conversation_updated, client_id=conv.client_id, conversation_id=conv.id)
        _publish(conv, survey)
        db.session.refresh(conv)
        from clickpro.services.messaging.outbound import OutboundError, send_text

        try:
            send_text(
                conv,
                _("Obrigado pela avaliação! Se quiser, escreva um comentário sobre o atendimento."),
                author=Author.SYSTEM,
            )
        except OutboundError as exc:
            log.warning("CSAT comment question of %s not sent: %s", conv.id, exc)
        return True
    # RATED: the next text within the window is the optional comment.
    answered = survey.answered_at or survey.asked_at
    if message.type != "text" or not (message.body or "").strip() or at - answered > COMMENT_WINDOW:
        return False
    if not _claim(survey, CsatStatus.RATED, status=CsatStatus.COMMENTED,
                  comment=(message.body or "").strip()[:2000]):  # fmt: skip
        db.session.rollback()
        return False
    _re_resolve(conv, cycle)
    db.session.commit()
    db.session.refresh(survey)
    _event(conv, survey)
    db.session.commit()
    send_safely(conversation_updated, client_id=conv.client_id, conversation_id=conv.id)
    _publish(conv, survey)
    return True
