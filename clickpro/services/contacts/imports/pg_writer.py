"""PostgreSQL batch writer: ``COPY`` the batch into a temp table, then one statement.

Plain ``executemany`` spends most of its time building and parsing huge multi-row
``VALUES`` statements; ``COPY`` streams the rows, and a single ``INSERT … SELECT … ON
CONFLICT`` with the list membership in a CTE does the rest in one round trip.
Same semantics as :class:`BatchWriter`; still one transaction per batch.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.services.contacts.imports.writer import (
    ATTRS_FILL_EMPTY,
    ATTRS_UPDATE,
    NAME_FILL_EMPTY,
    NAME_UPDATE,
    BatchWriter,
)

_TEMP = "clickpro_import_rows"
_CREATE_TEMP = sa.text(
    f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP} "
    "(phone_e164 varchar(20) NOT NULL, name varchar(200) NOT NULL, attributes jsonb NOT NULL, "
    "line_number integer NOT NULL) ON COMMIT DELETE ROWS"
)
# New contacts, updated contacts (newly added to the list), rows already in the list.
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
# A sheet campaign: each row's own values for its recipient (first row of a number wins).
_RECIPIENT_VALUES = sa.text(
    f"""
INSERT INTO campaign_recipient_values (campaign_id, contact_id, line_number, name, attributes)
SELECT :campaign_id, c.id, t.line_number, t.name, t.attributes
FROM {_TEMP} t JOIN contacts c ON c.client_id = :client_id AND c.phone_e164 = t.phone_e164
ON CONFLICT DO NOTHING
"""
)


def _driver_connection(conn: sa.Connection):
    return conn.connection.driver_connection


class PostgresBatchWriter(BatchWriter):
    def write(self, batch, counters) -> None:
        # No fsync wait per batch: a crash can lose the last batches, but data and
        # checkpoint_row are in the same transaction, so they are lost together and the
        # resumed job re-reads exactly those rows.
        db.session.connection().execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
        super().write(batch, counters)

    def _write_contacts(
        self, conn, contacts: dict[str, list], now: datetime
    ) -> tuple[int, int, int]:
        conn.execute(_CREATE_TEMP)
        dumps = json.dumps
        copy_sql = f"COPY {_TEMP} (phone_e164, name, attributes, line_number) FROM STDIN"
        with _driver_connection(conn).cursor() as cur, cur.copy(copy_sql) as copy:
            for phone, (name, attributes, line) in contacts.items():
                copy.write_row((phone, name, dumps(attributes, ensure_ascii=False), line))
        upsert = _UPSERT.format(
            _TEMP=_TEMP,
            name=NAME_UPDATE if self.update_existing else NAME_FILL_EMPTY,
            attributes=(ATTRS_UPDATE if self.update_existing else ATTRS_FILL_EMPTY)["postgresql"],
        )
        row = conn.execute(
            sa.text(upsert), {"client_id": self.client_id, "list_id": self.list_id, "now": now}
        ).one()
        if self.campaign_id is not None:
            conn.execute(
                _RECIPIENT_VALUES, {"campaign_id": self.campaign_id, "client_id": self.client_id}
            )
        return int(row[0]), int(row[1]), int(row[2])

    def _insert_rejections(self, conn, rejections) -> None:
        """COPY straight into the table: a batch is atomic, so no row can be there yet."""
        dumps = json.dumps
        columns = "import_id, line_number, raw, reason, kind, kept_line"
        with (
            _driver_connection(conn).cursor() as cur,
            cur.copy(f"COPY contact_import_rejections ({columns}) FROM STDIN") as copy,
        ):
            for line, raw, reason, kind, kept in rejections:
                raw_json = dumps(raw, ensure_ascii=False)
                copy.write_row((self.import_id, line, raw_json, reason[:300], kind, kept))
