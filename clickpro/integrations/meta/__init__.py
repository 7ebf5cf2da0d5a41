"""The one door to Meta's Graph API (WhatsApp Business Cloud API).

Every HTTP call ClickPro makes to Meta goes through :class:`GraphClient`. It raises
:class:`GraphError` with a classified :class:`GraphErrorKind` so callers react on the kind
(back off, fail the message, stop the campaign, mark the credential invalid) instead of
parsing codes themselves.

Retry policy: only idempotent ``GET`` requests are retried here (network errors and 5xx,
at most twice). ``POST`` is never retried: Meta has no idempotency key, so a blind retry
of a send can deliver a message twice. A ``NETWORK`` error on a POST therefore means
"outcome unknown" and the caller decides.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
from flask import Flask, current_app

from clickpro.integrations.http import app_pooled_client

log = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
DEFAULT_TIMEOUT = 15.0
_EXTENSION_KEY = "clickpro.meta_http"
_create_lock = threading.Lock()

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


@dataclass(frozen=True)
class SendResult:
    wamid: str
    wa_id: str | None
    raw: dict = field(repr=False)


class GraphClient:
    """A thin, typed client for the Graph endpoints ClickPro uses.

    Cheap to create (one per credential and task); the pooled ``http`` client is shared.
    """

    max_get_retries = 2
    retry_backoff_s = 0.2

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str,
        api_version: str,
        http: httpx.Client,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._token = access_token
        self._root = f"{base_url.rstrip('/')}/{api_version.strip('/')}"
        self._http = http
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"GraphClient(root={self._root!r})"

    # ------------------------------------------------------------------ transport
    def _url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self._root}/{path}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict | None = None,
        content: bytes | None = None,
        data: dict | None = None,
        files: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        hdrs = {"Authorization": f"Bearer {self._token}"}
        hdrs.update(headers or {})
        attempts = 1 + (self.max_get_retries if method == "GET" else 0)
        for attempt in range(attempts):
            started = time.perf_counter()
            try:
                response = self._http.request(
                    method,
                    self._url(path),
                    params=params,
                    json=json,
                    content=content,
                    data=data,
                    files=files,
                    headers=hdrs,
                    timeout=self._timeout,
                )
            except httpx.TransportError as exc:  # timeouts, refused, reset, protocol
                error = GraphError.from_exception(exc)
                log.warning("graph %s %s failed: %s", method, _log_path(path), error)
                if attempt + 1 < attempts:
                    self._sleep(attempt)
                    continue
                raise error from None
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.debug(
                "graph %s %s -> %s (%.0f ms)",
                method,
                _log_path(path),
                response.status_code,
                elapsed_ms,
            )
            if response.status_code >= 500 and attempt + 1 < attempts:
                self._sleep(attempt)
                continue
            if response.status_code >= 400:
                raise GraphError.from_response(response).scrub(self._token)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _sleep(self, attempt: int) -> None:
        if self.retry_backoff_s > 0:
            time.sleep(self.retry_backoff_s * (2**attempt))

    def _json(self, response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise GraphError(
                status_code=response.status_code,
                code=None,
                title="Invalid JSON in Graph API response",
            ) from None
        if not isinstance(body, dict):
            raise GraphError(
                status_code=response.status_code, code=None, title="Unexpected Graph response"
            )
        return body

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict:
        return self._json(self._request("GET", path, params=params))

    def _post(self, path: str, **kwargs: Any) -> dict:
        return self._json(self._request("POST", path, **kwargs))

    # ------------------------------------------------------------------ account
    def list_phone_numbers(self, waba_id: str) -> list[dict]:
        return list(self._paginate(f"{waba_id}/phone_numbers", {}))

    def _paginate(self, path: str, params: dict[str, Any]) -> Iterable[dict]:
        params = dict(params)
        for _ in range(1000):  # hard stop against a server that loops its cursors
            body = self._get(path, params)
            yield from body.get("data") or []
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            params["after"] = after

    # ------------------------------------------------------------------ templates
    def list_templates(self, waba_id: str, *, name: str | None = None) -> list[dict]:
        params: dict[str, Any] = {
            "fields": "id,name,language,status,category,components,rejected_reason",
            "limit": 100,
        }
        if name:
            params["name"] = name
        return list(self._paginate(f"{waba_id}/message_templates", params))

    def create_template(self, waba_id: str, payload: dict) -> dict:
        return self._post(f"{waba_id}/message_templates", json=payload)

    def delete_template(self, waba_id: str, name: str) -> dict:
        return self._json(
            self._request("DELETE", f"{waba_id}/message_templates", params={"name": name})
        )

    # ------------------------------------------------------------------ media
    def upload_header_media(
        self, app_id: str, file_name: str, content: bytes, mime_type: str
    ) -> str:
        """Resumable Upload API: open a session, send the bytes, return the ``4::…`` handle."""
        session = self._post(
            f"{app_id}/uploads",
            params={"file_name": file_name, "file_length": len(content), "file_type": mime_type},
        )
        upload_id = session.get("id")
        if not upload_id:
            raise GraphError(status_code=None, code=None, title="Upload session without id")
        body = self._post(
            str(upload_id),
            content=content,
            headers={"Authorization": f"OAuth {self._token}", "file_offset": "0"},
        )
        handle = body.get("h")
        if not handle:
            raise GraphError(status_code=None, code=None, title="Upload without handle")
        return str(handle)

    def upload_message_media(
        self, phone_number_id: str, content: bytes, mime_type: str, file_name: str
    ) -> str:
        body = self._post(
            f"{phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (file_name, content, mime_type)},
        )
        return str(body["id"])

    def get_media(self, media_id: str) -> dict:
        return self._get(media_id)

    def download_media(self, url: str) -> bytes:
        return self._request("GET", url).content

    # ------------------------------------------------------------------ messages
    def send_message(self, phone_number_id: str, payload: dict) -> SendResult:
        body = dict(payload)
        body.setdefault("messaging_product", "whatsapp")
        body.setdefault("recipient_type", "individual")
        raw = self._post(f"{phone_number_id}/messages", json=body)
        messages = raw.get("messages") or []
        if not messages or not messages[0].get("id"):
            raise GraphError(status_code=200, code=None, title="Send response without wamid")
        contacts = raw.get("contacts") or []
        wa_id = contacts[0].get("wa_id") if contacts else None
        return SendResult(wamid=str(messages[0]["id"]), wa_id=wa_id, raw=raw)

    @staticmethod
    def _with_callback(payload: dict, callback_data: str | None) -> dict:
        if callback_data is not None:
            payload["biz_opaque_callback_data"] = callback_data
        return payload

    def send_text(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        *,
        preview_url: bool = False,
        callback_data: str | None = None,
    ) -> SendResult:
        payload = {"to": to, "type": "text", "text": {"body": body, "preview_url": preview_url}}
        return self.send_message(phone_number_id, self._with_callback(payload, callback_data))

    def send_template(
        self,
        phone_number_id: str,
        to: str,
        name: str,
        language: str,
        components: list[dict],
        *,
        callback_data: str | None = None,
    ) -> SendResult:
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if components:
            template["components"] = components
        payload = {"to": to, "type": "template", "template": template}
        return self.send_message(phone_number_id, self._with_callback(payload, callback_data))

    def send_media(
        self,
        phone_number_id: str,
        to: str,
        media_type: str,
        *,
        media_id: str | None = None,
        link: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        callback_data: str | None = None,
    ) -> SendResult:
        if (media_id is None) == (link is None):
            raise ValueError("send_media needs exactly one of media_id or link")
        media: dict[str, Any] = {"id": media_id} if media_id is not None else {"link": link}
        if caption and media_type in {"image", "video", "document"}:
            media["caption"] = caption
        if filename and media_type == "document":
            media["filename"] = filename
        payload = {"to": to, "type": media_type, media_type: media}
        return self.send_message(phone_number_id, self._with_callback(payload, callback_data))

    def mark_read(self, phone_number_id: str, wamid: str) -> None:
        self._post(
            f"{phone_number_id}/messages",
            json={"messaging_product": "whatsapp", "status": "read", "message_id": wamid},
        )


def _log_path(path: str) -> str:
    """Path for logs: no query string (could carry a token), no scheme/host for full URLs."""
    return redact(path.split("?", 1)[0])


def shared_http_client(app: Flask | None = None) -> httpx.Client:
    """The app's pooled client for Meta, created on first use (never at import)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]

    def options() -> dict[str, Any]:
        timeout = float(app.config.get("META_HTTP_TIMEOUT", DEFAULT_TIMEOUT))
        return {
            # ~1000 req/s at ~100-200 ms latency needs ~100-200 connections in flight.
            "limits": httpx.Limits(
                max_connections=200, max_keepalive_connections=200, keepalive_expiry=30.0
            ),
            "timeout": httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            "headers": {"User-Agent": "ClickPro/1.0"},
        }

    return app_pooled_client(app, _EXTENSION_KEY, _create_lock, "META_HTTP_TRANSPORT", options)


def graph_client(access_token: str, app: Flask | None = None) -> GraphClient:
    """A :class:`GraphClient` configured from the app's settings."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return GraphClient(
        access_token,
        base_url=app.config.get("META_GRAPH_URL") or DEFAULT_GRAPH_URL,
        api_version=app.config.get("META_API_VERSION") or DEFAULT_API_VERSION,
        http=shared_http_client(app),
        timeout=float(app.config.get("META_HTTP_TIMEOUT", DEFAULT_TIMEOUT)),
    )
