"""Outgoing e-mail: templates per language, one delivery function, an outbox for the demo.

``send_mail`` renders ``templates/mail/<lang>/<name>.{txt,html}`` in the recipient's
language and hands the message to :mod:`.transport`: SMTP when ``SMTP_URL`` is set,
otherwise, in embedded mode only, a ``.eml`` file in ``MAIL_DIR`` (listed on
``/_dev/mail``). Callers run it from a queue job (``clickpro/tasks/mail.py``), so a slow or
unreachable mail server never holds up a request, and a failure is retried with backoff.
"""

from __future__ import annotations

from clickpro.services.mail.render import RenderedMail, render_mail
from clickpro.services.mail.transport import MailError, MailNotConfigured, build_message, deliver


def send_mail(to: str, template: str, locale: str | None, **context: object) -> str:
    """Render ``template`` for ``to`` in ``locale`` and deliver it; returns where it went."""
    rendered = render_mail(template, locale, **context)
    return deliver(build_message(to, rendered))


__all__ = [
    "MailError",
    "MailNotConfigured",
    "RenderedMail",
    "build_message",
    "deliver",
    "render_mail",
    "send_mail",
]
