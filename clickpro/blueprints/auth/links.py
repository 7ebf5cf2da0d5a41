"""Where e-mailed links point, and the language of a mail to someone without an account."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import get_locale


class NoPublicUrl(RuntimeError):
    """Production without ``PUBLIC_URL``: links would trust the request's Host header."""


def public_base_url() -> str:
    """``PUBLIC_URL``, else (outside production) this request's own host.

    Production never builds a link from the Host header: a forged one would mail the
    victim a reset link to the attacker's site (password-reset poisoning).
    """
    configured = current_app.config["PUBLIC_URL"]
    if configured:
        return str(configured).rstrip("/")
    if current_app.config["ENV_NAME"] == "production":
        raise NoPublicUrl("PUBLIC_URL must be set for e-mailed links in production")
    return request.host_url.rstrip("/")


def request_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
