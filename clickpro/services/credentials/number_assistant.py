"""Per-number assistant settings: what differs from the client's assistant on one number.

Stored in ``WhatsAppCredential.ai_settings`` as a small dict of overrides; a missing key
means "use the client's setting" (``clickpro.services.ai.settings`` overlays them). The
keys are the client's assistant settings that make sense per number plus ``enabled``
(``False`` turns the assistant off on this number only; ``True`` cannot turn it on when
the client's AI is off or has no valid key).
"""

from __future__ import annotations

from flask_babel import format_number
from flask_babel import gettext as _

from clickpro.crypto import decrypt
from clickpro.extensions import db
from clickpro.models import Client, CredentialStatus, WhatsAppCredential
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.credentials.assistant import (
    INSTRUCTIONS_MAX,
    MODEL_RE,
    _check_model,
    _live_models,
    get_openai_credential,
)
from clickpro.services.credentials.common import CredentialError
from clickpro.services.credentials.numbers import require_active_number

AI_SETTING_KEYS = (
    "enabled",
    "instructions",
    "model",
    "temperature",
    "max_output_tokens",
    "context_messages",
    "handoff_keywords",
    "fallback_text",
)
TEXT_MAX = 1000
KEYWORDS_MAX = 50
# key -> (type, low, high): the client's assistant uses the same bounds.
_NUMBERS: dict[str, tuple[type, float, float]] = {
    "temperature": (float, 0, 2),
    "max_output_tokens": (int, 16, 4096),
    "context_messages": (int, 1, 50),
}
_ENABLED = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _enabled(value: object) -> bool:
    if isinstance(value, bool):
        return value
    found = _ENABLED.get(str(value).strip().lower())
    if found is None:
        raise CredentialError("enabled", _("Escolha ligado, desligado ou o padrão do cliente."))
    return found


def _number(key: str, value: object) -> float | int:
    cast, low, high = _NUMBERS[key]
    raw = value.strip().replace(",", ".") if isinstance(value, str) else value
    try:
        number = cast(raw)
    except (TypeError, ValueError):
        raise CredentialError(key, _("Informe um número.")) from None
    if isinstance(raw, float) and cast is int and raw != int(raw):
        raise CredentialError(key, _("Informe um número inteiro."))
    if not low <= number <= high:
        raise CredentialError(
            key,
            _("Use um valor entre %(low)s e %(high)s.", low=format(low, "g"),
              high=format(high, "g")),
        )  # fmt: skip
    return number


def _keywords(value: object) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    words = [" ".join(str(w).split()) for w in items]
    found = list(dict.fromkeys(w for w in words if w))
    if len(found) > KEYWORDS_MAX:
        raise CredentialError(
            "handoff_keywords", _("Use no máximo %(max)s palavras.", max=KEYWORDS_MAX)
        )
    if any(len(w) > 100 for w in found):
        raise CredentialError("handoff_keywords", _("Cada palavra tem no máximo 100 caracteres."))
    return found


def _text(key: str, value: object, limit: int) -> str:
    text = str(value).strip()
    if len(text) > limit:
        raise CredentialError(
            key, _("Texto longo demais (máx. %(max)s caracteres).", max=format_number(limit))
        )
    return text


def clean_ai_settings(data: dict) -> dict | None:
    """The overrides to store from ``data`` (form or API); empty values are left out.

    Unknown keys are ignored (the API's schema refuses them before this). ``None`` when
    nothing is overridden.
    """
    cleaned: dict = {}
    for key in AI_SETTING_KEYS:
        value = data.get(key)
        if _blank(value) or (key == "enabled" and value == "default"):
            continue
        if key == "enabled":
            cleaned[key] = _enabled(value)
        elif key in _NUMBERS:
            cleaned[key] = _number(key, value)
        elif key == "model":
            model = str(value).strip()
            if not MODEL_RE.match(model):
                raise CredentialError("model", _("Nome de modelo inválido."))
            cleaned[key] = model
        elif key == "handoff_keywords":
            if words := _keywords(value):
                cleaned[key] = words
        elif key == "instructions":
            cleaned[key] = _text(key, value, INSTRUCTIONS_MAX)
        else:
            cleaned[key] = _text(key, value, TEXT_MAX)
    return cleaned or None


def _check_model_live(client_id: int, model: str) -> None:
    """A model override must exist for the client's key (when it has a valid one)."""
    credential = get_openai_credential(client_id)
    if credential is None or credential.status != CredentialStatus.VALID:
        return
    _check_model(model, _live_models(decrypt(credential.api_key_enc)))


def prepare_ai_settings(client_id: int, data: dict, current: dict | None = None) -> dict | None:
    """``clean_ai_settings`` plus the live check of a model that differs from ``current``."""
    settings = clean_ai_settings(data)
    if settings and "model" in settings and settings["model"] != (current or {}).get("model"):
        _check_model_live(client_id, settings["model"])
    return settings


def save_number_ai_settings(client: Client, number_id: int, data: dict) -> WhatsAppCredential:
    """Replace the number's assistant overrides with those in ``data`` (see the module)."""
    number = require_active_number(client.id, number_id)
    return store_ai_settings(
        client, number, prepare_ai_settings(client.id, data, number.ai_settings)
    )


def store_ai_settings(
    client: Client, number: WhatsAppCredential, settings: dict | None
) -> WhatsAppCredential:
    """Store overrides already checked by :func:`prepare_ai_settings` (commits, audits)."""
    number = require_active_number(client.id, number.id)
    number.ai_settings = settings
    db.session.commit()
    audit_record(Action.CREDENTIAL_CHANGED, number, client_id=client.id, kind="whatsapp_ai",
                 phone=number.phone_number_id, keys=sorted(settings or {}))  # fmt: skip
    return number
