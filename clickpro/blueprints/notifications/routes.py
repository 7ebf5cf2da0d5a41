"""Notifications of the client in use, visible to the logged-in member."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.blueprints.notifications.forms import MarkReadForm
from clickpro.blueprints.notifications.links import notification_link
from clickpro.guards import client_required
from clickpro.models import Notification
from clickpro.services.accounts.notifications import is_visible, mark_read, recent, unread_count
from clickpro.tenancy import get_owned_or_404, require_client

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.route("/notifications")
@client_required
def index():
    client = require_client()
    return render_template(
        "notifications/index.html",
        link_of=notification_link,
        notifications=recent(client.id, current_user.id, limit=100),
        unread=unread_count(client.id, current_user.id),
    )


@bp.route("/notifications/unread.json")
@client_required
def unread():
    return jsonify(unread=unread_count(require_client().id, current_user.id))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@client_required
def read_one(notification_id: int):
    """Mark one notification read, then open what it is about (if anything)."""
    note = get_owned_or_404(Notification, notification_id)
    if not is_visible(note, current_user.id):
        abort(404)  # another member's (or the admins') notification: as if it did not exist
    if not MarkReadForm().validate_on_submit():
        abort(400)
    mark_read(note.client_id, current_user.id, note.id)
    return redirect(notification_link(note) or url_for("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@client_required
def read_all():
    if not MarkReadForm().validate_on_submit():
        abort(400)
    count = mark_read(require_client().id, current_user.id)
    flash(_("%(n)d notificação(ões) marcada(s) como lida(s).", n=count), "success")
    return redirect(url_for("notifications.index"))
