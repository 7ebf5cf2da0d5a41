"""``{{var}}`` templates in flow texts, and the accent/case folding used to compare words.

``{{nome}}`` is a run variable, ``{{contact.name}}`` / ``{{contact.phone}}`` /
``{{contact.email}}`` / ``{{contact.attr.<key>}}`` read the contact; anything unknown
renders as "" (a customer never sees ``{{...}}``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from clickpro.services.flows.graph import TEMPLATE_REF

MAX_RENDERED = 4096
_SPACES = re.compile(r"\s+")


def fold(text: Any) -> str:
    """Lower case, no accents, single spaces, trimmed (and trailing punctuation off)."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", plain).strip().strip(".!?,;:").strip().lower()


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sim" if value else "não"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:MAX_RENDERED]
    return str(value)


def contact_values(contact: Any) -> dict[str, Any]:
    """The ``contact.*`` names a template may read (``contact`` may be None: simulator)."""
    if contact is None:
        return {}
    attrs = contact.attributes if isinstance(contact.attributes, dict) else {}
    return {
        "name": contact.name or "",
        "phone": contact.phone_e164 or "",
        "email": attrs.get("email", ""),
        "attr": attrs,
    }


def lookup(name: str, variables: dict, contact: dict) -> Any:
    if name.startswith("contact."):
        parts = name.split(".")
        if len(parts) == 2:
            return contact.get(parts[1], "")
        if len(parts) == 3 and parts[1] == "attr":
            return (contact.get("attr") or {}).get(parts[2], "")
        return ""
    return variables.get(name, "")


def render(text: Any, variables: dict, contact: dict | None = None) -> str:
    if not isinstance(text, str):
        return ""
    values = contact or {}
    rendered = TEMPLATE_REF.sub(lambda m: as_text(lookup(m.group(1), variables, values)), text)
    return rendered[:MAX_RENDERED]


def render_deep(value: Any, variables: dict, contact: dict | None = None) -> Any:
    """Render every string leaf of a JSON value (an HTTP body, a message)."""
    if isinstance(value, str):
        return render(value, variables, contact)
    if isinstance(value, dict):
        return {k: render_deep(v, variables, contact) for k, v in value.items()}
    if isinstance(value, list):
        return [render_deep(v, variables, contact) for v in value]
    return value
