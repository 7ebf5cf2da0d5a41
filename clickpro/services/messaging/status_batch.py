"""Status webhooks of a processing batch applied set-based: one statement per batch.

:func:`~clickpro.services.messaging.delivery.record_status` called inside
:func:`~clickpro.services.messaging.delivery.status_batch` (PostgreSQL) only collects
the status; :meth:`StatusBatch.apply` then applies the whole batch — every client
mixed — in **one round trip**: a single ``WITH … UPDATE messages … FROM jsonb_array_elements(…)
RETURNING`` that also records the cost ledger and the recipients' BSUIDs. The rules are those of :mod:`.delivery`, evaluated
in SQL on the locked row, so concurrent workers and any arrival order give the same
final row as applying the statuses one by one:

* the statuses of one message in the batch are folded first (highest rank wins, each
  timestamp the earliest of the statuses that fill it; a FAILED's error goes with it);
* the status moves only up the rank (``CASE WHEN rank(m.status) < v.rank``); a real
  delivery after FAILED clears the failure; timestamps are ``LEAST`` (earliest wins);
* pricing is stored only where none is yet (``pricing_category IS NULL``), the first
  priced status of the batch wins, priced from the rate card valid at its time;
* the recipient's BSUID (``recipient_user_id``) and parent BSUID (under the three
  names Meta used) are added to ``contact_identities`` (scoped by the WABA of the
  number the status came on) and set on the contact when it has none yet.

What the statement does not match (a wamid not stored yet, matched later through
``biz_opaque_callback_data`` or kept pending) and pricing whose market needs the
contact's phone fall back to the one-by-one path, which handles those rare cases.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.services.costs.ledger import pricing_values, record_pricing
from clickpro.services.costs.markets import OTHER, market_of
from clickpro.services.messaging.status_rules import FILLS, STATUS_RANK, StatusChange, error_values

# The parent BSUID of a status: Meta renamed the field twice (reference §1).
PARENT_FIELDS = ("recipient_parent_user_id", "parent_recipient_user_id", "parent_user_id")


def status_identities(status: dict) -> tuple[str | None, str | None]:
    """(BSUID, parent BSUID) of a status webhook item, when given."""
    from clickpro.services.contacts.identity import webhook_bsuid  # never truncated

    bsuid = webhook_bsuid(status.get("recipient_user_id"), "recipient_user_id")
    parent = next(
        (str(status[k]).strip() for k in PARENT_FIELDS if str(status.get(k) or "").strip()),
        None,
    )
    return bsuid, webhook_bsuid(parent, "recipient_parent_user_id")


@dataclass
class StatusItem:
    """One status webhook item, as ``record_status`` received it (normalized)."""

    client_id: int
    wamid: str
    status: str
    at: datetime
    callback_data: str | None = None
    errors: list | None = None
    pricing: dict | None = None
    recipient: dict | None = None
    phone_number_id: str | None = None
    bsuid: str | None = None
    parent_bsuid: str | None = None


@dataclass
class _Folded:
    """The statuses of one message in the batch, folded (see the module doc)."""

    first: StatusItem
    status: str
    rank: int
    fills: dict[str, datetime] = field(default_factory=dict)
    failed: StatusItem | None = None
    priced: StatusItem | None = None
    bsuid: str | None = None
    parent: str | None = None


_batch: ContextVar[StatusBatch | None] = ContextVar("status_batch", default=None)


def active_batch() -> StatusBatch | None:
    return _batch.get()


# How a status the statement did not match is applied: (change, kept pending).
OneByOne = Callable[[StatusItem], tuple[StatusChange | None, bool]]


@contextmanager
def collect_statuses(one_by_one: OneByOne) -> Iterator[StatusBatch | None]:
    """Collect the statuses recorded inside; the caller applies them (PostgreSQL only).

    Yields None (statuses apply one by one, as outside) on other databases.
    ``one_by_one`` applies what the set-based statement does not match
    (:func:`~clickpro.services.messaging.delivery.record_one`).
    """
    if db.engine.dialect.name != "postgresql":
        yield None
        return
    batch = StatusBatch(one_by_one)
    token = _batch.set(batch)
    try:
        yield batch
    finally:
        _batch.reset(token)


_RANK_SQL = (
    "(CASE {c} WHEN 'SENT' THEN 1 WHEN 'FAILED' THEN 2 WHEN 'DELIVERED' THEN 3"
    " WHEN 'READ' THEN 4 ELSE 0 END)"
)
_OLD_RANK = _RANK_SQL.format(c="m.status")
_FAILS = f"v.rank = 2 AND {_OLD_RANK} < 2"  # a FAILED that moves
_CLEARS = "v.rank > 2 AND m.status = 'FAILED'"  # a delivery after a failure
_PRICE = "m.pricing_category IS NULL AND v.p_category IS NOT NULL"
_COLUMNS = (
    ("client_id", "int"), ("wamid", "text"), ("status", "text"), ("rank", "int"),
    ("sent_at", "timestamptz"), ("delivered_at", "timestamptz"), ("read_at", "timestamptz"),
    ("failed_at", "timestamptz"), ("error_code", "int"), ("error_title", "text"),
    ("p_model", "text"), ("p_category", "text"), ("p_type", "text"), ("p_billable", "bool"),
    ("p_card", "int"), ("p_currency", "text"), ("p_cost", "numeric"), ("p_number", "text"),
    ("bsuid", "text"), ("parent", "text"), ("pnid", "text"),
)  # fmt: skip
_PRICING_COLUMNS = (
    ("pricing_model", "p_model"), ("pricing_category", "p_category"),
    ("pricing_type", "p_type"), ("billable", "p_billable"), ("rate_card_id", "p_card"),
    ("cost_currency", "p_currency"), ("cost", "p_cost"), ("pricing_number", "p_number"),
)  # fmt: skip


# The batch's rows reach the statement as one JSON array of arrays (one parameter):
# ``json.dumps`` of plain lists is C code, where 21 typed array parameters cost the
# worker one Python dump per element (psycopg's list dumper: ~6 ms per 100 statuses,
# a quarter of the worker's CPU per event). Timestamps travel as epoch seconds.
def _from_json(index: int, name: str, kind: str) -> str:
    if kind == "timestamptz":
        return f"to_timestamp((e->>{index})::float8) AS {name}"
    return f"(e->>{index})::{kind} AS {name}"


_APPLY = f"""
WITH v AS (
  SELECT {", ".join(_from_json(i, n, t) for i, (n, t) in enumerate(_COLUMNS))}
  FROM jsonb_array_elements(%s::jsonb) AS e
), old AS (
  SELECT m.id, m.status AS old_status FROM messages m
  JOIN v ON m.wamid = v.wamid AND m.client_id = v.client_id
  WHERE m.direction = 'OUT' ORDER BY m.id FOR UPDATE OF m
), upd AS (
  UPDATE messages m SET
    status = CASE WHEN {_OLD_RANK} < v.rank THEN v.status ELSE m.status END,
    updated_at = CASE WHEN {_OLD_RANK} < v.rank THEN now() ELSE m.updated_at END,
    sent_at = LEAST(m.sent_at, v.sent_at),
    delivered_at = LEAST(m.delivered_at, v.delivered_at),
    read_at = LEAST(m.read_at, v.read_at),
    failed_at = CASE WHEN {_FAILS} THEN LEAST(m.failed_at, v.failed_at)
      WHEN {_CLEARS} THEN NULL ELSE m.failed_at END,
    error_code = CASE WHEN {_FAILS} THEN v.error_code
      WHEN {_CLEARS} THEN NULL ELSE m.error_code END,
    error_title = CASE WHEN {_FAILS} THEN v.error_title
      WHEN {_CLEARS} THEN NULL ELSE m.error_title END,
    {
    ", ".join(
        f"{col} = CASE WHEN {_PRICE} THEN v.{src} ELSE m.{col} END" for col, src in _PRICING_COLUMNS
    )
}
  FROM v, old
  WHERE m.id = old.id AND m.wamid = v.wamid AND m.client_id = v.client_id
  RETURNING m.id, m.client_id, m.contact_id, m.campaign_id, m.wamid, m.status,
    old.old_status, v.bsuid, v.parent, v.pnid
), seen AS (
  SELECT DISTINCT ON (u.contact_id) u.contact_id, u.client_id, u.bsuid, u.parent,
    coalesce((SELECT w.waba_id FROM whatsapp_credentials w
              WHERE w.phone_number_id = u.pnid AND w.client_id = u.client_id), '') AS waba_id
  FROM upd u WHERE u.bsuid IS NOT NULL OR u.parent IS NOT NULL
  ORDER BY u.contact_id, u.id
), identities AS (
  INSERT INTO contact_identities (client_id, contact_id, kind, waba_id, value, created_at)
  SELECT s.client_id, s.contact_id, k.kind, s.waba_id, k.value, now()
  FROM seen s CROSS JOIN LATERAL (VALUES ('bsuid', s.bsuid), ('parent_bsuid', s.parent))
    AS k(kind, value)
  WHERE k.value IS NOT NULL
  ON CONFLICT (client_id, kind, waba_id, value) DO NOTHING
), contacts_bsuid AS (
  UPDATE contacts c SET
    bsuid = CASE WHEN c.bsuid IS NULL AND s.bsuid IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM contacts o WHERE o.client_id = s.client_id AND o.bsuid = s.bsuid)
      THEN s.bsuid ELSE c.bsuid END,
    parent_bsuid = coalesce(c.parent_bsuid, s.parent)
  FROM seen s
  WHERE c.id = s.contact_id AND c.client_id = s.client_id
    AND ((c.bsuid IS NULL AND s.bsuid IS NOT NULL)
         OR (c.parent_bsuid IS NULL AND s.parent IS NOT NULL))
)
SELECT id, client_id, contact_id, campaign_id, wamid, status, old_status FROM upd
"""


class StatusBatch:
    """The statuses of one processing batch, applied by :meth:`apply` (module doc)."""

    def __init__(self, one_by_one: OneByOne) -> None:
        self.items: list[StatusItem] = []
        self._one_by_one = one_by_one

    def add(self, item: StatusItem) -> None:
        self.items.append(item)

    def apply(self) -> tuple[list[StatusChange], list[tuple[int, str]]]:
        """Apply every collected status (no commit); (changes, pending (client, wamid))."""
        items, self.items = self.items, []
        if not items:
            return [], []
        folded = self._fold(items)
        rows, late_pricing = self._rows(folded)
        matched: dict[tuple[int, str], Any] = {}
        changes: list[StatusChange] = []
        connection = db.session.connection()  # the batch's transaction
        driver = connection.connection.driver_connection
        if driver is None:  # pragma: no cover - a live session connection always has one
            raise RuntimeError("no DBAPI connection for the status batch")
        with driver.cursor() as cursor:
            cursor.execute(_APPLY, (rows,))
            for row in cursor.fetchall():
                message_id, client_id, contact_id, campaign_id, wamid, status, old = row
                matched[(client_id, wamid)] = row
                if status != old:
                    changes.append(
                        StatusChange(client_id, message_id, contact_id, campaign_id, status, old)
                    )
        pending: list[tuple[int, str]] = []
        for item in items:  # not stored under its wamid: callback data, else pending
            if (item.client_id, item.wamid) not in matched:
                change, is_pending = self._one_by_one(item)
                if change is not None:
                    changes.append(change)
                if is_pending:
                    pending.append((item.client_id, item.wamid))
        for key, item in late_pricing.items():  # market from the contact's phone
            if key in matched and item.pricing:
                row = matched[key]
                record_pricing(
                    item.client_id, row[0], row[2], item.pricing, item.at,
                    status=item.recipient, phone_number_id=item.phone_number_id,
                )  # fmt: skip
        return changes, pending

    @staticmethod
    def _fold(items: list[StatusItem]) -> dict[tuple[int, str], _Folded]:
        folded: dict[tuple[int, str], _Folded] = {}
        for item in items:
            rank = STATUS_RANK[item.status]
            key = (item.client_id, item.wamid)
            entry = folded.get(key)
            if entry is None:
                entry = folded[key] = _Folded(item, item.status, rank)
            elif rank > entry.rank:
                entry.status, entry.rank = item.status, rank
            if item.status == "FAILED":
                if entry.failed is None or item.at < entry.failed.at:
                    entry.failed = item
            else:
                for name in FILLS[item.status]:
                    current = entry.fills.get(name)
                    entry.fills[name] = item.at if current is None else min(current, item.at)
            if item.pricing and entry.priced is None:
                entry.priced = item
            entry.bsuid = entry.bsuid or item.bsuid
            entry.parent = entry.parent or item.parent_bsuid
        return folded

    @staticmethod
    def _rows(folded: dict[tuple[int, str], _Folded]) -> tuple[str, dict]:
        """The statement's rows (one JSON text), and the pricing left to the one-by-one path."""
        rows: list[tuple] = []
        late: dict[tuple[int, str], StatusItem] = {}
        # A campaign's statuses repeat the same pricing at the same second: priced once.
        priced: dict[tuple, dict[str, Any] | None] = {}
        for key, entry in folded.items():
            item = entry.first
            errors = error_values("FAILED", entry.failed.errors) if entry.failed else {}
            pricing = None
            if entry.priced is not None:
                market = _status_market(entry.priced.recipient)
                if market == OTHER:
                    late[key] = entry.priced
                else:
                    pricing = _priced_once(priced, item.client_id, entry.priced, market)
                    if pricing is not None and entry.priced.phone_number_id:
                        pricing["pricing_number"] = str(entry.priced.phone_number_id)[:64]
            pricing = pricing or {}
            fills = entry.fills
            cost = pricing.get("cost")
            rows.append((
                item.client_id, item.wamid, entry.status, entry.rank,
                _epoch(fills.get("sent_at")), _epoch(fills.get("delivered_at")),
                _epoch(fills.get("read_at")), _epoch(entry.failed.at if entry.failed else None),
                errors.get("error_code"), errors.get("error_title"),
                pricing.get("pricing_model"), pricing.get("pricing_category"),
                pricing.get("pricing_type"), pricing.get("billable"),
                pricing.get("rate_card_id"), pricing.get("cost_currency"),
                None if cost is None else str(cost),  # exact (numeric), never a float
                pricing.get("pricing_number"), entry.bsuid, entry.parent, item.phone_number_id,
            ))  # fmt: skip
        return json.dumps(rows, ensure_ascii=False), late


