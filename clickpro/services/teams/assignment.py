"""Who handles a conversation: its team and agent, and the history of every change.

``assign`` is the one writer of ``conversations.team_id`` / ``assigned_user_id`` for
people, the API, flows, the AI and routing: it checks the agent and team belong to the
client (and the agent to the team), stores a ``conversation_events`` row (``assigned``,
or ``transferred`` when a note comes with it), commits, then announces
``conversation_assigned`` and ``conversation_updated`` (the inbox updates live).
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.events import conversation_assigned, conversation_updated, send_safely
from clickpro.extensions import db
from clickpro.models import ClientMember, Conversation, User
from clickpro.models.base import utcnow
from clickpro.models.teams import ConversationEvent, ConversationEventKind, Team, TeamMember
from clickpro.services.conversations import get_conversation as find_conversation
from clickpro.services.teams.errors import TeamError, TeamNotFound
from clickpro.tenancy import id_in_range

NOTE_MAX = 2000
ACTORS = ("user", "api", "ai", "flow", "rule", "system")


class _Keep:
    """Sentinel: leave this field as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final[Any] = _Keep()


def _as_id(value) -> int | None:
    try:
        wanted = int(value)
    except (TypeError, ValueError):
        return None
    return wanted if wanted > 0 else None


def conversation_of(client_id: int, conversation_id) -> Conversation:
    """The client's conversation, else ``TeamNotFound`` (another client's id included)."""
    wanted = _as_id(conversation_id)
    conv = (
        find_conversation(client_id, wanted)
        if wanted is not None and id_in_range(Conversation, wanted)
        else None
    )
    if conv is None:
        raise TeamNotFound(_("Conversa não encontrada."))
    return conv


def active_team(client_id: int, team_id, *, field: str = "team_id") -> Team:
    """The client's team that is not archived, else ``TeamNotFound``."""
    wanted = _as_id(team_id)
    team = None
    if wanted is not None and id_in_range(Team, wanted):
        team = db.session.scalar(
            sa.select(Team).where(
                Team.id == wanted, Team.client_id == client_id, Team.archived_at.is_(None)
            )
        )
    if team is None:
        raise TeamNotFound(_("Equipe não encontrada."), field=field)
    return team


def active_member(client_id: int, user_id, *, field: str = "user_id") -> int:
    """``user_id`` if it is an active member of the client, else ``TeamError``."""
    wanted = _as_id(user_id)
    found = None
    if wanted is not None and id_in_range(User, wanted):
        found = db.session.scalar(
            sa.select(ClientMember.user_id).where(
                ClientMember.client_id == client_id,
                ClientMember.user_id == wanted,
                ClientMember.is_active.is_(True),
            )
        )
    if found is None:
        raise TeamError(_("Esta pessoa não faz parte da equipe deste cliente."), field=field)
    return found


def is_team_member(team_id: int, user_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(TeamMember.user_id).where(
                TeamMember.team_id == team_id, TeamMember.user_id == user_id
            )
        )
        is not None
    )


def assign(
    client_id: int,
    conversation_id,
    *,
    team_id: Any = KEEP,
    user_id: Any = KEEP,
    actor_user_id: int | None = None,
    actor: str = "user",
    note: str | None = None,
    commit: bool = True,
) -> ConversationEvent | None:
    """Set the conversation's team and/or agent (``KEEP``: unchanged; ``None``: clear).

    Refuses an agent who is not an active member of the client, a team of another
    client (or archived), and an agent outside the conversation's team. Returns the
    history row, or None when nothing changed and no note was given. With
    ``commit=False`` (routing inside a locked transaction) the caller commits and
    calls :func:`announce` itself.
    """
    conv = conversation_of(client_id, conversation_id)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise TeamError(
            _("A nota pode ter no máximo %(max)d caracteres.", max=NOTE_MAX), field="note"
        )
    if actor not in ACTORS:
        actor = "system"

    new_team = conv.team_id
    if team_id is not KEEP:
        new_team = active_team(client_id, team_id).id if team_id is not None else None
    new_user = conv.assigned_user_id
    if user_id is not KEEP:
        new_user = active_member(client_id, user_id) if user_id is not None else None
    if new_team is not None and new_user is not None and not is_team_member(new_team, new_user):
        if user_id is not KEEP:
            raise TeamError(_("Esta pessoa não faz parte da equipe escolhida."), field="user_id")
        new_user = None  # moved to a team the agent is not in: back to that team's queue

    previous_team, previous_user = conv.team_id, conv.assigned_user_id
    if new_team == previous_team and new_user == previous_user and note is None:
        return None
    event = ConversationEvent(
        client_id=client_id,
        conversation_id=conv.id,
        kind=ConversationEventKind.TRANSFERRED if note else ConversationEventKind.ASSIGNED,
        actor_user_id=actor_user_id,
        actor=actor,
        from_user_id=previous_user,
        to_user_id=new_user,
        from_team_id=previous_team,
        to_team_id=new_team,
        note=note,
        data={},
    )
    conv.team_id = new_team
    conv.assigned_user_id = new_user
    conv.updated_at = utcnow()  # the inbox reconnect catch-up sees the change
    db.session.add(event)
    db.session.flush()
    if commit:
        db.session.commit()
        announce(event)
    return event


def announce(event: ConversationEvent) -> None:
    """Send the signals of a committed assignment event."""
    send_safely(
        conversation_assigned,
        client_id=event.client_id,
        conversation_id=event.conversation_id,
        team_id=event.to_team_id,
        user_id=event.to_user_id,
        previous_team_id=event.from_team_id,
        previous_user_id=event.from_user_id,
        actor_user_id=event.actor_user_id,
        actor=event.actor,
        event_id=event.id,
    )
    contact_id = db.session.scalar(
        sa.select(Conversation.contact_id).where(Conversation.id == event.conversation_id)
    )
    send_safely(
        conversation_updated,
        client_id=event.client_id,
        conversation_id=event.conversation_id,
        contact_id=contact_id,
    )


def history(client_id: int, conversation_id) -> list[ConversationEvent]:
    """The conversation's events, oldest first (``TeamNotFound`` for another client's)."""
    conv = conversation_of(client_id, conversation_id)
    return list(
        db.session.scalars(
            sa.select(ConversationEvent)
            .where(
                ConversationEvent.client_id == client_id,
                ConversationEvent.conversation_id == conv.id,
            )
            .order_by(ConversationEvent.created_at, ConversationEvent.id)
        )
    )


def event_dict(event: ConversationEvent) -> dict:
    """JSON shape of a history row."""
    return {
        "id": event.id,
        "kind": event.kind,
        "actor": event.actor,
        "actor_user_id": event.actor_user_id,
        "from_user_id": event.from_user_id,
        "to_user_id": event.to_user_id,
        "from_team_id": event.from_team_id,
        "to_team_id": event.to_team_id,
        "note": event.note,
        "created_at": event.created_at.isoformat() if event.created_at else None,
    }
