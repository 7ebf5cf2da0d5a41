"""WhatsApp message template rules: validation and Meta's create payload (and its inverse).

Pure domain logic (no DB; flask_babel's gettext only, which also works outside an app).
Mirrors Meta's creation rules so most rejections are caught before submission; every
user-facing message goes through gettext (pt_BR source, English catalog).

AUTHENTICATION category: *refused* by ``validate_draft`` (Meta imposes a fixed text and an
OTP button that this editor does not build). Imported AUTHENTICATION templates are still
handled by ``variable_slots`` / ``build_send_components`` / ``render_text`` (OTP button).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from flask_babel import gettext

# Send side and media live in template_media (size limit); re-exported so callers only
# need ``clickpro.services.templates.rules``.
from clickpro.services.templates.media import (  # noqa: F401 (re-exports)
    ANY_PLACEHOLDER_RE,
    BAD_PARAM_RE,
    VAR_RE,
    build_send_components,
    example_errors,
    render_text,
    validate_header_media,
    variable_errors,
    variable_slots,
    variables_in,
)
from clickpro.services.templates.ttl import ttl_errors

HEADER_FORMATS = ("NONE", "TEXT", "IMAGE", "VIDEO", "DOCUMENT")
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
BUTTON_TYPES = ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE")
# fmt: off
LANGUAGES: list[tuple[str, str]] = [
    ("pt_BR", "Português (Brasil)"), ("en_US", "Inglês (EUA)"), ("es", "Espanhol"),
    ("es_AR", "Espanhol (Argentina)"), ("es_MX", "Espanhol (México)"),
    ("en_GB", "Inglês (Reino Unido)"), ("pt_PT", "Português (Portugal)"), ("fr", "Francês"),
    ("it", "Italiano"), ("de", "Alemão"), ("es_ES", "Espanhol (Espanha)"), ("en", "Inglês"),
    ("nl", "Holandês"), ("ja", "Japonês"), ("zh_CN", "Chinês (China)"), ("ar", "Árabe"),
    ("ru", "Russo"), ("hi", "Hindi"),
]
# fmt: on
LANGUAGE_CODES = frozenset(code for code, _ in LANGUAGES)

NAME_MAX, HEADER_MAX, BODY_MAX, FOOTER_MAX = 512, 60, 1024, 60
BUTTONS_MAX, BUTTON_TEXT_MAX, URL_MAX, COPY_CODE_MAX = 10, 25, 2000, 15
MAX_PER_TYPE = {"URL": 2, "PHONE_NUMBER": 1, "COPY_CODE": 1}
WORDS_PER_VARIABLE = 3
COPY_CODE_LABEL = "Copiar código"

NAME_RE = re.compile(r"^[a-z0-9_]+$")
PHONE_RE = re.compile(r"^\+\d{8,15}$")
URL_RE = re.compile(r"^https?://[^\s/?#{}]+\.[^\s/?#{}]+", re.IGNORECASE)


@dataclass
class ButtonDraft:
    type: Literal["QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE"]
    text: str = ""
    url: str = ""
    url_example: str = ""
    phone_number: str = ""
    example: str = ""


@dataclass
class TemplateDraft:
    name: str
    language: str = "pt_BR"
    category: str = "MARKETING"
    header_format: str = "NONE"
    header_text: str = ""
    header_example: str = ""
    header_handle: str = ""
    body_text: str = ""
    body_examples: list[str] = field(default_factory=list)
    footer_text: str = ""
    buttons: list[ButtonDraft] = field(default_factory=list)
    send_ttl_seconds: int | None = None  # message_send_ttl_seconds; None = Meta's default


# --------------------------------------------------------------------------- helpers


def _word_count(text: str) -> int:
    return sum(1 for w in VAR_RE.sub(" ", text).split() if any(c.isalnum() for c in w))


def _full_url_example(button: ButtonDraft) -> str:
    example = (button.url_example or "").strip()
    if example.lower().startswith(("http://", "https://")):
        return example
    return VAR_RE.sub("", button.url.strip(), count=1) + example


def normalize_phone(phone: str) -> str:
    """'+55 (11) 99999-0000' → '+5511999990000' (drops spaces, dots, dashes, parentheses)."""
    return re.sub(r"[\s().-]", "", phone or "")


# --------------------------------------------------------------------------- validation


def validate_draft(draft: TemplateDraft) -> dict[str, list[str]]:
    """Field name → pt_BR error messages; {} when the draft can be submitted to Meta.

    Per-button errors use the key ``"buttons.<index>"``; global button errors ``"buttons"``.
    """
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    name = draft.name or ""
    if not name.strip():
        add("name", gettext("O nome é obrigatório."))
    else:
        if len(name) > NAME_MAX:
            add(
                "name",
                gettext("O nome deve ter no máximo %(name_max)s caracteres.", name_max=NAME_MAX),
            )
        if not NAME_RE.match(name):
            add(
                "name",
                gettext(
                    "O nome deve ter apenas letras minúsculas, números e _ (sem espaços nem acentos)."
                ),
            )
    if draft.language not in LANGUAGE_CODES:
        add("language", gettext("Idioma não suportado."))
    if draft.category not in CATEGORIES:
        add(
            "category", gettext("Categoria inválida: escolha Marketing, Utilidade ou Autenticação.")
        )
    elif draft.category == "AUTHENTICATION":
        add(
            "category",
            gettext(
                "Modelos de Autenticação (código de verificação) usam um texto fixo da Meta e "
                "ainda não podem ser criados pelo ClickPro. Crie-os no WhatsApp Manager e "
                "importe-os, ou use a categoria Utilidade."
            ),
        )
    _validate_header(draft, add)
    _validate_body(draft, add)
    footer = (draft.footer_text or "").strip()
    if len(footer) > FOOTER_MAX:
        add(
            "footer_text",
            gettext(
                "O rodapé deve ter no máximo %(footer_max)s caracteres (%(count)s).",
                footer_max=FOOTER_MAX,
                count=len(footer),
            ),
        )
    if ANY_PLACEHOLDER_RE.search(footer):
        add("footer_text", gettext("O rodapé não pode ter variáveis."))
    _validate_buttons(draft.buttons, add)
    for message in ttl_errors(draft.category, draft.send_ttl_seconds):
        add("send_ttl_seconds", message)
    return errors


def _validate_header(draft: TemplateDraft, add) -> None:
    fmt = draft.header_format or "NONE"
    if fmt not in HEADER_FORMATS:
        add(
            "header_format",
            gettext(
                "Formato de cabeçalho inválido: use nenhum, texto, imagem, vídeo ou documento."
            ),
        )
        return
    if fmt == "TEXT":
        text = (draft.header_text or "").strip()
        if not text:
            add("header_text", gettext("Informe o texto do cabeçalho ou escolha “Nenhum”."))
            return
        if len(text) > HEADER_MAX:
            add(
                "header_text",
                gettext(
                    "O cabeçalho deve ter no máximo %(header_max)s caracteres (%(count)s).",
                    header_max=HEADER_MAX,
                    count=len(text),
                ),
            )
        if "\n" in text or "\t" in text:
            add("header_text", gettext("O cabeçalho não pode ter quebras de linha nem tabulações."))
        if len(VAR_RE.findall(text)) > 1 or variables_in(text) not in ([], [1]):
            add(
                "header_text",
                gettext("O cabeçalho pode ter no máximo uma variável, e ela deve ser {{1}}."),
            )
        else:
            for message in variable_errors(text):
                add("header_text", message)
        if variables_in(text):
            for message in example_errors([draft.header_example], 1, gettext("do cabeçalho")):
                add("header_example", message)
    elif fmt in MEDIA_FORMATS and not (draft.header_handle or "").strip():
        add(
            "header_handle", gettext("Envie o arquivo de mídia do cabeçalho (exemplo para a Meta).")
        )


def _validate_body(draft: TemplateDraft, add) -> None:
    text = (draft.body_text or "").strip()
    if not text:
        add("body_text", gettext("O corpo da mensagem é obrigatório."))
        return
    if len(text) > BODY_MAX:
        add(
            "body_text",
            gettext(
                "O corpo deve ter no máximo %(body_max)s caracteres (%(count)s).",
                body_max=BODY_MAX,
                count=len(text),
            ),
        )
    var_errors = variable_errors(text)
    for message in var_errors:
        add("body_text", message)
    numbers = variables_in(text)
    if not numbers:
        return
    if re.match(r"^\{\{\d+\}\}", text) or re.search(r"\{\{\d+\}\}$", text):
        add("body_text", gettext("O corpo não pode começar nem terminar com uma variável."))
    if len(numbers) * WORDS_PER_VARIABLE > _word_count(text):
        add(
            "body_text",
            gettext(
                "Há variáveis demais para o tamanho do texto: use no máximo uma variável a cada %(words_per_variable)s palavras ou escreva uma mensagem mais longa.",
                words_per_variable=WORDS_PER_VARIABLE,
            ),
        )
    if not var_errors:
        for message in example_errors(draft.body_examples or [], len(numbers), gettext("do corpo")):
            add("body_examples", message)


def _validate_buttons(buttons: list[ButtonDraft], add) -> None:
    if not buttons:
        return
    if len(buttons) > BUTTONS_MAX:
        add(
            "buttons",
            gettext(
                "No máximo %(buttons_max)s botões no total (%(count)s).",
                buttons_max=BUTTONS_MAX,
                count=len(buttons),
            ),
        )
    labels = {
        "URL": gettext("de link"),
        "PHONE_NUMBER": gettext("de telefone"),
        "COPY_CODE": gettext("de copiar código"),
    }
    for btype, limit in MAX_PER_TYPE.items():
        count = sum(1 for b in buttons if b.type == btype)
        if count > limit:
            add(
                "buttons",
                gettext(
                    "No máximo %(limit)s botão(ões) %(labels)s (%(count)s).",
                    limit=limit,
                    labels=labels[btype],
                    count=count,
                ),
            )
    kinds = "".join("Q" if b.type == "QUICK_REPLY" else "C" for b in buttons)
    if "QCQ" in _squeeze(kinds) or "CQC" in _squeeze(kinds):
        add(
            "buttons",
            gettext(
                "Agrupe os botões de resposta rápida: todos antes ou todos depois dos botões "
                "de ação (link, telefone, copiar código)."
            ),
        )
    seen_texts: set[str] = set()
    for i, button in enumerate(buttons):
        key = f"buttons.{i}"
        if button.type not in BUTTON_TYPES:
            add(key, gettext("Tipo de botão não suportado: %(type)s.", type=button.type))
            continue
        text = (button.text or "").strip()
        if button.type != "COPY_CODE":
            if not text:
                add(key, gettext("Informe o texto do botão."))
            elif len(text) > BUTTON_TEXT_MAX:
                add(
                    key,
                    gettext(
                        "O texto do botão deve ter no máximo %(button_text_max)s caracteres.",
                        button_text_max=BUTTON_TEXT_MAX,
                    ),
                )
            if ANY_PLACEHOLDER_RE.search(text):
                add(key, gettext("O texto do botão não pode ter variáveis."))
            if text and text.lower() in seen_texts:
                add(key, gettext("Dois botões não podem ter o mesmo texto."))
            seen_texts.add(text.lower())
        if button.type == "URL":
            _validate_url_button(button, key, add)
        elif button.type == "PHONE_NUMBER" and not PHONE_RE.match(
            normalize_phone(button.phone_number)
        ):
            add(
                key,
                gettext(
                    "Informe o telefone no formato internacional, com + e DDI (ex.: +5511999990000)."
                ),
            )
        elif button.type == "COPY_CODE":
            code = (button.example or "").strip()
            if not code:
                add(key, gettext("Informe um exemplo de código para o botão de copiar código."))
            elif len(code) > COPY_CODE_MAX or not code.isalnum():
                add(
                    key,
                    gettext(
                        "O código de exemplo deve ter até %(copy_code_max)s letras ou números.",
                        copy_code_max=COPY_CODE_MAX,
                    ),
                )


def _squeeze(kinds: str) -> str:
    return re.sub(r"(.)\1+", r"\1", kinds)


def _validate_url_button(button: ButtonDraft, key: str, add) -> None:
    url = (button.url or "").strip()
    if not url:
        add(key, gettext("Informe o endereço (URL) do botão."))
        return
    if not URL_RE.match(url):
        add(
            key, gettext("O endereço deve começar com http:// ou https:// e ter um domínio válido.")
        )
    if len(url) > URL_MAX:
        add(key, gettext("O endereço deve ter no máximo %(url_max)s caracteres.", url_max=URL_MAX))
    placeholders = ANY_PLACEHOLDER_RE.findall(url)
    if not placeholders:
        return
    if len(placeholders) > 1 or placeholders != ["1"]:
        add(key, gettext("O endereço pode ter no máximo uma variável, e ela deve ser {{1}}."))
    elif not url.endswith("{{1}}"):
        add(key, gettext("A variável {{1}} deve ficar no final do endereço."))
    elif not (button.url_example or "").strip():
        add(key, gettext("Informe um exemplo de endereço completo para a variável do botão."))
    elif BAD_PARAM_RE.search(button.url_example) or " " in button.url_example.strip():
        add(key, gettext("O exemplo do endereço não pode ter espaços nem quebras de linha."))


# --------------------------------------------------------------------------- Meta payloads


def build_components(draft: TemplateDraft) -> list[dict]:
    """The ``components`` of Meta's create payload (``POST /{waba_id}/message_templates``)."""
    components: list[dict] = []
    fmt = draft.header_format or "NONE"
    if fmt == "TEXT":
        text = draft.header_text.strip()
        header: dict = {"type": "HEADER", "format": "TEXT", "text": text}
        if variables_in(text):
            header["example"] = {"header_text": [draft.header_example.strip()]}
        components.append(header)
    elif fmt in MEDIA_FORMATS:
        components.append(
            {"type": "HEADER", "format": fmt, "example": {"header_handle": [draft.header_handle]}}
        )
    body_text = draft.body_text.strip()
    body: dict = {"type": "BODY", "text": body_text}
    count = len(variables_in(body_text))
    if count:
        examples = [(e or "").strip() for e in (draft.body_examples or [])[:count]]
        body["example"] = {"body_text": [examples]}
    components.append(body)
    if draft.footer_text.strip():
        components.append({"type": "FOOTER", "text": draft.footer_text.strip()})
    if draft.buttons:
        components.append(
            {"type": "BUTTONS", "buttons": [_button_payload(b) for b in draft.buttons]}
        )
    return components


