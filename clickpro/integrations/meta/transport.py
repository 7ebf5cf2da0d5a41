"""HTTP transport to the Graph API: auth header, GET retries, JSON bodies, pagination.

Retry policy: only idempotent ``GET`` requests are retried here (network errors and 5xx,
at most twice). ``POST`` is never retried: Meta has no idempotency key, so a blind retry
of a send can deliver a message twice. A ``NETWORK`` error on a POST therefore means
"outcome unknown" and the caller decides.

Every request goes to ``<base_url>/<version>/<path>``: an absolute URL is never accepted as
a path, so the access token only ever travels to the configured Graph host (media downloads,
which do leave that host, go through :mod:`clickpro.integrations.meta.media`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import httpx

from clickpro.integrations.meta.errors import GraphError, GraphErrorKind, redact
from clickpro.integrations.meta.lean_http import LeanHTTP, LeanResponse, LeanTransportError

log = logging.getLogger("clickpro.integrations.meta")

DEFAULT_TIMEOUT = 15.0


class GraphTransport:
    """Base of :class:`~clickpro.integrations.meta.GraphClient`: the transport only."""

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
        lean: LeanHTTP | None = None,
    ) -> None:
        self._token = access_token
        self._root = f"{base_url.rstrip('/')}/{api_version.strip('/')}"
        self._http = http
        self._timeout = timeout
        # Plain JSON POSTs (sends) go through the lean pooled client when there is one:
        # a third of httpx's CPU per request (lean_http's docstring has the figures).
        self._lean = lean

    def __repr__(self) -> str:
        return f"GraphClient(root={self._root!r})"

    # ------------------------------------------------------------------ transport
    def _url(self, path: str) -> str:
        """A Graph URL under the API root: never an absolute URL a caller passed through."""
        if "://" in path or path.startswith("/"):
            raise GraphError(
                status_code=None,
                code=None,
                title="Refused Graph path",
                kind=GraphErrorKind.INVALID_PARAMETER,
            )
        return f"{self._root}/{path}"

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
        if (
            self._lean is not None
            and method == "POST"
            and json is not None
            and params is None
            and content is None
            and data is None
            and files is None
        ):
            return self._lean_post(path, json, hdrs)  # type: ignore[return-value]
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
                    follow_redirects=False,
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

    def _lean_post(self, path: str, body: dict, headers: dict[str, str]) -> LeanResponse:
        """The lean client's POST, with the same errors as the httpx path (never retried)."""
        assert self._lean is not None
        try:
            response = self._lean.post_json(
                self._url(path), body, headers=headers, timeout=self._timeout
            )
        except LeanTransportError as exc:
            error = GraphError.from_exception(exc)
            log.warning("graph POST %s failed: %s", _log_path(path), error)
            raise error from None
        if response.status_code >= 400:
            raise GraphError.from_response(response).scrub(self._token)  # type: ignore[arg-type]
        return response

    def _sleep(self, attempt: int) -> None:
        if self.retry_backoff_s > 0:
            time.sleep(self.retry_backoff_s * (2**attempt))

    def _json(self, response: httpx.Response | LeanResponse) -> dict:
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


def _log_path(path: str) -> str:
    """Path for logs: no query string (could carry a token), no scheme/host for full URLs."""
    return redact(path.split("?", 1)[0])
