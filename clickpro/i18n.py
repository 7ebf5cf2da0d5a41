"""Locale and timezone selection (pt_BR first, English second).

Every time a page, export or notification shows is in the current client's zone
(``Client.timezone``) through Flask-Babel's selector: ``datetimeformat`` in templates,
:func:`local_zone` / :func:`format_local` in Python. A stored zone that is not an IANA
name (the admin once accepted "Brasil/Recife") falls back to America/Sao_Paulo instead of
turning every page into a 500.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_timezone_location
from flask import current_app, has_request_context, request, session
from flask_babel import format_datetime, get_locale, get_timezone, gettext
from flask_login import current_user

FALLBACK_ZONE = "America/Sao_Paulo"


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


def valid_zone(name: str | None) -> str:
    """``name`` if it is an IANA zone this system knows, else America/Sao_Paulo."""
    if not name or not isinstance(name, str):
        return FALLBACK_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        return FALLBACK_ZONE
    return name


def select_timezone() -> str:
    from clickpro.tenancy import get_current_client

    if has_request_context() and current_user and current_user.is_authenticated:
        client = get_current_client()
        if client is not None:
            return valid_zone(client.timezone)
    return valid_zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def current_zone_name() -> str:
    """The zone of this request (the client's), as an IANA name (for ``Intl`` in JS)."""
    return valid_zone(str(get_timezone() or ""))


def zone_label() -> str:
    """Where the shown times are, in words ("horário de São Paulo", "Manaus time")."""
    try:
        zone = ZoneInfo(current_zone_name())
        city = get_timezone_location(zone, locale=str(get_locale()), return_city=True)
    except Exception:  # noqa: BLE001 - a label must never break a page
        city = current_zone_name()
    return gettext("horário de %(city)s", city=city)


def format_local(moment: datetime | None, fmt: str = "short") -> str:
    """``moment`` (UTC) in the client's zone and the request's language."""
    return format_datetime(moment, fmt) if moment is not None else ""
