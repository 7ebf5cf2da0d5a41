"""Locale and timezone selection (pt_BR first, English second)."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if has_request_context():
        wanted = request.args.get("lang")
        if wanted is not None and wanted in supported:
            session["lang"] = wanted
            return wanted
        if session.get("lang") in supported:
            return session["lang"]
        if current_user and current_user.is_authenticated and current_user.locale in supported:
            return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    from clickpro.tenancy import get_current_client

    if has_request_context() and current_user and current_user.is_authenticated:
        client = get_current_client()
        if client is not None:
            return client.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
