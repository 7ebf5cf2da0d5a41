"""Opt-outs: phones and BSUIDs of a client that must not receive promotional messages.

A username user whose phone we do not know is opted out by BSUID (``opt_outs.bsuid``);
when both are known the one row holds both.

Phones are stored in canonical E.164 (Brazilian mobiles with the 9th digit); every
check also matches the old 8-digit form, so an opt-out written either way holds.
Keyword matching (SAIR, PARAR…) lives here too, so the inbound plugin, the API and the
contacts page share one definition.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from clickpro.events import contact_opted_in, contact_opted_out, send_safely
from clickpro.extensions import db, rowcount
from clickpro.models import Client, Contact, OptOut, OptOutSource
from clickpro.models.base import utcnow
from clickpro.services.contacts.phones import brazil_variants

__all__ = [
    "DEFAULT_RESUBSCRIBE_KEYWORDS",
    "DEFAULT_STOP_KEYWORDS",
    "add_contact_opt_out",
    "add_opt_out",
    "canonical_phone",
    "is_contact_opted_out",
    "is_opted_out",
    "keyword_action",
    "normalize_keyword",
    "opted_out_clause",
    "opt_out_labels",
    "opted_out_phones",
    "remove_contact_opt_out",
    "remove_opt_out",
]

DEFAULT_STOP_KEYWORDS = (
    "SAIR",
    "PARAR",
    "CANCELAR",
    "STOP",
    "DESCADASTRAR",
    "PARE",
    "PARAR PROMOCOES",
    "PARAR PROMOCAO",
    "NAO QUERO MAIS",
    "REMOVER",
)
DEFAULT_RESUBSCRIBE_KEYWORDS = ("VOLTAR", "VOLTAR A RECEBER", "START")
MAX_KEYWORD_LENGTH = 60
_opt_outs = OptOut.__table__
_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = ".!?,;:\"'()[]*_~-"


def canonical_phone(phone_e164: str) -> str:
    return brazil_variants(phone_e164)[0]


def _variants(phone_e164: str) -> list[str]:
    return brazil_variants(phone_e164)


def normalize_keyword(text: str | None) -> str:
    """Upper case, no accents, single spaces, trimmed (also of trailing punctuation)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", plain).strip().strip(_EDGE_PUNCTUATION).strip().upper()


def _keywords(client: Client | None, key: str, defaults: tuple[str, ...]) -> set[str]:
    configured = (client.settings or {}).get(key) if client is not None else None
    words = configured if isinstance(configured, list) and configured else defaults
    return {normalize_keyword(str(w)) for w in words if normalize_keyword(str(w))}


def keyword_action(client_id: int, text: str | None) -> str | None:
    """``"stop"``, ``"resubscribe"`` or None for an inbound text (whole message)."""
    word = normalize_keyword(text)
    if not word or len(word) > MAX_KEYWORD_LENGTH:  # ordinary chat: no client lookup
        return None
    client = db.session.get(Client, client_id)
    if word in _keywords(client, "stop_keywords", DEFAULT_STOP_KEYWORDS):
        return "stop"
    if word in _keywords(client, "resubscribe_keywords", DEFAULT_RESUBSCRIBE_KEYWORDS):
        return "resubscribe"
    return None


def _matches(phone_e164: str | None, bsuid: str | None) -> list[sa.ColumnElement[bool]]:
    match: list[sa.ColumnElement[bool]] = []
    if phone_e164:
        match.append(_opt_outs.c.phone_e164.in_(_variants(phone_e164)))
    if bsuid:
        match.append(_opt_outs.c.bsuid == bsuid)
    return match


def is_opted_out(client_id: int, phone_e164: str | None, *, bsuid: str | None = None) -> bool:
    """Opted out by the phone (either Brazilian form) or by the BSUID."""
    match = _matches(phone_e164, bsuid)
    if not match:
        return False
    stmt = sa.select(_opt_outs.c.id).where(_opt_outs.c.client_id == client_id, sa.or_(*match))
    return db.session.execute(stmt.limit(1)).first() is not None


def is_contact_opted_out(contact: Contact) -> bool:
    return is_opted_out(contact.client_id, contact.phone_e164, bsuid=contact.bsuid)


def opted_out_phones(client_id: int, phones: list[str]) -> set[str]:
    """Which of ``phones`` are opted out (each in the form given), in one query."""
    by_variant: dict[str, list[str]] = {}
    for phone in phones:
        if not phone:
            continue
        for variant in _variants(phone):
            by_variant.setdefault(variant, []).append(phone)
    if not by_variant:
        return set()
    stmt = sa.select(_opt_outs.c.phone_e164).where(
        _opt_outs.c.client_id == client_id, _opt_outs.c.phone_e164.in_(list(by_variant))
    )
    return {phone for found in db.session.scalars(stmt) for phone in by_variant.get(found, [])}


