"""Who wrote: the contact of a webhook's phone number and/or business-scoped user id.

Meta identifies a WhatsApp user by phone (``wa_id``), by a business-scoped user id
(BSUID, ``user_id``: one per business portfolio and user), or both. A username user may
reach us with the BSUID alone. Rules:

* A BSUID is looked up in ``contact_identities`` within the portfolio scope it was seen
  on (the WABA of the number that received it): the same value on two WABAs of one client
  is two identities and never links two people by itself. ``contacts.bsuid`` holds the
  latest BSUID; a contact that has one but no identity row yet (created by import or the
  API) is matched by it unless that BSUID is already known on another WABA.
* A phone is matched in either Brazilian form (8/9 digits), as before.
* A webhook carrying both links them: the contact found by one gets the other; when two
  contacts were found (one by phone, one by BSUID) they are merged
  (:mod:`clickpro.services.contacts.merge`), keeping the older.

Race safety (PostgreSQL, several webhook workers): new contacts and identities are
inserted with ``ON CONFLICT DO NOTHING`` — the unique indexes make a second writer wait
for the first and then see its row — and the resolution is simply run again; writes that
could still collide (setting a phone or a BSUID on an existing row, merges) run in a
savepoint and are retried on a conflict. Core SQL only, like the rest of the webhook
path: no ORM objects are loaded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, IntegrityError

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import Contact, ContactIdentity, IdentityKind
from clickpro.models.base import utcnow
from clickpro.services.contacts.bsuids import is_bsuid
from clickpro.services.contacts.merge import MergeSkipped, merge_contacts, older_first
from clickpro.services.contacts.phones import InvalidPhone, brazil_variants, wa_id_to_e164
from clickpro.services.webhook.sql import insert_ignoring

log = logging.getLogger(__name__)
_contacts = Contact.__table__
_identities = ContactIdentity.__table__

USERNAME_MAX = 64
ATTEMPTS = 6


class IdentityError(ServiceError):
    """The identifiers of a webhook cannot be resolved to one contact."""

    code = "identity_unresolved"


def _clean(value: object, limit: int) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text[:limit] or None


def webhook_bsuid(value: object, field: str = "user_id") -> str | None:
    """A BSUID a webhook names, or None when it is absent or not in Meta's format.

    Never truncated: a cut identifier could be another person's (two long ids with the
    same first characters would become one contact). A value that does not match the
    format (:mod:`clickpro.services.contacts.bsuids`, over-long included) is treated as
    absent and logged: the message is then stored by its phone, or counted as malformed
    when it has none.
    """
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not is_bsuid(text):
        log.warning("identity: %s %r is not a BSUID: ignored", field, text[:200])
        return None
    return text


def webhook_wa_id(value: object) -> str | None:
    """A phone (``wa_id``) as the webhook gives it; an over-long one is kept whole so
    that reading it fails (it is then ignored like any unreadable ``wa_id``)."""
    text = str(value).strip() if value is not None else ""
    return text or None


@dataclass(frozen=True)
class Seen:
    """The customer's identifiers as one webhook shows them (each one optional).

    ``username`` is kept exactly as received (Meta sends it with and without ``@``).
    """

    wa_id: str | None = None
    bsuid: str | None = None
    parent_bsuid: str | None = None
    username: str | None = None
    name: str = ""

    @classmethod
    def of(cls, **fields: Any) -> Seen:
        return cls(
            wa_id=webhook_wa_id(fields.get("wa_id")),
            bsuid=webhook_bsuid(fields.get("bsuid")),
            parent_bsuid=webhook_bsuid(fields.get("parent_bsuid"), "parent_user_id"),
            username=_clean(fields.get("username"), USERNAME_MAX),
            name=str(fields.get("name") or "").strip()[:200],
        )

    @property
    def identifiable(self) -> bool:
        return bool(self.wa_id or self.bsuid)


@dataclass
class _Found:
    id: int
    phone_e164: str | None
    wa_id: str | None
    bsuid: str | None
    parent_bsuid: str | None
    username: str | None
    name: str
    created_at: datetime | None
    has_identity: bool = False  # the BSUID seen is already an identity row of this contact


class _Retry(Exception):
    """A concurrent writer changed what this resolution saw: run it again."""


# --------------------------------------------------------------------------- lookup
def _phone_forms(wa_id: str) -> tuple[str, list[str]]:
    try:
        e164 = wa_id_to_e164(wa_id)
    except InvalidPhone as exc:
        raise IdentityError(_("wa_id inválido: %(value)r", value=wa_id)) from exc
    return e164, brazil_variants(e164)


def _identity_owner(client_id: int, kind: str, waba_id: str, value: str) -> sa.Select:
    i = _identities.c
    return sa.select(i.contact_id).where(
        i.client_id == client_id, i.kind == kind, i.waba_id == waba_id, i.value == value
    )


def _bsuid_elsewhere(client_id: int, waba_id: str, value: str) -> sa.Exists:
    """The contact row's BSUID is known on another WABA (so it is another portfolio's)."""
    i = _identities.c
    return (
        sa.select(i.id)
        .where(
            i.client_id == client_id,
            i.contact_id == _contacts.c.id,
            i.kind == IdentityKind.BSUID,
            i.value == value,
            i.waba_id != waba_id,
        )
        .exists()
    )


def _lookup(
    client_id: int, waba_id: str, seen: Seen, variants: list[str]
) -> tuple[list[_Found], list[_Found]]:
    """(contacts matching the phone, canonical form first; the contact of the BSUID)."""
    c = _contacts.c
    by_phone: Any = sa.false()
    if seen.wa_id:
        by_phone = sa.or_(c.phone_e164.in_(variants), c.wa_id == seen.wa_id)
    by_bsuid: Any = sa.false()
    by_identity: Any = sa.false()
    if seen.bsuid:
        by_identity = c.id.in_(_identity_owner(client_id, IdentityKind.BSUID, waba_id, seen.bsuid))
        by_bsuid = sa.or_(
            by_identity,
            sa.and_(c.bsuid == seen.bsuid, ~_bsuid_elsewhere(client_id, waba_id, seen.bsuid)),
        )
    elif seen.parent_bsuid:  # a parent BSUID works across the enrolled portfolios
        by_bsuid = c.id.in_(
            _identity_owner(client_id, IdentityKind.PARENT_BSUID, "", seen.parent_bsuid)
        )
    stmt = (
        sa.select(
            c.id,
            c.phone_e164,
            c.wa_id,
            c.bsuid,
            c.parent_bsuid,
            c.username,
            c.name,
            c.created_at,
            by_phone.label("p"),
            by_bsuid.label("b"),
            by_identity.label("i"),
        )  # fmt: skip
        .where(c.client_id == client_id, sa.or_(by_phone, by_bsuid))
        .order_by(c.id)
    )
    phone: list[_Found] = []
    bsuid: list[_Found] = []
    canonical = variants[0] if variants else None
    for row in db.session.execute(stmt):
        found = _Found(*row[:8], has_identity=bool(row.i))
        if row.p:
            phone.append(found)
        if row.b:
            bsuid.append(found)
    phone.sort(key=lambda f: (f.phone_e164 != canonical, f.id))
    return phone, bsuid


# --------------------------------------------------------------------------- resolve
def resolve_contact(client_id: int, waba_id: str, seen: Seen, *, reason: str = "link") -> int:
    """The contact of ``seen`` (created if new, linked and merged as the module says)."""
    if not seen.identifiable:
        raise IdentityError(_("mensagem sem telefone nem BSUID"))
    try:
        e164, variants = _phone_forms(seen.wa_id) if seen.wa_id else (None, [])
    except IdentityError:
        if not seen.bsuid:
            raise
        log.warning("identity: unreadable wa_id %r ignored, BSUID %s used", seen.wa_id, seen.bsuid)
        seen = replace(seen, wa_id=None)
        e164, variants = None, []
    for _attempt in range(ATTEMPTS):
        try:
            return _resolve_once(client_id, waba_id or "", seen, e164, variants, reason)
        except _Retry:
            continue
    raise IdentityError(_("contato não resolvido após %(n)d tentativas", n=ATTEMPTS))


def _resolve_once(
    client_id: int, waba_id: str, seen: Seen, e164: str | None, variants: list[str], reason: str
) -> int:
    phone_rows, bsuid_rows = _lookup(client_id, waba_id, seen, variants)
    by_phone = phone_rows[0] if phone_rows else None
    by_bsuid = bsuid_rows[0] if bsuid_rows else None
    if by_phone is None and by_bsuid is None:
        return _create(client_id, waba_id, seen, e164)
    if by_phone is not None and by_bsuid is not None and by_phone.id != by_bsuid.id:
        kept, merged = sorted((by_phone, by_bsuid), key=older_first)
        _in_savepoint(lambda: merge_contacts(client_id, kept.id, merged.id, reason=reason))
        raise _Retry  # read the merged contact back
    found = by_phone or by_bsuid
    assert found is not None
    _update(client_id, waba_id, found, seen, e164, variants)
    return found.id


def _in_savepoint(work) -> None:
    """Run ``work`` in a savepoint; a unique conflict or deadlock means "look again"."""
    try:
        with db.session.begin_nested():
            work()
    except MergeSkipped as exc:
        raise _Retry from exc
    except IntegrityError as exc:
        log.info("identity: concurrent change, resolving again (%s)", type(exc.orig).__name__)
        raise _Retry from exc
    except DBAPIError as exc:  # deadlock / serialization between two merges
        if "deadlock" not in str(exc).lower() and "serializ" not in str(exc).lower():
            raise
        raise _Retry from exc


def _replaced(client_id: int, waba_id: str, bsuid: str) -> bool:
    i = _identities.c
    stmt = _identity_owner(client_id, IdentityKind.BSUID, waba_id, bsuid).where(
        i.replaced_at.is_not(None)
    )
    return db.session.execute(stmt.limit(1)).first() is not None


def _other_portfolios(client_id: int, waba_id: str, found: _Found) -> bool:
    """``found.bsuid`` is another portfolio's: then it stays ``contacts.bsuid``.

    ``contacts.bsuid`` is the contact's first BSUID (the portfolio it first wrote to,
    in practice the client's first number's) and does not flip on each inbound of a
    number of another WABA; the other portfolios' values live in ``contact_identities``
    and sends read them there (:func:`bsuid_for`). Within one portfolio (or over an
    imported, unscoped value) the newer BSUID replaces it.
    """
    if not found.bsuid:
        return False
    i = _identities.c
    stmt = sa.select(i.id).where(
        i.client_id == client_id,
        i.contact_id == found.id,
        i.kind == IdentityKind.BSUID,
        i.value == found.bsuid,
    )
    rows = {str(r.waba_id) for r in db.session.execute(stmt.add_columns(i.waba_id))}
    return bool(rows) and waba_id not in rows


def _free_bsuid(client_id: int, bsuid: str, own_id: int | None = None) -> bool:
    """No other contact of the client holds ``bsuid`` in ``contacts.bsuid``."""
    c = _contacts.c
    stmt = sa.select(c.id).where(c.client_id == client_id, c.bsuid == bsuid)
    if own_id is not None:
        stmt = stmt.where(c.id != own_id)
    return db.session.execute(stmt.limit(1)).first() is None


def _create(client_id: int, waba_id: str, seen: Seen, e164: str | None) -> int:
    bsuid = seen.bsuid if seen.bsuid and _free_bsuid(client_id, seen.bsuid) else None
    now = utcnow()
    new_id = db.session.execute(
        insert_ignoring(_contacts)  # any unique key: (client, phone) or (client, bsuid)
        .values(
            client_id=client_id,
            phone_e164=e164,
            wa_id=seen.wa_id,
            bsuid=bsuid,
            parent_bsuid=seen.parent_bsuid,
            username=seen.username,
            name=seen.name,
            attributes={},
            created_at=now,
            updated_at=now,
        )
        .returning(_contacts.c.id)
    ).scalar()
    if new_id is None:
        raise _Retry  # created concurrently: read it
    if not _add_identities(client_id, waba_id, new_id, seen):
        # Another worker attached this BSUID to its own new contact first.
        db.session.execute(sa.delete(_contacts).where(_contacts.c.id == new_id))
        raise _Retry
    return int(new_id)


def _add_identities(client_id: int, waba_id: str, contact_id: int, seen: Seen) -> bool:
    """Record the BSUID (and parent) on ``contact_id``; False if another contact has it."""
    wanted = []
    if seen.bsuid:
        wanted.append((IdentityKind.BSUID, waba_id, seen.bsuid))
    if seen.parent_bsuid:
        wanted.append((IdentityKind.PARENT_BSUID, "", seen.parent_bsuid))
    ok = True
    for kind, scope, value in wanted:
        db.session.execute(
            insert_ignoring(_identities, "client_id", "kind", "waba_id", "value").values(
                client_id=client_id,
                contact_id=contact_id,
                kind=kind,
                waba_id=scope,
                value=value,
                created_at=utcnow(),
            )
        )
        owner = db.session.execute(_identity_owner(client_id, kind, scope, value)).scalar()
        if owner != contact_id and kind == IdentityKind.BSUID:
            ok = False
    return ok


def _update(
    client_id: int, waba_id: str, found: _Found, seen: Seen, e164: str | None, variants: list[str]
) -> None:
    """Fill in what the webhook adds to the contact found; keys it changes are guarded.

    A contact found by its BSUID keeps a phone it already has (Meta gives a new BSUID
    when the number changes, so another phone here is not a change of number).
    """
    values: dict[str, Any] = {}
    keys: dict[str, Any] = {}
    same_phone = found.phone_e164 is None or found.phone_e164 in variants
    if seen.wa_id and found.wa_id != seen.wa_id and same_phone:
        values["wa_id"] = seen.wa_id  # as Meta sends it: what we must send to
    if e164 and found.phone_e164 is None:
        keys["phone_e164"] = e164
    if (
        seen.bsuid
        and found.bsuid != seen.bsuid
        and not _other_portfolios(client_id, waba_id, found)  # stable across portfolios
        and not _replaced(client_id, waba_id, seen.bsuid)  # a late webhook of an old id
        and _free_bsuid(client_id, seen.bsuid, found.id)
    ):
        keys["bsuid"] = seen.bsuid
    if seen.parent_bsuid and found.parent_bsuid != seen.parent_bsuid:
        values["parent_bsuid"] = seen.parent_bsuid
    if seen.username and found.username != seen.username:
        values["username"] = seen.username
    if seen.name and not (found.name or "").strip():
        values["name"] = seen.name  # a name the client typed is never replaced
    new_parent = bool(seen.parent_bsuid) and found.parent_bsuid != seen.parent_bsuid
    needs_identity = (seen.bsuid and not found.has_identity) or new_parent
    if needs_identity and not _add_identities(client_id, waba_id, found.id, seen):
        raise _Retry  # that BSUID went to another contact meanwhile: merge them
    if keys:
        stmt = sa.update(_contacts).where(_contacts.c.id == found.id)
        _in_savepoint(
            lambda: db.session.execute(stmt.values(**values, **keys, updated_at=utcnow()))
        )
    elif values:
        db.session.execute(
            sa.update(_contacts)
            .where(_contacts.c.id == found.id)
            .values(**values, updated_at=utcnow())
        )


# --------------------------------------------------------------------------- sending side
def bsuid_for(client_id: int, contact_id: int, waba_id: str | None) -> str | None:
    """The BSUID to address ``contact_id`` from a number of ``waba_id``, or None.

    A BSUID works only inside its portfolio (reference §1 "Format and scope"), so:

    1. the live identity seen on that WABA;
    2. else ``contacts.bsuid`` when it is not scoped (imported or added through the API,
       so no webhook ever tied it to a portfolio: the client vouches for it) — a value
       only known on another WABA is another portfolio's and is never used here;
    3. else the contact's parent BSUID, which works across the enrolled portfolios.
    """
    i = _identities.c
    if waba_id:
        value = db.session.execute(
            sa.select(i.value)
            .where(
                i.client_id == client_id,
                i.contact_id == contact_id,
                i.kind == IdentityKind.BSUID,
                i.waba_id == waba_id,
                i.replaced_at.is_(None),
            )
            .order_by(i.id.desc())
            .limit(1)
        ).scalar()
        if value:
            return str(value)
    c = _contacts.c
    row = db.session.execute(
        sa.select(c.bsuid, c.parent_bsuid).where(c.client_id == client_id, c.id == contact_id)
    ).first()
    if row is None:
        return None
    if row.bsuid:
        scoped = db.session.execute(
            sa.select(i.id)
            .where(
                i.client_id == client_id,
                i.kind == IdentityKind.BSUID,
                i.value == row.bsuid,
                i.waba_id != (waba_id or ""),
            )
            .limit(1)
        ).first()
        if scoped is None:
            return str(row.bsuid)
    return str(row.parent_bsuid) if row.parent_bsuid else None


def shown_bsuid(client_id: int, contact_id: int) -> str | None:
    """The BSUID to show for a contact whose ``contacts.bsuid`` is empty: its first live
    identity (a contact of a second portfolio whose value another contact already holds
    in the per-client unique ``contacts.bsuid``)."""
    i = _identities.c
    value = db.session.execute(
        sa.select(i.value)
        .where(
            i.client_id == client_id,
            i.contact_id == contact_id,
            i.kind == IdentityKind.BSUID,
            i.replaced_at.is_(None),
        )
        .order_by(i.id)
        .limit(1)
    ).scalar()
    return str(value) if value else None


def shown_bsuids(client_id: int, contact_ids: list[int]) -> dict[int, str]:
    """:func:`shown_bsuid` for many contacts in one query (a page of API shapes)."""
    if not contact_ids:
        return {}
    i = _identities.c
    rows = db.session.execute(
        sa.select(i.contact_id, i.value)
        .where(
            i.client_id == client_id,
            i.contact_id.in_(contact_ids),
            i.kind == IdentityKind.BSUID,
            i.replaced_at.is_(None),
        )
        .order_by(i.id.desc())  # the first identity wins (written last)
    ).all()
    return {int(r.contact_id): str(r.value) for r in rows}
