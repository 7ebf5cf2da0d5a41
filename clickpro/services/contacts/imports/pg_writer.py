"""PostgreSQL batch writer: new contacts by plain ``COPY``, existing ones set-based.

Per batch (one transaction, as :class:`BatchWriter`):

1. one ``SELECT … FOR KEY SHARE`` finds which of the batch's numbers the client already
   has (and keeps those contacts from being deleted until the commit) — skipped while
   the previous batch found none: the batch is then ``COPY``-ed optimistically, and a
   unique violation sends it (after its savepoint is rolled back) through this step;
2. the new ones get ids reserved from the sequence and are ``COPY``-ed straight into
   ``contacts`` and ``contact_list_members`` (a new contact cannot be in the list yet):
   the same work as the bench's floor, no staging table, no speculative insertion;
3. the existing ones (re-imports) are ``COPY``-ed into a temp table and merged with one
   ``UPDATE … FROM`` — skipping rows the merge would not change, so a re-import of the
   same sheet writes no new row versions — and one ``INSERT … ON CONFLICT DO NOTHING``
   into the list, whose ``RETURNING`` tells "updated" (newly in the list) from
   "duplicate" (already there).

A contact created concurrently for one of the "new" numbers (an inbound message between
step 1 and 2) makes the ``COPY`` hit the unique index: the batch's savepoint is rolled
back and that batch goes through the general upsert (:data:`_UPSERT`) instead, which is
what every batch did before. Same counters and merge rules as :class:`BatchWriter`.

What is plain text work is done by :meth:`PostgresBatchWriter.prepare` in the reader
thread (each new contact's COPY line minus its id and timestamps, the rejections' whole
COPY text), so that the database is writing one batch while Python prepares the next:
the job's own thread only joins ids into the prepared lines and sends them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring  # C: a JSON string, non-ASCII kept as is

import sqlalchemy as sa
from psycopg import errors as pg_errors

from clickpro.extensions import db
from clickpro.services.contacts.imports.writer import (
    ATTRS_FILL_EMPTY,
    ATTRS_UPDATE,
    NAME_FILL_EMPTY,
    NAME_UPDATE,
    Batch,
    BatchWriter,
    Counters,
)

_TEMP = "clickpro_import_rows"
_CREATE_TEMP = sa.text(
    f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP} "
    "(phone_e164 varchar(20) NOT NULL, name varchar(200) NOT NULL, attributes jsonb NOT NULL, "
    "line_number integer NOT NULL) ON COMMIT DELETE ROWS"
)
_EXISTING = "clickpro_import_existing"
_CREATE_EXISTING = sa.text(
    f"CREATE TEMP TABLE IF NOT EXISTS {_EXISTING} "
    "(contact_id integer NOT NULL, name varchar(200) NOT NULL, attributes jsonb NOT NULL, "
    "line_number integer NOT NULL) ON COMMIT DELETE ROWS"
)
_FIND = sa.text(
    "SELECT phone_e164, id FROM contacts WHERE client_id = :client_id "
    "AND phone_e164 = ANY(CAST(:phones AS varchar[])) FOR KEY SHARE"
)
# One row back (the ids as text, ascending): 5,000 result rows cost ~10 ms in Python.
_RESERVE = sa.text(
    "SELECT string_agg(id::text, ',' ORDER BY id) FROM "
    "(SELECT nextval(CAST(:seq AS regclass)) AS id FROM generate_series(1, :n)) AS reserved"
)
# The general path (a batch whose COPY met a concurrently created contact): new
# contacts, updated contacts (newly added to the list), rows already in the list.
_UPSERT = """
WITH up AS (
    INSERT INTO contacts (client_id, phone_e164, wa_id, name, attributes, created_at,
                          updated_at)
    SELECT :client_id, phone_e164, substr(phone_e164, 2), name, attributes, :now, :now
    FROM {_TEMP}
    ON CONFLICT (client_id, phone_e164) DO UPDATE SET
        name = {name},
        attributes = {attributes},
        updated_at = excluded.updated_at
    RETURNING id, (xmax = 0) AS inserted
), added AS (
    INSERT INTO contact_list_members (list_id, contact_id, created_at)
    SELECT :list_id, id, :now FROM up
    ON CONFLICT DO NOTHING
    RETURNING contact_id
)
SELECT
    count(*) FILTER (WHERE added.contact_id IS NOT NULL AND up.inserted),
    count(*) FILTER (WHERE added.contact_id IS NOT NULL AND NOT up.inserted),
    count(*) FILTER (WHERE added.contact_id IS NULL)