def opted_out_clause(
    client_id: int, phone_column=Contact.phone_e164, bsuid_column=Contact.bsuid
) -> sa.ColumnElement[bool]:
    """SQL ``EXISTS`` true when the row's phone or BSUID is opted out (bulk eligibility).

    ``select(Contact).where(~opted_out_clause(cid))`` keeps the eligible contacts. Both
    sides are canonical E.164, so equality covers the 8/9-digit forms; a username user
    who wrote SAIR is matched by BSUID.
    """
    return (
        sa.select(_opt_outs.c.id)
        .where(
            _opt_outs.c.client_id == client_id,
            sa.or_(_opt_outs.c.phone_e164 == phone_column, _opt_outs.c.bsuid == bsuid_column),
        )
        .exists()
    )


def add_opt_out(
    client_id: int,
    phone_e164: str | None,
    source: str = OptOutSource.MANUAL,
    reason: str = "",
    *,
    bsuid: str | None = None,
) -> bool:
    """Opt the phone and/or BSUID out; True if new (idempotent). Sends ``contact_opted_out``.

    An existing opt-out by one of them gains the other (one row per person when both are
    known), without counting as new.
    """
    phone = canonical_phone(phone_e164) if phone_e164 else None
    bsuid = (bsuid or "").strip() or None
    if phone is None and bsuid is None:
        raise ValueError("an opt-out needs a phone or a BSUID")
    if is_opted_out(client_id, phone, bsuid=bsuid):
        _complete(client_id, phone, bsuid)
        return False
    module = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    now = utcnow()
    stmt = (
        module.insert(_opt_outs)
        .values(
            client_id=client_id,
            phone_e164=phone,
            bsuid=bsuid,
            source=str(source)[:16],
            reason=(reason or "")[:500],
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(_opt_outs.c.id)
    )
    created = db.session.execute(stmt).scalar() is not None
    db.session.commit()
    if created:
        send_safely(
            contact_opted_out,
            client_id=client_id,
            phone_e164=phone,
            bsuid=bsuid,
            source=str(source),
        )
    return created


def _complete(client_id: int, phone: str | None, bsuid: str | None) -> None:
    """Give an existing opt-out the key it lacks, when no other row holds that key."""
    if not (phone and bsuid):
        return
    c = _opt_outs.c
    if not is_opted_out(client_id, None, bsuid=bsuid):
        db.session.execute(
            sa.update(_opt_outs)
            .where(c.client_id == client_id, c.phone_e164.in_(_variants(phone)), c.bsuid.is_(None))
            .values(bsuid=bsuid)
        )
    elif not is_opted_out(client_id, phone):
        db.session.execute(
            sa.update(_opt_outs)
            .where(c.client_id == client_id, c.bsuid == bsuid, c.phone_e164.is_(None))
            .values(phone_e164=phone)
        )
    db.session.commit()


def add_contact_opt_out(
    contact: Contact, source: str = OptOutSource.MANUAL, reason: str = ""
) -> bool:
    """Opt a contact out by everything we know of it (phone and BSUID; a second
    portfolio's contact has its BSUID only in contact_identities)."""
    bsuid = contact.bsuid
    if not bsuid and not contact.phone_e164:
        from clickpro.services.contacts.identity import shown_bsuid

        bsuid = shown_bsuid(contact.client_id, contact.id)
    return add_opt_out(contact.client_id, contact.phone_e164, source, reason, bsuid=bsuid)


def remove_opt_out(
    client_id: int,
    phone_e164: str | None,
    source: str = OptOutSource.MANUAL,
    *,
    bsuid: str | None = None,
) -> bool:
    """Remove the opt-out (the phone in either form, or the BSUID); True if there was one.
    Sends ``contact_opted_in``."""
    match = _matches(phone_e164, bsuid)
    if not match:
        return False
    removed = rowcount(
        db.session.execute(
            sa.delete(_opt_outs).where(_opt_outs.c.client_id == client_id, sa.or_(*match))
        )
    )
    db.session.commit()
    if removed:
        send_safely(
            contact_opted_in,
            client_id=client_id,
            phone_e164=canonical_phone(phone_e164) if phone_e164 else None,
            bsuid=bsuid,
            source=str(source),
        )
    return bool(removed)


def remove_contact_opt_out(contact: Contact, source: str = OptOutSource.MANUAL) -> bool:
    return remove_opt_out(contact.client_id, contact.phone_e164, source, bsuid=contact.bsuid)


def opt_out_labels(client_id: int, rows: list[OptOut]) -> dict[int, str]:
    """Opt-out id → how its person is shown: the phone, else the @username (or short id)
    of the contact with that BSUID (one query for the page)."""
    from clickpro.services.contacts.display import contact_label

    bsuids = sorted({r.bsuid for r in rows if r.bsuid and not r.phone_e164})
    users: dict[str, str | None] = {}
    if bsuids:
        found = db.session.execute(
            sa.select(Contact.bsuid, Contact.username).where(
                Contact.client_id == client_id, Contact.bsuid.in_(bsuids)
            )
        )
        users = {str(b): u for b, u in found}
    return {
        r.id: contact_label(
            {"phone_e164": r.phone_e164, "bsuid": r.bsuid, "username": users.get(r.bsuid or "")}
        )
        for r in rows
    }
