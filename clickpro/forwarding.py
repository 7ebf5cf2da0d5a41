"""Which address a request comes from, behind the reverse proxies we trust.

One rule for the login throttle, the socket cap and the audit log: the last
``X-Forwarded-For`` hop when the peer is a proxy named by gunicorn's
``FORWARDED_ALLOW_IPS`` (the hop that proxy added; earlier ones are the client's to
forge), else the peer itself. A leaf module (standard library only), so services and the
web layer can both import it without a cycle.
"""

from __future__ import annotations

import ipaddress
import os

UNKNOWN_PEER = "?"


def trusted_proxies() -> list[str]:
    """gunicorn's ``FORWARDED_ALLOW_IPS`` (the reverse proxies whose headers we believe)."""
    raw = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    return [p.strip() for p in raw.split(",") if p.strip()]


def client_address(environ: dict, trusted: list[str] | None = None) -> str:
    """The peer address, or the last ``X-Forwarded-For`` hop when the peer is a trusted
    proxy; :data:`UNKNOWN_PEER` when the server gave no peer."""
    peer = environ.get("REMOTE_ADDR") or UNKNOWN_PEER
    trusted = trusted_proxies() if trusted is None else trusted
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    if forwarded and ("*" in trusted or peer in trusted):
        hop = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return peer
    return peer
