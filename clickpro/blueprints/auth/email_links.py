"""The pages e-mailed links open: "Esqueci minha senha", the reset form, an invitation.

Token-bearing pages answer ``Referrer-Policy: no-referrer`` and ``Cache-Control:
no-store`` so the token never leaves in a Referer header or stays in a shared cache.
"""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from clickpro.blueprints.auth import throttle
from clickpro.blueprints.auth.forms import (
    AcceptInvitationForm,
    ForgotPasswordForm,
    ResetPasswordForm,
)
from clickpro.blueprints.auth.links import NoPublicUrl, public_base_url, request_locale
from clickpro.blueprints.auth.routes import bp
from clickpro.realtime import disconnect_user
from clickpro.services.accounts import invitations, password_reset
from clickpro.services.accounts.invitations import InvitationLinkInvalid
from clickpro.services.accounts.password_reset import ResetLinkInvalid
from clickpro.services.accounts.service import AccountError, find_user
from clickpro.tenancy import switch_client

log = logging.getLogger(__name__)
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _invalid(message: str):
    return render_template("auth/link_invalid.html", message=message), 404, PRIVATE_HEADERS


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """The same answer (a redirect to the "sent" page) whether the e-mail has an account
    or not; only a throttled address or e-mail hears something else, for any e-mail."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/forgot_password.html", form=form), status
    email = form.email.data or ""
    throttled = throttle.reserve_reset_request(email)
    if throttled is not None:
        flash(
            ngettext(
                "Muitos pedidos de redefinição. Tente de novo em %(num)s minuto.",
                "Muitos pedidos de redefinição. Tente de novo em %(num)s minutos.",
                throttled.minutes,
            ),
            "danger",
        )
        headers = {"Retry-After": str(throttled.retry_after_s)}
        return render_template("auth/forgot_password.html", form=form), 429, headers
    try:
        link_base = public_base_url()
    except NoPublicUrl:
        log.error("password reset requested but PUBLIC_URL is unset; no mail sent")
    else:
        password_reset.request_reset(email, link_base=link_base, locale=request_locale())
    return redirect(url_for("auth.forgot_password_sent"))


@bp.route("/forgot-password/sent")
def forgot_password_sent():
    return render_template("auth/forgot_password_sent.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = password_reset.link_user(token)
    if user is None:
        return _invalid(ResetLinkInvalid().message)
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data or "")
        except ResetLinkInvalid as exc:
            return _invalid(exc.message)
        except AccountError as exc:
            form.password.errors = [*form.password.errors, exc.message]
            status = 400
        else:
            disconnect_user(user.id)
            logout_user()
            session.clear()
            flash(_("Senha alterada. Entre com a nova senha."), "success")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 400
    page = render_template("auth/reset_password.html", form=form, email=user.email)
    return page, status, PRIVATE_HEADERS


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation_link(token: str):
    """A new e-mail chooses name and password here; an existing account signs in and
    accepts on ``/invitations`` (where every pending invitation of the account is)."""
    invitation = invitations.by_link(token)
    if invitation is None:
        return _invalid(InvitationLinkInvalid().message)
    account = find_user(invitation.email)
    if account is not None:
        if current_user.is_authenticated and current_user.id == account.id:
            return redirect(url_for("auth.invitations"))
        if current_user.is_authenticated:
            page = render_template("auth/invitation_other_account.html", invitation=invitation)
            return page, 200, PRIVATE_HEADERS
        flash(_("Entre com a conta %(email)s para aceitar o convite.", email=account.email), "info")
        return redirect(url_for("auth.login", next=url_for("auth.invitations")))
    form = AcceptInvitationForm()
    status = 200
    if form.validate_on_submit():
        try:
            membership = invitations.accept_with_new_account(
                token, form.name.data or "", form.password.data or ""
            )
        except InvitationLinkInvalid as exc:
            return _invalid(exc.message)
        except AccountError as exc:
            field = form.name if exc.field == "name" else form.password
            field.errors = [*field.errors, exc.message]
            status = 400
        else:
            logout_user()
            session.clear()
            login_user(membership.user)
            switch_client(membership.client_id)
            flash(
                _("Bem-vindo(a) à equipe de %(client)s!", client=membership.client.name), "success"
            )
            return redirect(url_for("dashboard.index"))
    elif request.method == "POST":
        status = 400
    page = render_template("auth/accept_invitation.html", form=form, invitation=invitation)
    return page, status, PRIVATE_HEADERS
