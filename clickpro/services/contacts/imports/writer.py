"""Bulk writer for contact imports: one transaction per batch, SQLAlchemy Core only.

Per batch: upsert the contacts (``INSERT … ON CONFLICT (client_id, phone_e164) DO
UPDATE``), add them to the list (``ON CONFLICT DO NOTHING``), insert the rejected and
merged rows, and save the counters and ``checkpoint_row`` on the import — all in one
commit.

An existing contact is never overwritten unless the person chose "Atualizar contatos
existentes" (``update_existing``): by default its name and attributes stay, and only the
empty ones are filled from the file. With it, a non-empty cell replaces the old value
(an empty cell still erases nothing). For a campaign made from the sheet
(``campaign_id``), each row's own values are also kept for that recipient
(``campaign_recipient_values``), whatever happened to the master contact. A worker killed mid-batch leaves
nothing of that batch behind, so a re-run that resumes after ``checkpoint_row`` cannot
duplicate anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from clickpro.extensions import db
from clickpro.models import Contact, ContactImport, ContactImportRejection, ContactListMember
from clickpro.models.base import utcnow
from clickpro.models.contacts import CampaignRecipientValues, RejectionKind

_contacts = Contact.__table__
_members = ContactListMember.__table__
_rejections = ContactImportRejection.__table__
_imports = ContactImport.__table__
_values = CampaignRecipientValues.__table__

# ON CONFLICT … DO UPDATE of an existing contact. Default: keep what is there and fill
# only what is empty (a blank name, a missing or blank attribute). "Atualizar contatos
# existentes": a non-empty cell of the file replaces the value.
NAME_FILL_EMPTY = "CASE WHEN trim(contacts.name) = '' THEN excluded.name ELSE contacts.name END"
NAME_UPDATE = "CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END"
ATTRS_FILL_EMPTY = {
    "postgresql": (
        "excluded.attributes || COALESCE((SELECT jsonb_object_agg(e.key, e.value) "
        "FROM jsonb_each(contacts.attributes) AS e "
        "WHERE e.value NOT IN ('\"\"'::jsonb, 'null'::jsonb)), '{}'::jsonb)"
    ),
    "sqlite": (
        "json_patch(excluded.attributes, (SELECT json_group_object(e.key, e.value) "
        "FROM json_each(contacts.attributes) AS e "
        "WHERE e.value IS NOT NULL AND e.value <> ''))"
    ),
}
ATTRS_UPDATE = {
    "postgresql": "contacts.attributes || excluded.attributes",
    "sqlite": "json_patch(contacts.attributes, excluded.attributes)",
}


def merged_bsuid_template() -> str:
    """The translated reason of a row repeating a BSUID, to fill with ``% {"line": n}``
    (looked up once per import: a gettext call per merged row was ~1 µs of locale work)."""
    return _(
        "Duplicado mesclado: mesmo BSUID da linha %(line)s. Mantida a linha %(line)s; os "
        "dados desta linha não foram usados."
    )


def merged_template() -> str:
    """The translated reason of a row repeating a number, as :func:`merged_bsuid_template`."""
    return _(
        "Duplicado mesclado: mesmo número da linha %(line)s (talvez em outro formato). "
        "Mantida a linha %(line)s; os dados desta linha não foram usados."
    )


@dataclass
class Counters:
    rows: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    checkpoint_row: int = 0
    merged: int = 0

    @classmethod
    def of(cls, imp: ContactImport) -> Counters:
        return cls(
            imp.rows,
            imp.imported,
            imp.updated,
            imp.duplicates,
            imp.rejected,
            imp.checkpoint_row,
            imp.merged or 0,
        )

    def as_values(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "checkpoint_row": self.checkpoint_row,
            "merged": self.merged,
        }


@dataclass
class Batch:
    """Rows read since the last commit: distinct phones ([name, attributes, line]),
    rejections (line, cells, reason) and merged rows (line, cells, line kept)."""

    contacts: dict[str, list] = field(default_factory=dict)
    rejections: list[tuple[int, list[str], str]] = field(default_factory=list)
    merged: list[tuple[int, list[str], int]] = field(default_factory=list)
    # Rows with a BSUID and no phone ([name, attributes, line] by BSUID), the BSUIDs of
    # rows with a phone (phone → BSUID) and rows repeating a BSUID (line, cells, kept).
    bsuid_contacts: dict[str, list] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    merged_bsuids: list[tuple[int, list[str], int]] = field(default_factory=list)
    rows: int = 0
    duplicates: int = 0
    last_line: int = 0
    # Filled by the writer's ``prepare`` in the reader thread (PostgreSQL: COPY text).
    prepared: object = None

    def __len__(self) -> int:
        return self.rows


class BatchWriter:
    """Writes one :class:`Batch` for an import, in the session's transaction, and commits."""

    def __init__(
        self,
        client_id: int,
        list_id: int,
        import_id: int,
        *,
        update_existing: bool = False,
        campaign_id: int | None = None,
    ) -> None:
        self.client_id = client_id
        self.list_id = list_id
        self.import_id = import_id
        self.update_existing = update_existing
        self.campaign_id = campaign_id
        self.dialect = db.engine.dialect.name
        self._insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        # In the job's own context (the reader thread that prepares batches has none).
        self.merged_template = merged_template()
        self.merged_bsuid_template = merged_bsuid_template()

    def prepare(self, batch: Batch) -> None:
        """Work on a batch that needs no database, done in the reader thread while the
        previous batch is being written (see ``rows.prefetch``). Nothing here."""

    def write(self, batch: Batch, counters: Counters) -> None:
        conn = db.session.connection()
        now = utcnow()
        if batch.contacts:
            imported, updated, duplicates = self._write_contacts(conn, batch.contacts, now)
            counters.imported += imported
            counters.updated += updated
            counters.duplicates += duplicates
        if batch.links:
            link_bsuids(conn, self.client_id, batch.links)
        if batch.bsuid_contacts:
            imported, updated, duplicates = self._write_bsuid_contacts(
                conn, batch.bsuid_contacts, now
            )
            counters.imported += imported
            counters.updated += updated
            counters.duplicates += duplicates
        if batch.rejections or batch.merged or batch.merged_bsuids:
            self._write_rejections(conn, batch)
        counters.rows += batch.rows
        counters.duplicates += batch.duplicates
        counters.rejected += len(batch.rejections)
        counters.merged += len(batch.merged) + len(batch.merged_bsuids)
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
        if self.campaign_id is not None:
            self._insert_recipient_values(conn, contacts, ids)
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
                "created_at": now,
                "updated_at": now,
            }
            for phone, (name, attributes, _line) in contacts.items()
        ]
        insert = self._insert(_contacts)
        stmt = insert.on_conflict_do_update(
            index_elements=["client_id", "phone_e164"],
            set_={
                "name": sa.literal_column(NAME_UPDATE if self.update_existing else NAME_FILL_EMPTY),
                "attributes": sa.literal_column(
                    (ATTRS_UPDATE if self.update_existing else ATTRS_FILL_EMPTY)[self.dialect]
                ),
                "updated_at": insert.excluded.updated_at,
            },
        ).returning(_contacts.c.id, _contacts.c.phone_e164, _contacts.c.created_at)
        ids: dict[str, int] = {}
        inserted: set[str] = set()
        for contact_id, phone, created_at in conn.execute(stmt, params):
            ids[phone] = contact_id
            if created_at == now:
                inserted.add(phone)
        return ids, inserted

    def _write_bsuid_contacts(
        self, conn, contacts: dict[str, list], now: datetime
    ) -> tuple[int, int, int]:
        """Rows with only a BSUID: upsert by (client, BSUID), then as phone rows.

        Plain Core on both databases (such rows are few: WhatsApp username users)."""
        params = [
            {
                "client_id": self.client_id,
                "phone_e164": None,
                "wa_id": None,
                "bsuid": bsuid,
                "name": name,
                "attributes": attributes,
                "created_at": now,
                "updated_at": now,
            }
            for bsuid, (name, attributes, _line) in contacts.items()
        ]
        insert = self._insert(_contacts)
        stmt = insert.on_conflict_do_update(
            index_elements=["client_id", "bsuid"],
            set_={
                "name": sa.literal_column(NAME_UPDATE if self.update_existing else NAME_FILL_EMPTY),
                "attributes": sa.literal_column(
                    (ATTRS_UPDATE if self.update_existing else ATTRS_FILL_EMPTY)[self.dialect]
                ),
                "updated_at": insert.excluded.updated_at,
            },
        ).returning(_contacts.c.id, _contacts.c.bsuid, _contacts.c.created_at)
        ids: dict[str, int] = {}
        inserted: set[str] = set()
        for contact_id, bsuid, created_at in conn.execute(stmt, params):
            ids[bsuid] = contact_id
            if created_at == now:
                inserted.add(bsuid)
        added = self._add_members(conn, ids.values(), now)
        if self.campaign_id is not None:
            BatchWriter._insert_recipient_values(self, conn, contacts, ids)
        imported = updated = duplicates = 0
        for bsuid, contact_id in ids.items():
            if contact_id not in added:
                duplicates += 1
            elif bsuid in inserted:
                imported += 1
            else:
                updated += 1
        return imported, updated, duplicates

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

    def _insert_recipient_values(self, conn, contacts: dict[str, list], ids: dict) -> None:
        params = [
            {
                "campaign_id": self.campaign_id,
                "contact_id": ids[phone],
                "line_number": line,
                "name": name,
                "attributes": attributes,
            }
            for phone, (name, attributes, line) in contacts.items()
            if phone in ids
        ]
        stmt = self._insert(_values).on_conflict_do_nothing(
            index_elements=["campaign_id", "contact_id"]
        )
        conn.execute(stmt, params)

    def rejection_rows(self, batch: Batch) -> list[tuple[int, list[str], str, str, int | None]]:
        """(line, cells, reason, kind, kept line) of the batch's rejected and merged rows."""
        merged, merged_bsuid = self.merged_template, self.merged_bsuid_template
        rejected_kind, merged_kind = RejectionKind.REJECTED.value, RejectionKind.MERGED.value
        rows: list[tuple[int, list[str], str, str, int | None]] = [
            (line, raw, reason, rejected_kind, None) for line, raw, reason in batch.rejections
        ]
        rows += [
            (line, raw, merged % {"line": kept}, merged_kind, kept)
            for line, raw, kept in batch.merged
        ]
        rows += [
            (line, raw, merged_bsuid % {"line": kept}, merged_kind, kept)
            for line, raw, kept in batch.merged_bsuids
        ]
        return rows

    def _write_rejections(self, conn, batch: Batch) -> None:
        self._insert_rejections(conn, self.rejection_rows(batch))

    def _insert_rejections(self, conn, rejections) -> None:
        params = [
            {
                "import_id": self.import_id,
                "line_number": line,
                "raw": raw,
                "reason": reason[:300],
                "kind": kind,
                "kept_line": kept,
            }
            for line, raw, reason, kind, kept in rejections
        ]
        stmt = self._insert(_rejections).on_conflict_do_nothing(
            index_elements=["import_id", "line_number"]
        )
        conn.execute(stmt, params)


_LINK = sa.text(
    "UPDATE contacts SET bsuid = :bsuid WHERE client_id = :client_id "
    "AND phone_e164 = :phone AND bsuid IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM contacts AS other WHERE other.client_id = :client_id "
    "AND other.bsuid = :bsuid)"
)


def link_bsuids(conn, client_id: int, links: dict[str, str]) -> None:
    """Give the phone contacts of a batch the BSUID of their row, when they have none and
    no other contact holds it (an import never merges two contacts nor moves a BSUID)."""
    conn.execute(
        _LINK,
        [{"client_id": client_id, "phone": p, "bsuid": b} for p, b in links.items()],
    )
