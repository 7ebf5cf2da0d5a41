"""Graph API failures, classified, and token redaction.

:class:`GraphError` carries a :class:`GraphErrorKind` so callers react on the kind (back off,
fail the message, stop the campaign, mark the credential invalid) instead of parsing codes.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import httpx

# A token or secret leaking through a URL (``?access_token=…``) or an echoed header.
# (Tokens are long; "Invalid OAuth access token" must survive.)
_TOKEN_IN_TEXT = re.compile(
    r"(access_token=)[^&\s\"']+|((?:Bearer|OAuth)\s+)[A-Za-z0-9._~+/=-]{16,}", re.I
)


class GraphErrorKind(StrEnum):
    """How a caller should react to a Graph API failure."""

    AUTH = "auth"
    PERMISSION = "permission"
    INVALID_PARAMETER = "invalid_parameter"
    RATE_LIMIT = "rate_limit"
    THROUGHPUT = "throughput"
    PAIR_RATE = "pair_rate"
    THROUGHPUT_UPGRADE = "throughput_upgrade"
    WINDOW_CLOSED = "window_closed"
    UNDELIVERABLE = "undeliverable"
    ECOSYSTEM = "ecosystem"
    USER_STOPPED_MARKETING = "user_stopped_marketing"
    SPAM = "spam"
    GENERIC = "generic"
    ACCOUNT_BLOCKED = "account_blocked"
    TEMPLATE = "template"
    TEMPLATE_PAUSED = "template_paused"
    NOT_REGISTERED = "not_registered"
    NETWORK = "network"
    UNKNOWN = "unknown"


K = GraphErrorKind
_CODE_KINDS: dict[int, GraphErrorKind] = {
    190: K.AUTH,
    10: K.PERMISSION,
    200: K.PERMISSION,
    100: K.INVALID_PARAMETER,
    4: K.RATE_LIMIT,
    80007: K.RATE_LIMIT,
    130429: K.THROUGHPUT,
    131056: K.PAIR_RATE,
    131057: K.THROUGHPUT_UPGRADE,
    131047: K.WINDOW_CLOSED,
    131026: K.UNDELIVERABLE,
    131049: K.ECOSYSTEM,
    131050: K.USER_STOPPED_MARKETING,
    131048: K.SPAM,
    131000: K.GENERIC,
    131031: K.ACCOUNT_BLOCKED,
    131042: K.ACCOUNT_BLOCKED,
    368: K.ACCOUNT_BLOCKED,
    132000: K.TEMPLATE,
    132001: K.TEMPLATE,
    132012: K.TEMPLATE,
    132015: K.TEMPLATE_PAUSED,
    132016: K.TEMPLATE_PAUSED,
    133010: K.NOT_REGISTERED,
}
RETRYABLE_KINDS = frozenset(
    {K.RATE_LIMIT, K.THROUGHPUT, K.PAIR_RATE, K.THROUGHPUT_UPGRADE, K.GENERIC, K.NETWORK}
)
_PREFIX = re.compile(r"^\(#\d+\)\s*")


def classify(code: int | None, subcode: int | None, status_code: int | None) -> GraphErrorKind:
    """Map a Graph error code (and HTTP status when there is no code) to a kind."""
    if code == 100 and subcode == 33:
        return K.PERMISSION
    if code is not None and code in _CODE_KINDS:
        return _CODE_KINDS[code]
    if code is not None and 200 <= code <= 299:  # Graph's permission range (#200-#299)
        return K.PERMISSION
    if code is None and status_code is not None:
        if status_code >= 500:
            return K.NETWORK
        if status_code == 401:
            return K.AUTH
        if status_code == 403:
            return K.PERMISSION
        if status_code == 429:
            return K.RATE_LIMIT
    return K.UNKNOWN


def redact(text: str, *secrets: str | None) -> str:
    """Remove tokens from a text: the given secrets and any ``access_token=``/auth header."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _TOKEN_IN_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


class GraphError(Exception):
    """A failed Graph API call, classified. ``str()`` never contains a token."""

    def __init__(
        self,
        *,
        status_code: int | None,
        code: int | None,
        subcode: int | None = None,
        title: str = "",
        message: str = "",
        details: str | None = None,
        fbtrace_id: str | None = None,
        kind: GraphErrorKind | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.subcode = subcode
        self.title = title or message or "Graph API error"
        self.message = message or self.title
        self.details = details
        self.fbtrace_id = fbtrace_id
        self.kind = kind or classify(code, subcode, status_code)
        super().__init__(self._render())

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS

    def _render(self) -> str:
        return f"(#{self.code}) {self.title}" if self.code is not None else self.title

    def __str__(self) -> str:
        return self._render()

    def __repr__(self) -> str:
        return (
            f"GraphError(kind={self.kind.value!r}, code={self.code}, subcode={self.subcode}, "
            f"status_code={self.status_code}, title={self.title!r})"
        )

    def scrub(self, *secrets: str | None) -> GraphError:
        """Redact secrets from every text field (used by the client with its own token)."""
        self.title = redact(self.title, *secrets)
        self.message = redact(self.message, *secrets)
        if self.details:
            self.details = redact(self.details, *secrets)
        self.args = (self._render(),)
        return self

    @classmethod
    def from_response(cls, response: httpx.Response) -> GraphError:
        """Build the error from a Graph error response (``{"error": {...}}``) or any body."""
        try:
            body = response.json()
        except ValueError:
            body = None
        err = body.get("error") if isinstance(body, dict) else None
        trace = response.headers.get("x-fb-trace-id")
        if not isinstance(err, dict):
            reason = response.reason_phrase or "error"
            return cls(
                status_code=response.status_code,
                code=None,
                title=f"HTTP {response.status_code} {reason}",
                fbtrace_id=trace,
            ).scrub()
        code = _as_int(err.get("code"))
        subcode = _as_int(err.get("error_subcode"))
        message = str(err.get("message") or "")
        data = err.get("error_data")
        details = data.get("details") if isinstance(data, dict) else None
        title = str(err.get("error_user_title") or _PREFIX.sub("", message) or "Graph API error")
        return cls(
            status_code=response.status_code,
            code=code,
            subcode=subcode,
            title=title,
            message=message,
            details=str(details) if details is not None else None,
            fbtrace_id=err.get("fbtrace_id") or trace,
        ).scrub()

    @classmethod
    def from_exception(cls, exc: Exception) -> GraphError:
        """A transport failure (timeout, refused connection…): kind NETWORK."""
        kind_name = type(exc).__name__
        return cls(status_code=None, code=None, title=f"Network error: {kind_name}", kind=K.NETWORK)


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
