"""A campaign's template variables: the mapping, its validation and per-contact values.

The mapping has the shape of ``template_rules.build_send_components``'s values, but each
value is a text that may use ``{{contact.name}}``, ``{{contact.phone}}`` or
``{{contact.<attribute>}}`` (the REST API uses the same format)::

    {"body": ["{{contact.name}}", "fixo"], "header": [...], "buttons": {"0": [...]},
     "header_media": {"link": "https://..."},
     "defaults": {"body": ["cliente", ""], "header": [...], "buttons": {"0": [...]}}}

``defaults`` holds each variable's own default value (same positions as the values):
with the "fallback" policy a contact lacking a field gets that variable's default; a
variable without one (and no campaign-wide ``fallback``, kept for the API) still needs
the value, and a contact without it is skipped. :func:`required_fields` is that rule,
used by the counts, the materialization and the dispatcher alike.

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
MAX_DEFAULT = 200


@dataclass(frozen=True)
class ContactData:
    """What a value may refer to (a row of ``contacts``, overlaid for a sheet campaign
    with the recipient's own row values: see :func:`with_row_values`)."""

    name: str
    phone_e164: str | None  # None: a username user known by BSUID only
    attributes: dict

    def get(self, field: str) -> str:
        if field == "name":
            return (self.name or "").strip()
        if field == "phone":
            return self.phone_e164 or ""
        value = (self.attributes or {}).get(field)
        return "" if value is None else str(value).strip()


def with_row_values(contact: ContactData, row: tuple[str, dict] | None) -> ContactData:
    """The contact as its spreadsheet row says (non-empty row cells win), for a campaign
    made from a sheet; the master contact itself is not changed."""
    if row is None:
        return contact
    name, attributes = row
    merged = dict(contact.attributes or {})
    merged.update({k: v for k, v in (attributes or {}).items() if str(v or "").strip()})
    return ContactData((name or "").strip() or contact.name, contact.phone_e164, merged)


def _slots(variables: dict) -> list[tuple[str, str | int, int, str]]:
    """(part, button index or "", position, text) of every mapped value."""
    out: list[tuple[str, str | int, int, str]] = []
    for key in ("header", "body"):
        out += [(key, "", i, str(v)) for i, v in enumerate(variables.get(key) or [])]
    for button, values in (variables.get("buttons") or {}).items():
        out += [("buttons", str(button), i, str(v)) for i, v in enumerate(values or [])]
    return out


def _texts(variables: dict) -> list[str]:
    return [text for _part, _button, _i, text in _slots(variables)]


def default_for(variables: dict, part: str, button: str | int, index: int) -> str:
    """The default value of one variable ("" when it has none)."""
    defaults = variables.get("defaults") or {}
    if part == "buttons":
        values = list((defaults.get("buttons") or {}).get(str(button)) or [])
    else:
        values = list(defaults.get(part) or [])
    own = str(values[index] or "").strip() if index < len(values) else ""
    return own or str(variables.get("fallback") or "").strip()


def required_fields(variables: dict, policy: str) -> set[str]:
    """Fields a contact must have to be sent: all the mapping uses with "skip"; with
    "fallback" only those of variables that have no default."""
    fields: set[str] = set()
    for part, button, index, text in _slots(variables or {}):
        if policy == POLICY_FALLBACK and default_for(variables, part, button, index):
            continue
        fields |= {m.group(1) for m in TOKEN_RE.finditer(text)}
    return fields - {"phone"}


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
    defaults = _normalize_defaults(slots, raw.get("defaults"))
    if defaults:
        out["defaults"] = defaults
    return out


def _normalize_defaults(slots: dict, raw) -> dict:
    """Per-variable defaults in the values' shape; none given → {}."""
    raw = raw if isinstance(raw, dict) else {}

    def clean(values, size: int) -> list[str]:
        values = values if isinstance(values, list) else []
        cleaned = [str(v or "").strip()[:MAX_DEFAULT] for v in values][:size]
        return cleaned + [""] * (size - len(cleaned))

    out: dict = {}
    for key in ("header", "body"):
        if slots[key]:
            out[key] = clean(raw.get(key), slots[key])
    if slots["buttons"]:
        given = raw.get("buttons") if isinstance(raw.get("buttons"), dict) else {}
        out["buttons"] = {
            i: clean(given.get(i) or given.get(str(i)), n) for i, n in slots["buttons"].items()
        }
    has_any = any(v for key in ("header", "body") for v in out.get(key, [])) or any(
        v for values in out.get("buttons", {}).values() for v in values
    )
    return out if has_any else {}


def _fill(text: str, contact: ContactData, default: str, missing: list[str]) -> str:
    def replace(match: re.Match) -> str:
        value = contact.get(match.group(1))
        if value:
            return value
        if not default:
            missing.append(match.group(1))
        return default

    return TOKEN_RE.sub(replace, text)


def resolve(
    variables: dict, contact: ContactData, fallback: str | None = None
) -> tuple[dict, list[str]]:
    """This contact's values (``build_send_components`` shape) and the fields it lacks.

    ``fallback`` is None with the "skip" policy (no default is used); otherwise the
    campaign-wide default, under each variable's own one (``variables["defaults"]``).
    """
    missing: list[str] = []
    values: dict = {}
    use_defaults = fallback is not None
    scoped = {**variables, "fallback": fallback or ""}

    def fill(part: str, button: str | int, index: int, text) -> str:
        default = default_for(scoped, part, button, index) if use_defaults else ""
        return _fill(str(text), contact, default, missing)

    for key in ("header", "body"):
        if variables.get(key):
            values[key] = [fill(key, "", i, v) for i, v in enumerate(variables[key])]
    if variables.get("buttons"):
        values["buttons"] = {
            i: [fill("buttons", i, n, v) for n, v in enumerate(vs)]
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
