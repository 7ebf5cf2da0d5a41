"""The embedded outbox, so the demo's invitations and reset links can be followed
without a mail server.

Never in the production configuration (404 whoever asks). Elsewhere it answers in
embedded mode (the one-process demo, where mails go to files) and to a super admin;
anyone else gets a 404. A mail's HTML is shown in a sandboxed frame (no scripts, no
same-origin access) from a route with its own strict CSP.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from clickpro.services.mail.outbox import get_mail, list_mails

bp = Blueprint("dev", __name__, url_prefix="/_dev", template_folder="templates")


@bp.before_request
def _only_outside_production():
    config = current_app.config
    if config["ENV_NAME"] == "production":
        abort(404)
    super_admin = current_user.is_authenticated and current_user.is_super_admin
    if not (config["EMBEDDED"] or super_admin):
        abort(404)


@bp.route("/mail")
def mail_index():
    return render_template("dev/mail.html", mails=list_mails(), selected=None)


@bp.route("/mail/<name>")
def mail_detail(name: str):
    mail = get_mail(name)
    if mail is None:
        abort(404)
    return render_template("dev/mail.html", mails=list_mails(), selected=mail)


@bp.route("/mail/<name>/html")
def mail_html(name: str):
    mail = get_mail(name)
    if mail is None:
        abort(404)
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        "Referrer-Policy": "no-referrer",
    }
    return mail.html, 200, headers