def _button_payload(button: ButtonDraft) -> dict:
    text = (button.text or "").strip()
    if button.type == "URL":
        url = button.url.strip()
        payload: dict[str, Any] = {"type": "URL", "text": text, "url": url}
        if VAR_RE.search(url):
            payload["example"] = [_full_url_example(button)]
        return payload
    if button.type == "PHONE_NUMBER":
        return {
            "type": "PHONE_NUMBER",
            "text": text,
            "phone_number": normalize_phone(button.phone_number),
        }
    if button.type == "COPY_CODE":
        return {"type": "COPY_CODE", "example": button.example.strip()}
    return {"type": button.type, "text": text}


def draft_from_components(
    name: str, language: str, category: str, components: list[dict]
) -> TemplateDraft:
    """Inverse of ``build_components`` (for "duplicate as new" and imported templates).

    Component/button types are matched case-insensitively. Unknown button types (FLOW,
    OTP, CATALOG…) are kept with their own type so ``validate_draft`` reports them.
    A media header's handle is what Meta returned (for listed templates a media URL,
    which must be re-uploaded before a new submission).
    """
    draft = TemplateDraft(name=name, language=language, category=category)
    for component in components or []:
        ctype = str(component.get("type", "")).upper()
        example = component.get("example") or {}
        if ctype == "HEADER":
            draft.header_format = str(component.get("format", "TEXT")).upper()
            if draft.header_format == "TEXT":
                draft.header_text = component.get("text", "")
                draft.header_example = _first(example.get("header_text"))
            else:
                draft.header_handle = _first(example.get("header_handle"))
        elif ctype == "BODY":
            draft.body_text = component.get("text", "")
            rows = example.get("body_text") or [[]]
            draft.body_examples = [str(v) for v in (rows[0] if rows else [])]
        elif ctype == "FOOTER":
            draft.footer_text = component.get("text", "")
        elif ctype == "BUTTONS":
            draft.buttons = [_button_draft(b) for b in component.get("buttons", [])]
    return draft


def _first(value) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _button_draft(button: dict) -> ButtonDraft:
    btype = str(button.get("type", "")).upper()
    draft = ButtonDraft(type=btype, text=button.get("text", ""))  # type: ignore[arg-type]
    if btype == "URL":
        draft.url = button.get("url", "")
        draft.url_example = _first(button.get("example"))
    elif btype == "PHONE_NUMBER":
        draft.phone_number = button.get("phone_number", "")
    elif btype == "COPY_CODE":
        draft.example = _first(button.get("example"))
        draft.text = ""
    return draft
