"""Media of inbound messages, kept by ClickPro (Meta's own media URLs expire).

One row per message with media: fetched once from Meta by a job, stored per client
(``clickpro.services.media.store``), served from there to the client's members, deleted
from the store after the retention period (status EXPIRED). Voice notes and audio also
get a transcript here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, TenantMixin, TimestampMixin, UTCDateTime


class MediaStatus(StrEnum):
    PENDING = "PENDING"  # not fetched yet (the job is queued or failed for now)
    STORED = "STORED"
    FAILED = "FAILED"  # Meta refused or no longer has it; ``error`` says why
    EXPIRED = "EXPIRED"  # deleted from the store after MEDIA_RETENTION_DAYS


class TranscriptStatus(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    SKIPPED = "SKIPPED"  # no usable OpenAI key, or not a transcribable audio; see error
    FAILED = "FAILED"


class MessageMedia(TenantMixin, TimestampMixin, Model):
    __tablename__ = "message_media"
    __table_args__ = (
        sa.Index("ix_message_media_status_expires", "status", "expires_at"),
        sa.Index("ix_message_media_storage_key", "storage_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        sa.ForeignKey("messages.id", ondelete="CASCADE"),
        unique=True,
        nullable=False,
    )
    mime: Mapped[str | None] = mapped_column(sa.String(120))
    size: Mapped[int | None] = mapped_column(sa.BigInteger())
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    filename: Mapped[str | None] = mapped_column(sa.String(200))
    storage_key: Mapped[str | None] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=MediaStatus.PENDING)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(sa.Float())
    transcript: Mapped[str | None] = mapped_column(sa.Text())
    transcript_status: Mapped[str | None] = mapped_column(sa.String(10))
    transcript_error: Mapped[str | None] = mapped_column(sa.String(500))
    # {"model", "input_tokens", "output_tokens", "cost"?, "cost_currency"?}
    transcript_usage: Mapped[dict | None] = mapped_column(JSONType)
