"""Mail templates: ``mail/<lang>/<name>.txt`` (sets ``subject``) and ``<name>.html``.

Each language has its own files (an e-mail reads better written whole than assembled
from catalog strings). The text template sets ``{% set subject = "…" %}`` at top level;
the subject is read from the rendered template's module.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    locale: str


def mail_locale(locale: str | None) -> str:
    supported = current_app.config["LANGUAGES"]
    if locale in supported:
        return str(locale)
    if locale and locale.split("_")[0] in supported:  # "en_US" → "en"
        return locale.split("_")[0]
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def render_mail(template: str, locale: str | None, **context: object) -> RenderedMail:
    lang = mail_locale(locale)
    env = current_app.jinja_env
    with force_locale(lang):  # dates and numbers formatted for the recipient
        text_template = env.get_template(f"mail/{lang}/{template}.txt")
        module = text_template.make_module(dict(context))
        text = str(module).strip() + "\n"
        subject = " ".join(str(getattr(module, "subject", "ClickPro")).split())
        html = env.get_template(f"mail/{lang}/{template}.html").render(
            subject=subject, lang=lang, **context
        )
    return RenderedMail(subject=subject, text=text, html=html, locale=lang)
