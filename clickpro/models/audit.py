"""The audit log: who did what, on which client, when and from where.

Rows are only ever inserted (``clickpro.services.audit.record``); no route or admin view
edits or deletes them. ``actor_email`` is a snapshot: the entry still says who acted after
the account is renamed or deleted (``actor_user_id`` then becomes NULL).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, UTCDateTime, utcnow

SYSTEM_ACTOR = "system"


class AuditEntry(Model):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_client_created", "client_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True
    )
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    actor_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str] = mapped_column(sa.String(254), nullable=False, default=SYSTEM_ACTOR)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)

    @property
    def target(self) -> str:
        if not self.target_type:
            return ""
        return f"{self.target_type}:{self.target_id}" if self.target_id else self.target_type

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.target}>"


class RecoveryCode(Model):
    """One two-factor recovery code of a user: only its SHA-256 is stored, used once."""

    __tablename__ = "two_factor_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    code_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
