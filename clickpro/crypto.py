"""Encryption of stored secrets with MultiFernet.

``CLICKPRO_ENCRYPTION_KEYS`` is a comma-separated list of Fernet keys: the first
encrypts, every key decrypts, so a new key can be put first and ``clickpro rotate-keys``
re-encrypts old tokens at leisure.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

_EXT_KEY = "clickpro.fernet"


class EncryptionConfigError(RuntimeError):
    """The key list is missing or malformed; raised at start-up, never later."""


def parse_keys(raw: str | None) -> MultiFernet:
    keys = [k.strip() for k in (raw or "").split(",") if k.strip()]
    if not keys:
        raise EncryptionConfigError(
            "CLICKPRO_ENCRYPTION_KEYS is empty: generate one with "
            "`clickpro generate-key` and set it in the environment."
        )
    fernets = []
    for index, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError) as exc:
            raise EncryptionConfigError(
                f"CLICKPRO_ENCRYPTION_KEYS: key #{index} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes); generate one with `clickpro generate-key`."
            ) from exc
    return MultiFernet(fernets)


def init_crypto(app: Flask) -> None:
    app.extensions[_EXT_KEY] = parse_keys(app.config["CLICKPRO_ENCRYPTION_KEYS"])


def _fernet() -> MultiFernet:
    return current_app.extensions[_EXT_KEY]


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise EncryptionConfigError(
            "a stored secret cannot be decrypted with CLICKPRO_ENCRYPTION_KEYS "
            "(was a key removed before `clickpro rotate-keys` ran?)"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the first key (no-op in effect if it already is)."""
    return _fernet().rotate(token.encode()).decode()


def last4(secret: str) -> str:
    return secret[-4:] if len(secret) >= 8 else ""


def generate_key() -> str:
    return Fernet.generate_key().decode()
