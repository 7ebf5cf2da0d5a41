"""Show a just-created secret once, after the redirect (post/redirect/get).

A POST that creates a token or a webhook secret answers a redirect; the secret waits in
the session, encrypted with the app's keys (the session is a signed, readable cookie),
and the next GET of the page takes it out: a refresh shows it no more and creates
nothing.
"""

from __future__ import annotations

from flask import session

from clickpro.crypto import decrypt, encrypt

_PREFIX = "once:"


def keep_for_next_page(name: str, secret: str) -> None:
    session[_PREFIX + name] = encrypt(secret)


def take(name: str) -> str | None:
    stored = session.pop(_PREFIX + name, None)
    if not isinstance(stored, str):
        return None
    try:
        return decrypt(stored)
    except Exception:  # noqa: BLE001 - a key rotated away or a tampered value: show nothing
        return None
