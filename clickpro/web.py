"""What every page shares: the user loader, security headers, template globals, errors."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, abort, current_app, g, render_template, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from clickpro.blueprints.errors import init_error_handlers
from clickpro.extensions import db, login_manager
from clickpro.i18n import current_zone_name, zone_label
from clickpro.js_catalog import js_catalog
from clickpro.labels import label, meta_error
from clickpro.models import User
from clickpro.services.contacts.display import contact_label, format_phone
from clickpro.sessions import init_sessions

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'self'; "
        "base-uri 'self'; form-action 'self'"
    ),
}


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    icon: str
    # Items of one group share a dropdown in the top bar (the bar holds ~8 entries at
    # 1280 px); a group with a single item the user may open shows that item alone.
    group: str | None = None

    @property
    def area(self) -> str:
        return self.endpoint.split(".")[0]


NAV_GROUPS = {
    "ai": (_l("IA"), "robot"),
    "reports": (_l("Relatórios"), "bar-chart-line"),
    "settings": (_l("Ajustes"), "gear"),
}

NAV = (
    NavItem("dashboard.index", _l("Painel"), "speedometer2"),
    NavItem("inbox.index", _l("Conversas"), "chat-dots"),
    NavItem("contacts.index", _l("Contatos"), "person-lines-fill"),
    NavItem("campaigns.index", _l("Campanhas"), "megaphone"),
    NavItem("templates.index", _l("Modelos"), "file-earmark-text"),
    NavItem("flows.index", _l("Fluxos"), "diagram-2"),
    NavItem("ai_playground.index", _l("Playground"), "chat-square-text", "ai"),
    NavItem("knowledge.index", _l("Base de conhecimento"), "book", "ai"),
    NavItem("ai_tools.index", _l("Ferramentas"), "plug", "ai"),
    NavItem("ai_reply.activity", _l("Atividade da IA"), "activity", "ai"),
    NavItem("reports.index", _l("Relatórios"), "bar-chart-line", "reports"),
    NavItem("costs.index", _l("Custos"), "cash-coin", "reports"),
    NavItem("credentials.index", _l("Credenciais"), "key", "settings"),
    NavItem("members.index", _l("Membros"), "people", "settings"),
    NavItem("teams.index", _l("Equipes"), "diagram-3", "settings"),
    NavItem("hours.client_hours", _l("Horário de atendimento"), "clock", "settings"),
    NavItem("api.tokens", _l("API"), "code-slash", "settings"),
    NavItem("audit.index", _l("Auditoria"), "journal-check", "settings"),
)


def nav_url(endpoint: str, **values) -> str | None:
    """URL of ``endpoint``, or None while that feature is not installed."""
    from flask import url_for

    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader. The id is ``"<user id>:<session_version>"``
    (``User.get_id``); a cookie issued before a logout, password change or deactivation
    carries an old version and is refused."""
    user_id, _sep, version = (session_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(session_id) > 40:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def session_user() -> User | None:
    """The user of the request's session cookie, read now (Socket.IO handlers, which
    have no ``before_request`` and may share a context across events)."""
    return load_user(str(session.get("_user_id") or ""))


def init_web(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Entre para continuar.")
    login_manager.login_message_category = "info"

    login_manager.user_loader(load_user)

    init_sessions(app)
    app.before_request(_refuse_nul_bytes)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    app.add_template_filter(format_phone, "phone")
    app.add_template_filter(contact_label, "contact_label")
    app.add_template_filter(meta_error, "meta_error")
    app.add_template_global(label, "label")
    app.add_template_global(meta_error, "meta_error")
    app.add_template_global(zone_label, "zone_label")
    app.add_template_global(current_zone_name, "client_timezone")
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _internal_error)
    init_error_handlers(app)  # ServiceError on HTML pages (JSON edges have their own)
    _forms_read_json_as_text()


def _forms_read_json_as_text() -> None:
    """Flask-WTF feeds a JSON body to forms as is: ``{"name": 1e23}`` reached a Length
    validator as a float (TypeError, 500) and a JSON list broke the form's constructor.
    Forms get what a browser would send instead: text values (lists of text), objects
    dropped, anything but a JSON object read as no data."""
    from flask_wtf import FlaskForm
    from flask_wtf.form import _Auto, _is_submitted
    from werkzeug.datastructures import ImmutableMultiDict

    original = FlaskForm.Meta.wrap_formdata
    if getattr(original, "clickpro_text_json", False):
        return  # installed by an earlier app of this process

    def as_text(value) -> str:
        if isinstance(value, bool):
            return "y" if value else ""
        return "" if value is None else str(value)

    def wrap_formdata(self, form, formdata):
        plain_json = request.is_json and not (request.files or request.form)
        if formdata is _Auto and plain_json and _is_submitted():
            data = request.get_json(silent=True)
            pairs = []
            for key, value in data.items() if isinstance(data, dict) else ():
                values = value if isinstance(value, list) else [value]
                pairs += [(key, as_text(v)) for v in values if not isinstance(v, dict | list)]
            return ImmutableMultiDict(pairs)
        return original(self, form, formdata)

    wrap_formdata.clickpro_text_json = True  # type: ignore[attr-defined]
    FlaskForm.Meta.wrap_formdata = wrap_formdata


def _refuse_nul_bytes() -> None:
    if _has_nul_byte():
        abort(400, description=_l("Caracteres inválidos na requisição."))


def _has_nul_byte() -> bool:
    """NUL is never valid text and PostgreSQL refuses it: answer 400 before any query."""
    texts = [request.path, *request.args.keys()]
    texts += [v for key in request.args for v in request.args.getlist(key)]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json and b"\\u0000" in request.get_data(cache=True):
            return True
        # A multipart part without a parsable name arrives under the key None.
        texts += [key for key in request.form if key is not None]
        texts += [v for key in request.form for v in request.form.getlist(key)]
    return any("\x00" in text for text in texts if isinstance(text, str))


def _security_headers(response):
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    return response


def _template_globals() -> dict:
    from clickpro.guards import is_client_admin
    from clickpro.permissions import can, can_endpoint
    from clickpro.services.accounts.invitations import pending_invitations_for
    from clickpro.services.accounts.notifications import unread_count
    from clickpro.tenancy import get_current_client, memberships_of

    def nav_items():
        """Top-bar entries: items, or groups (``children``) shown as a dropdown."""
        items: list[dict] = []
        groups: dict[str, dict] = {}
        for item in NAV:
            url = nav_url(item.endpoint)
            # the role matrix (clickpro.permissions) decides, as it does for the route
            if not (url and get_current_client() is not None and can_endpoint(item.endpoint)):
                continue
            entry = {"url": url, "label": item.label, "icon": item.icon, "area": item.area}
            if item.group is None:
                items.append(entry)
            elif item.group in groups:
                groups[item.group]["children"].append(entry)
            else:
                label, icon = NAV_GROUPS[item.group]
                groups[item.group] = {"label": label, "icon": icon, "children": [entry]}
                items.append(groups[item.group])
        return [
            entry["children"][0] if len(entry.get("children", ())) == 1 else entry
            for entry in items
        ]

    def unread_notifications() -> int:
        client = get_current_client()
        if client is None or not current_user.is_authenticated:
            return 0
        # base.html shows it twice (the badge and its visibility): one query per request
        if "unread_notifications" not in g:
            g.unread_notifications = unread_count(client.id, current_user.id)
        return g.unread_notifications

    return {
        "current_client": get_current_client() if current_user.is_authenticated else None,
        "current_locale": str(get_locale() or "pt_BR"),
        "nav_url": nav_url,
        "nav_items": nav_items,
        "user_memberships": lambda: memberships_of(current_user),
        "unread_notifications": unread_notifications,
        "is_client_admin": is_client_admin,
        "can": can,
        "can_endpoint": can_endpoint,
        "pending_invitation_count": lambda: len(pending_invitations_for(current_user)),
        "js_catalog": js_catalog,
        "is_away": _is_away,
    }


def _is_away() -> bool:
    """The signed-in agent's "Ausente" switch in the client in use (the account menu)."""
    if not current_user.is_authenticated:
        return False
    from clickpro.services.teams.presence import is_away
    from clickpro.tenancy import get_current_client as current

    client = current()
    if client is None:
        return False
    return is_away(client.id, current_user.id)


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/webhook", "/inbox/api/", "/inbox/media/")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _http_error(error: HTTPException):
    if wants_json():
        return {
            "error": {
                "code": error.name.lower().replace(" ", "_"),
                "message": error.description,
                "details": {},
            }
        }, error.code
    template = f"errors/{error.code}.html"
    try:
        return render_template(template, description=None), error.code
    except Exception:
        return render_template("errors/400.html", description=error.description), error.code


def _internal_error(error):
    """Unhandled exceptions: log them, roll back, answer a page (or JSON), never a trace."""
    original = getattr(error, "original_exception", None) or error
    current_app.logger.error(
        "unhandled error on %s %s", request.method, request.path, exc_info=original
    )
    try:
        db.session.rollback()
    except Exception:  # the database itself may be what failed
        current_app.logger.warning("rollback after an unhandled error failed", exc_info=True)
    if wants_json():
        return {
            "error": {"code": "internal_error", "message": "internal error", "details": {}}
        }, 500
    try:
        return render_template("errors/500.html", description=None), 500
    except Exception:
        return "500 Internal Server Error", 500, {"Content-Type": "text/plain; charset=utf-8"}
