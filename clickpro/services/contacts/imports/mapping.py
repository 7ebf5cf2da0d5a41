"""Column mapping for contact imports: guess, validate, remember per client.

A mapping says which column holds the phone, which the BSUID (WhatsApp username users
whose number is unknown), which the name and which become custom attributes
(``{"phone": 0, "bsuid": 3, "name": 1, "attributes": {2: "cidade"}}``); at least one of
phone and BSUID is mapped, and each row needs one of them. The client's last
mapping is remembered by *header names* (``clients.settings["import_mapping"]``), so the
next spreadsheet with the same headers is pre-filled whatever their order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.services.contacts.service import normalize_attribute_key

PHONE_HINTS = ("telefone", "celular", "whatsapp", "fone", "phone", "tel", "cel", "mobile", "zap")
NAME_HINTS = ("nome", "name", "cliente", "contato")
# Exact header names only ("id" alone would catch any id column).
BSUID_HINTS = ("bsuid", "user id", "business scoped user id", "id whatsapp", "whatsapp user id")
SETTINGS_KEY = "import_mapping"
_WORD = re.compile(r"[^a-z0-9]+")


def header_key(text: str) -> str:
    """A header as compared across files: lower-case, no accents, single spaces."""
    folded = unicodedata.normalize("NFKD", text or "")
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return _WORD.sub(" ", folded).strip()


class MappingError(ServiceError, ValueError):
    """The column mapping of an import is refused (message translated)."""

    field = "mapping"


@dataclass
class Mapping:
    phone: int | None
    name: int | None = None
    attributes: dict[int, str] = field(default_factory=dict)
    bsuid: int | None = None

    def as_json(self) -> dict:
        return {
            "phone": self.phone,
            "bsuid": self.bsuid,
            "name": self.name,
            "attributes": {str(k): v for k, v in self.attributes.items()},
        }


def parse_mapping(data: dict, width: int) -> Mapping:
    """Validate a mapping dict (JSON keys may be strings); raise ``ValueError`` (pt_BR)."""
    if not isinstance(data, dict):
        raise MappingError(_("Mapeamento inválido."))
    phone = _column(data.get("phone"), width)
    bsuid = _column(data.get("bsuid"), width)
    if phone is None and bsuid is None:
        raise MappingError(_("Escolha a coluna do telefone (ou a do BSUID)."))
    if bsuid is not None and bsuid == phone:
        raise MappingError(_("A coluna do BSUID não pode ser a mesma do telefone."))
    name = _column(data.get("name"), width)
    if name is not None and name in (phone, bsuid):
        raise MappingError(_("A coluna do nome não pode ser a mesma do telefone."))
    attributes: dict[int, str] = {}
    used: set[str] = set()
    for raw_index, raw_key in (data.get("attributes") or {}).items():
        index = _column(raw_index, width)
        key = normalize_attribute_key(str(raw_key or ""))
        if index is None or index in (phone, name, bsuid) or not key:
            continue
        if key in used:
            raise MappingError(_("Atributo “%(key)s” mapeado em mais de uma coluna.", key=key))
        used.add(key)
        attributes[index] = key
    return Mapping(phone=phone, name=name, attributes=attributes, bsuid=bsuid)


def _column(value, width: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        index = int(value)
    except (TypeError, ValueError):
        raise MappingError(_("Coluna inválida no mapeamento.")) from None
    if not 0 <= index < width:
        raise MappingError(_("Coluna inexistente no mapeamento."))
    return index


def guess_mapping(header: list[str]) -> dict:
    """Phone and name columns guessed from header words; every other column an attribute."""
    keys = [header_key(h) for h in header]
    bsuid = next((i for i, key in enumerate(keys) if key in BSUID_HINTS), None)
    phone = _find(keys, PHONE_HINTS, skip={bsuid})
    name = _find(keys, NAME_HINTS, skip={phone, bsuid})
    attributes = {}
    used: set[str] = set()
    for index, text in enumerate(header):
        if index in (phone, name, bsuid):
            continue
        key = normalize_attribute_key(text) or f"coluna_{index + 1}"
        while key in used:
            key = f"{key}_{index + 1}"
        used.add(key)
        attributes[str(index)] = key
    return {"phone": phone, "bsuid": bsuid, "name": name, "attributes": attributes}


def _find(keys: list[str], hints: tuple[str, ...], skip: set | None = None) -> int | None:
    """First column whose header is a hint, else first that contains one as a word."""
    skip = skip or set()
    for index, key in enumerate(keys):
        if index not in skip and key in hints:
            return index
    for index, key in enumerate(keys):
        words = key.split()
        if index not in skip and any(w.startswith(hint) for w in words for hint in hints):
            return index
    return None


def remembered_to_json(mapping: Mapping, header: list[str], options: dict) -> dict:
    """What is stored in client settings: header names, not positions."""

    def name_of(index: int | None) -> str | None:
        return header_key(header[index]) if index is not None else None

    used = {mapping.phone, mapping.name, mapping.bsuid, *mapping.attributes}
    return {
        "phone": name_of(mapping.phone),
        "bsuid": name_of(mapping.bsuid),
        "name": name_of(mapping.name),
        "attributes": {header_key(header[i]): key for i, key in mapping.attributes.items()},
        "ignored": [header_key(h) for i, h in enumerate(header) if i not in used],
        "mobile_only": bool(options.get("mobile_only")),
    }


def apply_remembered(remembered: dict | None, header: list[str]) -> dict | None:
    """The remembered mapping placed on ``header``; None unless its phone (or BSUID)
    column is there."""
    if not remembered or not (remembered.get("phone") or remembered.get("bsuid")):
        return None
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        positions.setdefault(header_key(text), index)
    phone = positions.get(remembered.get("phone") or "")
    bsuid = positions.get(remembered.get("bsuid") or "")
    if (remembered.get("phone") and phone is None) or (remembered.get("bsuid") and bsuid is None):
        return None
    name = positions.get(remembered.get("name") or "")
    known = remembered.get("attributes") or {}
    ignored = set(remembered.get("ignored") or ())
    guessed = guess_mapping(header)["attributes"]
    attributes = {}
    for index, text in enumerate(header):
        head = header_key(text)
        if index in (phone, name, bsuid) or head in ignored:
            continue
        key = known.get(head) or guessed.get(str(index))  # a new column: guessed
        if key:
            attributes[str(index)] = key
    return {
        "phone": phone,
        "bsuid": bsuid,
        "name": name,
        "attributes": attributes,
        "mobile_only": bool(remembered.get("mobile_only")),
        "remembered": True,
    }
