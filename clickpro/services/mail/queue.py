"""Mail jobs go on the default queue with retries: ``MAIL_MAX_ATTEMPTS`` in all, waiting
``MAIL_RETRY_BASE_S`` and doubling between them (a mail server down for a few minutes
loses nothing)."""

from __future__ import annotations

from flask import current_app
from rq import Retry

from clickpro.jobs import QUEUE_DEFAULT, enqueue


def retry_policy() -> Retry | None:
    attempts = int(current_app.config["MAIL_MAX_ATTEMPTS"])
    if attempts <= 1:
        return None
    base = int(current_app.config["MAIL_RETRY_BASE_S"])
    return Retry(max=attempts - 1, interval=[base * 2**i for i in range(attempts - 1)])


def enqueue_mail(job: str, *args: object) -> None:
    """Enqueue the mail job ``job`` (``"mail.<function>"``) with the retry policy."""
    enqueue(job, *args, queue=QUEUE_DEFAULT, retry=retry_policy())
