"""Which client owns a phone number id, cached briefly per process and per app.

The webhook looks the owner of ``metadata.phone_number_id`` up once per burst instead of
once per change. Whoever changes a number (added, secret changed, archived) calls
:func:`forget` so this process routes by the new row at once; other processes follow
within :data:`ROUTE_TTL_S`.
"""

from __future__ import annotations

import time

from flask import current_app

ROUTE_TTL_S = 10.0
MAX_ENTRIES = 10_000


def _cache() -> dict[str, tuple[float, int, str | None]]:
    """Per app (tests build many apps over recycled ids), per process."""
    return current_app.extensions.setdefault("clickpro.webhook_routes", {})


def cached(phone_number_id: str) -> tuple[int, str | None] | None:
    """(client, app key) when known and fresh, else None."""
    found = _cache().get(phone_number_id)
    if found and found[0] > time.monotonic():
        return found[1], found[2]
    return None


def store(phone_number_id: str, client_id: int, app_key: str | None) -> None:
    cache = _cache()
    if len(cache) > MAX_ENTRIES:
        cache.clear()
    cache[phone_number_id] = (time.monotonic() + ROUTE_TTL_S, client_id, app_key)


def forget(phone_number_id: str) -> None:
    _cache().pop(str(phone_number_id), None)


def clear() -> None:
    _cache().clear()
