"""A client's OpenAI key and its assistant (ClickPro's own: model, persona, rules).

The assistant's fixed settings are columns of ``openai_credentials``; the rest (business
hours, daily cap, non-text policy) live in its ``options`` JSON. ``assistant_settings``
resolves all of them with defaults for the AI-reply plugin.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import format_number
from flask_babel import gettext as _

from clickpro.crypto import decrypt, encrypt, last4
from clickpro.extensions import db
from clickpro.integrations.openai import (
    OpenAIErrorKind,
    OpenAIFailure,
    OpenAIGateway,
    openai_client,
)
from clickpro.models import Client, CredentialStatus, OpenAICredential
from clickpro.models.base import utcnow
from clickpro.services.ai import guard_settings
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.credentials.common import (
    CredentialError,
    NoCredentials,
    ServiceUnreachable,
    clean_secret,
    mark_invalid,
)

DEFAULT_MODEL = "gpt-4.1-mini"
INSTRUCTIONS_MAX = 20_000
DEFAULT_HANDOFF_KEYWORDS = ("atendente", "humano", "falar com alguém", "pessoa")
DEFAULT_FALLBACK = "Um atendente vai te responder em breve."
DEFAULT_HANDOFF_TEXT = "Certo! Vou chamar um atendente para continuar com você. Só um instante."
DEFAULT_NON_TEXT = "Por enquanto eu só consigo ler mensagens de texto. Pode escrever sua dúvida?"
NON_TEXT_POLICIES = ("fallback", "handoff")
MODEL_RE = re.compile(r"^[A-Za-z0-9._:\-/]{1,64}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class AssistantSettings:
    """Every setting of a client's assistant, resolved with defaults."""

    client_id: int
    enabled: bool = False  # AI on *and* a VALID OpenAI credential
    has_credentials: bool = False
    assistant_id: str | None = None
    model: str = DEFAULT_MODEL
    instructions: str = ""
    temperature: float = 0.3
    context_messages: int = 12
    max_output_tokens: int = 400
    handoff_keywords: tuple[str, ...] = DEFAULT_HANDOFF_KEYWORDS
    fallback_text: str = DEFAULT_FALLBACK
    timezone: str = "America/Sao_Paulo"
    hours_always: bool = True
    hours_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    hours_start: time = time(8, 0)
    hours_end: time = time(18, 0)
    daily_reply_cap: int | None = None  # None: no cap
    non_text_policy: str = "fallback"
    non_text_text: str = DEFAULT_NON_TEXT
    handoff_text: str = DEFAULT_HANDOFF_TEXT
    options: dict = field(default_factory=dict)

    def within_business_hours(self, now: datetime | None = None) -> bool:
        """Whether the assistant may answer at ``now`` (aware; default: now)."""
        if self.hours_always:
            return True
        local = (now or utcnow()).astimezone(_zone(self.timezone))
        if local.weekday() not in self.hours_days:
            return False
        clock = local.time().replace(tzinfo=None)
        if self.hours_start <= self.hours_end:
            return self.hours_start <= clock < self.hours_end
        return clock >= self.hours_start or clock < self.hours_end  # overnight shift

    def wants_handoff(self, text: str) -> bool:
        """The customer asked for a person (keyword match, case and accents ignored)."""
        haystack = f" {_fold(text)} "
        return any(f" {_fold(k)} " in haystack for k in self.handoff_keywords if _fold(k))


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", plain.lower()).strip()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("America/Sao_Paulo")


def _parse_time(value: str | None, default: time) -> time:
    match = TIME_RE.match((value or "").strip())
    return time(int(match.group(1)), int(match.group(2))) if match else default


def get_openai_credential(client_id: int) -> OpenAICredential | None:
    return db.session.scalar(
        sa.select(OpenAICredential).where(OpenAICredential.client_id == client_id)
    )


