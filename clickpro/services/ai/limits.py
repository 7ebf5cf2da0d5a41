"""Safe limits of the AI (issue #21): the per-conversation cap of AI replies.

The cap (``options["conversation_reply_cap"]`` of the client's assistant; empty: none)
counts the AI's answers (``ai_reply_runs`` with outcome ``answered``) in the
conversation's *current open cycle* (since ``conversations.opened_at``). Why the cycle
and not the conversation's whole life: a conversation is the contact's thread with one
number forever; a customer who comes back next month with a new question opened a new
cycle and deserves a fresh allowance, while a loop inside one matter (the customer
and the bot going round in circles) is exactly what the cap stops. A conversation
without a cycle (older rows) counts all its answers.

Reaching it: the AI hands the conversation to the agents (paused, handoff text,
the usual "handoff" notification) and the client's admins get one notification per
conversation cycle, so they can raise the cap if it is too low.

The monthly money and token budgets live in :mod:`clickpro.services.costs.ai_spend`.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import AIOutcome, AIReplyRun, Audience, Contact, Conversation
from clickpro.services.accounts.notifications import notify
from clickpro.services.ai import effects
from clickpro.services.ai.claim import Claim
from clickpro.services.ai.effects import Outcome
from clickpro.services.contacts.display import contact_label
from clickpro.services.credentials import AssistantSettings

CAP_MAX = 10_000


def conversation_cap(settings: AssistantSettings) -> int | None:
    """The per-conversation cap (None: no cap); a bad stored value means no cap."""
    raw = settings.options.get("conversation_reply_cap")
    if isinstance(raw, bool) or raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= CAP_MAX else None


def answers_in_cycle(client_id: int, conversation: Conversation) -> int:
    """The AI's answers in the conversation's current cycle (since it opened)."""
    runs = AIReplyRun.__table__
    stmt = sa.select(sa.func.count(runs.c.id)).where(
        runs.c.client_id == client_id,
        runs.c.conversation_id == conversation.id,
        runs.c.outcome == AIOutcome.ANSWERED,
    )
    if conversation.opened_at is not None:
        stmt = stmt.where(runs.c.created_at >= conversation.opened_at)
    return int(db.session.scalar(stmt) or 0)


def conversation_cap_reached(
    client_id: int, conversation_id: int, settings: AssistantSettings
) -> bool:
    cap = conversation_cap(settings)
    if cap is None:
        return False
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.client_id != client_id:
        return False
    return answers_in_cycle(client_id, conversation) >= cap


def hand_off_at_cap(claim: Claim, settings: AssistantSettings) -> Outcome:
    """The cap is reached: handoff + one admin notification for this cycle."""
    result = effects.handoff(claim, settings, AIOutcome.HANDOFF_CONVERSATION_CAP)
    if result.reason == "already_sent":
        return result
    conversation = db.session.get(Conversation, claim.conversation_id)
    contact = db.session.get(Contact, claim.contact_id)
    who = (contact.name or contact_label(contact)) if contact else "?"
    cycle = conversation.opened_at.isoformat() if conversation and conversation.opened_at else "-"
    notify(
        claim.client_id,
        "ai_error",
        _(
            "A IA atingiu o limite de %(cap)s respostas na conversa com %(who)s e passou a "
            "conversa a um atendente. Ajuste o limite em Credenciais › Assistente.",
            cap=conversation_cap(settings),
            who=who,
        ),
        contact_id=claim.contact_id,
        conversation_id=claim.conversation_id,
        audience=Audience.ADMINS,
        dedupe_key=f"ai_conv_cap:{claim.conversation_id}:{cycle}",
    )
    return result
