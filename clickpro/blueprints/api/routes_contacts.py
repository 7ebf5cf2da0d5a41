"""/api/v1 contacts and lists: thin views over ``services.contacts`` / ``contact_lists``."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.blueprints.api.auth import ApiError, Caller
from clickpro.blueprints.api.registry import int_cursor, not_found, operation
from clickpro.blueprints.api.schemas import (
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    ContactQuery,
    Deleted,
    ListIn,
    ListMembersIn,
    ListMembersResult,
    ListOut,
    ListPage,
    ListPatch,
    PageQuery,
)
from clickpro.extensions import db
from clickpro.models import Contact, ContactList, ContactListMember
from clickpro.schemas import contact_shape, contact_shapes
from clickpro.services.contacts import lists as contact_lists
from clickpro.services.contacts import service as contacts
from clickpro.services.contacts.phones import normalize_phone
from clickpro.tenancy import get_owned

T = "contacts"
TL = "lists"


def contact_out(contact: Contact, opted_out: bool | None = None) -> ContactOut:
    """The shared contact shape (``clickpro.schemas``)."""
    return contact_shape(contact, opted_out)


def _owned_contact(caller: Caller, contact_id: int) -> Contact:
    contact = get_owned(Contact, contact_id, caller.client_id)
    if contact is None:
        raise not_found(_("Contato"))
    return contact


def _attributes(values: dict | None) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in (values or {}).items()}


def find_by_phone(client_id: int, raw_phone: str) -> Contact | None:
    e164 = normalize_phone(raw_phone, "BR")  # InvalidPhone: 422 {"phone": [...]}
    return db.session.scalar(
        sa.select(Contact).where(Contact.client_id == client_id, Contact.phone_e164 == e164)
    )


def find_by_bsuid(client_id: int, bsuid: str) -> Contact | None:
    """``bsuid`` was checked by the body's schema (Meta's format)."""
    return db.session.scalar(
        sa.select(Contact).where(Contact.client_id == client_id, Contact.bsuid == bsuid)
    )


def find_contact(client_id: int, phone: str | None, bsuid: str | None) -> Contact | None:
    """By phone first (Meta's preferred address), then by BSUID."""
    found = find_by_phone(client_id, phone) if phone else None
    if found is None and bsuid:
        found = find_by_bsuid(client_id, bsuid)
    return found


@operation("/contacts", "GET", summary="List contacts (cursor pagination, q search)", tag=T,
           query=ContactQuery, response=ContactPage, errors=(422,))  # fmt: skip
def list_contacts(caller: Caller, query: ContactQuery):
    filters = contacts.ContactFilters(q=query.q, list_id=query.list_id)
    page = contacts.search_contacts(
        caller.client_id, filters, cursor=int_cursor(query.cursor), limit=query.limit
    )
    return ContactPage(
        data=contact_shapes(page.items, page.opted_out_ids),
        next_cursor=str(page.next_cursor) if page.next_cursor else None,
    )


@operation("/contacts", "POST", summary="Create a contact, or update it (upsert by phone or BSUID)",
           tag=T, body=ContactIn, response=ContactOut, status=201, errors=(400, 409, 415, 422),
           idempotent=True, extra_statuses={200: ContactOut})  # fmt: skip
def upsert_contact(caller: Caller, body: ContactIn):
    """201 when the contact is new, 200 when a contact with that phone (or, without a
    phone match, that BSUID) was updated; a known contact gains the other identifier."""
    existing = find_contact(caller.client_id, body.phone, body.bsuid)
    try:
        if existing is None:
            contact = contacts.create_contact(
                caller.client_id, body.phone, body.name or "", _attributes(body.attributes),
                bsuid=body.bsuid, username=body.username,
            )  # fmt: skip
            return contact_out(contact), 201
        merged = {**(existing.attributes or {}), **_attributes(body.attributes)}
        name = existing.name if body.name is None else body.name
        contact = contacts.update_contact(
            existing,
            phone=existing.phone_e164 or body.phone,
            name=name,
            attributes=merged,
            bsuid=existing.bsuid or body.bsuid,
            username=body.username if body.username is not None else existing.username,
        )
        return contact_out(contact), 200
    except contacts.ContactError:
        db.session.rollback()
        raise


@operation("/contacts/<int:contact_id>", "GET", summary="Get a contact", tag=T,
           response=ContactOut, errors=(404,))  # fmt: skip
def get_contact(caller: Caller, contact_id: int):
    return contact_out(_owned_contact(caller, contact_id))


@operation("/contacts/<int:contact_id>", "PATCH", summary="Update a contact", tag=T,
           body=ContactPatch, response=ContactOut, errors=(400, 404, 415, 422))  # fmt: skip
def patch_contact(caller: Caller, contact_id: int, body: ContactPatch):
    contact = _owned_contact(caller, contact_id)
    attributes = contact.attributes if body.attributes is None else _attributes(body.attributes)
    sent = body.model_fields_set  # an explicit null removes a phone/BSUID/username
    try:
        contact = contacts.update_contact(
            contact,
            phone=body.phone if "phone" in sent else contact.phone_e164,
            name=body.name if body.name is not None else contact.name,
            attributes=attributes,
            bsuid=body.bsuid if "bsuid" in sent else contact.bsuid,
            username=body.username if "username" in sent else contact.username,
        )
    except contacts.ContactError:
        db.session.rollback()
        raise
    return contact_out(contact)


@operation("/contacts/<int:contact_id>", "DELETE", summary="Delete a contact and its data (LGPD)",
           tag=T, response=Deleted, errors=(404,))  # fmt: skip
def delete_contact(caller: Caller, contact_id: int):
    contact = _owned_contact(caller, contact_id)
    contacts.delete_contact(contact)
    return Deleted(id=contact_id)


# --------------------------------------------------------------------------- lists


def _owned_list(caller: Caller, list_id: int) -> ContactList:
    found = get_owned(ContactList, list_id, caller.client_id)
    if found is None:
        raise not_found(message=_("Lista não encontrada."))
    return found


def _count(list_id: int) -> int:
    count = sa.select(sa.func.count()).where(ContactListMember.list_id == list_id)
    return db.session.scalar(count) or 0


def list_out(row: ContactList, count: int | None = None) -> ListOut:
    return ListOut(
        id=row.id,
        name=row.name,
        description=row.description or "",
        contacts_count=_count(row.id) if count is None else count,
        created_at=row.created_at,
    )


@operation("/lists", "GET", summary="List contact lists", tag=TL, query=PageQuery,
           response=ListPage, errors=(422,))  # fmt: skip
def list_lists(caller: Caller, query: PageQuery):
    cursor = int_cursor(query.cursor)
    rows = sorted(contact_lists.lists_with_counts(caller.client_id), key=lambda r: -r[0].id)
    if cursor is not None:
        rows = [r for r in rows if r[0].id < cursor]
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return ListPage(
        data=[list_out(row, n) for row, n in page],
        next_cursor=str(page[-1][0].id) if more and page else None,
    )


@operation("/lists", "POST", summary="Create a contact list", tag=TL, body=ListIn,
           response=ListOut, status=201, errors=(400, 409, 415, 422), idempotent=True)  # fmt: skip
def create_list(caller: Caller, body: ListIn):
    try:
        row = contact_lists.create_list(caller.client_id, body.name, body.description)
    except contact_lists.ListError:
        db.session.rollback()
        raise
    return list_out(row, 0), 201


@operation("/lists/<int:list_id>", "GET", summary="Get a contact list", tag=TL,
           response=ListOut, errors=(404,))  # fmt: skip
def get_list(caller: Caller, list_id: int):
    return list_out(_owned_list(caller, list_id))


@operation("/lists/<int:list_id>", "PATCH", summary="Rename or describe a list", tag=TL,
           body=ListPatch, response=ListOut, errors=(400, 404, 415, 422))  # fmt: skip
def patch_list(caller: Caller, list_id: int, body: ListPatch):
    row = _owned_list(caller, list_id)
    try:
        if body.name is not None:
            row = contact_lists.rename_list(row, body.name)
        if body.description is not None:
            row.description = body.description[:500]
            db.session.commit()
    except contact_lists.ListError:
        db.session.rollback()
        raise
    return list_out(row)


@operation("/lists/<int:list_id>", "DELETE", summary="Delete a list (its contacts stay)",
           tag=TL, response=Deleted, errors=(404,))  # fmt: skip
def delete_list(caller: Caller, list_id: int):
    contact_lists.delete_list(_owned_list(caller, list_id))
    return Deleted(id=list_id)


@operation("/lists/<int:list_id>/contacts", "GET", summary="Contacts of a list", tag=TL,
           query=PageQuery, response=ContactPage, errors=(404, 422))  # fmt: skip
def list_members(caller: Caller, list_id: int, query: PageQuery):
    row = _owned_list(caller, list_id)
    page = contact_lists.list_members(row, cursor=int_cursor(query.cursor), limit=query.limit)
    return ContactPage(
        data=contact_shapes(page.items),
        next_cursor=str(page.next_cursor) if page.next_cursor else None,
    )


@operation("/lists/<int:list_id>/contacts", "POST", summary="Add contacts (by id or phone)",
           tag=TL, body=ListMembersIn, response=ListMembersResult,
           errors=(400, 404, 415, 422))  # fmt: skip
def add_members(caller: Caller, list_id: int, body: ListMembersIn):
    row = _owned_list(caller, list_id)
    added = contact_lists.add_contacts(row, body.contact_ids)
    missing: list[str] = []
    if body.phones:
        more, missing = contact_lists.add_phones(row, body.phones)
        added += more
    return ListMembersResult(list_id=row.id, added=added, not_found=missing)


@operation("/lists/<int:list_id>/contacts", "DELETE", summary="Remove contacts from a list",
           tag=TL, body=ListMembersIn, response=ListMembersResult,
           errors=(400, 404, 415, 422))  # fmt: skip
def remove_members(caller: Caller, list_id: int, body: ListMembersIn):
    row = _owned_list(caller, list_id)
    ids = list(body.contact_ids)
    missing: list[str] = []
    for phone in body.phones:
        try:
            found = find_by_phone(caller.client_id, phone)
        except ApiError:
            found = None
        if found is None:
            missing.append(phone)
        else:
            ids.append(found.id)
    removed = sum(1 for cid in dict.fromkeys(ids) if contact_lists.remove_contact(row, cid))
    return ListMembersResult(list_id=row.id, removed=removed, not_found=missing)
