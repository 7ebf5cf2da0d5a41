"""Contacts (one per phone or BSUID per client), lists, opt-outs and spreadsheet imports.

A contact is a person; the inbox state lives on its conversations (one per number, see
``clickpro.models.conversations``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column

from clickpro.models.base import (
    JSONType,
    Model,
    TenantMixin,
    TimestampMixin,
    UTCDateTime,
    utcnow,
)
from clickpro.models.conversations import Conversation


class Contact(TenantMixin, TimestampMixin, Model):
    __tablename__ = "contacts"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "phone_e164"),
        sa.UniqueConstraint("client_id", "bsuid"),
        sa.Index("ix_contacts_client_username", "client_id", "username"),
        # Inbox search by name or number (pg_trgm; SQLite falls back to a LIKE scan).
        sa.Index(
            "ix_contacts_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        sa.Index(
            "ix_contacts_phone_trgm",
            "phone_e164",
            postgresql_using="gin",
            postgresql_ops={"phone_e164": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A WhatsApp username user may reach us with no phone number: then only ``bsuid``.
    phone_e164: Mapped[str | None] = mapped_column(sa.String(20))
    # Business-scoped user id (e.g. BR.1502576394655843): the latest one seen; every one
    # with its portfolio scope is in contact_identities.
    bsuid: Mapped[str | None] = mapped_column(sa.String(140))
    parent_bsuid: Mapped[str | None] = mapped_column(sa.String(140))
    username: Mapped[str | None] = mapped_column(sa.String(64))
    wa_id: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    attributes: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)

    # Read-only summaries of the contact's conversations (one per number), for the contact
    # list, its filter and exports. Deferred: loaded on access, or with ``undefer`` by a
    # page that shows them (one query for the page).
    latest_message_at: Mapped[datetime | None] = column_property(
        sa.select(sa.func.max(Conversation.last_message_at))
        .where(Conversation.contact_id == id)
        .correlate_except(Conversation)
        .scalar_subquery(),
        deferred=True,
    )
    latest_inbound_at: Mapped[datetime | None] = column_property(
        sa.select(sa.func.max(Conversation.last_inbound_at))
        .where(Conversation.contact_id == id)
        .correlate_except(Conversation)
        .scalar_subquery(),
        deferred=True,
    )


class ContactList(TenantMixin, TimestampMixin, Model):
    __tablename__ = "contact_lists"
    __table_args__ = (sa.UniqueConstraint("client_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")


class ContactListMember(Model):
    __tablename__ = "contact_list_members"

    list_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class OptOutSource(StrEnum):
    KEYWORD = "keyword"
    MANUAL = "manual"
    IMPORT = "import"
    API = "api"
    META = "meta"  # Meta told us the user stopped marketing messages (131050)


class OptOut(TenantMixin, TimestampMixin, Model):
    __tablename__ = "opt_outs"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "phone_e164"),
        sa.UniqueConstraint("client_id", "bsuid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # An opt-out is by phone, by BSUID (a username user who wrote "SAIR"), or both.
    phone_e164: Mapped[str | None] = mapped_column(sa.String(20))
    bsuid: Mapped[str | None] = mapped_column(sa.String(140))
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False, default=OptOutSource.MANUAL)
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ContactImport(TenantMixin, TimestampMixin, Model):
    """One spreadsheet upload and its progress; rejected rows are kept per row."""

    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact_lists.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    stored_path: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    kind: Mapped[str | None] = mapped_column(sa.String(8))
    sheet: Mapped[str | None] = mapped_column(sa.String(120))
    mapping: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    options: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default=ImportStatus.QUEUED)
    rows: Mapped[int] = mapped_column(nullable=False, default=0)
    rows_total: Mapped[int | None] = mapped_column()
    imported: Mapped[int] = mapped_column(nullable=False, default=0)
    updated: Mapped[int] = mapped_column(nullable=False, default=0)
    duplicates: Mapped[int] = mapped_column(nullable=False, default=0)
    rejected: Mapped[int] = mapped_column(nullable=False, default=0)
    # Rows of the file whose number was already on an earlier row (same number in another
    # shape): not imported again, listed in the report with the line that was kept.
    merged: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    # Rows committed so far: a re-run after a crash resumes after this row.
    checkpoint_row: Mapped[int] = mapped_column(nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RejectionKind(StrEnum):
    REJECTED = "rejected"  # the row was not imported (invalid phone…)
    MERGED = "merged"  # same number as an earlier row of the file: that row was kept


class ContactImportRejection(Model):
    """A row of an import that did not become a contact of its own (see ``kind``)."""

    __tablename__ = "contact_import_rejections"
    __table_args__ = (sa.UniqueConstraint("import_id", "line_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contact_imports.id", ondelete="CASCADE"), index=True, nullable=False
    )
    line_number: Mapped[int] = mapped_column(nullable=False)
    raw: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    kind: Mapped[str] = mapped_column(
        sa.String(10), nullable=False, default=RejectionKind.REJECTED, server_default="rejected"
    )
    # MERGED: the line of the file whose values were kept for the contact.
    kept_line: Mapped[int | None] = mapped_column()


class CampaignRecipientValues(Model):
    """A spreadsheet row's own values for one recipient of a campaign made from it.

    Frozen when the sheet is imported: the campaign fills its variables from these (over
    the contact's attributes), so a row's ``cupom`` reaches that person even when the
    master contact keeps another value (imports never overwrite it by default).
    """

    __tablename__ = "campaign_recipient_values"

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    line_number: Mapped[int] = mapped_column(nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    attributes: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
