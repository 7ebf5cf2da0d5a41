"""What one send attempt means for its row and for its campaign (pure, no I/O).

Rows: ``sent`` (wamid stored), ``retry`` (back to QUEUED with ``next_attempt_at``: rate
limits, never a failure), ``failed`` (code + Meta's title), ``unknown`` (the POST may have
reached Meta: never re-sent automatically), ``release`` (not sent: back to QUEUED now),
``skipped`` (the contact no longer has a mapped value).
Campaign actions: ``auth`` (token refused), ``template`` (template paused/disabled),
``blocked`` (account restricted) → the campaign pauses itself with a notification.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from clickpro.integrations.meta import GraphError, GraphErrorKind

K = GraphErrorKind
# kind -> seconds before the row may be tried again
RETRY_DELAYS: dict[GraphErrorKind, float] = {
    K.THROUGHPUT: 1.0,
    K.RATE_LIMIT: 5.0,
    K.PAIR_RATE: 10.0,
    K.THROUGHPUT_UPGRADE: 30.0,
}
PAUSING_KINDS: dict[GraphErrorKind, str] = {
    K.AUTH: "auth",
    K.PERMISSION: "auth",
    K.TEMPLATE_PAUSED: "template",
    K.ACCOUNT_BLOCKED: "blocked",
}
# A transport error raised before the request left (nothing can have been sent).
_NOT_SENT_NETWORK = ("ConnectError", "ConnectTimeout", "PoolTimeout")
MAX_ATTEMPTS = 20


@dataclass
class Outcome:
    message_id: int
    kind: str
    wamid: str | None = None
    at: datetime | None = None
    error_code: int | None = None
    error_title: str | None = None
    delay_s: float = 0.0
    action: str | None = None
    opt_out_phone: str | None = None
    payload: dict = field(default_factory=dict)
    body: str = ""

    @property
    def hard_failure(self) -> bool:
        return self.kind in ("failed", "unknown")


def classify(
    message_id: int, error: GraphError, *, attempts: int, phone: str, at: datetime
) -> Outcome:
    """The outcome of a send that raised ``error``."""
    title = (error.details or error.title or "")[:480]
    outcome_of = partial(Outcome, message_id=message_id, at=at, error_code=error.code)
    if error.kind in PAUSING_KINDS:
        return outcome_of(kind="release", action=PAUSING_KINDS[error.kind], error_title=title)
    if error.kind in RETRY_DELAYS:
        if attempts >= MAX_ATTEMPTS:
            return outcome_of(kind="failed", error_title=f"Limite de tentativas: {title}")
        delay = RETRY_DELAYS[error.kind] * min(4, max(1, attempts))
        return outcome_of(kind="retry", delay_s=delay, error_title=title)
    if error.kind == K.NETWORK:
        if error.status_code is None and any(n in error.title for n in _NOT_SENT_NETWORK):
            return outcome_of(kind="retry", delay_s=2.0, error_title=title)
        return outcome_of(kind="unknown", error_title=f"Resultado desconhecido: {title}")
    outcome = outcome_of(kind="failed", error_title=title or str(error))
    if error.kind == K.USER_STOPPED_MARKETING:
        outcome.opt_out_phone = phone
    return outcome
