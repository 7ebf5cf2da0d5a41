"""How a contact is named wherever a phone used to be shown.

A WhatsApp username user may reach us without a phone number (reference §1): such a
contact is shown as ``@username``, or, with no username either, as "Usuário do WhatsApp"
and the last characters of its BSUID, so two of them can still be told apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers
from flask_babel import gettext as _

__all__ = ["SHORT_ID_LENGTH", "contact_label", "format_phone", "format_username", "short_bsuid"]

SHORT_ID_LENGTH = 6


def _field(contact: Any, *names: str) -> str:
    """The first non-empty of ``names`` on an object or a mapping (rows, dicts, models)."""
    for name in names:
        is_mapping = isinstance(contact, Mapping)
        value = contact.get(name) if is_mapping else getattr(contact, name, None)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def format_phone(value: object) -> str:
    """An E.164 number as people read it: "+55 11 95555-0001", "+55 11 3333-4444",
    "+1 202-555-0123". Whatever cannot be parsed is shown unchanged."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text if text.startswith("+") else "+" + text, None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_username(username: str | None) -> str:
    """``@username``; the stored value is kept as Meta sent it (with or without ``@``)."""
    text = (username or "").strip()
    if not text:
        return ""
    return text if text.startswith("@") else "@" + text


def short_bsuid(bsuid: str | None) -> str:
    """The last characters of a BSUID: enough to tell two username-less users apart."""
    return (bsuid or "").strip()[-SHORT_ID_LENGTH:]


def _identity_of(contact: Any) -> str:
    """The BSUID of a contact known only in ``contact_identities`` (a second portfolio's
    contact: ``contacts.bsuid`` holds the value for another contact); only for a Contact
    model (rows and mappings may carry another table's ``id``), else ""."""
    from clickpro.models import Contact

    if not isinstance(contact, Contact) or contact.id is None or contact.phone_e164:
        return ""
    from clickpro.services.contacts.identity import shown_bsuid

    return shown_bsuid(int(contact.client_id), int(contact.id)) or ""


def contact_label(contact: Any) -> str:
    """The phone as the app shows phones, else ``@username``, else a short BSUID label.

    ``contact`` is a Contact, a SQL row or a mapping with ``phone_e164`` (or ``phone``),
    ``username`` and ``bsuid``.
    """
    phone = _field(contact, "phone_e164", "phone")
    if phone:
        return format_phone(phone)
    username = format_username(_field(contact, "username"))
    if username:
        return username
    bsuid = _field(contact, "bsuid") or _identity_of(contact)
    if bsuid:
        return _("Usuário do WhatsApp · %(id)s", id=short_bsuid(bsuid))
    return _("Usuário do WhatsApp")
