"""Opt-outs: phones of a client that must not receive promotional messages.

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
    "add_opt_out",
    "canonical_phone",
    "is_opted_out",
    "keyword_action",
    "normalize_keyword",
    "opted_out_clause",
    "opted_out_phones",
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


def is_opted_out(client_id: int, phone_e164: str) -> bool:
    stmt = sa.select(_opt_outs.c.id).where(
        _opt_outs.c.client_id == client_id, _opt_outs.c.phone_e164.in_(_variants(phone_e164))
    )
    return db.session.execute(stmt.limit(1)).first() is not None


def opted_out_phones(client_id: int, phones: list[str]) -> set[str]:
    """Which of ``phones`` are opted out (each in the form given), in one query."""
    by_variant: dict[str, list[str]] = {}
    for phone in phones:
        for variant in _variants(phone):
            by_variant.setdefault(variant, []).append(phone)
    if not by_variant:
        return set()
    stmt = sa.select(_opt_outs.c.phone_e164).where(
        _opt_outs.c.client_id == client_id, _opt_outs.c.phone_e164.in_(list(by_variant))
    )
    return {phone for found in db.session.scalars(stmt) for phone in by_variant.get(found, [])}


def opted_out_clause(client_id: int, phone_column=Contact.phone_e164) -> sa.ColumnElement[bool]:
    """SQL ``EXISTS`` true when the row's phone is opted out (bulk eligibility).

    ``select(Contact).where(~opted_out_clause(cid))`` keeps the eligible contacts. Both
    sides are canonical E.164, so equality covers the 8/9-digit forms.
    """
    return (
        sa.select(_opt_outs.c.id)
        .where(_opt_outs.c.client_id == client_id, _opt_outs.c.phone_e164 == phone_column)
        .exists()
    )


def add_opt_out(
    client_id: int, phone_e164: str, source: str = OptOutSource.MANUAL, reason: str = ""
) -> bool:
    """Opt ``phone_e164`` out; True if new (idempotent). Sends ``contact_opted_out``."""
    if is_opted_out(client_id, phone_e164):
        return False
    module = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    now = utcnow()
    stmt = (
        module.insert(_opt_outs)
        .values(
            client_id=client_id,
            phone_e164=canonical_phone(phone_e164),
            source=str(source)[:16],
            reason=(reason or "")[:500],
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["client_id", "phone_e164"])
        .returning(_opt_outs.c.id)
    )
    created = db.session.execute(stmt).scalar() is not None
    db.session.commit()
    if created:
        send_safely(
            contact_opted_out,
            client_id=client_id,
            phone_e164=canonical_phone(phone_e164),
            source=str(source),
        )
    return created


def remove_opt_out(client_id: int, phone_e164: str, source: str = OptOutSource.MANUAL) -> bool:
    """Remove the opt-out (either form); True if there was one. Sends ``contact_opted_in``."""
    removed = rowcount(
        db.session.execute(
            sa.delete(_opt_outs).where(
                _opt_outs.c.client_id == client_id,
                _opt_outs.c.phone_e164.in_(_variants(phone_e164)),
            )
        )
    )
    db.session.commit()
    if removed:
        send_safely(
            contact_opted_in,
            client_id=client_id,
            phone_e164=canonical_phone(phone_e164),
            source=str(source),
        )
    return bool(removed)
