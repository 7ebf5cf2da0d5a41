"""The live inbox, read side: conversation list, messages, search and catch-up.

A conversation is one contact on one of the client's WhatsApp numbers (``conversations``
holds its state: status, assignee, unread count, last message, 24 h window). Both lists
are keyset-paginated, so the 1,000th page costs what the first does:

* conversations by ``(last_message_at, id)`` descending, cursor ``"<iso>|<id>"``
  (``ix_conversations_client_last_message``);
* a conversation's messages (``contact_id`` + ``number_id``) by ``id`` descending, cursor
  ``before_id``; returned oldest first.

Search ignores case and accents ("tenis" finds "Tênis", ``clickpro.text_search``:
``unaccent`` on PostgreSQL, a registered Python function on SQLite); it matches the
contact's name, ``@username``, phone digits and the conversation's message text.
The write side (replies, notes, labels...) lives in ``clickpro.services.inbox.actions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import (
    Author,
    Contact,
    ContactLabel,
    Conversation,
    Direction,
    Message,
    OptOut,
)
from clickpro.params import parse_datetime, parse_id
from clickpro.services.media.search import transcript_has
from clickpro.text_search import folded_contains

PAGE_SIZE = 50
MAX_PAGE = 200
UPDATES_LIMIT = 500
FILTERS = ("unread", "mine", "ai", "human", "opted_out", "campaign")
STATUSES = ("OPEN", "RESOLVED", "SNOOZED")
# List views (tabs above the list, #19): whose conversations. "all" is for client admins
# (and agents whose permissions allow it, ``agent_permissions.view_all_conversations``).
VIEWS = ("mine", "unassigned", "team", "all")
SORTS = ("recent", "deadline")
# Sorts after every real deadline (no SLA target): keeps the keyset free of NULLs.
NO_DEADLINE = datetime(2999, 12, 31, tzinfo=UTC)
MIN_BODY_TERM = 3


class InboxQueryError(ServiceError, ValueError):
    """Bad list/search parameters; the message is pt_BR and safe to show."""


@dataclass
class ConversationQuery:
    """What the agent asked the list for (every field optional)."""

    q: str = ""
    filters: tuple[str, ...] = ()
    label_id: int | None = None
    status: str | None = None  # OPEN / RESOLVED / None = both
    number_id: int | None = None  # one of the client's numbers; None = all
    date_from: date | None = None
    date_to: date | None = None
    user_id: int | None = None  # for "mine" and the views
    view: str | None = None  # VIEWS; None = no view condition (REST API, old clients)
    team_ids: tuple[int, ...] = ()  # the user's teams (views "unassigned" and "team")
    sort: str = "recent"  # SORTS
    only_ids: tuple[int, ...] = ()  # live re-check: just these conversations
    timezone: str = "America/Sao_Paulo"
    cursor: str | None = None
    limit: int = PAGE_SIZE


@dataclass
class Page:
    items: list = field(default_factory=list)
    next_cursor: str | None = None


# --------------------------------------------------------------------------- helpers


def like_pattern(term: str) -> str:
    """``%term%`` with LIKE wildcards in the term escaped (escape char ``\\``)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def deadline_of() -> sa.ColumnElement:
    """The conversation's next SLA instant: first response while unanswered, then
    resolution; ``NO_DEADLINE`` without a target (sorted last, never NULL)."""
    col_type = Conversation.resolution_due_at.type
    pending = sa.case(
        (
            Conversation.first_response_at.is_(None),
            sa.func.coalesce(Conversation.first_response_due_at, Conversation.resolution_due_at),
        ),
        else_=Conversation.resolution_due_at,
    )
    return sa.func.coalesce(pending, sa.literal(NO_DEADLINE, col_type), type_=col_type)


def _deadline_value(conversation: Conversation) -> datetime:
    if conversation.first_response_at is None:
        due = conversation.first_response_due_at or conversation.resolution_due_at
    else:
        due = conversation.resolution_due_at
    return due or NO_DEADLINE


def encode_cursor(conversation: Conversation, sort: str = "recent") -> str:
    """``"<iso>|<id>"`` (most recent first, priority 0), ``"p<n>|<iso>|<id>"`` (a
    priority conversation) or ``"d<n>|<due iso>|<id>"`` (deadline sort)."""
    if sort == "deadline":
        due = _deadline_value(conversation)
        return f"d{conversation.priority or 0}|{due.isoformat()}|{conversation.id}"
    if conversation.last_message_at is None:  # the list only holds conversations with one
        raise ValueError(f"conversation {conversation.id} has no message to page by")
    stamp = f"{conversation.last_message_at.isoformat()}|{conversation.id}"
    return f"p{conversation.priority}|{stamp}" if conversation.priority else stamp


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """``"<iso>|<id>"`` → (moment, id), both range-checked (a year-1 moment or a 30-digit
    id is a clear 400, not an overflow in the database driver)."""
    _, _, moment, row_id = decode_sort_cursor(cursor)
    return moment, row_id


