"""Which Meta app signed a webhook delivery, and which credentials belong to that app.

One ``POST /webhook`` is signed by one Meta app: the platform's (``META_APP_SECRET``) or a
client's own app (the credential's ``app_secret_enc``). The signer is decided first and
stored with the event as an *app key*: ``"platform"`` or a fingerprint of the client's
secret (a SHA-256, never the secret). Processing then routes only the changes whose number
or WABA belongs to a credential of that same app (:func:`credential_app_key`); everything
else in the body is dropped.

Cost for an attacker: the global secret decides with one HMAC and no parsing. Only when it
does not match, and some credential has its own secret, the body is scanned (a regex, not a
JSON parse) for the digits that look like numbers/WABAs, and at most a few candidate
secrets are tried.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import current_app

from clickpro.crypto import decrypt
from clickpro.extensions import db
from clickpro.models import WhatsAppCredential

log = logging.getLogger(__name__)
_credentials = WhatsAppCredential.__table__

PLATFORM = "platform"
_SECRET_TTL_S = 60.0
MAX_CANDIDATE_IDS = 50  # distinct digit strings looked up per delivery
MAX_CANDIDATE_SECRETS = 10  # HMACs tried per delivery beyond the global one
# ``"phone_number_id":"123"`` and an entry's ``"id":"123"`` (the WABA): digit strings only.
_ID_FIELDS = re.compile(rb'"(?:phone_number_id|id)"\s*:\s*"?([0-9]{1,32})"?')


def app_fingerprint(secret: str) -> str:
    """The stored key of a client's own Meta app (64 hex chars; not the secret)."""
    return hashlib.sha256(b"clickpro-meta-app:" + secret.encode()).hexdigest()


def _digest_ok(secret: str, raw: bytes, given: bytes) -> bool:
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, given)


def _given(header: str | None) -> bytes | None:
    if not header or not header.startswith("sha256="):
        return None
    return header[7:].strip().lower().encode("utf-8", "replace")


def platform_signed(
    raw: bytes, header: str | None, config: Mapping[str, Any] | None = None
) -> bool:
    """Signed with the platform's ``META_APP_SECRET`` (one HMAC; no parse, no database).

    ``config`` is the app's (the ack's WSGI shortcut has no app context); by default
    ``current_app``'s.
    """
    given = _given(header)
    secret = (current_app.config if config is None else config)["META_APP_SECRET"]
    return given is not None and bool(secret) and _digest_ok(str(secret), raw, given)


def client_signer(raw: bytes, header: str | None) -> str | None:
    """The app key of a client's own app whose secret signed ``raw``, or None.

    Looks up only the secrets of credentials whose number/WABA the body names (found by a
    regex scan, not a JSON parse); at most :data:`MAX_CANDIDATE_SECRETS` HMACs.
    """
    given = _given(header)
    if given is None or not own_secrets_exist():
        return None
    for own in _candidate_secrets(raw):
        if _digest_ok(own, raw, given):
            return app_fingerprint(own)
    return None


def signer_of(raw: bytes, header: str | None) -> str | None:
    """The app key of the app whose secret signed ``raw``; None when no secret matches."""
    if platform_signed(raw, header):
        return PLATFORM
    return client_signer(raw, header)


def credential_app_key(app_secret_enc: str | None) -> str | None:
    """The app key of a credential: its own app's, or the platform's when it has none.

    A credential whose own secret is the platform's secret is the platform's app. None for
    an undecryptable secret (that credential belongs to no app that can sign).
    """
    if not app_secret_enc:
        return PLATFORM
    secret = _decrypt(app_secret_enc)
    if secret is None:
        return None
    platform = current_app.config["META_APP_SECRET"]
    if platform and hmac.compare_digest(secret.encode(), str(platform).encode()):
        return PLATFORM
    return app_fingerprint(secret)


def _decrypt(token: str) -> str | None:
    try:
        return decrypt(token)
    except Exception:  # a secret under a removed key: that client cannot verify
        log.warning("undecryptable app secret on a WhatsApp credential")
        return None


# --------------------------------------------------------------------------- caches
def _cache() -> dict:
    """Per app and process; a client's new secret is picked up within a minute."""
    return current_app.extensions.setdefault("clickpro.webhook_secrets", {})


def clear_secret_cache() -> None:
    _cache().clear()


def own_secrets_exist() -> bool:
    """Whether any credential has its own app secret (cached per process for a minute)."""
    cache = _cache()
    cached = cache.get("__any__")
    if cached and cached[0] > time.monotonic():
        return cached[1]
    stmt = sa.select(_credentials.c.id).where(_credentials.c.app_secret_enc.is_not(None))
    found = db.session.execute(stmt.limit(1)).first() is not None
    cache["__any__"] = (time.monotonic() + _SECRET_TTL_S, found)
    return found


def _candidate_secrets(raw: bytes) -> tuple[str, ...]:
    """Own app secrets of the credentials whose number or WABA the body names."""
    ids: set[str] = set()
    for match in _ID_FIELDS.finditer(raw):
        ids.add(match.group(1).decode())
        if len(ids) >= MAX_CANDIDATE_IDS:
            break
    if not ids:
        return ()
    key = ",".join(sorted(ids))
    cache = _cache()
    cached = cache.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    c = _credentials.c
    stmt = (
        sa.select(c.app_secret_enc)
        .where(
            sa.or_(c.phone_number_id.in_(ids), c.waba_id.in_(ids)),
            c.app_secret_enc.is_not(None),
        )
        .limit(MAX_CANDIDATE_SECRETS)
    )
    secrets = tuple(dict.fromkeys(s for s in (_decrypt(t) for t in db.session.scalars(stmt)) if s))
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (time.monotonic() + _SECRET_TTL_S, secrets)
    return secrets
