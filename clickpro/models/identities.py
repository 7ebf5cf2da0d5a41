"""WhatsApp identities of a contact, and the record of merged contacts.

Meta's business-scoped user ids (BSUIDs) are scoped to a business portfolio: the same
person has a different BSUID for each portfolio. An identity is therefore stored with
the WABA it was seen on, so two numbers of different portfolios never merge two people
by accident; only a phone number seen together with a BSUID links them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, TenantMixin, UTCDateTime, utcnow


class IdentityKind(StrEnum):
    BSUID = "bsuid"
    PARENT_BSUID = "parent_bsuid"


class ContactIdentity(TenantMixin, Model):
    __tablename__ = "contact_identities"
    __table_args__ = (sa.UniqueConstraint("client_id", "kind", "waba_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, default=IdentityKind.BSUID)
    # The portfolio scope: the WABA of the number the identity was seen on.
    waba_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    value: Mapped[str] = mapped_column(sa.String(140), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Set when Meta announced a new BSUID for this user: the identity moved away.
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ContactMerge(TenantMixin, Model):
    """Two contacts found to be one person (phone and BSUID seen together)."""

    __tablename__ = "contact_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    merged_contact_id: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    # What the merged contact was (phone, bsuid, username, name, attributes, counts).
    snapshot: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
