"""Panel notifications: the bell and the notifications page.

One notification per event: a caller that may see the same event twice (Meta's status
webhook and the template sync, a retried job) passes a ``dedupe_key`` and the second
:func:`notify` inserts nothing. Read state is per user (``notification_reads``).
Who sees a notification: the one user it names, else its audience (every member, or the
client's admins for what only admins can act on: templates, credentials, campaigns).
"""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.events import notification_created, send_safely
from clickpro.extensions import db
from clickpro.models import Audience, ClientMember, Notification, NotificationRead, Role
from clickpro.models.base import utcnow
from clickpro.services.webhook.sql import insert_ignoring

# Kinds about pages agents cannot open (clickpro.permissions): admins only by default.
ADMIN_KINDS = frozenset(
    {"template_status", "templates_imported", "credentials", "campaign_paused", "campaign_done"}
)


def default_audience(kind: str, contact_id: int | None) -> Audience:
    if kind in ADMIN_KINDS or (kind == "ai_error" and contact_id is None):
        return Audience.ADMINS  # an AI error without a conversation is about the key
    return Audience.MEMBERS


def notify(
    client_id: int,
    kind: str,
    text: str,
    *,
    contact_id: int | None = None,
    template_id: int | None = None,
    campaign_id: int | None = None,
    conversation_id: int | None = None,
    user_id: int | None = None,
    audience: Audience | None = None,
    dedupe_key: str | None = None,
    commit: bool = True,
) -> Notification | None:
    """Store a notification and announce it (after commit); None when ``dedupe_key``
    was already used in this client (the event was notified before).

    The ids say what it is about; the web layer turns kind + ids into a link.
    """
    values = {
        "client_id": client_id,
        "kind": kind,
        "text": text[:500],
        "contact_id": contact_id,
        "template_id": template_id,
        "campaign_id": campaign_id,
        "conversation_id": conversation_id,
        "user_id": user_id,
        "audience": str(audience or default_audience(kind, contact_id)),
        "dedupe_key": dedupe_key[:160] if dedupe_key else None,
    }
    if dedupe_key:
        # INSERT … ON CONFLICT DO NOTHING: two workers notifying the same event at the
        # same moment insert one row, without an exception or an aborted transaction.
        now = utcnow()
        stmt = insert_ignoring(Notification.__table__, "client_id", "dedupe_key").values(
            **values, created_at=now, updated_at=now
        )
        new_id = db.session.execute(stmt.returning(Notification.id)).scalar()
        if new_id is None:
            return None
        notification = db.session.get(Notification, new_id)
        assert notification is not None
    else:
        notification = Notification(**values)
        db.session.add(notification)
    if commit:
        db.session.commit()
        announce(notification)
    return notification


def announce(notification: Notification) -> None:
    """The ``notification_created`` signal (live bell), once the row is committed."""
    send_safely(
        notification_created,
        client_id=notification.client_id,
        notification_id=notification.id,
        user_id=notification.user_id,
    )


def is_admin(client_id: int, user_id: int) -> bool:
    role = db.session.scalar(
        sa.select(ClientMember.role).where(
            ClientMember.client_id == client_id,
            ClientMember.user_id == user_id,
            ClientMember.is_active.is_(True),
        )
    )
    return role == Role.CLIENT_ADMIN


def recipients(notification: Notification) -> list[int] | None:
    """User ids a live event goes to; None: every member of the client."""
    if notification.user_id is not None:
        return [notification.user_id]
    if notification.audience != Audience.ADMINS:
        return None
    stmt = sa.select(ClientMember.user_id).where(
        ClientMember.client_id == notification.client_id,
        ClientMember.role == Role.CLIENT_ADMIN,
        ClientMember.is_active.is_(True),
    )
    return list(db.session.scalars(stmt))


def _visible_to(client_id: int, user_id: int) -> sa.ColumnElement:
    clauses = [
        Notification.client_id == client_id,
        sa.or_(Notification.user_id.is_(None), Notification.user_id == user_id),
    ]
    if not is_admin(client_id, user_id):
        clauses.append(
            sa.or_(Notification.audience == Audience.MEMBERS, Notification.user_id == user_id)
        )
    return sa.and_(*clauses)


def _read_by(user_id: int) -> sa.Exists:
    return (
        sa.select(NotificationRead.notification_id)
        .where(
            NotificationRead.notification_id == Notification.id,
            NotificationRead.user_id == user_id,
        )
        .exists()
    )


def is_visible(notification: Notification, user_id: int) -> bool:
    stmt = sa.select(Notification.id).where(
        Notification.id == notification.id, _visible_to(notification.client_id, user_id)
    )
    return db.session.scalar(stmt) is not None


def unread_count(client_id: int, user_id: int) -> int:
    stmt = sa.select(sa.func.count(Notification.id)).where(
        _visible_to(client_id, user_id), ~_read_by(user_id)
    )
    return db.session.scalar(stmt) or 0


def recent(client_id: int, user_id: int, limit: int = 50) -> list[tuple[Notification, bool]]:
    """The user's latest visible notifications, each with whether *this* user read it."""
    read = _read_by(user_id).label("read")
    stmt = (
        sa.select(Notification, read)
        .where(_visible_to(client_id, user_id))
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return [(note, bool(was_read)) for note, was_read in db.session.execute(stmt)]


def mark_read(client_id: int, user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's visible notifications read for this user only;
    returns how many became read."""
    now = sa.literal(utcnow(), type_=NotificationRead.__table__.c.read_at.type)
    unread = sa.select(Notification.id, sa.literal(user_id), now).where(
        _visible_to(client_id, user_id), ~_read_by(user_id)
    )
    if notification_id is not None:
        unread = unread.where(Notification.id == notification_id)
    stmt = (
        insert_ignoring(NotificationRead.__table__, "notification_id", "user_id")
        .from_select(["notification_id", "user_id", "read_at"], unread)
        .returning(NotificationRead.__table__.c.notification_id)
    )
    # RETURNING, not rowcount: psycopg reports -1 for INSERT … SELECT … ON CONFLICT.
    marked = len(db.session.execute(stmt).all())
    db.session.commit()
    return marked
