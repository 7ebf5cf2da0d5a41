"""Live inbox: the three-pane page, its JSON API (under /inbox/api) and media download.

Views parse (bodies with the pydantic models of ``schemas``), call
``clickpro.services.inbox.*``, render. Every JSON error answers the /api/v1 error body
``{"error": {"code", "message", "details"}}`` from the ServiceError the service raised:
404 ``not_found`` for another client's row, 422 ``window_closed`` for free text with the
24-hour window closed (refused by ``outbound``, server-side), 502 ``send_failed`` with the
stored FAILED message in ``details.message``; bad JSON 400, wrong fields 422.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clickpro import params
from clickpro.blueprints.errors import error_body, html_error, json_error
from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.guards import client_required, is_client_admin
from clickpro.models import Message
from clickpro.models.base import utcnow
from clickpro.schemas.conversations import number_label
from clickpro.services.conversations import active_numbers
from clickpro.services.inbox import actions as inbox_actions
from clickpro.services.inbox import serialize as ser
from clickpro.services.inbox import service as inbox
from clickpro.services.inbox.media import ACCEPT_ATTRIBUTE
from clickpro.services.inbox.quick_replies import (
    missing_variables,
    quick_replies,
    render_quick_reply,
)
from clickpro.services.messaging.outbound import SendFailed, WindowClosed
from clickpro.tenancy import get_owned_or_404, require_client

bp = Blueprint("inbox", __name__, template_folder="templates", url_prefix="/inbox")


def _is_json_route() -> bool:
    return request.path.startswith(("/inbox/api/", "/inbox/media/"))


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    """The inbox JSON edge; the quick-replies page falls back to the HTML handler."""
    if not _is_json_route():
        return html_error(exc)
    db.session.rollback()
    body = error_body(exc)
    row = getattr(exc, "row", None)  # SendFailed / WindowClosed from Meta: the stored row
    if isinstance(exc, SendFailed | WindowClosed) and row is not None:
        body["error"]["details"]["message"] = ser.message(row)
    return json_error(exc, body)


def _int_arg(name: str) -> int | None:
    """A range-checked id or count from the query string (400 when out of range)."""
    return params.arg_int(name, maximum=params.MAX_ID)


def _date_arg(name: str) -> date | None:
    return params.arg_date(name)


# --------------------------------------------------------------------------- page


def _page(open_id: int | None = None):
    client = require_client()
    numbers = [{"id": n.id, "name": number_label(n)} for n in active_numbers(client.id)]
    return render_template(
        "inbox/index.html",
        client=client,
        labels=inbox_actions.labels(client.id),
        team=inbox_actions.team(client.id),
        numbers=numbers,
        sees_all=sees_all_conversations(),
        open_id=open_id,
        is_admin=is_client_admin(),
        media_accept=ACCEPT_ATTRIBUTE,
    )


@bp.route("/")
@client_required
def index():
    """The inbox. ``?contact=<id>`` (links made before conversations were per number)
    redirects to that contact's most recent conversation."""
    contact_id = _int_arg("contact")
    if contact_id:
        found = inbox.latest_conversation(require_client().id, contact_id)
        if found is None:
            abort(404)
        return redirect(url_for("inbox.conversation_page", conversation_id=found.id))
    return _page()


@bp.route("/c/<int:conversation_id>")
@client_required
def conversation_page(conversation_id: int):
    """Deep link to one conversation: a reload keeps it open (another client's: 404)."""
    try:
        inbox_actions.get_conversation(require_client().id, conversation_id)
    except inbox_actions.NotFound:
        abort(404)
    return _page(conversation_id)


# --------------------------------------------------------------------------- reads


