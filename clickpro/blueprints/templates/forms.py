"""Template forms: Flask-WTF for CSRF and the upload; the rest is parsed into a draft.

The creation form has repeating parts (one example per body variable, up to 10 button
rows), so it is parsed from the request's lists rather than declared field by field;
``validate_draft`` (services) is the only place the rules live.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage, MultiDict

from clickpro.services.templates.rules import ButtonDraft, TemplateDraft
from clickpro.services.templates.service import HeaderFile
from clickpro.services.templates.ttl import seconds_from_form

BUTTON_FIELDS = ("button_type", "button_text", "button_url", "button_url_example")
MAX_BUTTON_ROWS = 20  # more rows than Meta allows still reach validate_draft (clear error)


class TemplateForm(FlaskForm):
    """CSRF + the header media file; the other inputs are read by ``draft_from_form``."""

    header_file = FileField(_l("Arquivo do cabeçalho"))


class ActionForm(FlaskForm):
    """Only the CSRF token (sync, delete): the URL says what to do."""


def _text(form: MultiDict, key: str) -> str:
    return (form.get(key) or "").replace("\r\n", "\n")


def draft_from_form(form: MultiDict) -> TemplateDraft:
    """Build the ``TemplateDraft`` from the submitted form (no validation here)."""
    header_format = (form.get("header_format") or "NONE").upper()
    draft = TemplateDraft(
        name=(form.get("name") or "").strip(),
        language=form.get("language") or "pt_BR",
        category=form.get("category") or "MARKETING",
        header_format=header_format,
        header_text=_text(form, "header_text") if header_format == "TEXT" else "",
        header_example=_text(form, "header_example") if header_format == "TEXT" else "",
        body_text=_text(form, "body_text"),
        body_examples=[v.replace("\r\n", "\n") for v in form.getlist("body_example")],
        footer_text=_text(form, "footer_text"),
        send_ttl_seconds=ttl_from_form(form)[0],
    )
    types = form.getlist("button_type")[:MAX_BUTTON_ROWS]
    texts = form.getlist("button_text")
    urls = form.getlist("button_url")
    url_examples = form.getlist("button_url_example")
    phones = form.getlist("button_phone")
    codes = form.getlist("button_code")

    def at(values: list[str], i: int) -> str:
        return values[i].strip() if i < len(values) else ""

    for i, btype in enumerate(types):
        btype = (btype or "QUICK_REPLY").upper()
        draft.buttons.append(
            ButtonDraft(
                type=btype,  # type: ignore[arg-type]
                text=at(texts, i) if btype != "COPY_CODE" else "",
                url=at(urls, i) if btype == "URL" else "",
                url_example=at(url_examples, i) if btype == "URL" else "",
                phone_number=at(phones, i) if btype == "PHONE_NUMBER" else "",
                example=at(codes, i) if btype == "COPY_CODE" else "",
            )
        )
    return draft


def ttl_from_form(form: MultiDict) -> tuple[int | None, str | None]:
    """The "Validade da mensagem" number + unit → (seconds, None) / (None, input error)."""
    return seconds_from_form(form.get("send_ttl_value") or "", form.get("send_ttl_unit") or "")


def header_file_from(storage: FileStorage | None, header_format: str) -> HeaderFile | None:
    """The uploaded header file (read once), or None when there is none or no media header."""
    if header_format not in ("IMAGE", "VIDEO", "DOCUMENT") or storage is None:
        return None
    if not storage.filename:
        return None
    return HeaderFile(filename=storage.filename, content=storage.read())
