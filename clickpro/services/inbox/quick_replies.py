"""Quick replies: canned answers per client, typed as ``/shortcut`` in the composer.

Variables are filled from the contact: ``{{first_name}}``, ``{{name}}``, ``{{phone}}``
and any contact attribute key (``{{cidade}}``). A variable the contact has no value for
stays in the text as ``{{cidade}}`` and is listed in ``missing``: the composer asks the
agent for it, and :func:`ensure_filled` refuses a reply that still carries one (so
"Você é de ?" never goes out).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import Contact, QuickReply
from clickpro.tenancy import get_owned

SHORTCUT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
VARIABLE_RE = re.compile(r"\{\{\s*([a-zA-Z0-9_]+)\s*\}\}")
BODY_MAX = 4096


class QuickReplyError(ServiceError, ValueError):
    """Refused input; ``field`` names the form field, the message is pt_BR."""

    def __init__(self, field: str, message: str) -> None:
        ServiceError.__init__(self, message)
        self.field = field


def clean_shortcut(raw: str) -> str:
    shortcut = (raw or "").strip().lstrip("/").lower()
    if not SHORTCUT_RE.match(shortcut):
        raise QuickReplyError(
            "shortcut", _("Atalho inválido: use até 40 letras minúsculas, números, - ou _.")
        )
    return shortcut


def quick_replies(client_id: int) -> list[QuickReply]:
    stmt = (
        sa.select(QuickReply).where(QuickReply.client_id == client_id).order_by(QuickReply.shortcut)
    )
    return list(db.session.scalars(stmt))


def save_quick_reply(
    client_id: int, shortcut: str, body: str, reply_id: int | None = None
) -> QuickReply:
    shortcut = clean_shortcut(shortcut)
    body = (body or "").strip()
    if not body:
        raise QuickReplyError("body", _("Escreva o texto da resposta."))
    if len(body) > BODY_MAX:
        raise QuickReplyError(
            "body",
            _("O texto tem no máximo %(max)s caracteres (tem %(n)s).", max=BODY_MAX, n=len(body)),
        )
    clash = db.session.scalar(
        sa.select(QuickReply.id).where(
            QuickReply.client_id == client_id,
            QuickReply.shortcut == shortcut,
            QuickReply.id != (reply_id or 0),
        )
    )
    if clash is not None:
        raise QuickReplyError("shortcut", _("O atalho /%(shortcut)s já existe.", shortcut=shortcut))
    if reply_id:
        reply = get_owned(QuickReply, reply_id, client_id)
        if reply is None:
            raise QuickReplyError("shortcut", _("Resposta rápida não encontrada."))
    else:
        reply = QuickReply(client_id=client_id)
        db.session.add(reply)
    reply.shortcut = shortcut
    reply.body = body
    db.session.commit()
    return reply


def delete_quick_reply(client_id: int, reply_id: int) -> bool:
    reply = get_owned(QuickReply, reply_id, client_id)
    if reply is None:
        return False
    db.session.delete(reply)
    db.session.commit()
    return True


def contact_variables(contact: Contact) -> dict[str, str]:
    name = (contact.name or "").strip()
    values = {str(k): str(v) for k, v in (contact.attributes or {}).items()}
    values.update(
        {
            "first_name": name.split()[0] if name else "",
            "name": name,
            "phone": contact.phone_e164 or "",
        }
    )
    return values


def render_quick_reply(body: str, contact: Contact) -> str:
    """``body`` with every variable the contact has a (non-blank) value for filled in."""
    values = {k: v for k, v in contact_variables(contact).items() if v.strip()}
    return VARIABLE_RE.sub(lambda m: values.get(m.group(1), m.group(0)), body or "")


def missing_variables(text: str) -> list[str]:
    """The variable names still unfilled in ``text``, in order, without repeats."""
    return list(dict.fromkeys(m.group(1) for m in VARIABLE_RE.finditer(text or "")))


class UnfilledVariables(ServiceError):
    """A reply that still has ``{{variable}}`` placeholders (from a quick reply)."""

    code = "unfilled_variables"
    http_status = 422


def ensure_filled(text: str) -> None:
    """Refuse a reply that still has a quick reply's placeholder in it."""
    names = missing_variables(text)
    if names:
        raise UnfilledVariables(
            _(
                "Preencha antes de enviar: a mensagem ainda tem %(names)s sem valor.",
                names=", ".join("{{" + n + "}}" for n in names),
            ),
            field="body",
            details={"missing": names},
        )
