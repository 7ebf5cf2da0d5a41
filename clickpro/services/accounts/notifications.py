"""Panel notifications: the bell and the notifications page."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.events import notification_created, send_safely
from clickpro.extensions import db, rowcount
from clickpro.models import Notification
from clickpro.models.base import utcnow


def notify(
    client_id: int,
    kind: str,
    text: str,
    *,
    contact_id: int | None = None,
    template_id: int | None = None,
    campaign_id: int | None = None,
    user_id: int | None = None,
    commit: bool = True,
) -> Notification:
    """Store a notification for the client's members (or one user) and announce it.

    The ids say what it is about; the web layer turns kind + ids into a link.
    """
    notification = Notification(
        client_id=client_id,
        kind=kind,
        text=text[:500],
        contact_id=contact_id,
        template_id=template_id,
        campaign_id=campaign_id,
        user_id=user_id,
    )
    db.session.add(notification)
    if commit:
        db.session.commit()
        send_safely(
            notification_created,
            client_id=client_id,
            notification_id=notification.id,
            user_id=user_id,
        )
    return notification


def _visible_to(client_id: int, user_id: int) -> sa.ColumnElement:
    return sa.and_(
        Notification.client_id == client_id,
        sa.or_(Notification.user_id.is_(None), Notification.user_id == user_id),
    )


def unread_count(client_id: int, user_id: int) -> int:
    stmt = sa.select(sa.func.count(Notification.id)).where(
        _visible_to(client_id, user_id), Notification.read_at.is_(None)
    )
    return db.session.scalar(stmt) or 0


def recent(client_id: int, user_id: int, limit: int = 50) -> list[Notification]:
    stmt = (
        sa.select(Notification)
        .where(_visible_to(client_id, user_id))
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def mark_read(client_id: int, user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's visible notifications read; returns how many."""
    stmt = (
        sa.update(Notification)
        .where(_visible_to(client_id, user_id), Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    result = db.session.execute(stmt)
    db.session.commit()
    return rowcount(result) or 0