FROM up LEFT JOIN added ON added.contact_id = up.id
"""
# Existing contacts: the same name/attribute rules as the upsert, written only where they
# change something; then the list membership (RETURNING = newly added).
_MERGE_EXISTING = """
WITH merged AS (
    SELECT contacts.id, {name} AS name, {attributes} AS attributes
    FROM {_EXISTING} AS excluded JOIN contacts ON contacts.id = excluded.contact_id
), changed AS (
    UPDATE contacts SET name = merged.name, attributes = merged.attributes, updated_at = :now
    FROM merged
    WHERE contacts.id = merged.id
      AND (contacts.name IS DISTINCT FROM merged.name
           OR contacts.attributes IS DISTINCT FROM merged.attributes)
    RETURNING 1
), added AS (
    INSERT INTO contact_list_members (list_id, contact_id, created_at)
    SELECT :list_id, contact_id, :now FROM {_EXISTING}
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM changed)
"""
# A sheet campaign: each row's own values for its recipient (first row of a number wins).
_RECIPIENT_VALUES = sa.text(
    f"""
INSERT INTO campaign_recipient_values (campaign_id, contact_id, line_number, name, attributes)
SELECT :campaign_id, c.id, t.line_number, t.name, t.attributes
FROM {_TEMP} t JOIN contacts c ON c.client_id = :client_id AND c.phone_e164 = t.phone_e164
ON CONFLICT DO NOTHING
"""
)
_RECIPIENT_VALUES_EXISTING = sa.text(
    f"""
INSERT INTO campaign_recipient_values (campaign_id, contact_id, line_number, name, attributes)
SELECT :campaign_id, contact_id, line_number, name, attributes FROM {_EXISTING}
ON CONFLICT DO NOTHING
"""
)
# The id and timestamps last: the reader thread prepares the rest of each line.
_CONTACT_COLUMNS = "client_id, phone_e164, wa_id, name, attributes, id, created_at, updated_at"
_REJECTION_COLUMNS = "import_id, line_number, raw, reason, kind, kept_line"
_NULL = "\\N"  # COPY text format


def _escape(text: str) -> str:
    """A value for ``COPY … FROM STDIN`` text format (never NULL here)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _json_object(values: dict[str, str]) -> str:
    """``json.dumps(values, ensure_ascii=False)`` for a dict of strings, ~4x faster."""
    try:
        return "{" + ", ".join([f"{encode_basestring(k)}: {encode_basestring(v)}"
                                for k, v in values.items()]) + "}"  # fmt: skip
    except TypeError:  # not all strings: never from the readers, but stay correct
        return json.dumps(values, ensure_ascii=False)


def _json_array(values: list[str]) -> str:
    """``json.dumps(values, ensure_ascii=False)`` for a list of strings."""
    try:
        return "[" + ", ".join(map(encode_basestring, values)) + "]"
    except TypeError:
        return json.dumps(values, ensure_ascii=False)


def _driver_connection(conn: sa.Connection):
    return conn.connection.driver_connection


@dataclass(frozen=True)
class PreparedBatch:
    """What the reader thread computed for a batch: per new-contact phone, its COPY line
    up to the id (``client_id … attributes``); the rejections' whole COPY text."""

    contact_lines: dict[str, str]
    rejections_text: str