def conversation_query(client_id: int) -> inbox.ConversationQuery:
    """The list parameters of a request (shared with the REST API)."""
    raw_filters = request.args.getlist("filter") or []
    filters = tuple(f for part in raw_filters for f in part.split(",") if f)
    for name in filters:
        if name not in inbox.FILTERS:
            raise inbox.InboxQueryError(_("Filtro desconhecido: %(n)s.", n=name), field="filter")
    status = (request.args.get("status") or "").upper() or None
    if status == "ALL":
        status = None
    view = request.args.get("view") or None
    if view is not None and view not in inbox.VIEWS:
        raise inbox.InboxQueryError(_("Visão de conversas inválida."), field="view")
    if view == "all" and not sees_all_conversations():
        raise ServiceError(
            _("Você não tem acesso à visão Todas."), code="forbidden", http_status=403
        )
    only = tuple(
        params.parse_id(part, "only") or 0
        for part in (request.args.get("only") or "").split(",")[:100]
        if part
    )
    return inbox.ConversationQuery(
        view=view,
        team_ids=inbox.team_ids_of(client_id, current_user.id) if view else (),
        sort=request.args.get("sort") or "recent",
        only_ids=only,
        q=request.args.get("q", ""),
        filters=filters,
        label_id=_int_arg("label"),
        status=status,
        number_id=_int_arg("number"),
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
    query = conversation_query(client.id)
    page = inbox.list_conversations(client.id, query)
    extra = {}
    if query.view:  # the views' live counts, with the same other filters
        extra["counts"] = inbox.view_counts(client.id, query)
    return jsonify(
        items=ser.conversations(page.items),
        next_cursor=page.next_cursor,
        server_time=utcnow().isoformat(),
        **extra,
    )


def sees_all_conversations() -> bool:
    """The "Todas" view: client admins, and agents the admin allowed."""
    from clickpro.services.accounts.agent_permissions import agent_permissions_of

    if is_client_admin() or getattr(current_user, "is_super_admin", False):
        return True
    return agent_permissions_of(require_client()).view_all_conversations


@bp.get("/api/conversations/<int:conversation_id>")
@client_required
def conversation(conversation_id: int):
    from clickpro.services.contacts.service import lists_of

    client = require_client()
    conv = inbox_actions.get_conversation(client.id, conversation_id)
    contact = inbox_actions.contact_of(conv)
    lists = [(lst.id, lst.name) for lst in lists_of(contact)]
    return jsonify(conversation=ser.conversation_details(conv, contact, lists))


@bp.get("/api/conversations/<int:conversation_id>/messages")
@client_required
def messages(conversation_id: int):
    client = require_client()
    conv = inbox_actions.get_conversation(client.id, conversation_id)
    contact = inbox_actions.contact_of(conv)
    page = inbox.load_messages(conv, before_id=_int_arg("before_id"), limit=_int_arg("limit") or 50)
    return jsonify(
        items=ser.messages(page.items, {contact.id: contact}),
        next_cursor=page.next_cursor,
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
    since = params.arg_datetime("since")
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
    from clickpro.services.conversations import get_number
    from clickpro.services.inbox.templates import ALL_WABAS, approved_templates

    # Only the templates of the sending number's WABA (?conversation_id= or ?number_id=).
    client = require_client()
    waba_id: object = ALL_WABAS
    if request.args.get("conversation_id"):
        conv = inbox_actions.get_conversation(client.id, _int_arg("conversation_id"))
        number = get_number(client.id, conv.number_id)
        waba_id = number.waba_id if number else None
    elif request.args.get("number_id"):
        number = get_number(client.id, _int_arg("number_id"))
        if number is None:
            raise inbox_actions.NotFound(_("Número do WhatsApp não encontrado."))
        waba_id = number.waba_id
    return jsonify(items=approved_templates(client.id, waba_id))


@bp.get("/api/quick-replies")
@client_required
def quick_replies_json():
    client = require_client()
    contact = None
    if request.args.get("conversation_id"):
        conv = inbox_actions.get_conversation(client.id, _int_arg("conversation_id"))
        contact = inbox_actions.contact_of(conv)
    items = []
    for reply in quick_replies(client.id):
        text = render_quick_reply(reply.body, contact) if contact else reply.body
        items.append(
            {
                "id": reply.id,
                "shortcut": reply.shortcut,
                "body": reply.body,
                "text": text,
                "missing": missing_variables(text),
            }
        )
    return jsonify(items=items)


@bp.get("/media/<int:message_id>")
@client_required
def media(message_id: int):
    """The old download address: the message's media now lives in ClickPro's store,
    served by ``/media/<id>`` (fetched from Meta once, not on every view)."""
    message = get_owned_or_404(Message, message_id)  # another client's id: 404 here too
    return redirect(url_for("media.message_media", message_id=message.id), code=308)
