"""Bulk writer for contact imports: one transaction per batch, SQLAlchemy Core only.

Per batch: upsert the contacts (``INSERT … ON CONFLICT (client_id, phone_e164) DO
UPDATE``: a non-empty name replaces the old one, attributes are merged), add them to the
list (``ON CONFLICT DO NOTHING``), insert the rejected rows, and save the counters and
``checkpoint_row`` on the import — all in one commit. A worker killed mid-batch leaves
nothing of that batch behind, so a re-run that resumes after ``checkpoint_row`` cannot
duplicate anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from clickpro.extensions import db
from clickpro.models import Contact, ContactImport, ContactImportRejection, ContactListMember
from clickpro.models.base import utcnow

_contacts = Contact.__table__
_members = ContactListMember.__table__
_rejections = ContactImportRejection.__table__
_imports = ContactImport.__table__


@dataclass
class Counters:
    rows: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    checkpoint_row: int = 0

    @classmethod
    def of(cls, imp: ContactImport) -> Counters:
        return cls(
            imp.rows, imp.imported, imp.updated, imp.duplicates, imp.rejected, imp.checkpoint_row
        )

    def as_values(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "checkpoint_row": self.checkpoint_row,
        }


@dataclass
class Batch:
    """Rows read since the last commit: distinct phones (name, attributes) and rejections."""

    contacts: dict[str, list] = field(default_factory=dict)
    rejections: list[tuple[int, list[str], str]] = field(default_factory=list)
    rows: int = 0
    duplicates: int = 0
    last_line: int = 0

    def __len__(self) -> int:
        return self.rows


class BatchWriter:
    """Writes one :class:`Batch` for an import, in the session's transaction, and commits."""

    def __init__(self, client_id: int, list_id: int, import_id: int) -> None:
        self.client_id = client_id
        self.list_id = list_id
        self.import_id = import_id
        self.dialect = db.engine.dialect.name
        self._insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert

    def write(self, batch: Batch, counters: Counters) -> None:
        conn = db.session.connection()
        now = utcnow()
        if batch.contacts:
            imported, updated, duplicates = self._write_contacts(conn, batch.contacts, now)
            counters.imported += imported
            counters.updated += updated
            counters.duplicates += duplicates
        if batch.rejections:
            self._insert_rejections(conn, batch.rejections)
        counters.rows += batch.rows
        counters.duplicates += batch.duplicates
        counters.rejected += len(batch.rejections)
        counters.checkpoint_row = batch.last_line
        conn.execute(
            sa.update(_imports)
            .where(_imports.c.id == self.import_id)
            .values(updated_at=now, **counters.as_values())
        )
        db.session.commit()

    # ------------------------------------------------------------------ statements

    def _write_contacts(
        self, conn, contacts: dict[str, list], now: datetime
    ) -> tuple[int, int, int]:
        """Upsert and add to the list; returns (new contacts, updated, already in list)."""
        ids, inserted = self._upsert_contacts(conn, contacts, now)
        added = self._add_members(conn, ids.values(), now)
        imported = updated = duplicates = 0
        for phone, contact_id in ids.items():
            if contact_id not in added:
                duplicates += 1
            elif phone in inserted:
                imported += 1
            else:
                updated += 1
        return imported, updated, duplicates

    def _upsert_contacts(
        self, conn, contacts: dict[str, list], now: datetime
    ) -> tuple[dict[str, int], set[str]]:
        """Upsert; returns ({phone: id}, phones that were new contacts).

        A new row's ``created_at`` is this batch's timestamp, an updated row keeps its
        own: that tells inserts from updates on both databases (no ``xmax`` on SQLite).
        """
        params = [
            {
                "client_id": self.client_id,
                "phone_e164": phone,
                "wa_id": phone[1:],
                "name": name,
                "attributes": attributes,
                "ai_paused": False,
                "unread_count": 0,
                "conversation_status": "OPEN",
                "created_at": now,
                "updated_at": now,
            }
            for phone, (name, attributes) in contacts.items()
        ]
        insert = self._insert(_contacts)
        excluded = insert.excluded
        merged: sa.ColumnElement[Any]
        if self.dialect == "postgresql":
            merged = sa.literal_column("contacts.attributes || excluded.attributes")
        else:
            merged = sa.func.json_patch(_contacts.c.attributes, excluded.attributes)
        stmt = insert.on_conflict_do_update(
            index_elements=["client_id", "phone_e164"],
            set_={
                "name": sa.case((excluded.name != "", excluded.name), else_=_contacts.c.name),
                "attributes": merged,
                "updated_at": excluded.updated_at,
            },
        ).returning(_contacts.c.id, _contacts.c.phone_e164, _contacts.c.created_at)
        ids: dict[str, int] = {}
        inserted: set[str] = set()
        for contact_id, phone, created_at in conn.execute(stmt, params):
            ids[phone] = contact_id
            if created_at == now:
                inserted.add(phone)
        return ids, inserted

    def _add_members(self, conn, contact_ids, now: datetime) -> set[int]:
        params = [
            {"list_id": self.list_id, "contact_id": cid, "created_at": now} for cid in contact_ids
        ]
        stmt = (
            self._insert(_members)
            .on_conflict_do_nothing(index_elements=["list_id", "contact_id"])
            .returning(_members.c.contact_id)
        )
        return {row[0] for row in conn.execute(stmt, params)}

    def _insert_rejections(self, conn, rejections) -> None:
        params = [
            {"import_id": self.import_id, "line_number": line, "raw": raw, "reason": reason[:300]}
            for line, raw, reason in rejections
        ]
        stmt = self._insert(_rejections).on_conflict_do_nothing(
            index_elements=["import_id", "line_number"]
        )
        conn.execute(stmt, params)
