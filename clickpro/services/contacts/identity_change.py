"""A WhatsApp user changed phone number (and so got a new BSUID): move the identity.

Meta says it two ways, both handled (reference §1, "When a user changes phone number"):

* a ``messages`` webhook with ``type: "system"`` and ``system.type`` =
  ``user_changed_user_id`` (``system.user_id`` = new BSUID, ``system.parent_user_id``,
  ``system.wa_id`` = new phone, maybe absent) or the older ``user_changed_number``
  (``system.wa_id`` / ``system.new_wa_id`` = new phone); the sender fields name the
  user as we knew them;
* the ``user_id_update`` field: ``value.user_id_update[]`` entries
  ``{wa_id?, user_id: {previous, current}, parent_user_id?: {previous, current}}``.

Moving: the old BSUID identity gets ``replaced_at`` (a late webhook with it still finds
the person), the new one is attached and becomes ``contacts.bsuid``; a new phone replaces
the contact's. If the new BSUID or the new phone already belongs to another contact (the
user wrote from the new identity before Meta's notice arrived), the two are merged. When
something actually moved, a system note says so in the conversation thread; a second
notice of the same change (both shapes arrive) changes nothing and adds no note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import (
    Author,
    Contact,
    ContactIdentity,
    Direction,
    IdentityKind,
    Message,
    MessageStatus,
    WhatsAppCredential,
)
from clickpro.models.base import utcnow
from clickpro.services.contacts.identity import webhook_bsuid, webhook_wa_id
from clickpro.services.contacts.merge import merge_contacts, older_first
from clickpro.services.contacts.phones import InvalidPhone, brazil_variants, wa_id_to_e164
from clickpro.services.conversations import get_or_create_conversation
from clickpro.services.webhook.sql import insert_ignoring

IDENTITY_SYSTEM_TYPES = ("user_changed_user_id", "user_changed_number")
_contacts = Contact.__table__
_identities = ContactIdentity.__table__
_messages = Message.__table__


@dataclass
class Moved:
    """What a change notice actually changed (empty: it was already applied)."""

    contact_id: int
    old_bsuid: str | None = None
    new_bsuid: str | None = None
    old_phone: str | None = None
    new_phone: str | None = None
    merged: list[int] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.new_bsuid or self.new_phone or self.merged)


def _text(value: Any, field: str = "user_id") -> str | None:
    """A BSUID of the notice (never truncated; not in Meta's format: absent, logged)."""
    return webhook_bsuid(value, field)


# --------------------------------------------------------------------------- entry points
def apply_system_message(
    client_id: int, number_id: int, waba_id: str, contact_id: int, msg: dict
) -> Moved:
    """A ``user_changed_user_id`` / ``user_changed_number`` system message of the sender
    ``contact_id`` (already resolved by its old identifiers)."""
    system = msg.get("system") if isinstance(msg.get("system"), dict) else {}
    assert isinstance(system, dict)
    moved = change_identity(
        client_id,
        waba_id,
        contact_id,
        old_bsuid=_text(msg.get("from_user_id")),
        new_bsuid=_text(system.get("user_id")),
        new_parent=_text(system.get("parent_user_id"), "parent_user_id"),
        new_wa_id=webhook_wa_id(system.get("wa_id") or system.get("new_wa_id")),
    )
    if moved.anything:
        conversation = get_or_create_conversation(client_id, moved.contact_id, number_id)
        add_system_note(
            client_id, moved.contact_id, number_id, conversation.id, _note(moved), msg.get("id")
        )
    return moved


def apply_user_id_update(
    client_id: int, waba_id: str, item: dict, *, number_id: int | None = None
) -> bool:
    """One ``user_id_update[]`` entry; True when it moved something."""
    ids = item.get("user_id") if isinstance(item.get("user_id"), dict) else {}
    parents = item.get("parent_user_id") if isinstance(item.get("parent_user_id"), dict) else {}
    assert isinstance(ids, dict) and isinstance(parents, dict)
    previous, current = _text(ids.get("previous")), _text(ids.get("current"))
    contact_id = _known_by_bsuid(client_id, waba_id, previous) or _known_by_bsuid(
        client_id, waba_id, current
    )
    if contact_id is None:
        return False  # nobody we know: the next message creates them with the new id
    moved = change_identity(
        client_id,
        waba_id,
        contact_id,
        old_bsuid=previous,
        new_bsuid=current,
        new_parent=_text(parents.get("current"), "parent_user_id"),
        new_wa_id=webhook_wa_id(item.get("wa_id")),
    )
    if not moved.anything:
        return False
    for conv_number, conv_id in _conversations_on_waba(client_id, moved.contact_id, waba_id):
        if number_id is None or conv_number == number_id:
            add_system_note(client_id, moved.contact_id, conv_number, conv_id, _note(moved))
    return True


# --------------------------------------------------------------------------- the move
def change_identity(
    client_id: int,
    waba_id: str,
    contact_id: int,
    *,
    old_bsuid: str | None,
    new_bsuid: str | None,
    new_parent: str | None = None,
    new_wa_id: str | None = None,
) -> Moved:
    """Move ``contact_id`` to its new BSUID and/or phone (idempotent, no commit)."""
    moved = Moved(contact_id)
    if new_bsuid and new_bsuid != old_bsuid:
        _move_bsuid(client_id, waba_id, moved, old_bsuid, new_bsuid)
    if new_parent:
        _set_parent(client_id, moved.contact_id, new_parent)
    if new_wa_id:
        _move_phone(client_id, waba_id, moved, new_wa_id)
    return moved


def _move_bsuid(client_id: int, waba_id: str, moved: Moved, old: str | None, new: str) -> None:
    i = _identities.c
    owner = _known_by_bsuid(client_id, waba_id, new, live_only=False)
    if owner is not None and owner != moved.contact_id:
        moved.merged.append(_merge(client_id, moved, owner, "bsuid_change"))
    elif owner is None:
        db.session.execute(
            insert_ignoring(_identities, "client_id", "kind", "waba_id", "value").values(
                client_id=client_id,
                contact_id=moved.contact_id,
                kind=IdentityKind.BSUID,
                waba_id=waba_id,
                value=new,
                created_at=utcnow(),
            )
        )
    retire = sa.and_(
        i.client_id == client_id,
        i.contact_id == moved.contact_id,
        i.kind == IdentityKind.BSUID,
        i.waba_id == waba_id,
        i.value != new,
        i.replaced_at.is_(None),
    )
    if old:
        retire = sa.and_(retire, i.value == old)
    result = db.session.execute(
        sa.update(_identities).where(retire).values(replaced_at=utcnow()).returning(i.value)
    )
    retired = [str(v) for v in result.scalars()]
    current = _contact(moved.contact_id)
    taken = db.session.execute(
        sa.select(_contacts.c.id).where(
            _contacts.c.client_id == client_id,
            _contacts.c.bsuid == new,
            _contacts.c.id != moved.contact_id,
        )
    ).first()
    # contacts.bsuid follows a change of its own portfolio's BSUID only (it is the
    # contact's first BSUID and never flips to another portfolio's: identity.py).
    own = current.bsuid is None or current.bsuid == old or current.bsuid in retired
    if current.bsuid != new and taken is None and own:
        db.session.execute(
            sa.update(_contacts)
            .where(_contacts.c.id == moved.contact_id)
            .values(bsuid=new, updated_at=utcnow())
        )
    if retired or owner is None or moved.merged:
        moved.old_bsuid = old or (retired[0] if retired else current.bsuid)
        moved.new_bsuid = new


def _set_parent(client_id: int, contact_id: int, parent: str) -> None:
    db.session.execute(
        sa.update(_contacts)
        .where(_contacts.c.id == contact_id, _contacts.c.parent_bsuid.is_distinct_from(parent))
        .values(parent_bsuid=parent, updated_at=utcnow())
    )
    db.session.execute(
        insert_ignoring(_identities, "client_id", "kind", "waba_id", "value").values(
            client_id=client_id,
            contact_id=contact_id,
            kind=IdentityKind.PARENT_BSUID,
            waba_id="",
            value=parent,
            created_at=utcnow(),
        )
    )


def _move_phone(client_id: int, waba_id: str, moved: Moved, wa_id: str) -> None:
    try:
        e164 = wa_id_to_e164(wa_id)
    except InvalidPhone:
        return  # Meta's new number is unreadable: keep the old one rather than guess
    variants = brazil_variants(e164)
    current = _contact(moved.contact_id)
    if current.phone_e164 in variants:
        return
    c = _contacts.c
    holder = db.session.execute(
        sa.select(c.id).where(
            c.client_id == client_id,
            c.id != moved.contact_id,
            sa.or_(c.phone_e164.in_(variants), c.wa_id == wa_id),
        )
    ).scalar()
    old_phone = current.phone_e164
    if holder is not None:
        moved.merged.append(_merge(client_id, moved, int(holder), "phone_change"))
        if _contact(moved.contact_id).phone_e164 in variants:  # the kept one had the new
            moved.old_phone, moved.new_phone = old_phone, e164
            return
    db.session.execute(
        sa.update(_contacts)
        .where(c.id == moved.contact_id)
        .values(phone_e164=e164, wa_id=wa_id, updated_at=utcnow())
    )
    moved.old_phone, moved.new_phone = old_phone, e164


def _merge(client_id: int, moved: Moved, other: int, reason: str) -> int:
    """Merge ``moved.contact_id`` and ``other`` (the older is kept); returns the gone one."""
    rows = db.session.execute(
        sa.select(_contacts.c.id, _contacts.c.created_at).where(
            _contacts.c.id.in_((moved.contact_id, other))
        )
    ).all()
    kept, gone = (r.id for r in sorted(rows, key=older_first))
    merge_contacts(client_id, kept, gone, reason=reason)
    moved.contact_id = kept
    return int(gone)


# --------------------------------------------------------------------------- lookups
def _contact(contact_id: int):
    c = _contacts.c
    return db.session.execute(
        sa.select(c.id, c.phone_e164, c.bsuid).where(c.id == contact_id)
    ).one()


def _known_by_bsuid(
    client_id: int, waba_id: str, bsuid: str | None, *, live_only: bool = False
) -> int | None:
    """The contact of ``bsuid`` on ``waba_id`` (identity row, else ``contacts.bsuid``)."""
    if not bsuid:
        return None
    i = _identities.c
    stmt = sa.select(i.contact_id).where(
        i.client_id == client_id,
        i.kind == IdentityKind.BSUID,
        i.waba_id == waba_id,
        i.value == bsuid,
    )
    if live_only:
        stmt = stmt.where(i.replaced_at.is_(None))
    found = db.session.execute(stmt.limit(1)).scalar()
    if found is not None:
        return int(found)
    return _imported_bsuid(client_id, waba_id, bsuid)


def _imported_bsuid(client_id: int, waba_id: str, bsuid: str) -> int | None:
    """A contact holding ``bsuid`` with no identity row for it here (import, API)."""
    c = _contacts.c
    found = db.session.execute(
        sa.select(c.id).where(c.client_id == client_id, c.bsuid == bsuid).limit(1)
    ).scalar()
    if found is None:
        return None
    # Known on another WABA only: another portfolio's person (see identity.py).
    i = _identities.c
    elsewhere = db.session.execute(
        sa.select(i.id)
        .where(i.contact_id == found, i.value == bsuid, i.waba_id != waba_id)
        .limit(1)
    ).first()
    return None if elsewhere else int(found)


def _conversations_on_waba(client_id: int, contact_id: int, waba_id: str) -> list[tuple[int, int]]:
    from clickpro.models import Conversation

    cv = Conversation.__table__.c
    n = WhatsAppCredential.__table__.c
    rows = db.session.execute(
        sa.select(cv.number_id, cv.id)
        .join(WhatsAppCredential.__table__, n.id == cv.number_id)
        .where(cv.client_id == client_id, cv.contact_id == contact_id, n.waba_id == waba_id)
        .order_by(cv.id)
    ).all()
    return [(int(r.number_id), int(r.id)) for r in rows]


# --------------------------------------------------------------------------- the note
def _note(moved: Moved) -> str:
    parts: list[str] = []
    if moved.new_phone:
        parts.append(
            _(
                "O cliente mudou de número no WhatsApp: %(old)s → %(new)s.",
                old=moved.old_phone or _("(sem número)"),
                new=moved.new_phone,
            )
        )
    if moved.new_bsuid:
        parts.append(
            _(
                "O identificador do cliente no WhatsApp (BSUID) mudou: %(old)s → %(new)s.",
                old=moved.old_bsuid or "—",
                new=moved.new_bsuid,
            )
        )
    if moved.merged:
        parts.append(_("Os contatos duplicados desta pessoa foram unidos em um só."))
    return " ".join(parts)


def add_system_note(
    client_id: int,
    contact_id: int,
    number_id: int,
    conversation_id: int,
    body: str,
    wamid: object = None,
) -> int | None:
    """A note of the system in the thread (never sent; ``wamid`` dedupes redeliveries)."""
    stmt = insert_ignoring(_messages, "wamid").values(
        client_id=client_id,
        contact_id=contact_id,
        number_id=number_id,
        conversation_id=conversation_id,
        direction=Direction.OUT,
        author=Author.SYSTEM,
        type="note",
        body=body,
        payload={"system_note": "identity_change"},
        wamid=str(wamid)[:128] if wamid else None,
        is_internal_note=True,
        status=MessageStatus.SKIPPED,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    return db.session.execute(stmt.returning(_messages.c.id)).scalar()
