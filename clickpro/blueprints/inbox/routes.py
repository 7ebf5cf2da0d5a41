"""Live inbox: the three-pane page, its JSON API (under /inbox/api) and media download.

Views parse, call ``clickpro.services.inbox.service*``, render. Every JSON error answers
``{"error": "<pt_BR>"}`` with a 4xx status, never a 500: 404 for another client's row,
409 for free text with the 24-hour window closed (refused by ``outbound``, server-side).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.guards import client_required, is_client_admin
from clickpro.models import Message
from clickpro.models.base import utcnow
from clickpro.services.credentials import NoCredentials
from clickpro.services.inbox import actions as inbox_actions
from clickpro.services.inbox import serialize as ser
from clickpro.services.inbox import service as inbox
from clickpro.services.inbox.quick_replies import quick_replies, render_quick_reply
from clickpro.services.messaging.outbound import OutboundError, SendFailed, WindowClosed
from clickpro.tenancy import get_owned_or_404, require_client

bp = Blueprint("inbox", __name__, template_folder="templates", url_prefix="/inbox")


def _error(text: str, status: int, **extra):
    return jsonify(error=text, **extra), status


@bp.errorhandler(inbox_actions.NotFound)
def _not_found(exc):
    return _error(str(exc), 404)


@bp.errorhandler(inbox_actions.InboxError)
@bp.errorhandler(inbox.InboxQueryError)
def _bad_request(exc):
    return _error(str(exc), 400)


@bp.errorhandler(WindowClosed)
def _window_closed(exc):
    return _error(str(exc), 409, window_closed=True)


@bp.errorhandler(SendFailed)
def _send_failed(exc):
    message = ser.message(exc.message) if exc.message is not None else None
    return _error(str(exc), 502, message=message)


@bp.errorhandler(OutboundError)
def _outbound_error(exc):
    return _error(str(exc), 400)


@bp.errorhandler(NoCredentials)
def _no_credentials(exc):
    return _error(str(exc), 409)


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise inbox_actions.InboxError(_("Envie um objeto JSON."))
    return data


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise inbox.InboxQueryError(_("Parâmetro %(n)s inválido.", n=name)) from None


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise inbox.InboxQueryError(_("Data inválida em %(n)s (use AAAA-MM-DD).", n=name)) from None


# --------------------------------------------------------------------------- page


@bp.route("/")
@client_required
def index():
    client = require_client()
    return render_template(
        "inbox/index.html",
        client=client,
        labels=inbox_actions.labels(client.id),
        team=inbox_actions.team(client.id),
        is_admin=is_client_admin(),
    )


# --------------------------------------------------------------------------- reads


def conversation_query(client_id: int) -> inbox.ConversationQuery:
    """The list parameters of a request (shared with the REST API)."""
    raw_filters = request.args.getlist("filter") or []
    filters = tuple(f for part in raw_filters for f in part.split(",") if f)
    for name in filters:
        if name not in inbox.FILTERS:
            raise inbox.InboxQueryError(_("Filtro desconhecido: %(n)s.", n=name))
    status = (request.args.get("status") or "").upper() or None
    if status == "ALL":
        status = None
    return inbox.ConversationQuery(
        q=request.args.get("q", ""),
        filters=filters,
        label_id=_int_arg("label"),
        status=status,
        date_from=_date_arg("date_from"),
        date_to=_date_arg("date_to"),
        user_id=current_user.id,
        timezone=require_client().timezone,
        cursor=request.args.get("cursor") or None,
        limit=_int_arg("limit") or inbox.PAGE_SIZE,
    )


@bp.get("/api/conversations")
@client_required
def conversations():
    client = require_client()
    page = inbox.list_conversations(client.id, conversation_query(client.id))
    return jsonify(
        items=ser.conversations(page.items),
        next_cursor=page.next_cursor,
        server_time=utcnow().isoformat(),
    )


@bp.get("/api/conversations/<int:contact_id>")
@client_required
def conversation(contact_id: int):
    from clickpro.services.contacts.service import lists_of

    client = require_client()
    contact = inbox_actions.get_contact(client.id, contact_id)
    data = ser.conversation(contact)
    data["attributes"] = contact.attributes or {}
    data["lists"] = [{"id": lst.id, "name": lst.name} for lst in lists_of(contact)]
    return jsonify(conversation=data)


@bp.get("/api/conversations/<int:contact_id>/messages")
@client_required
def messages(contact_id: int):
    client = require_client()
    contact = inbox_actions.get_contact(client.id, contact_id)
    page = inbox.load_messages(
        client.id, contact.id, before_id=_int_arg("before_id"), limit=_int_arg("limit") or 50
    )
    return jsonify(
        items=ser.messages(page.items, {contact.id: contact.name}), next_cursor=page.next_cursor
    )


@bp.get("/api/search")
@client_required
def search():
    client = require_client()
    rows = inbox.search_messages(client.id, request.args.get("q", ""))
    return jsonify(items=ser.messages(rows))


@bp.get("/api/updates")
@client_required
def updates():
    """Reconnect catch-up: what happened after ``since_id`` (and ``since``, ISO time)."""
    client = require_client()
    since = None
    if request.args.get("since"):
        try:
            since = datetime.fromisoformat(request.args["since"].replace("Z", "+00:00"))
        except ValueError:
            raise inbox.InboxQueryError(_("Parâmetro since inválido.")) from None
    now = utcnow()
    result = inbox.updates_since(client.id, _int_arg("since_id") or 0, since)
    return jsonify(
        messages=ser.messages(result.messages),
        conversations=ser.conversations(result.conversations),
        last_id=result.last_id,
        truncated=result.truncated,
        server_time=now.isoformat(),
    )


@bp.get("/api/templates")
@client_required
def templates():
    from clickpro.services.inbox.templates import approved_templates

    return jsonify(items=approved_templates(require_client().id))


@bp.get("/api/quick-replies")
@client_required
def quick_replies_json():
    client = require_client()
    contact = None
    if request.args.get("contact_id"):
        contact = inbox_actions.get_contact(client.id, _int_arg("contact_id"))
    items = []
    for reply in quick_replies(client.id):
        text = render_quick_reply(reply.body, contact) if contact else reply.body
        items.append({"id": reply.id, "shortcut": reply.shortcut, "body": reply.body, "text": text})
    return jsonify(items=items)


@bp.get("/media/<int:message_id>")
@client_required
def media(message_id: int):
    """Download a message's media from Meta on demand (tenant-checked)."""
    from clickpro.services.inbox.media import MediaUnavailable, fetch_media

    message = get_owned_or_404(Message, message_id)
    try:
        content, mime_type, filename = fetch_media(message)
    except MediaUnavailable as exc:
        return _error(str(exc), 404 if exc.missing else 502)
    response = Response(content, mimetype=mime_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
