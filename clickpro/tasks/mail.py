"""Mail jobs (queue ``QUEUE_DEFAULT``, retried with backoff: ``services.mail.queue``).

Each job builds its link when it runs, so no token ever sits in the queue.
"""

from __future__ import annotations

from clickpro.services.accounts import invitations, password_reset


def send_invitation(invitation_id: int, link_base: str, locale: str | None) -> str:
    """Job: the invitation's e-mail with a fresh link (skipped if no longer pending)."""
    return invitations.send_invitation_mail(invitation_id, link_base, locale)


def send_password_reset(email: str, link_base: str, locale: str | None) -> str:
    """Job: a reset link for ``email`` if it is an active account, nothing otherwise."""
    return password_reset.send_reset_mail(email, link_base, locale)
