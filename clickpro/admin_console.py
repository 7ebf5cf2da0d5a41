"""The agency console at ``/admin/console/`` (Flask-Admin, SUPER_ADMIN only) and the
outbound deliveries list it links to.

One page over all clients (``clickpro.services.console``): per client and number the
quality rating and messaging tier, template problems, failing credentials, failing
outbound webhooks, dead letters, AI and WhatsApp spend this month; queue depths and
worker heartbeats. Every count links to the Flask-Admin list filtered to that client.
Endpoints start with ``admin_`` so the role matrix treats them as the rest of /admin
(others get a 404, an anonymous visitor the login page).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, request, url_for
from flask_admin import Admin, BaseView, expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import format_currency, format_date, format_timedelta
from flask_babel import lazy_gettext as _l

from clickpro.admin import EXTENSION_KEY, ReadOnlyView, _deny, _is_super_admin
from clickpro.extensions import db
from clickpro.models import WebhookDelivery
from clickpro.services.console import SORTS, build_console, labels

CONSOLE_ENDPOINT = "admin_console"
DELIVERIES_ENDPOINT = "admin_webhook_deliveries"


def filter_args(admin: Admin, endpoint: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Flask-Admin's ``flt<n>_<index>`` argument names of an "equals" filter per column of
    the list view ``endpoint`` (found from the view's own filters, never hard-coded; ""
    for a column the view cannot filter)."""
    view = next((v for v in admin._views if getattr(v, "endpoint", None) == endpoint), None)
    names = []
    for position, column in enumerate(columns):
        name = ""
        for index, flt in enumerate(getattr(view, "_filters", None) or ()):
            key = getattr(getattr(flt, "column", None), "key", None)
            if key == column and isinstance(flt, FilterEqual):
                name = f"flt{position}_{view.get_filter_arg(index, flt)}"  # type: ignore[union-attr]
                break
        names.append(name)
    return tuple(names)


def filtered_url(admin: Admin, endpoint: str, **filters: object) -> str:
    """The list view of ``endpoint`` filtered on ``column == value`` for each filter."""
    names = filter_args(admin, endpoint, tuple(filters))
    args: dict[str, Any] = {
        name: value for name, value in zip(names, filters.values(), strict=True) if name
    }
    return url_for(f"{endpoint}.index_view", **args)


class ConsoleView(BaseView):
    def is_accessible(self) -> bool:
        return _is_super_admin()

    def inaccessible_callback(self, name, **kwargs):
        return _deny()

    @expose("/")
    def index(self):
        console = build_console(
            sort=request.args.get("sort", type=str),
            direction=request.args.get("dir", type=str),
            only_problems=request.args.get("problems") == "1",
        )

        # 500 clients × several links: each kind of link is built by url_for once, then
        # only its query string changes (url_for per cell was a third of the page's time).
        names: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        bases: dict[str, str] = {}

        def base(endpoint: str) -> str:
            if endpoint not in bases:
                bases[endpoint] = url_for(endpoint)
            return bases[endpoint]

        def link(endpoint: str, **filters: object) -> str:
            key = (endpoint, tuple(filters))
            if key not in names:
                names[key] = filter_args(self.admin, endpoint, key[1])
            args = [(n, v) for n, v in zip(names[key], filters.values(), strict=True) if n]
            url = base(f"{endpoint}.index_view")
            return f"{url}?{urlencode(args)}" if args else url

        def detail(endpoint: str, id: int) -> str:
            return f"{base(f'{endpoint}.details_view')}?{urlencode({'id': id})}"

        def sort_url(key: str) -> str:
            direction = "asc" if console.sort == key and console.desc else "desc"
            if key == "name" and console.sort != key:
                direction = "asc"
            args: dict[str, Any] = {"sort": key, "dir": direction}
            if console.only_problems:
                args["problems"] = "1"
            return url_for(".index", **args)

        return self.render(
            "admin/console.html",
            console=console,
            link=link,
            detail=detail,
            labels=labels,
            sort_url=sort_url,
            sorts=SORTS,
            money=_money,
            ai_currency=current_app.config["AI_PRICE_CURRENCY"],
            day=lambda value: format_date(value.date()),
            ago=lambda seconds: format_timedelta(timedelta(seconds=-seconds), add_direction=True),
        )


def _money(amount: Decimal, currency: str | None) -> str:
    if not currency:
        return f"{amount:.2f}"
    try:
        return format_currency(amount, currency)
    except Exception:  # an unknown currency code: the figure still shows
        return f"{currency} {amount:.2f}"


class WebhookDeliveryView(ReadOnlyView):
    """Deliveries to the clients' own webhook URLs (bodies are not listed)."""

    column_list = (
        "id",
        "created_at",
        "client_id",
        "endpoint_id",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "delivered_at",
    )
    column_details_list = column_list + ("next_attempt_at", "last_response")
    column_filters = ("client_id", "status", "endpoint_id", "event")
    column_default_sort = ("id", True)
    column_labels = {
        "created_at": _l("Criado em"),
        "client_id": _l("Cliente"),
        "endpoint_id": _l("Endpoint"),
        "event": _l("Evento"),
        "status": _l("Situação"),
        "attempts": _l("Tentativas"),
        "last_status_code": _l("Último código HTTP"),
        "last_error": _l("Último erro"),
        "delivered_at": _l("Entregue em"),
    }


def init_console(app: Flask) -> None:
    """Add the console and the deliveries list (under "Mensagens") to this app's Admin."""
    admin: Admin = app.extensions[EXTENSION_KEY]
    admin.add_view(ConsoleView(name=_l("Console"), endpoint=CONSOLE_ENDPOINT, url="/admin/console"))
    admin.add_view(
        WebhookDeliveryView(
            WebhookDelivery,
            db.session,
            name=_l("Entregas de webhook (saída)"),
            endpoint=DELIVERIES_ENDPOINT,
            category=_l("Mensagens"),
        )
    )
