"""The contact shape (API ``/contacts``, the ``contact`` of outbound webhook events)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, Field

from clickpro.extensions import db
from clickpro.models import Contact, Conversation
from clickpro.schemas.loaders import opted_out_contact_ids
from clickpro.services.contacts.display import contact_label


class ContactOut(BaseModel):
    id: int
    phone: str | None = Field(
        description="E.164; null for a WhatsApp username user whose number is unknown "
        "(then bsuid is set). At least one of phone and bsuid is always set."
    )
    bsuid: str | None = Field(
        default=None, description="Business-scoped user id (e.g. BR.1502576394655843)."
    )
    parent_bsuid: str | None = Field(default=None, description="Parent BSUID (CC.ENT.…).")
    username: str | None = Field(
        default=None, description="WhatsApp username, stored as Meta sent it."
    )
    label: str = Field(
        default="", description="How the contact is shown: phone, @username or a short id."
    )
    name: str
    attributes: dict[str, str]
    opted_out: bool
    last_inbound_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _last_inbound(contacts: Sequence[Contact]) -> dict[int, datetime | None]:
    """Contact id → the customer's last message on any number (one query per page)."""
    stmt = (
        sa.select(Conversation.contact_id, sa.func.max(Conversation.last_inbound_at))
        .where(Conversation.contact_id.in_([c.id for c in contacts]))
        .group_by(Conversation.contact_id)
    )
    return dict(db.session.execute(stmt).tuples().all())


def _identity_bsuids(contacts: Sequence[Contact]) -> dict[int, str]:
    """The BSUID of contacts with neither a phone nor ``contacts.bsuid`` (a contact of a
    second portfolio: its value is only in contact_identities); one query, or none."""
    from clickpro.services.contacts.identity import shown_bsuids

    bare = [c.id for c in contacts if not c.phone_e164 and not c.bsuid]
    return shown_bsuids(contacts[0].client_id, bare) if bare else {}


def _shape(
    contact: Contact,
    opted_out: bool,
    last_inbound_at: datetime | None,
    identity_bsuid: str | None = None,
) -> ContactOut:
    bsuid = contact.bsuid or identity_bsuid or None
    shown = {"phone_e164": contact.phone_e164, "username": contact.username, "bsuid": bsuid}
    return ContactOut(
        id=contact.id,
        phone=contact.phone_e164 or None,
        bsuid=bsuid,
        parent_bsuid=contact.parent_bsuid or None,
        username=contact.username or None,
        label=contact_label(shown),
        name=contact.name or "",
        attributes={str(k): str(v) for k, v in (contact.attributes or {}).items()},
        opted_out=opted_out,
        last_inbound_at=last_inbound_at,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


def contact_shapes(
    contacts: Sequence[Contact], opted_out: set[int] | None = None
) -> list[ContactOut]:
    """Shapes for a page of one client's contacts (one opt-out query, or none if given).

    ``opted_out``: the ids of the opted-out contacts among them (by phone or BSUID).
    """
    if not contacts:
        return []
    if opted_out is None:
        opted_out = opted_out_contact_ids(contacts[0].client_id, contacts)
    inbound = _last_inbound(contacts)
    identities = _identity_bsuids(contacts)
    return [_shape(c, c.id in opted_out, inbound.get(c.id), identities.get(c.id)) for c in contacts]


def contact_shape(contact: Contact, opted_out: bool | None = None) -> ContactOut:
    if opted_out is None:
        return contact_shapes([contact])[0]
    identity = _identity_bsuids([contact]).get(contact.id)
    return _shape(contact, opted_out, _last_inbound([contact]).get(contact.id), identity)
