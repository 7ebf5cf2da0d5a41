"""Inbox write endpoints (replies, read, notes, assignment, labels, status, AI pause)
and the quick-replies admin page. Registered on the same ``inbox`` blueprint."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.blueprints.errors import form_error, parse_json_body
from clickpro.blueprints.inbox.forms import DeleteForm, QuickReplyForm
from clickpro.blueprints.inbox.routes import bp
from clickpro.blueprints.inbox.schemas import (
    AiPauseIn,
    AssignIn,
    LabelIn,
    LabelsIn,
    NoteIn,
    StatusIn,
    TemplateSendIn,
    TextIn,
)
from clickpro.guards import admin_required, client_required
from clickpro.models import QuickReply
from clickpro.services.inbox import actions as inbox_actions
from clickpro.services.inbox import serialize as ser
from clickpro.services.inbox.media import MediaTooLarge, too_large_text
from clickpro.services.inbox.quick_replies import (
    QuickReplyError,
    delete_quick_reply,
    ensure_filled,
    quick_replies,
    save_quick_reply,
)
from clickpro.tenancy import get_owned_or_404, require_client

MB = 1024 * 1024
UPLOAD_MAX = 100 * MB  # the largest kind (documents); each kind's limit is checked after


def _sent(message):
    return jsonify(message=ser.message(message)), 201


@bp.post("/api/conversations/<int:conversation_id>/messages")
@client_required
def send_text(conversation_id: int):
    data: TextIn = parse_json_body(TextIn)
    ensure_filled(data.body)  # a quick reply's {{variable}} never goes out empty or raw
    message = inbox_actions.reply_text(
        require_client().id, conversation_id, current_user.id, data.body
    )
    return _sent(message)


@bp.post("/api/conversations/<int:conversation_id>/media")
@client_required
def send_media(conversation_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise inbox_actions.InboxError(_("Escolha um arquivo."))
    content = upload.read(UPLOAD_MAX + 1)
    if len(content) > UPLOAD_MAX:
        raise MediaTooLarge(too_large_text("document"))
    message = inbox_actions.reply_media(
        require_client().id,
        conversation_id,
        current_user.id,
        content=content,
        mime_type=upload.mimetype or "application/octet-stream",
        filename=upload.filename[:200],
        caption=request.form.get("caption"),
        voice=request.form.get("voice") in ("1", "true"),
    )
    return _sent(message)


@bp.post("/api/conversations/<int:conversation_id>/template")
@client_required
def send_template(conversation_id: int):
    data: TemplateSendIn = parse_json_body(TemplateSendIn)
    message = inbox_actions.reply_template(
        require_client().id,
        conversation_id,
        current_user.id,
        data.template_id,
        data.values.model_dump(exclude_none=True),
    )
    return _sent(message)


@bp.post("/api/conversations/<int:conversation_id>/notes")
@client_required
def add_note(conversation_id: int):
    data: NoteIn = parse_json_body(NoteIn)
    note = inbox_actions.add_note(require_client().id, conversation_id, current_user.id, data.body)
    return _sent(note)


def _conversation(row):
    return jsonify(conversation=ser.conversation(row))


@bp.post("/api/conversations/<int:conversation_id>/read")
@client_required
def mark_read(conversation_id: int):
    return _conversation(inbox_actions.open_conversation(require_client().id, conversation_id))


@bp.post("/api/conversations/<int:conversation_id>/assign")
@client_required
def assign(conversation_id: int):
    data: AssignIn = parse_json_body(AssignIn)
    user_id = current_user.id if data.user_id == "me" else data.user_id
    return _conversation(
        inbox_actions.assign(
            require_client().id, conversation_id, user_id, actor_user_id=current_user.id
        )
    )


@bp.post("/api/conversations/<int:conversation_id>/labels")
@client_required
def set_labels(conversation_id: int):
    data: LabelsIn = parse_json_body(LabelsIn)
    return _conversation(
        inbox_actions.set_labels(require_client().id, conversation_id, data.label_ids)
    )


@bp.post("/api/conversations/<int:conversation_id>/status")
@client_required
def set_status(conversation_id: int):
    data: StatusIn = parse_json_body(StatusIn)
    return _conversation(
        inbox_actions.set_status(
            require_client().id, conversation_id, data.status, actor_user_id=current_user.id
        )
    )


@bp.post("/api/conversations/<int:conversation_id>/ai")
@client_required
def set_ai(conversation_id: int):
    data: AiPauseIn = parse_json_body(AiPauseIn)
    return _conversation(
        inbox_actions.set_ai_paused(require_client().id, conversation_id, data.paused)
    )


@bp.post("/api/labels")
@client_required
def create_label():
    data: LabelIn = parse_json_body(LabelIn)
    label = inbox_actions.create_label(require_client().id, data.name, data.color)
    return jsonify(label={"id": label.id, "name": label.name, "color": label.color}), 201


# --------------------------------------------------------------------------- quick replies page


@bp.route("/quick-replies", methods=["GET", "POST"])
@admin_required
def quick_replies_page():
    client = require_client()
    form = QuickReplyForm()
    if form.validate_on_submit():
        try:
            save_quick_reply(client.id, form.shortcut.data or "", form.body.data or "")
        except QuickReplyError as exc:
            form_error(form, exc)
        else:
            flash(_("Resposta rápida salva."), "success")
            return redirect(url_for("inbox.quick_replies_page"))
    return render_template(
        "inbox/quick_replies.html",
        form=form,
        delete_form=DeleteForm(),
        replies=quick_replies(client.id),
    )


@bp.post("/quick-replies/<int:reply_id>/delete")
@admin_required
def delete_quick_reply_view(reply_id: int):
    reply = get_owned_or_404(QuickReply, reply_id)  # another client's: 404
    if not DeleteForm().validate_on_submit():
        abort(400)
    delete_quick_reply(reply.client_id, reply.id)
    flash(_("Resposta rápida removida."), "success")
    return redirect(url_for("inbox.quick_replies_page"))