def decode_sort_cursor(cursor: str) -> tuple[str, int, datetime, int]:
    """Any list cursor → (sort, priority, moment, id)."""
    try:
        parts = cursor.split("|")
        sort, priority = "recent", 0
        if len(parts) == 3 and parts[0][:1] in ("p", "d"):
            sort = "deadline" if parts[0][0] == "d" else "recent"
            priority = int(parts[0][1:])
            if not -32768 <= priority <= 32767:
                raise ValueError
            parts = parts[1:]
        if len(parts) != 2:
            raise ValueError
        moment = parse_datetime(parts[0], "cursor")
        row_id = parse_id(parts[1], "cursor")
        if moment is None or row_id is None:
            raise ValueError
        return sort, priority, moment, row_id
    except (ValueError, AttributeError):
        raise InboxQueryError(gettext("Cursor de paginação inválido."), field="cursor") from None


def _clamp(limit: int | None) -> int:
    try:
        value = int(limit or PAGE_SIZE)
    except (TypeError, ValueError):
        value = PAGE_SIZE
    return max(1, min(value, MAX_PAGE))


def _local_day_start(day: date, timezone: str) -> datetime:
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("America/Sao_Paulo")
    return datetime.combine(day, time.min, tzinfo=zone)


def thread_of(conversation: Conversation) -> list[sa.ColumnElement]:
    """The messages of a conversation: its contact's, on its number."""
    return [
        Message.client_id == conversation.client_id,
        Message.contact_id == conversation.contact_id,
        Message.number_id == conversation.number_id,
    ]


def _same_thread() -> list[sa.ColumnElement]:
    """Correlated form of :func:`thread_of` for EXISTS sub-queries of the list."""
    return [
        Message.contact_id == Conversation.contact_id,
        Message.number_id == Conversation.number_id,
    ]


# --------------------------------------------------------------------------- conditions


def _search_condition(client_id: int, term: str) -> sa.ColumnElement:
    """Contact name, @username, number (digits) or the conversation's text has ``term``."""
    bare = term.lstrip("@")
    contact_hits = [folded_contains(Contact.name, term)]
    if bare:
        contact_hits.append(folded_contains(Contact.username, bare))
    digits = "".join(ch for ch in term if ch.isdigit())
    if len(digits) >= 3:
        contact_hits.append(Contact.phone_e164.like(like_pattern(digits), escape="\\"))
    by_contact = Conversation.contact_id.in_(
        sa.select(Contact.id).where(Contact.client_id == client_id, sa.or_(*contact_hits))
    )
    if len(term) < MIN_BODY_TERM:
        return by_contact
    message_hits = sa.select(Message.contact_id, Message.number_id).where(
        Message.client_id == client_id,
        sa.or_(folded_contains(Message.body, term), transcript_has(client_id, term)),
    )
    by_text = sa.tuple_(Conversation.contact_id, Conversation.number_id).in_(message_hits)
    return sa.or_(by_contact, by_text)


def _opted_out() -> sa.ColumnElement:
    """The conversation's contact opted out, by phone or by BSUID (NULL never matches)."""
    return sa.exists().where(
        Contact.id == Conversation.contact_id,
        OptOut.client_id == Conversation.client_id,
        sa.or_(OptOut.phone_e164 == Contact.phone_e164, OptOut.bsuid == Contact.bsuid),
    )


def _filter_condition(name: str, query: ConversationQuery) -> sa.ColumnElement:
    if name == "unread":
        return Conversation.unread_count > 0
    if name == "mine":
        return Conversation.assigned_user_id == (query.user_id or -1)
    if name == "human":
        return Conversation.ai_paused.is_(True)
    if name == "ai":
        answered_by_ai = sa.exists().where(*_same_thread(), Message.author == Author.AI)
        return sa.and_(Conversation.ai_paused.is_(False), answered_by_ai)
    if name == "opted_out":
        return _opted_out()
    if name == "campaign":
        # The customer wrote to this number after receiving a campaign message from it.
        return sa.exists().where(
            *_same_thread(),
            Message.campaign_id.is_not(None),
            Message.created_at < Conversation.last_inbound_at,
        )
    raise InboxQueryError(gettext("Filtro desconhecido: %(name)s.", name=name))


