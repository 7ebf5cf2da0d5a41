"""The embedded outbox: the ``.eml`` files in ``MAIL_DIR``, newest first (``/_dev/mail``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from clickpro.services.mail.transport import mail_dir

NAME_RE = re.compile(r"[0-9T]{8,30}-[0-9a-f]{8}")
LIST_LIMIT = 200


@dataclass(frozen=True)
class OutboxMail:
    name: str
    to: str
    subject: str
    date: str
    text: str
    html: str


def _read(path) -> OutboxMail:
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(parsed, EmailMessage)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    return OutboxMail(
        name=path.stem,
        to=str(parsed["To"] or ""),
        subject=str(parsed["Subject"] or ""),
        date=str(parsed["Date"] or ""),
        text=text_part.get_content() if text_part is not None else "",
        html=html_part.get_content() if html_part is not None else "",
    )


def list_mails(limit: int = LIST_LIMIT) -> list[OutboxMail]:
    folder = mail_dir()
    if not folder.is_dir():
        return []
    paths = sorted((p for p in folder.glob("*.eml") if NAME_RE.fullmatch(p.stem)), reverse=True)
    return [_read(p) for p in paths[:limit]]


def get_mail(name: str) -> OutboxMail | None:
    if not NAME_RE.fullmatch(name or ""):
        return None  # never a path: no ../ can reach outside the folder
    path = mail_dir() / f"{name}.eml"
    return _read(path) if path.is_file() else None