def assistant_settings(client_id: int) -> AssistantSettings:
    client = db.session.get(Client, client_id)
    if client is None:
        raise NoCredentials(_("cliente %(client_id)s não existe", client_id=client_id))
    credential = get_openai_credential(client_id)
    if credential is None:
        return AssistantSettings(client_id=client_id, timezone=client.timezone)
    options = dict(credential.options or {})
    hours = options.get("business_hours") or {}
    cap = options.get("daily_reply_cap")
    defaults = AssistantSettings(client_id=client_id)
    return AssistantSettings(
        client_id=client_id,
        enabled=bool(client.ai_enabled) and credential.status == CredentialStatus.VALID,
        has_credentials=True,
        assistant_id=credential.assistant_id,
        model=credential.model or DEFAULT_MODEL,
        instructions=credential.instructions or "",
        temperature=float(credential.temperature),
        context_messages=int(credential.context_messages),
        max_output_tokens=int(credential.max_output_tokens),
        handoff_keywords=tuple(credential.handoff_keywords or DEFAULT_HANDOFF_KEYWORDS),
        fallback_text=credential.fallback_text or DEFAULT_FALLBACK,
        timezone=client.timezone or defaults.timezone,
        hours_always=hours.get("mode", "always") != "custom",
        hours_days=tuple(int(d) for d in hours.get("days", defaults.hours_days)),
        hours_start=_parse_time(hours.get("start"), defaults.hours_start),
        hours_end=_parse_time(hours.get("end"), defaults.hours_end),
        daily_reply_cap=int(cap) if cap else None,
        non_text_policy=options.get("non_text_policy") or "fallback",
        non_text_text=options.get("non_text_text") or DEFAULT_NON_TEXT,
        handoff_text=options.get("handoff_text") or DEFAULT_HANDOFF_TEXT,
        options=options,
    )


def openai_for(client_id: int) -> tuple[OpenAICredential, OpenAIGateway]:
    credential = get_openai_credential(client_id)
    if credential is None:
        raise NoCredentials(_("Este cliente ainda não configurou a chave da OpenAI."))
    if credential.status == CredentialStatus.INVALID:
        raise NoCredentials(_("A chave da OpenAI deste cliente foi recusada: atualize-a."))
    return credential, openai_client(decrypt(credential.api_key_enc))


# --------------------------------------------------------------------------- input


def _number(data: dict, key: str, cast: type, low: float, high: float, default: float, label: str):
    raw = data.get(key)
    if isinstance(raw, str):
        raw = raw.strip().replace(",", ".")  # Brazilians write 0,5
    if raw in (None, ""):
        return cast(default)
    try:
        value = cast(raw)
    except (TypeError, ValueError):
        raise CredentialError(key, _("%(label)s: informe um número.", label=label)) from None
    if not low <= value <= high:
        raise CredentialError(
            key,
            _(
                "%(label)s: use um valor entre %(low)s e %(high)s.",
                label=label,
                low=format(low, "g"),
                high=format(high, "g"),
            ),
        )
    return value


def _keywords(raw: str | list | None) -> list[str]:
    if raw is None or raw == "":
        return list(DEFAULT_HANDOFF_KEYWORDS)
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    words = [" ".join(str(w).split()) for w in items]
    return [w for w in dict.fromkeys(w for w in words if w)][:50]


def _business_hours(data: dict) -> dict:
    mode = data.get("hours_mode") or "always"
    if mode == "always":
        return {"mode": "always"}
    days = sorted({int(d) for d in data.get("hours_days") or [] if str(d).isdigit()})
    if not days or any(d > 6 for d in days):
        raise CredentialError("hours_days", _("Escolha ao menos um dia de atendimento."))
    start, end = (str(data.get(k) or "").strip() for k in ("hours_start", "hours_end"))
    for key, value in (("hours_start", start), ("hours_end", end)):
        if not TIME_RE.match(value):
            raise CredentialError(key, _("Informe o horário no formato HH:MM."))
    if start == end:
        raise CredentialError("hours_end", _("O fim do expediente deve ser diferente do início."))
    return {"mode": "custom", "days": days, "start": start, "end": end}


def _assistant_fields(data: dict) -> dict:
    model = str(data.get("model") or DEFAULT_MODEL).strip()
    if not MODEL_RE.match(model):
        raise CredentialError("model", _("Nome de modelo inválido."))
    policy = data.get("non_text_policy") or "fallback"
    if policy not in NON_TEXT_POLICIES:
        raise CredentialError("non_text_policy", _("Escolha uma política válida."))
    instructions = str(data.get("instructions") or "").strip()
    if len(instructions) > INSTRUCTIONS_MAX:
        raise CredentialError(
            "instructions",
            _(
                "As instruções são longas demais (máx. %(max)s caracteres).",
                max=format_number(INSTRUCTIONS_MAX),
            ),
        )
    return {
        "model": model,
        "instructions": instructions,
        "temperature": _number(data, "temperature", float, 0, 2, 0.3, _("Temperatura")),
        "context_messages": _number(data, "context_messages", int, 1, 50, 12, _("Contexto")),
        "max_output_tokens": _number(
            data, "max_output_tokens", int, 16, 4096, 400, _("Máximo de tokens")
        ),
        "handoff_keywords": _keywords(data.get("handoff_keywords")),
        "fallback_text": (str(data.get("fallback_text") or "").strip() or DEFAULT_FALLBACK)[:1000],
        "options": {
            "business_hours": _business_hours(data),
            "daily_reply_cap": _number(
                data, "daily_reply_cap", int, 0, 100000, 0, _("Limite diário")
            )
            or None,
            "non_text_policy": policy,
            "non_text_text": (str(data.get("non_text_text") or "").strip() or DEFAULT_NON_TEXT)[
                :1000
            ],
            "handoff_text": (str(data.get("handoff_text") or "").strip() or DEFAULT_HANDOFF_TEXT)[
                :1000
            ],
        },
    }


