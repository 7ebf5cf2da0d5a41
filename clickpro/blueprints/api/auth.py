"""Who is calling /api/v1: the Bearer token, its client, its rate limit, no cookies.

API requests never use the browser session: ``clickpro.sessions`` opens a throw-away
one for ``/api/v1``, so a session cookie neither authenticates nor gets (re)set, and
a token never logs anybody into the HTML pages (they only read the session).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from flask import current_app, g, request
from flask_babel import gettext

from clickpro.blueprints.errors import RequestError
from clickpro.extensions import db
from clickpro.models import ApiToken, Client
from clickpro.services.api import tokens as api_tokens

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


class ApiError(RequestError):
    """An API refusal, answered as ``{"error": {"code", "message", "details"}}``.

    ``ApiError(status, code, message, details, headers)``; a ServiceError raised by a
    service reaches the client in the same shape (``clickpro.blueprints.errors``).
    """


@dataclass(frozen=True)
class Caller:
    token_id: int
    client_id: int
    client: Client


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate() -> Caller:
    raw = _bearer()
    token: ApiToken | None = api_tokens.authenticate(raw) if raw else None
    client = db.session.get(Client, token.client_id) if token is not None else None
    if token is None or client is None:
        raise ApiError(
            401,
            "unauthorized",
            gettext(
                "Token de API ausente, inválido ou revogado. Envie 'Authorization: Bearer cpk_…'."
            ),
            headers={"WWW-Authenticate": 'Bearer realm="clickpro-api"'},
        )
    caller = Caller(token_id=token.id, client_id=token.client_id, client=client)
    g.api_caller = caller
    return caller


def check_rate_limit(caller: Caller) -> None:
    """GCRA per token (``API_RATE_PER_S`` with ``API_RATE_BURST``); 429 + Retry-After."""
    from clickpro.extensions import redis_connection
    from clickpro.integrations.ratelimit import RateLimiter

    rate = float(current_app.config["API_RATE_PER_S"])
    burst = int(current_app.config["API_RATE_BURST"])
    if rate <= 0:
        return
    limiter = current_app.extensions.get("clickpro.api_ratelimiter")
    if limiter is None:
        limiter = RateLimiter(redis_connection())
        current_app.extensions["clickpro.api_ratelimiter"] = limiter
    try:
        wait = limiter.try_acquire(f"api:token:{caller.token_id}", rate, burst=burst)
    except Exception:  # noqa: BLE001 - Redis down: serve (fail open) rather than 500
        log.warning("API rate limiter unavailable; request allowed", exc_info=True)
        return
    if wait > 0:
        retry_after = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "rate_limited",
            gettext(
                "Limite de requisições deste token atingido (%(rate)s/s). Tente de novo em %(retry_after)s s.",
                rate=format(rate, "g"),
                retry_after=retry_after,
            ),
            details={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
