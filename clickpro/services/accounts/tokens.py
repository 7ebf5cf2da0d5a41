"""Links sent by e-mail (invitations, password resets): signed, single-use tokens.

A link carries a random 256-bit token signed with ``SECRET_KEY`` (itsdangerous, a salt per
purpose): a link not issued by this deployment, or for another purpose, is refused before
any database lookup, and rotating ``SECRET_KEY`` kills every link. The database keeps only
the SHA-256 of the raw token; expiry and single use are columns of its row, checked and
consumed in one conditional ``UPDATE``.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

INVITATION = "clickpro.member-invitation"
PASSWORD_RESET = "clickpro.password-reset"
MAX_LINK_TOKEN = 200  # a longer path segment is not one of ours


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def new_token(purpose: str) -> tuple[str, str]:
    """A fresh token: (the signed value for the link, the hash to store)."""
    raw = secrets.token_urlsafe(32)
    return _serializer(purpose).dumps(raw), hash_token(raw)


def unused_hash() -> str:
    """A hash nobody holds the token of (a row waiting for its link, or an old link killed)."""
    return hash_token(secrets.token_urlsafe(32))


def link_hash(signed: str, purpose: str) -> str | None:
    """The stored hash a link's token stands for, or None if it is not a valid signature."""
    if not signed or len(signed) > MAX_LINK_TOKEN:
        return None
    try:
        raw = _serializer(purpose).loads(signed)
    except BadSignature:
        return None
    return hash_token(raw) if isinstance(raw, str) else None
