"""The browser session, and none for server-to-server paths.

``/api/v1`` (Bearer tokens) and ``/webhook`` (Meta's signed calls) never use the
browser session: for them the session interface opens a throw-away one that is never
saved, so a session cookie neither authenticates there nor gets (re)set, and an API
token never logs anybody into the HTML pages (they only read the session).
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

STATELESS_PREFIXES = ("/api/v1", "/webhook")


class ThrowAwaySession(SecureCookieSession):
    """Empty, accepts writes (Flask-Login may try), never saved: the interface counts it
    as a null session, and Flask saves no null session."""


def is_stateless_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in STATELESS_PREFIXES)


class ClickProSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions, except on the stateless paths."""

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, ThrowAwaySession) or super().is_null_session(obj)

    def open_session(self, app: Flask, request: Request):
        if is_stateless_path(request.path):
            return ThrowAwaySession()
        return super().open_session(app, request)


def init_sessions(app: Flask) -> None:
    app.session_interface = ClickProSessionInterface()
