"""Contacts of a client: create, edit, delete (LGPD), export and a keyset-paged search.

Pages are keyset-paginated by ``id`` descending (``WHERE id < :cursor``), so page 500
costs the same as page 1 at a million contacts; nothing counts the whole table.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import (
    Contact,
    ContactList,
    ContactListMember,
    Conversation,
    Message,
    OptOut,
)
from clickpro.schemas.loaders import opted_out_contact_ids
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.contacts import optout
from clickpro.services.contacts.bsuids import InvalidBsuid, normalize_bsuid
from clickpro.services.contacts.phones import InvalidPhone, normalize_phone
from clickpro.text_search import folded_contains

PAGE_SIZE = 50
_KEY_CHARS = re.compile(r"[^a-z0-9]+")


class ContactError(ServiceError, ValueError):
    """A contact operation refused; the message is pt_BR and safe to show."""


def normalize_attribute_key(text: str) -> str:
    """ "Cidade" -> "cidade", "Plano Atual" -> "plano_atual", "Região" -> "regiao".

    Keys are usable as template variables: ``[a-z0-9_]``, not starting with a digit.
    """
    folded = unicodedata.normalize("NFKD", text or "")
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    key = _KEY_CHARS.sub("_", folded).strip("_")[:60]
    if key and key[0].isdigit():
        key = "c_" + key
    return key


def clean_attributes(pairs: dict[str, str]) -> dict[str, str]:
    """Normalise keys, drop empty ones; refuse a clash, a value longer than
    CONTACT_ATTRIBUTE_MAX_CHARS and more than CONTACT_MAX_ATTRIBUTES (never cut silently)."""
    max_chars = int(current_app.config["CONTACT_ATTRIBUTE_MAX_CHARS"])
    max_attributes = int(current_app.config["CONTACT_MAX_ATTRIBUTES"])
    result: dict[str, str] = {}
    for raw_key, raw_value in pairs.items():
        key = normalize_attribute_key(str(raw_key))
        value = str(raw_value if raw_value is not None else "").strip()
        if not key:
            continue
        if key in result:
            raise ContactError(_("Atributo “%(key)s” repetido.", key=key), field="attributes")
        if len(value) > max_chars:
            raise ContactError(
                _(
                    "O atributo “%(key)s” tem no máximo %(max)s caracteres (tem %(n)s).",
                    key=key,
                    max=max_chars,
                    n=len(value),
                ),
                field="attributes",
            )
        result[key] = value
    if len(result) > max_attributes:
        raise ContactError(
            _(
                "No máximo %(max_attributes)s atributos por contato (são %(n)s).",
                max_attributes=max_attributes,
                n=len(result),
            ),
            field="attributes",
        )
    return result


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw, "BR")
    except InvalidPhone as exc:
        raise ContactError(
            _("Telefone inválido: %(message)s", message=exc.message), field="phone"
        ) from None


def _phone_taken(client_id: int, phone: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Contact.id).where(Contact.client_id == client_id, Contact.phone_e164 == phone)
    if exclude_id is not None:
        stmt = stmt.where(Contact.id != exclude_id)
    return db.session.scalar(stmt) is not None


def _bsuid(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return normalize_bsuid(text)
    except InvalidBsuid as exc:
        raise ContactError(exc.message, field="bsuid") from None


def _bsuid_taken(client_id: int, bsuid: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Contact.id).where(Contact.client_id == client_id, Contact.bsuid == bsuid)
    if exclude_id is not None:
        stmt = stmt.where(Contact.id != exclude_id)
    return db.session.scalar(stmt) is not None


def _username(raw: str | None) -> str | None:
    return (raw or "").strip()[:64] or None


def _identifiers(
    client_id: int, phone: str | None, bsuid: str | None, exclude_id: int | None = None
) -> tuple[str | None, str | None]:
    """(E.164, BSUID) of a form or body: at least one, each valid and free."""
    e164 = _phone(phone) if phone and phone.strip() else None
    clean_bsuid = _bsuid(bsuid)
    if e164 is None and clean_bsuid is None:
        raise ContactError(_("Informe o telefone ou o BSUID do contato."), field="phone")
    if e164 and _phone_taken(client_id, e164, exclude_id):
        raise ContactError(_("Já existe um contato com este telefone."), field="phone")
    if clean_bsuid and _bsuid_taken(client_id, clean_bsuid, exclude_id):
        raise ContactError(_("Já existe um contato com este BSUID."), field="bsuid")
    return e164, clean_bsuid


def create_contact(
    client_id: int,
    phone: str | None,
    name: str = "",
    attributes: dict | None = None,
    *,
    bsuid: str | None = None,
    username: str | None = None,
) -> Contact:
    """A contact by phone, by BSUID (a WhatsApp username user), or both."""
    e164, clean_bsuid = _identifiers(client_id, phone, bsuid)
    contact = Contact(
        client_id=client_id,
        phone_e164=e164,
        wa_id=e164.lstrip("+") if e164 else None,
        bsuid=clean_bsuid,
        username=_username(username),
        name=(name or "").strip()[:200],
        attributes=clean_attributes(attributes or {}),
    )
    db.session.add(contact)
    db.session.commit()
    return contact


_KEEP = object()


def update_contact(
    contact: Contact,
    *,
    phone: str | None,
    name: str,
    attributes: dict | None = None,
    bsuid: object = _KEEP,
    username: object = _KEEP,
) -> Contact:
    """Edit a contact; ``bsuid``/``username`` left out keep their values."""
    new_bsuid = contact.bsuid if bsuid is _KEEP else (str(bsuid) if bsuid else None)
    e164, clean_bsuid = _identifiers(contact.client_id, phone, new_bsuid, exclude_id=contact.id)
    if e164 != contact.phone_e164:
        contact.phone_e164 = e164
        contact.wa_id = e164.lstrip("+") if e164 else None
    contact.bsuid = clean_bsuid
    if username is not _KEEP:
        contact.username = _username(str(username) if username else None)
    contact.name = (name or "").strip()[:200]
    contact.attributes = clean_attributes(attributes or {})
    db.session.commit()
    return contact


def delete_contact(contact: Contact) -> None:
    """Erase the person's data (LGPD): messages, list memberships, labels, AI runs… and
    the contact row.

    The opt-out record, if any, is kept on purpose: it is what guarantees the number is
    never messaged again. Rows that reference the contact are handled as their foreign
    key says (CASCADE → deleted, SET NULL → cleared) explicitly, table by table, so
    SQLite without ``PRAGMA foreign_keys`` erases the same rows as PostgreSQL.
    """
    for table in reversed(db.metadata.sorted_tables):
        for fk in table.foreign_keys:
            if fk.column.table.name != "contacts" or table.name == "contacts":
                continue
            if (fk.ondelete or "").upper() == "CASCADE":
                db.session.execute(sa.delete(table).where(fk.parent == contact.id))
            elif (fk.ondelete or "").upper() == "SET NULL":
                db.session.execute(
                    sa.update(table).where(fk.parent == contact.id).values({fk.parent.name: None})
                )
    audit_record(Action.CONTACTS_DELETED, contact, client_id=contact.client_id, commit=False)
    db.session.execute(
        sa.delete(Contact).where(Contact.id == contact.id, Contact.client_id == contact.client_id)
    )
    db.session.commit()


def is_opted_out(client_id: int, phone: str | None, bsuid: str | None = None) -> bool:
    return optout.is_opted_out(client_id, phone, bsuid=bsuid)


def lists_of(contact: Contact) -> list[ContactList]:
    stmt = (
        sa.select(ContactList)
        .join(ContactListMember, ContactListMember.list_id == ContactList.id)
        .where(
            ContactListMember.contact_id == contact.id, ContactList.client_id == contact.client_id
        )
        .order_by(ContactList.name)
    )
    return list(db.session.scalars(stmt))


def recent_messages(contact: Contact, limit: int = 50) -> list[Message]:
    """The last ``limit`` messages, oldest first (as a conversation reads)."""
    stmt = (
        sa.select(Message)
        .where(Message.contact_id == contact.id, Message.client_id == contact.client_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list(db.session.scalars(stmt))))


def export_contact(contact: Contact) -> dict:
    """Everything we hold about the person (LGPD access request), JSON-serialisable."""

    def iso(value):
        return value.isoformat() if value is not None else None

    messages = db.session.scalars(
        sa.select(Message).where(Message.contact_id == contact.id).order_by(Message.id)
    )
    return {
        "contact": {
            "id": contact.id,
            "phone_e164": contact.phone_e164,
            "wa_id": contact.wa_id,
            "bsuid": contact.bsuid,
            "parent_bsuid": contact.parent_bsuid,
            "username": contact.username,
            "name": contact.name,
            "attributes": dict(contact.attributes or {}),
            "created_at": iso(contact.created_at),
            "updated_at": iso(contact.updated_at),
            "last_inbound_at": iso(contact.latest_inbound_at),
        },
        "conversations": [
            {
                "id": conv.id,
                "number_id": conv.number_id,
                "status": conv.status,
                "last_inbound_at": iso(conv.last_inbound_at),
                "last_message_at": iso(conv.last_message_at),
            }
            for conv in db.session.scalars(
                sa.select(Conversation)
                .where(Conversation.contact_id == contact.id)
                .order_by(Conversation.id)
            )
        ],
        "opted_out": is_opted_out(contact.client_id, contact.phone_e164, contact.bsuid),
        "lists": [lst.name for lst in lists_of(contact)],
        "messages": [
            {
                "id": m.id,
                "direction": m.direction,
                "author": m.author,
                "type": m.type,
                "body": m.body,
                "status": m.status,
                "created_at": iso(m.created_at),
            }
            for m in messages
        ],
    }


# --------------------------------------------------------------------------- search


@dataclass
class ContactFilters:
    q: str = ""
    list_id: int | None = None
    opted_out: bool | None = None
    has_conversation: bool | None = None


@dataclass
class ContactPage:
    items: list[Contact]
    next_cursor: int | None
    opted_out_phones: set[str]
    opted_out_ids: set[int] = field(default_factory=set)  # by phone or BSUID


def search_contacts(
    client_id: int, filters: ContactFilters, *, cursor: int | None = None, limit: int = PAGE_SIZE
) -> ContactPage:
    """One page of contacts, newest first; ``cursor`` is the last id of the previous page."""
    stmt = sa.select(Contact).where(Contact.client_id == client_id)
    q = (filters.q or "").strip()
    if q:
        digits = re.sub(r"\D", "", q)
        conditions = [folded_contains(Contact.name, q)]
        handle = q.lstrip("@").strip()
        if handle:  # a username is searched like a name (accents, case); "@ana" too
            conditions.append(folded_contains(Contact.username, handle))
        if "." in q and len(q) >= 4:  # a BSUID or its part
            conditions.append(Contact.bsuid.contains(q, autoescape=True))
        if len(digits) >= 3:
            conditions.append(Contact.phone_e164.like(f"%{digits}%"))
        stmt = stmt.where(sa.or_(*conditions))
    if filters.list_id is not None:
        stmt = stmt.where(
            sa.select(ContactListMember.contact_id)
            .where(
                ContactListMember.list_id == filters.list_id,
                ContactListMember.contact_id == Contact.id,
            )
            .exists()
        )
    if filters.opted_out is not None:
        exists = optout.opted_out_clause(client_id)
        stmt = stmt.where(exists if filters.opted_out else ~exists)
    if filters.has_conversation is not None:  # a message on any of the client's numbers
        talked = (
            sa.select(Conversation.id)
            .where(Conversation.contact_id == Contact.id, Conversation.last_message_at.is_not(None))
            .exists()
        )
        stmt = stmt.where(talked if filters.has_conversation else ~talked)
    if cursor is not None:
        stmt = stmt.where(Contact.id < cursor)
    stmt = stmt.options(sa.orm.undefer(Contact.latest_message_at))  # the list shows it
    rows = list(db.session.scalars(stmt.order_by(Contact.id.desc()).limit(limit + 1)))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    items = rows[:limit]
    return ContactPage(
        items,
        next_cursor,
        opted_out_among(client_id, [c.phone_e164 for c in items if c.phone_e164]),
        opted_out_contact_ids(client_id, items),
    )


def opted_out_among(client_id: int, phones: list[str]) -> set[str]:
    return optout.opted_out_phones(client_id, phones)


def search_opt_outs(
    client_id: int, q: str = "", *, cursor: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[OptOut], int | None]:
    """One page of the client's opt-outs (newest first), searched by phone digits."""
    stmt = sa.select(OptOut).where(OptOut.client_id == client_id)
    text = (q or "").strip()
    digits = re.sub(r"\D", "", text)
    if text:
        # By phone digits, by BSUID, or by the username of the opted-out contact.
        handle = text.lstrip("@").strip()
        by_user = sa.select(Contact.id).where(
            Contact.client_id == client_id,
            Contact.bsuid == OptOut.bsuid,
            folded_contains(Contact.username, handle),
        )
        conditions = [OptOut.bsuid.contains(text, autoescape=True)]
        if handle:
            conditions.append(by_user.exists())
        if digits:
            conditions.append(OptOut.phone_e164.like(f"%{digits}%"))
        stmt = stmt.where(sa.or_(*conditions))
    if cursor is not None:
        stmt = stmt.where(OptOut.id < cursor)
    rows = list(db.session.scalars(stmt.order_by(OptOut.id.desc()).limit(limit + 1)))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor
