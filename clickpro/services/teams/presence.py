"""Agent presence: last sign of life (inbox socket, heartbeat) and the "Ausente" switch."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import ClientMember
from clickpro.models.base import utcnow

# A heartbeat within this of the previous one does not write again.
SEEN_THROTTLE = timedelta(seconds=30)


def mark_seen(client_id: int, user_id: int) -> None:
    """``client_members.last_seen_at`` = now (at most one write per ``SEEN_THROTTLE``)."""
    now = utcnow()
    db.session.execute(
        sa.update(ClientMember)
        .where(
            ClientMember.client_id == client_id,
            ClientMember.user_id == user_id,
            sa.or_(
                ClientMember.last_seen_at.is_(None),
                ClientMember.last_seen_at < now - SEEN_THROTTLE,
            ),
        )
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def set_away(client_id: int, user_id: int, away: bool) -> bool:
    """Turn the agent's "Ausente" on or off; returns the new state."""
    member = db.session.scalar(
        sa.select(ClientMember).where(
            ClientMember.client_id == client_id, ClientMember.user_id == user_id
        )
    )
    if member is None:
        return False
    if away and member.away_since is None:
        member.away_since = utcnow()
    elif not away:
        member.away_since = None
    member.last_seen_at = utcnow()
    db.session.commit()
    return member.away_since is not None


def is_away(client_id: int, user_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(ClientMember.away_since).where(
                ClientMember.client_id == client_id, ClientMember.user_id == user_id
            )
        )
        is not None
    )
