"""Retention: stored media is deleted from the store ``MEDIA_RETENTION_DAYS`` after the
fetch (the row stays, EXPIRED; opening it fetches it again while Meta still has it)."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import MediaStatus, MessageMedia
from clickpro.models.base import utcnow
from clickpro.services.media.store import media_store

log = logging.getLogger(__name__)
BATCH = 500


def expire_due(now: datetime | None = None, *, batch: int = BATCH) -> int:
    """Delete the files of STORED media past ``expires_at``; returns how many expired.

    A key is content-addressed per client and month, so two rows can share one file: the
    file is deleted only when no other STORED row still points at it.
    """
    now = now or utcnow()
    store = media_store()
    total = 0
    while True:
        rows = db.session.scalars(
            sa.select(MessageMedia)
            .where(MessageMedia.status == MediaStatus.STORED, MessageMedia.expires_at <= now)
            .order_by(MessageMedia.id)
            .limit(batch)
        ).all()
        if not rows:
            return total
        for row in rows:
            key = row.storage_key
            row.status = MediaStatus.EXPIRED
            row.storage_key = None
            db.session.flush()
            if key and not _still_used(key):
                store.delete(key)
        db.session.commit()
        total += len(rows)
        log.info("media retention: %s file(s) expired", len(rows))


def _still_used(key: str) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(MessageMedia)
            .where(MessageMedia.storage_key == key, MessageMedia.status == MediaStatus.STORED)
        )
        or 0
    ) > 0
