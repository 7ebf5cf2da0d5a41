"""Delivery: SMTP (``SMTP_URL``) or, in embedded mode without it, a ``.eml`` file.

``SMTP_URL`` forms:

* ``smtps://user:pass@host:465`` — TLS from the first byte;
* ``smtp://user:pass@host:587`` — STARTTLS, required: a server that does not offer it is
  refused (credentials and links never cross the network in clear);
* ``smtp://host:25?starttls=off`` — plain SMTP, for a relay on the same host or network.

User and password are URL-decoded (``%40`` for ``@``). The certificate is checked with the
system's CA store.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

from clickpro.errors import ServiceError
from clickpro.services.mail.render import RenderedMail

log = logging.getLogger(__name__)


class MailError(ServiceError):
    """The mail could not be handed over (the job retries it)."""

    code = "mail_failed"
    http_status = 503


class MailNotConfigured(MailError):
    code = "mail_not_configured"


def mail_dir() -> Path:
    configured = current_app.config["MAIL_DIR"]
    return Path(configured) if configured else Path(current_app.instance_path) / "mail"


def build_message(to: str, rendered: RenderedMail) -> EmailMessage:
    sender = current_app.config["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "clickpro.local"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = rendered.locale.replace("_", "-")  # after: set_content clears
    return message


def deliver(message: EmailMessage) -> str:
    """Hand ``message`` over; returns ``"smtp"``, the file written, or ``"suppressed"``."""
    config = current_app.config
    if config["MAIL_SUPPRESS"]:
        log.info("mail suppressed (MAIL_SUPPRESS): %s", message["Subject"])
        return "suppressed"
    if config["SMTP_URL"]:
        send_smtp(message, config["SMTP_URL"], float(config["SMTP_TIMEOUT_S"]))
        return "smtp"
    if config["EMBEDDED"]:
        return str(write_eml(message))
    raise MailNotConfigured("SMTP_URL is not set: no e-mail can be sent")


def send_smtp(message: EmailMessage, url: str, timeout: float) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailNotConfigured("SMTP_URL must be smtp://… or smtps://…")
    options = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    starttls = parts.scheme == "smtp" and options.get("starttls", "on") not in ("off", "0", "no")
    context = ssl.create_default_context()
    port = parts.port or (465 if parts.scheme == "smtps" else 587)
    try:
        smtp: smtplib.SMTP
        if parts.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(parts.hostname, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(parts.hostname, port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if starttls:
                if not smtp.has_extn("starttls"):
                    raise MailError("the SMTP server does not offer STARTTLS")
                smtp.starttls(context=context)
                smtp.ehlo()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP delivery failed: {type(exc).__name__}: {exc}") from exc


def write_eml(message: EmailMessage) -> Path:
    """One ``.eml`` per mail, written whole (temp file, then rename) so a reader never
    sees half of one."""
    folder = mail_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{_stamp()}-{uuid.uuid4().hex[:8]}.eml"
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(message.as_bytes())
    os.replace(tmp, folder / name)
    return folder / name


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
