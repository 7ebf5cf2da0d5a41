"""Contact lists (the audiences campaigns target): create, rename, delete, members."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db, rowcount
from clickpro.models import Contact, ContactList, ContactListMember
from clickpro.models.base import utcnow
from clickpro.services.contacts.phones import InvalidPhone, normalize_phone

PAGE_SIZE = 50

LIST_NAME_MAX = 120  # the column's length


class ListError(ServiceError, ValueError):
    """A list operation refused; the message is pt_BR and safe to show."""

    field = "name"


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ListError(_("Informe o nome da lista."))
    if len(name) > LIST_NAME_MAX:
        raise ListError(
            _("Nome da lista longo demais (máximo %(max)s caracteres).", max=LIST_NAME_MAX)
        )
    return name


def _name_taken(client_id: int, name: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(ContactList.id).where(
        ContactList.client_id == client_id, ContactList.name == name
    )
    if exclude_id is not None:
        stmt = stmt.where(ContactList.id != exclude_id)
    return db.session.scalar(stmt) is not None


def create_list(
    client_id: int, name: str, description: str = "", *, commit: bool = True
) -> ContactList:
    name = _clean_name(name)
    if _name_taken(client_id, name):
        raise ListError(_("Já existe uma lista com este nome."))
    contact_list = ContactList(
        client_id=client_id, name=name, description=(description or "")[:500]
    )
    db.session.add(contact_list)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return contact_list


def get_or_create_list(client_id: int, name: str) -> ContactList:
    name = _clean_name(name)
    existing = db.session.scalar(
        sa.select(ContactList).where(ContactList.client_id == client_id, ContactList.name == name)
    )
    return existing or create_list(client_id, name, commit=False)


def unique_list_name(client_id: int, base: str) -> str:
    """``base``, or ``base (2)``, ``base (3)``… whichever is free."""
    base = _clean_name(base[:110])
    name, n = base, 1
    while _name_taken(client_id, name):
        n += 1
        name = f"{base} ({n})"
    return name


def rename_list(contact_list: ContactList, name: str) -> ContactList:
    name = _clean_name(name)
    if _name_taken(contact_list.client_id, name, exclude_id=contact_list.id):
        raise ListError(_("Já existe uma lista com este nome."))
    contact_list.name = name
    db.session.commit()
    return contact_list


def delete_list(contact_list: ContactList) -> None:
    """Delete the list and its memberships; the contacts themselves stay."""
    db.session.execute(
        sa.delete(ContactListMember).where(ContactListMember.list_id == contact_list.id)
    )
    db.session.delete(contact_list)
    db.session.commit()


def lists_with_counts(client_id: int) -> list[tuple[ContactList, int]]:
    counts = (
        sa.select(ContactListMember.list_id, sa.func.count().label("n"))
        .join(ContactList, ContactList.id == ContactListMember.list_id)
        .where(ContactList.client_id == client_id)
        .group_by(ContactListMember.list_id)
        .subquery()
    )
    stmt = (
        sa.select(ContactList, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.list_id == ContactList.id)
        .where(ContactList.client_id == client_id)
        .order_by(ContactList.name)
    )
    return [(row[0], row[1]) for row in db.session.execute(stmt)]


def all_lists(client_id: int) -> list[ContactList]:
    stmt = (
        sa.select(ContactList).where(ContactList.client_id == client_id).order_by(ContactList.name)
    )
    return list(db.session.scalars(stmt))


@dataclass
class MemberPage:
    items: list[Contact]
    next_cursor: int | None


def list_members(
    contact_list: ContactList, *, cursor: int | None = None, limit: int = PAGE_SIZE
) -> MemberPage:
    """Members newest contact first, keyset-paged by contact id."""
    stmt = (
        sa.select(Contact)
        .join(ContactListMember, ContactListMember.contact_id == Contact.id)
        .where(
            ContactListMember.list_id == contact_list.id,
            Contact.client_id == contact_list.client_id,
        )
    )
    if cursor is not None:
        stmt = stmt.where(Contact.id < cursor)
    rows = list(db.session.scalars(stmt.order_by(Contact.id.desc()).limit(limit + 1)))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return MemberPage(rows[:limit], next_cursor)


def add_contacts(contact_list: ContactList, contact_ids: list[int]) -> int:
    """Add the client's contacts among ``contact_ids``; returns how many were new members."""
    if not contact_ids:
        return 0
    owned = list(
        db.session.scalars(
            sa.select(Contact.id).where(
                Contact.client_id == contact_list.client_id, Contact.id.in_(contact_ids)
            )
        )
    )
    existing = set(
        db.session.scalars(
            sa.select(ContactListMember.contact_id).where(
                ContactListMember.list_id == contact_list.id,
                ContactListMember.contact_id.in_(owned),
            )
        )
    )
    now = utcnow()
    new = [cid for cid in owned if cid not in existing]
    for cid in new:
        db.session.add(ContactListMember(list_id=contact_list.id, contact_id=cid, created_at=now))
    db.session.commit()
    return len(new)


def add_phones(contact_list: ContactList, phones: list[str]) -> tuple[int, list[str]]:
    """Add existing contacts by phone (E.164 after normalising); returns (added, not found)."""
    wanted: dict[str, str] = {}
    missing: list[str] = []
    for raw in phones:
        raw = raw.strip()
        if not raw:
            continue
        try:
            wanted[normalize_phone(raw, "BR")] = raw
        except InvalidPhone:
            missing.append(raw)
    found = dict(
        db.session.execute(
            sa.select(Contact.phone_e164, Contact.id).where(
                Contact.client_id == contact_list.client_id, Contact.phone_e164.in_(list(wanted))
            )
        ).all()
    )
    missing.extend(raw for e164, raw in wanted.items() if e164 not in found)
    return add_contacts(contact_list, list(found.values())), missing


def remove_contact(contact_list: ContactList, contact_id: int) -> bool:
    result = db.session.execute(
        sa.delete(ContactListMember).where(
            ContactListMember.list_id == contact_list.id,
            ContactListMember.contact_id == contact_id,
        )
    )
    db.session.commit()
    return bool(rowcount(result))