class PostgresBatchWriter(BatchWriter):
    _sequence: str | None = None
    # False until a batch found none of its numbers among the client's contacts: the
    # first batch always looks (re-imports), then only after a COPY met one.
    _all_new_so_far = False

    _prepared: PreparedBatch | None = None  # the batch being written (set by write)

    def prepare(self, batch: Batch) -> None:
        """The batch's COPY text, but for the ids and the timestamps (reader thread)."""
        prefix = f"{self.client_id}\t"
        lines = {
            phone: f"{prefix}{phone}\t{phone[1:]}\t{_escape(name)}\t"
            f"{_escape(_json_object(attributes))}"
            for phone, (name, attributes, _line) in batch.contacts.items()
        }
        batch.prepared = PreparedBatch(lines, self._rejections_text(batch))

    def _rejections_text(self, batch: Batch) -> str:
        head = f"{self.import_id}\t"
        return "".join(
            [
                f"{head}{line}\t{_escape(_json_array(raw))}\t{_escape(reason[:300])}\t"
                f"{kind}\t{_NULL if kept is None else kept}\n"
                for line, raw, reason, kind, kept in self.rejection_rows(batch)
            ]
        )

    def write(self, batch: Batch, counters: Counters) -> None:
        # No fsync wait per batch: a crash can lose the last batches, but data and
        # checkpoint_row are in the same transaction, so they are lost together and the
        # resumed job re-reads exactly those rows. (The import's last commit, status
        # done, is synchronous: it flushes every earlier batch before the upload is
        # deleted.)
        db.session.connection().execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
        if not isinstance(batch.prepared, PreparedBatch):
            self.prepare(batch)
        assert isinstance(batch.prepared, PreparedBatch)
        self._prepared = batch.prepared
        try:
            super().write(batch, counters)
        finally:
            self._prepared = None

    def _merge_sql(self, template: str) -> str:
        return template.format(
            _TEMP=_TEMP,
            _EXISTING=_EXISTING,
            name=NAME_UPDATE if self.update_existing else NAME_FILL_EMPTY,
            attributes=(ATTRS_UPDATE if self.update_existing else ATTRS_FILL_EMPTY)["postgresql"],
        )

    def _write_contacts(
        self, conn, contacts: dict[str, list], now: datetime
    ) -> tuple[int, int, int]:
        if self._all_new_so_far:
            # The previous batch had no existing contact (a fresh list, the common case):
            # COPY straight away; a number the client has makes it fail and the batch
            # is written the careful way below, which is used from then on.
            try:
                with conn.begin_nested():
                    self._copy_new(conn, contacts, list(contacts), now)
                return len(contacts), 0, 0
            except (pg_errors.UniqueViolation, sa.exc.IntegrityError) as exc:
                if not isinstance(getattr(exc, "orig", exc), pg_errors.UniqueViolation):
                    raise
        existing: dict[str, int] = dict(
            conn.execute(_FIND, {"client_id": self.client_id, "phones": list(contacts)}).all()
        )
        self._all_new_so_far = not existing
        new = [phone for phone in contacts if phone not in existing]
        imported = 0
        if new:
            try:
                with conn.begin_nested():
                    self._copy_new(conn, contacts, new, now)
            except (pg_errors.UniqueViolation, sa.exc.IntegrityError) as exc:
                orig = getattr(exc, "orig", exc)  # COPY runs on the driver's cursor
                if not isinstance(orig, pg_errors.UniqueViolation):
                    raise
                # A contact with one of these numbers appeared after the SELECT.
                return self._upsert_all(conn, contacts, now)
            imported = len(new)
        updated = duplicates = 0
        if existing:
            added = self._merge_existing(conn, contacts, existing, now)
            updated, duplicates = added, len(existing) - added
        return imported, updated, duplicates

    def _copy_new(self, conn, contacts: dict[str, list], new: list[str], now: datetime) -> None:
        if self._sequence is None:
            self._sequence = conn.execute(
                sa.text("SELECT pg_get_serial_sequence('contacts', 'id')")
            ).scalar_one()
        reserved = conn.execute(_RESERVE, {"seq": self._sequence, "n": len(new)}).scalar_one()
        ids = reserved.split(",")
        dumps = json.dumps
        stamp = now.isoformat()
        lines = self._in_write().contact_lines
        # The COPY text, one write per table (psycopg's write_row costs ~1 µs per value,
        # a real share of the worker's time at a million rows).
        tail = f"\t{stamp}\t{stamp}\n"
        contacts_text = "".join(
            [
                f"{lines[phone]}\t{contact_id}{tail}"
                for phone, contact_id in zip(new, ids, strict=True)
            ]
        )
        member_head, member_tail = f"{self.list_id}\t", f"\t{stamp}\n"
        members_text = "".join([f"{member_head}{contact_id}{member_tail}" for contact_id in ids])
        raw = _driver_connection(conn)
        with raw.cursor() as cur:
            with cur.copy(f"COPY contacts ({_CONTACT_COLUMNS}) FROM STDIN") as copy:
                copy.write(contacts_text)
            with cur.copy(
                "COPY contact_list_members (list_id, contact_id, created_at) FROM STDIN"
            ) as copy:
                copy.write(members_text)
            if self.campaign_id is not None:
                columns = "campaign_id, contact_id, line_number, name, attributes"
                with cur.copy(f"COPY campaign_recipient_values ({columns}) FROM STDIN") as copy:
                    for contact_id, phone in zip(ids, new, strict=True):
                        name, attributes, line = contacts[phone]
                        copy.write_row(
                            (
                                self.campaign_id,
                                int(contact_id),
                                line,
                                name,
                                dumps(attributes, ensure_ascii=False),
                            )
                        )

    def _in_write(self) -> PreparedBatch:
        """The prepared text of the batch :meth:`write` is writing (the statements below
        only run inside it: it prepares a batch the reader thread did not)."""
        assert self._prepared is not None, "only inside write()"
        return self._prepared

    def _merge_existing(
        self, conn, contacts: dict[str, list], existing: dict[str, int], now: datetime
    ) -> int:
        """Merge the file's values into contacts the client has; returns how many were
        newly added to the list."""
        conn.execute(_CREATE_EXISTING)
        dumps = json.dumps
        copy_sql = f"COPY {_EXISTING} (contact_id, name, attributes, line_number) FROM STDIN"
        with _driver_connection(conn).cursor() as cur, cur.copy(copy_sql) as copy:
            for phone, contact_id in existing.items():
                name, attributes, line = contacts[phone]
                copy.write_row((contact_id, name, dumps(attributes, ensure_ascii=False), line))
        added, _changed = conn.execute(
            sa.text(self._merge_sql(_MERGE_EXISTING)), {"list_id": self.list_id, "now": now}
        ).one()
        if self.campaign_id is not None:
            conn.execute(_RECIPIENT_VALUES_EXISTING, {"campaign_id": self.campaign_id})
        return int(added)

    def _upsert_all(self, conn, contacts: dict[str, list], now: datetime) -> tuple[int, int, int]:
        """The general path: every row of the batch through one ``INSERT … ON CONFLICT``."""
        conn.execute(_CREATE_TEMP)
        dumps = json.dumps
        copy_sql = f"COPY {_TEMP} (phone_e164, name, attributes, line_number) FROM STDIN"
        with _driver_connection(conn).cursor() as cur, cur.copy(copy_sql) as copy:
            for phone, (name, attributes, line) in contacts.items():
                copy.write_row((phone, name, dumps(attributes, ensure_ascii=False), line))
        row = conn.execute(
            sa.text(self._merge_sql(_UPSERT)),
            {"client_id": self.client_id, "list_id": self.list_id, "now": now},
        ).one()
        if self.campaign_id is not None:
            conn.execute(
                _RECIPIENT_VALUES, {"campaign_id": self.campaign_id, "client_id": self.client_id}
            )
        return int(row[0]), int(row[1]), int(row[2])

    def _write_rejections(self, conn, batch: Batch) -> None:
        """COPY straight into the table: a batch is atomic, so no row can be there yet."""
        text = self._in_write().rejections_text
        with (
            _driver_connection(conn).cursor() as cur,
            cur.copy(f"COPY contact_import_rejections ({_REJECTION_COLUMNS}) FROM STDIN") as copy,
        ):
            copy.write(text)
