"""The assistant a number speaks with: the client's settings overlaid with the number's.

A client may run one assistant for sales and another for support: each number
(``whatsapp_credentials.ai_settings``, edited in the numbers UI/API) may override the
client's OpenAI-credential settings. Allowed keys: ``instructions``, ``model``,
``temperature``, ``max_output_tokens``, ``context_messages``, ``handoff_keywords``,
``fallback_text`` and ``enabled`` (``false`` turns the AI off for that number only; it
cannot turn on an AI the client switched off). A missing key, ``None`` or a value of the
wrong shape means "the client's setting": a bad stored value never breaks the replies.
The OpenAI key, business hours, daily cap and non-text policy stay the client's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from clickpro.models import WhatsAppCredential
from clickpro.services.conversations import get_number
from clickpro.services.credentials import AssistantSettings, assistant_settings
from clickpro.services.credentials.assistant import MODEL_RE

NUMBER_KEYS = (
    "instructions",
    "model",
    "temperature",
    "max_output_tokens",
    "context_messages",
    "handoff_keywords",
    "fallback_text",
    "enabled",
)


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _model(value: Any) -> str | None:
    text = _text(value)
    return text if text and MODEL_RE.match(text) else None


def _ranged(cast: type, low: float, high: float) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if isinstance(value, bool) or value is None or value == "":
            return None
        try:
            number = cast(value)
        except (TypeError, ValueError):
            return None
        return number if low <= number <= high else None

    return parse


def _keywords(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return None
    words = tuple(dict.fromkeys(" ".join(str(w).split()) for w in value if str(w).strip()))
    return words or None


# Each key's parser: the usable value, or None ("use the client's").
_PARSERS: dict[str, Callable[[Any], Any]] = {
    "instructions": _text,
    "model": _model,
    "temperature": _ranged(float, 0, 2),
    "max_output_tokens": _ranged(int, 16, 4096),
    "context_messages": _ranged(int, 1, 50),
    "handoff_keywords": _keywords,
    "fallback_text": _text,
}


def overrides(number: WhatsAppCredential | None) -> dict[str, Any]:
    """The number's usable overrides (``enabled`` excluded), by AssistantSettings field."""
    raw = (number.ai_settings if number is not None else None) or {}
    if not isinstance(raw, dict):
        return {}
    found = {}
    for key, parse in _PARSERS.items():
        value = parse(raw.get(key))
        if value is not None:
            found[key] = value
    return found


def number_enabled(number: WhatsAppCredential | None) -> bool:
    """False only when the number says ``enabled: false``."""
    raw = (number.ai_settings if number is not None else None) or {}
    return not (isinstance(raw, dict) and raw.get("enabled") is False)


def effective_assistant(client_id: int, number_id: int | None) -> AssistantSettings:
    """The settings the AI uses in a conversation of ``number_id`` (None: the client's
    first number). Raises ``NoCredentials`` for an unknown client, like
    :func:`assistant_settings`."""
    settings = assistant_settings(client_id)
    number = get_number(client_id, number_id)
    if number is None:
        return settings
    changes = overrides(number)
    if not number_enabled(number):
        changes["enabled"] = False
    return dataclasses.replace(settings, **changes) if changes else settings