def view_condition(view: str, user_id: int | None, team_ids: tuple[int, ...]) -> sa.ColumnElement:
    """The list view's condition: "mine" (assigned to me), "unassigned" (no agent, in
    one of my teams or in none), "team" (in one of my teams), "all"."""
    me = user_id or -1
    teams = list(team_ids)
    if view == "mine":
        return Conversation.assigned_user_id == me
    if view == "unassigned":
        no_team = Conversation.team_id.is_(None)
        in_mine = Conversation.team_id.in_(teams) if teams else sa.false()
        return sa.and_(Conversation.assigned_user_id.is_(None), sa.or_(no_team, in_mine))
    if view == "team":
        return Conversation.team_id.in_(teams) if teams else sa.false()
    if view == "all":
        return sa.true()
    raise InboxQueryError(gettext("Visão de conversas inválida."), field="view")


def _conditions(client_id: int, query: ConversationQuery) -> list[sa.ColumnElement]:
    conds = _filter_conditions(client_id, query)
    if query.view:
        conds.append(view_condition(query.view, query.user_id, query.team_ids))
    if query.only_ids:
        conds.append(Conversation.id.in_(list(query.only_ids)))
    if query.cursor:
        sort, priority, moment, ident = decode_sort_cursor(query.cursor)
        if sort != (query.sort or "recent"):
            raise InboxQueryError(gettext("Cursor de paginação inválido."), field="cursor")
        if sort == "deadline":
            due = deadline_of()
            after = sa.or_(due > moment, sa.and_(due == moment, Conversation.id > ident))
        else:
            after = sa.or_(
                Conversation.last_message_at < moment,
                sa.and_(Conversation.last_message_at == moment, Conversation.id < ident),
            )
        conds.append(
            sa.or_(
                Conversation.priority < priority,
                sa.and_(Conversation.priority == priority, after),
            )
        )
    return conds


def _filter_conditions(client_id: int, query: ConversationQuery) -> list[sa.ColumnElement]:
    """Every condition of the list but the view and the page (the view counts share them)."""
    conds: list[sa.ColumnElement] = [
        Conversation.client_id == client_id,
        Conversation.last_message_at.is_not(None),
    ]
    term = (query.q or "").strip()
    if term:
        conds.append(_search_condition(client_id, term[:100]))
    for name in query.filters:
        conds.append(_filter_condition(name, query))
    if query.number_id:
        conds.append(Conversation.number_id == query.number_id)
    if query.label_id:
        conds.append(
            Conversation.contact_id.in_(
                sa.select(ContactLabel.contact_id).where(ContactLabel.label_id == query.label_id)
            )
        )
    if query.status:
        if query.status not in STATUSES:
            raise InboxQueryError(gettext("Situação de conversa inválida."))
        conds.append(Conversation.status == query.status)
    if query.date_from:
        start = _local_day_start(query.date_from, query.timezone)
        conds.append(Conversation.last_message_at >= start)
    if query.date_to:
        end = _local_day_start(query.date_to + timedelta(days=1), query.timezone)
        conds.append(Conversation.last_message_at < end)
    return conds


# --------------------------------------------------------------------------- queries


def list_conversations(client_id: int, query: ConversationQuery | None = None) -> Page:
    """One page of conversations, most recent first (keyset on last_message_at, id)."""
    query = query or ConversationQuery()
    if query.sort not in SORTS:
        raise InboxQueryError(gettext("Ordenação inválida."), field="sort")
    limit = _clamp(query.limit)
    if query.sort == "deadline":  # overdue first (earliest instant), no target last
        order = [Conversation.priority.desc(), deadline_of().asc(), Conversation.id.asc()]
    else:
        order = [
            Conversation.priority.desc(),
            Conversation.last_message_at.desc(),
            Conversation.id.desc(),
        ]
    stmt = sa.select(Conversation).where(*_conditions(client_id, query)).order_by(*order)
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1], query.sort) if more and rows else None
    return Page(items=rows, next_cursor=cursor)


def view_counts(client_id: int, query: ConversationQuery) -> dict[str, int]:
    """How many conversations each view holds with the query's other filters (status,
    label, number...): one grouped query, ``{"mine": n, "unassigned": n, "team": n,
    "all": n}``."""
    columns = [
        sa.func.count(Conversation.id)
        .filter(view_condition(view, query.user_id, query.team_ids))
        .label(view)
        for view in VIEWS
        if view != "all"
    ]
    columns.append(sa.func.count(Conversation.id).label("all"))
    row = db.session.execute(sa.select(*columns).where(*_filter_conditions(client_id, query))).one()
    return {view: int(row._mapping[view] or 0) for view in VIEWS}