def _epoch(at: datetime | None) -> float | int | None:
    """Seconds since the epoch (whole seconds as an int: Meta's timestamps are)."""
    if at is None:
        return None
    seconds = at.timestamp()
    return int(seconds) if seconds.is_integer() else seconds


def _priced_once(
    memo: dict[tuple, dict[str, Any] | None], client_id: int, item: StatusItem, market: str
) -> dict[str, Any] | None:
    """:func:`pricing_values` memoized for one batch (a copy: the caller adds to it)."""
    pricing = item.pricing or {}
    try:
        key: tuple = (client_id, item.at, market, tuple(sorted(pricing.items())))
        hash(key)
    except TypeError:  # an odd pricing object (nested values): priced on its own
        return pricing_values(client_id, pricing, item.at, market)
    if key not in memo:
        memo[key] = pricing_values(client_id, pricing, item.at, market)
    found = memo[key]
    return dict(found) if found is not None else None


def _status_market(recipient: dict | None) -> str:
    """The market the status itself names (phone, else the BSUID's country prefix).

    The first two steps of :func:`~clickpro.services.costs.ledger.recipient_market`;
    its third (the contact's phone) needs the row, so OTHER sends it one by one.
    """
    recipient = recipient or {}
    market = market_of(recipient.get("recipient_id"))
    if market != OTHER:
        return market
    user_id = str(recipient.get("recipient_user_id") or "")
    if len(user_id) > 3 and user_id[2] == "." and user_id[:2].isalpha():
        return user_id[:2].upper()
    return OTHER


