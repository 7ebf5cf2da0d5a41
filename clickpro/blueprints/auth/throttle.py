"""Throttle of ``POST /login`` with Flask-Limiter: per address and per (account, address).

Two moving windows of ``LOGIN_THROTTLE_WINDOW_MINUTES``:

* per IP address, ``LOGIN_THROTTLE_PER_IP`` attempts (any account): one address cannot
  brute-force or spray passwords;
* per account *from one address*, ``LOGIN_THROTTLE_PER_ACCOUNT`` attempts; a successful
  sign-in clears it (whoever got in knows the password).

The account-wide lock in the database (``LOGIN_MAX_FAILURES`` failures from anywhere)
stays as the backstop against many addresses. ``LOGIN_MAX_FAILURES`` is set above the
per-account throttle so that one address can never lock a known e-mail: it is throttled
first, and only its own attempts wait.

An attempt is counted (atomically, in Redis when ``REDIS_URL`` is set) *before* the
password is checked, so a parallel burst cannot slip past the limit. The storage is
Flask-Limiter's (``RATELIMIT_STORAGE_URI``: Redis or memory); if it is unreachable the
login is served (the database lock still applies) and a warning logged.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItemPerMinute

from clickpro.forwarding import client_address
from clickpro.services.accounts.service import normalize_email

log = logging.getLogger(__name__)
_KEY = "clickpro.login_limiter"


def init_throttle(app: Flask) -> None:
    """One Limiter per app (tests build many apps; each gets its own storage)."""
    app.config["RATELIMIT_STORAGE_URI"] = (
        app.config["RATELIMIT_STORAGE_URI"] or app.config["REDIS_URL"] or "memory://"
    )
    limiter = Limiter(get_remote_address, app=app)
    app.extensions[_KEY] = limiter


@dataclass(frozen=True)
class Throttled:
    """A refused attempt: how long until the next one is allowed."""

    retry_after_s: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_s / 60))


def _items() -> tuple[RateLimitItemPerMinute, RateLimitItemPerMinute]:
    config = current_app.config
    window = int(config["LOGIN_THROTTLE_WINDOW_MINUTES"])
    per_ip = RateLimitItemPerMinute(int(config["LOGIN_THROTTLE_PER_IP"]), window)
    per_account = RateLimitItemPerMinute(int(config["LOGIN_THROTTLE_PER_ACCOUNT"]), window)
    return per_ip, per_account


def _ip() -> str:
    """The client's address: behind the reverse proxy named by ``FORWARDED_ALLOW_IPS``
    the hop it added to ``X-Forwarded-For`` (else every visitor would share the proxy's
    address and one attacker could throttle everybody), otherwise the peer."""
    return client_address(request.environ) or get_remote_address() or "unknown"


def _account_key(email: str) -> str:
    # Hashed: the storage never holds e-mail addresses.
    digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]
    return f"{digest}@{_ip()}"


def _enabled() -> bool:
    return bool(current_app.config["RATELIMIT_ENABLED"]) and _KEY in (current_app.extensions)


def reserve_attempt(email: str) -> Throttled | None:
    """Count one attempt for this address and for (account, address); None if allowed."""
    per_ip, per_account = _items()
    return _reserve(
        ((per_ip, ("login-ip", _ip())), (per_account, ("login-account", _account_key(email))))
    )


def reserve_reset_request(email: str) -> Throttled | None:
    """For "Esqueci minha senha": ``PASSWORD_RESET_THROTTLE_PER_IP`` requests per window from
    one address, ``PASSWORD_RESET_THROTTLE_PER_ACCOUNT`` for one e-mail from one address
    (counted for any e-mail, known or not, so the answer never tells which exist)."""
    config = current_app.config
    window = int(config["PASSWORD_RESET_THROTTLE_WINDOW_MINUTES"])
    per_ip = RateLimitItemPerMinute(int(config["PASSWORD_RESET_THROTTLE_PER_IP"]), window)
    per_account = RateLimitItemPerMinute(int(config["PASSWORD_RESET_THROTTLE_PER_ACCOUNT"]), window)
    return _reserve(
        ((per_ip, ("reset-ip", _ip())), (per_account, ("reset-account", _account_key(email))))
    )


def _reserve(checks) -> Throttled | None:
    if not _enabled():
        return None
    strategy = current_app.extensions[_KEY].limiter
    try:
        for item, keys in checks:
            if not strategy.hit(item, *keys):
                reset_at, _remaining = strategy.get_window_stats(item, *keys)
                return Throttled(retry_after_s=max(1, math.ceil(reset_at - time.time())))
    except Exception:  # noqa: BLE001 - storage down: the database lock still protects
        log.warning("login throttle unavailable; attempt allowed", exc_info=True)
    return None


def clear_account(email: str) -> None:
    """After a successful sign-in: the (account, address) window starts over."""
    if not _enabled():
        return
    strategy = current_app.extensions[_KEY].limiter
    try:
        strategy.clear(_items()[1], "login-account", _account_key(email))
    except Exception:  # noqa: BLE001
        log.warning("login throttle unavailable; not cleared", exc_info=True)
