"""Merging two contacts found to be one person (a phone and a BSUID seen together, or a
number change onto a phone another contact already had).

The kept contact (the older) receives everything of the merged one: conversations (on a
number both talked to, the two conversations become one: messages move, the newest state
wins, unread counts add up), messages, list memberships, labels, AI runs, notifications,
identities, campaign rows; its attributes fill the gaps of the kept one's, and if either
was opted out the kept contact is. A ``contact_merges`` row keeps a snapshot of the
merged contact and an audit entry (actor "system") says it happened.

Every table that points to ``contacts.id`` is moved, found from the metadata (a table
added later is moved too). Rows that would collide on a unique key with a row of the
kept contact are handled per table: a duplicate list membership or label is dropped, a
second row of the same campaign is kept in the thread but detached from the campaign,
a second AI-run chain link keeps its history outside the kept contact's chain. Done
explicitly (not through ``ON DELETE CASCADE``) so SQLite without foreign keys does the
same. The caller runs this in a savepoint; both contacts are locked first (in id
order), so two webhooks merging the same pair serialize and the second finds one left.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import (
    AIReplyRun,
    Contact,
    ContactMerge,
    Conversation,
    Message,
    OptOut,
)
from clickpro.models.base import utcnow
from clickpro.services.audit.recorder import record as audit_record
from clickpro.services.contacts.phones import brazil_variants
from clickpro.services.webhook.sql import insert_ignoring

log = logging.getLogger(__name__)
_contacts = Contact.__table__
_conversations = Conversation.__table__
_messages = Message.__table__
_runs = AIReplyRun.__table__
_opt_outs = OptOut.__table__
MERGE_ACTION = "contacts.merged"
# Tables with their own rule below; every other reference is moved (or de-duplicated).
_SPECIAL = frozenset({"conversations", "messages", "ai_reply_runs", "contacts"})


def older_first(row: Any) -> tuple[float, int]:
    """Sort key of the contact kept by a merge: created first (the id breaks ties)."""
    created = getattr(row, "created_at", None)
    return (created.timestamp() if created is not None else float("inf"), int(row.id))


class MergeSkipped(Exception):
    """One of the two contacts is gone (merged by a concurrent webhook)."""


def merge_contacts(client_id: int, kept_id: int, merged_id: int, *, reason: str) -> int:
    """Merge ``merged_id`` into ``kept_id`` (same client); returns ``kept_id``.

    No commit: the caller's transaction (the webhook event's) holds it.
    """
    if kept_id == merged_id:
        return kept_id
    kept, merged = _lock_pair(client_id, kept_id, merged_id)
    snapshot = _snapshot(merged)
    snapshot["campaign_rows_detached"] = _detach_campaign_duplicates(kept_id, merged_id)
    snapshot["conversations_merged"] = _merge_conversations(client_id, kept_id, merged_id)
    db.session.execute(
        sa.update(_messages).where(_messages.c.contact_id == merged_id).values(contact_id=kept_id)
    )
    _move_ai_runs(kept_id, merged_id)
    _move_references(kept_id, merged_id)
    opted_out = _opted_out(client_id, kept, merged)
    db.session.execute(sa.delete(_contacts).where(_contacts.c.id == merged_id))
    final = _combine(kept, merged)
    db.session.execute(
        sa.update(_contacts).where(_contacts.c.id == kept_id).values(**final, updated_at=utcnow())
    )
    if opted_out:
        _carry_opt_out(client_id, opted_out, final.get("phone_e164"), final.get("bsuid"))
    snapshot["opted_out"] = bool(opted_out)
    db.session.execute(
        sa.insert(ContactMerge.__table__).values(
            client_id=client_id,
            kept_contact_id=kept_id,
            merged_contact_id=merged_id,
            reason=reason[:40],
            snapshot=snapshot,
            created_at=utcnow(),
        )
    )
    audit_record(
        MERGE_ACTION,
        ("contacts", kept_id),
        client_id=client_id,
        commit=False,
        merged_contact_id=merged_id,
        reason=reason,
        merged_phone=merged.get("phone_e164"),
        merged_bsuid=merged.get("bsuid"),
    )
    log.info("contacts: merged %s into %s (client %s, %s)", merged_id, kept_id, client_id, reason)
    return kept_id


def _lock_pair(client_id: int, kept_id: int, merged_id: int) -> tuple[dict, dict]:
    c = _contacts.c
    rows = db.session.execute(
        sa.select(_contacts)
        .where(c.client_id == client_id, c.id.in_((kept_id, merged_id)))
        .order_by(c.id)
        .with_for_update()
    ).mappings()
    found = {row["id"]: dict(row) for row in rows}
    if kept_id not in found or merged_id not in found:
        raise MergeSkipped(f"contact {kept_id} or {merged_id} no longer exists")
    return found[kept_id], found[merged_id]


def _count(table: sa.Table, column: sa.Column, value: int) -> int:
    stmt = sa.select(sa.func.count()).select_from(table).where(column == value)
    return int(db.session.scalar(stmt) or 0)


def _snapshot(merged: dict) -> dict[str, Any]:
    keys = ("phone_e164", "wa_id", "bsuid", "parent_bsuid", "username", "name", "attributes")
    snap: dict[str, Any] = {k: merged.get(k) for k in keys}
    created = merged.get("created_at")
    snap["created_at"] = created.isoformat() if created is not None else None
    snap["messages"] = _count(_messages, _messages.c.contact_id, merged["id"])
    return snap


# --------------------------------------------------------------------------- conversations
def _merge_conversations(client_id: int, kept_id: int, merged_id: int) -> int:
    """Conversations of the merged contact go to the kept one; on a number both have,
    the two become one. Returns how many pairs were merged."""
    cv = _conversations.c
    rows = db.session.execute(
        sa.select(_conversations).where(cv.contact_id.in_((kept_id, merged_id)))
    ).mappings()
    by_number: dict[int, dict[int, dict]] = {}
    for row in rows:
        by_number.setdefault(row["number_id"], {})[row["contact_id"]] = dict(row)
    pairs = 0
    for pair in by_number.values():
        theirs = pair.get(merged_id)
        if theirs is None:
            continue
        mine = pair.get(kept_id)
        if mine is None:
            db.session.execute(
                sa.update(_conversations).where(cv.id == theirs["id"]).values(contact_id=kept_id)
            )
            continue
        pairs += 1
        db.session.execute(
            sa.update(_messages)
            .where(_messages.c.conversation_id == theirs["id"])
            .values(conversation_id=mine["id"], contact_id=kept_id)
        )
        db.session.execute(
            sa.update(_conversations).where(cv.id == mine["id"]).values(**_newest(mine, theirs))
        )
        _move_conversation_runs(theirs["id"], mine["id"])  # h2: before the cascade drops them
        db.session.execute(sa.delete(_conversations).where(cv.id == theirs["id"]))
    return pairs


def _move_conversation_runs(from_id: int, to_id: int) -> None:
    """AI runs follow their conversation into the kept one (the chain is unique per
    conversation)."""
    _move_runs("conversation_id", from_id, to_id)


def _newest(mine: dict, theirs: dict) -> dict[str, Any]:
    """The state of the conversation with the later message; counts add up."""

    def stamp(row: dict):
        return (row["last_message_at"] is not None, row["last_message_at"] or 0)

    newer = theirs if stamp(theirs) > stamp(mine) else mine
    inbound = [r["last_inbound_at"] for r in (mine, theirs) if r["last_inbound_at"] is not None]
    return {
        "status": newer["status"],
        "assigned_user_id": newer["assigned_user_id"],
        "last_message_at": newer["last_message_at"],
        "last_message_preview": newer["last_message_preview"],
        "ai_paused": newer["ai_paused"],
        "resolved_at": newer["resolved_at"],
        "unread_count": (mine["unread_count"] or 0) + (theirs["unread_count"] or 0),
        "last_inbound_at": max(inbound) if inbound else None,
        "updated_at": utcnow(),
    }


# --------------------------------------------------------------------------- collisions
def _detach_campaign_duplicates(kept_id: int, merged_id: int) -> list[int]:
    """Both got the same campaign (once by phone, once by BSUID): UNIQUE(campaign,
    contact) allows one row; the merged one stays in the thread, out of the campaign."""
    m = _messages.c
    kept_campaigns = sa.select(m.campaign_id).where(
        m.contact_id == kept_id, m.campaign_id.is_not(None)
    )
    ids = list(
        db.session.scalars(
            sa.select(m.id).where(m.contact_id == merged_id, m.campaign_id.in_(kept_campaigns))
        )
    )
    if ids:
        db.session.execute(sa.update(_messages).where(m.id.in_(ids)).values(campaign_id=None))
    return ids


def _move_ai_runs(kept_id: int, merged_id: int) -> None:
    _move_runs("contact_id", merged_id, kept_id)


def _move_runs(owner: str, from_id: int, to_id: int) -> None:
    """Move AI runs from one owner (contact or conversation) to another: a run whose chain
    link the new owner already has keeps its history (tokens, outcome) under a link no
    chain uses (its negative id); the rest move as they are."""
    r = _runs.c
    other = _runs.alias("kept_runs")
    clash = (
        sa.select(other.c.id)
        .where(other.c[owner] == to_id, other.c.after_message_id == r.after_message_id)
        .exists()
    )
    db.session.execute(
        sa.update(_runs)
        .where(r[owner] == from_id, clash)
        .values(after_message_id=-r.id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(sa.update(_runs).where(r[owner] == from_id).values({owner: to_id}))


def _move_references(kept_id: int, merged_id: int) -> None:
    """Every other table pointing to contacts.id: drop rows the kept contact already has
    (same values on a unique key), then move the rest."""
    for table in db.metadata.sorted_tables:
        if table.name in _SPECIAL:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name != "contacts":
                continue
            column = fk.parent
            for key in _unique_keys(table, column):
                others = [col for col in key if col is not column]
                twin = table.alias("twin")
                same = sa.and_(
                    twin.c[column.name] == kept_id,
                    *(twin.c[col.name] == col for col in others),
                )
                db.session.execute(
                    sa.delete(table).where(
                        column == merged_id, sa.select(twin).where(same).exists()
                    )
                )
            db.session.execute(
                sa.update(table).where(column == merged_id).values({column.name: kept_id})
            )


def _unique_keys(table: sa.Table, column: sa.Column) -> list[list[sa.Column]]:
    keys: list[list[sa.Column]] = []
    if column.primary_key and len(table.primary_key.columns) > 1:
        keys.append(list(table.primary_key.columns))
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and column in constraint.columns.values():
            keys.append(list(constraint.columns))
    return keys


# --------------------------------------------------------------------------- the row
def _combine(kept: dict, merged: dict) -> dict[str, Any]:
    """The kept contact's own values win; the merged one fills what is missing."""
    values: dict[str, Any] = {}
    for key in ("phone_e164", "wa_id", "bsuid", "parent_bsuid", "username"):
        if not kept.get(key) and merged.get(key):
            values[key] = merged[key]
    if not (kept.get("name") or "").strip() and (merged.get("name") or "").strip():
        values["name"] = merged["name"]
    attributes = {**(merged.get("attributes") or {}), **(kept.get("attributes") or {})}
    if attributes != (kept.get("attributes") or {}):
        values["attributes"] = attributes
    result = {k: kept.get(k) for k in ("phone_e164", "bsuid")}
    result.update(values)
    return result