def team_ids_of(client_id: int, user_id: int | None) -> tuple[int, ...]:
    """The active teams of the client the user belongs to."""
    from clickpro.models.teams import Team, TeamMember

    if not user_id:
        return ()
    rows = db.session.scalars(
        sa.select(Team.id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(
            Team.client_id == client_id,
            Team.archived_at.is_(None),
            TeamMember.user_id == user_id,
        )
        .order_by(Team.id)
    )
    return tuple(rows)


def load_messages(
    conversation: Conversation, *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> Page:
    """The conversation's last ``limit`` messages before ``before_id`` (oldest first).

    ``next_cursor`` is the id to pass as ``before_id`` for older messages (None: no more).
    """
    limit = _clamp(limit)
    stmt = sa.select(Message).where(*thread_of(conversation))
    if before_id is not None:
        stmt = stmt.where(Message.id < int(before_id))
    stmt = stmt.order_by(Message.id.desc()).limit(limit + 1)
    rows = list(db.session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return Page(items=rows, next_cursor=str(rows[0].id) if more and rows else None)


def search_messages(client_id: int, term: str, *, limit: int = 50) -> list[Message]:
    """Messages whose text contains ``term``, newest first (internal notes included)."""
    term = (term or "").strip()[:100]
    if len(term) < MIN_BODY_TERM:
        raise InboxQueryError(
            gettext(
                "Digite ao menos %(min_body_term)s caracteres para buscar.",
                min_body_term=MIN_BODY_TERM,
            )
        )
    stmt = (
        sa.select(Message)
        .where(
            Message.client_id == client_id,
            sa.or_(folded_contains(Message.body, term), transcript_has(client_id, term)),
        )
        .order_by(Message.id.desc())
        .limit(_clamp(limit))
    )
    return list(db.session.scalars(stmt))


def last_inbound(conversation: Conversation) -> Message | None:
    """The customer's last message in this conversation (the read receipt's target)."""
    stmt = (
        sa.select(Message)
        .where(*thread_of(conversation), Message.direction == Direction.IN)
        .order_by(Message.id.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def latest_conversation(client_id: int, contact_id: int) -> Conversation | None:
    """The contact's most recently active conversation (old contact-id inbox links)."""
    return db.session.scalar(
        sa.select(Conversation)
        .where(Conversation.client_id == client_id, Conversation.contact_id == contact_id)
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .limit(1)
    )


@dataclass
class Updates:
    messages: list[Message]
    conversations: list[Conversation]
    last_id: int
    truncated: bool


def updates_since(client_id: int, since_id: int = 0, since: datetime | None = None) -> Updates:
    """What a reconnecting client missed: new messages (id > since_id), messages whose
    status moved (updated_at > since) and conversations that changed (updated_at > since).
    """
    new_stmt = (
        sa.select(Message)
        .where(Message.client_id == client_id, Message.id > int(since_id or 0))
        .order_by(Message.id)
        .limit(UPDATES_LIMIT + 1)
    )
    messages = list(db.session.scalars(new_stmt))
    truncated = len(messages) > UPDATES_LIMIT
    messages = messages[:UPDATES_LIMIT]
    conversations: list[Conversation] = []
    if since is not None:
        seen = {m.id for m in messages}
        changed = sa.select(Message).where(
            Message.client_id == client_id,
            Message.updated_at > since,
            Message.id <= int(since_id or 0),
        )
        messages.extend(
            m for m in db.session.scalars(changed.limit(UPDATES_LIMIT)) if m.id not in seen
        )
        conv_stmt = (
            sa.select(Conversation)
            .where(Conversation.client_id == client_id, Conversation.updated_at > since)
            .order_by(Conversation.updated_at.desc())
            .limit(UPDATES_LIMIT)
        )
        conversations = list(db.session.scalars(conv_stmt))
    else:
        pairs = {(m.contact_id, m.number_id) for m in messages if m.number_id is not None}
        if pairs:
            conversations = list(
                db.session.scalars(
                    sa.select(Conversation).where(
                        Conversation.client_id == client_id,
                        sa.tuple_(Conversation.contact_id, Conversation.number_id).in_(
                            sorted(pairs)
                        ),
                    )
                )
            )
    last_id = max([int(since_id or 0), *(m.id for m in messages)])
    return Updates(messages, conversations, last_id, truncated)
