"""A campaign's template variables: the mapping, its validation and per-contact values.

The mapping has the shape of ``template_rules.build_send_components``'s values, but each
value is a text that may use ``{{contact.name}}``, ``{{contact.phone}}`` or
``{{contact.<attribute>}}`` (the REST API uses the same format)::

    {"body": ["{{contact.name}}", "fixo"], "header": [...], "buttons": {"0": [...]},
     "header_media": {"link": "https://..."}}

Pure functions (no DB): the audience module turns :func:`referenced_fields` into SQL to
count and skip contacts without a value; the dispatcher calls :func:`resolve` per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from clickpro.services.templates.rules import build_send_components, render_text, variable_slots

TOKEN_RE = re.compile(r"\{\{\s*contact\.([A-Za-z0-9_\-]+)\s*\}\}")
BUILTIN_FIELDS = ("name", "phone")
POLICY_SKIP = "skip"
POLICY_FALLBACK = "fallback"
POLICIES = (POLICY_SKIP, POLICY_FALLBACK)


@dataclass(frozen=True)
class ContactData:
    """What a value may refer to (a row of ``contacts``)."""

    name: str
    phone_e164: str
    attributes: dict

    def get(self, field: str) -> str:
        if field == "name":
            return (self.name or "").strip()
        if field == "phone":
            return self.phone_e164 or ""
        value = (self.attributes or {}).get(field)
        return "" if value is None else str(value).strip()


def _texts(variables: dict) -> list[str]:
    out: list[str] = []
    for key in ("header", "body"):
        out += [str(v) for v in variables.get(key) or []]
    for values in (variables.get("buttons") or {}).values():
        out += [str(v) for v in values or []]
    return out


def referenced_fields(variables: dict) -> set[str]:
    """Contact fields the mapping uses (``name``, ``phone`` or attribute keys)."""
    return {m.group(1) for text in _texts(variables or {}) for m in TOKEN_RE.finditer(text)}


def mapping_errors(components: list[dict], variables: dict) -> list[str]:
    """Why ``variables`` cannot fill the template (empty list = complete)."""
    slots = variable_slots(components)
    variables = variables or {}
    errors: list[str] = []

    def check(values: Any, expected: int, where: str) -> None:
        values = list(values or [])
        if len(values) < expected or any(not str(v or "").strip() for v in values[:expected]):
            errors.append(_("Mapeie todas as variáveis %(where)s.", where=where))
        elif len(values) > expected:
            errors.append(_("Há valores demais %(where)s.", where=where))

    check(variables.get("header"), slots["header"], _("do cabeçalho"))
    check(variables.get("body"), slots["body"], _("do corpo"))
    buttons = variables.get("buttons") or {}
    for index, expected in slots["buttons"].items():
        check(buttons.get(index), expected, _("do botão %(n)s", n=int(index) + 1))
    if slots["header_media"] and slots["header_media"] != "LOCATION":
        media = variables.get("header_media") or {}
        if not (isinstance(media, dict) and (media.get("link") or media.get("id"))):
            errors.append(_("Informe o link da mídia do cabeçalho."))
    return errors


def normalize(components: list[dict], raw: dict | None) -> dict:
    """Keep only the keys the template has, values as stripped strings."""
    raw = raw or {}
    slots = variable_slots(components)
    out: dict = {}
    for key in ("header", "body"):
        if slots[key]:
            out[key] = [str(v or "").strip() for v in (raw.get(key) or [])][: slots[key]]
    if slots["buttons"]:
        given = raw.get("buttons") or {}
        out["buttons"] = {
            i: [str(v or "").strip() for v in (given.get(i) or given.get(int(i)) or [])][:n]
            for i, n in slots["buttons"].items()
        }
    if slots["header_media"]:
        media = raw.get("header_media") or {}
        out["header_media"] = {
            k: str(v) for k, v in media.items() if k in ("link", "id", "filename") and v
        }
    return out


def _fill(text: str, contact: ContactData, fallback: str | None, missing: list[str]) -> str:
    def replace(match: re.Match) -> str:
        value = contact.get(match.group(1))
        if value:
            return value
        missing.append(match.group(1))
        return fallback or ""

    return TOKEN_RE.sub(replace, text)


def resolve(
    variables: dict, contact: ContactData, fallback: str | None = None
) -> tuple[dict, list[str]]:
    """This contact's values (``build_send_components`` shape) and the fields it lacks."""
    missing: list[str] = []
    values: dict = {}
    for key in ("header", "body"):
        if variables.get(key):
            values[key] = [_fill(str(v), contact, fallback, missing) for v in variables[key]]
    if variables.get("buttons"):
        values["buttons"] = {
            i: [_fill(str(v), contact, fallback, missing) for v in vs]
            for i, vs in variables["buttons"].items()
        }
    if variables.get("header_media"):
        values["header_media"] = dict(variables["header_media"])
    return values, missing


def send_components(
    components: list[dict], variables: dict, contact: ContactData, fallback: str | None
) -> tuple[list[dict], str]:
    """(components of the send, readable body) — ValueError (pt_BR) when a value is empty."""
    values, _missing = resolve(variables, contact, fallback)
    built = build_send_components(components, values)
    return built, render_text(components, values)["body"]


def preview(
    components: list[dict], variables: dict, contact: ContactData | None, fallback: str | None
) -> dict:
    """The template rendered for one contact, plus the fields it lacks."""
    if contact is None:
        return {**render_text(components, {}), "missing": []}
    values, missing = resolve(variables, contact, fallback)
    return {**render_text(components, values), "missing": sorted(set(missing))}