def record_identities(
    client_id: int,
    contact_id: int,
    phone_number_id: str | None,
    bsuid: str | None,
    parent: str | None,
) -> None:
    """The one-by-one form of the batch's BSUID recording (any database)."""
    from clickpro.models import Contact, ContactIdentity, WhatsAppCredential
    from clickpro.models.base import utcnow
    from clickpro.services.webhook.sql import insert_ignoring

    if not bsuid and not parent:
        return
    waba = ""
    if phone_number_id:
        waba = (
            db.session.scalar(
                sa.select(WhatsAppCredential.waba_id).where(
                    WhatsAppCredential.phone_number_id == str(phone_number_id),
                    WhatsAppCredential.client_id == client_id,
                )
            )
            or ""
        )
    table = ContactIdentity.__table__
    for kind, value in (("bsuid", bsuid), ("parent_bsuid", parent)):
        if value:
            db.session.execute(
                insert_ignoring(table, "client_id", "kind", "waba_id", "value").values(
                    client_id=client_id, contact_id=contact_id, kind=kind, waba_id=waba,
                    value=value, created_at=utcnow(),
                )
            )  # fmt: skip
    contact = Contact.__table__.c
    if bsuid:
        other = Contact.__table__.alias("other")
        taken = sa.select(other.c.id).where(other.c.client_id == client_id, other.c.bsuid == bsuid)
        db.session.execute(
            sa.update(Contact.__table__)
            .where(
                contact.id == contact_id,
                contact.client_id == client_id,
                contact.bsuid.is_(None),
                ~sa.exists(taken),
            )
            .values(bsuid=bsuid)
        )
    if parent:
        db.session.execute(
            sa.update(Contact.__table__)
            .where(
                contact.id == contact_id,
                contact.client_id == client_id,
                contact.parent_bsuid.is_(None),
            )
            .values(parent_bsuid=parent)
        )