# --------------------------------------------------------------------------- live test


def _live_models(api_key: str) -> list[str]:
    try:
        return openai_client(api_key).list_models()
    except OpenAIFailure as failure:
        if failure.kind in (OpenAIErrorKind.TIMEOUT, OpenAIErrorKind.CONNECTION):
            raise ServiceUnreachable(
                None,
                _(
                    "Não foi possível contatar a OpenAI (%(detail)s). Nada foi salvo; tente de novo.",
                    detail=failure.message,
                ),
            ) from None
        if failure.kind == OpenAIErrorKind.BAD_KEY:
            raise CredentialError(
                "api_key", _("A OpenAI recusou a chave: %(message)s", message=failure.message)
            ) from None
        raise CredentialError(
            None, _("A OpenAI respondeu com erro: %(message)s", message=failure.message)
        ) from None


def _check_model(model: str, models: list[str]) -> None:
    if model in models:
        return
    chat = sorted(m for m in models if m.startswith(("gpt-", "o")))[:12]
    raise CredentialError(
        "model",
        _("O modelo “%(model)s” não existe para esta chave.", model=model)
        + (" " + _("Disponíveis: %(models)s.", models=", ".join(chat)) if chat else ""),
    )


def save_openai_credentials(client: Client, data: dict) -> OpenAICredential:
    """Validate the key live (``GET /models`` has the model), then save key + assistant.

    ``data``: api_key (empty = keep), model, instructions, temperature, context_messages,
    max_output_tokens, handoff_keywords, fallback_text, ai_enabled, hours_mode,
    hours_days, hours_start, hours_end, daily_reply_cap, non_text_policy, non_text_text,
    handoff_text (what the assistant says when it calls a person); and #21's
    intents_enabled, human_team_id, complaint_team_id, conversation_reply_cap,
    image_max_kb (:mod:`clickpro.services.ai.guard_settings`; absent = unchanged).
    """
    existing = get_openai_credential(client.id)
    key = clean_secret(
        data.get("api_key"), "api_key", _("a chave da API"), required=existing is None
    )
    fields = _assistant_fields(data)
    guards = guard_settings.parse(client.id, data)  # #21: intents, images, conversation cap
    if key is None:
        assert existing is not None
        key = decrypt(existing.api_key_enc)
    _check_model(fields["model"], _live_models(key))

    action = Action.CREDENTIAL_CHANGED if existing is not None else Action.CREDENTIAL_CREATED
    credential = existing or OpenAICredential(client_id=client.id)
    credential.api_key_enc = encrypt(key)
    credential.key_last4 = last4(key)
    credential.assistant_id = credential.assistant_id or f"cpa_{secrets.token_hex(8)}"
    options = dict(credential.options or {})
    options.update(fields.pop("options"))
    options.update(guards)
    credential.options = options
    for name, value in fields.items():
        setattr(credential, name, value)
    credential.status = CredentialStatus.VALID
    credential.validated_at = utcnow()
    credential.last_error = None
    client.ai_enabled = bool(data.get("ai_enabled"))
    db.session.add(credential)
    db.session.commit()
    audit_record(action, credential, client_id=client.id, kind="openai", last4=credential.key_last4)
    return credential


def mark_openai_invalid(client_id: int, reason: str) -> None:
    """OpenAI refused the key during normal use (401): stop using it, tell the admins."""
    mark_invalid(
        get_openai_credential(client_id),
        client_id,
        reason,
        f"A OpenAI recusou a chave da API ({reason[:200]}). As respostas automáticas estão "
        "paradas: atualize a chave em Credenciais.",
    )


def retest_openai(client: Client) -> OpenAICredential:
    credential = get_openai_credential(client.id)
    if credential is None:
        raise NoCredentials(_("Este cliente ainda não configurou a chave da OpenAI."))
    try:
        _check_model(credential.model, _live_models(decrypt(credential.api_key_enc)))
    except ServiceUnreachable as error:
        credential.last_error = error.message
    except CredentialError as error:
        credential.status = CredentialStatus.INVALID
        credential.validated_at = utcnow()
        credential.last_error = error.message
    else:
        credential.status = CredentialStatus.VALID
        credential.validated_at = utcnow()
        credential.last_error = None
    db.session.commit()
    return credential