def _opted_out(client_id: int, kept: dict, merged: dict) -> dict | None:
    """An opt-out of either contact (by phone, either form, or by BSUID), if any."""
    o = _opt_outs.c
    phones: list[str] = []
    bsuids: list[str] = []
    for row in (kept, merged):
        if row.get("phone_e164"):
            phones.extend(brazil_variants(row["phone_e164"]))
        if row.get("bsuid"):
            bsuids.append(row["bsuid"])
    if not phones and not bsuids:
        return None
    found = db.session.execute(
        sa.select(o.source, o.reason)
        .where(o.client_id == client_id, sa.or_(o.phone_e164.in_(phones), o.bsuid.in_(bsuids)))
        .limit(1)
    ).first()
    return {"source": found.source, "reason": found.reason} if found else None


def _carry_opt_out(client_id: int, origin: dict, phone: str | None, bsuid: str | None) -> None:
    """The kept contact stays out by its phone and by its BSUID."""
    o = _opt_outs.c
    for column, value in (("phone_e164", phone), ("bsuid", bsuid)):
        if not value:
            continue
        covered = db.session.execute(
            sa.select(o.id).where(o.client_id == client_id, o[column] == value).limit(1)
        ).first()
        if covered is None:
            now = utcnow()
            db.session.execute(
                insert_ignoring(_opt_outs).values(
                    client_id=client_id,
                    **{column: value},
                    source=origin["source"],
                    reason=(origin["reason"] or "")[:500],
                    created_at=now,
                    updated_at=now,
                )
            )
