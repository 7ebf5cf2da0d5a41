"""``/account``: change my name; change my password (the current one required).

A password change ends every other session of the account (``session_version`` moves
on, their sockets are disconnected) and keeps this one: the session is signed in again
with the new version. Wrong current passwords count against the sign-in throttle of the
account, so a stolen session cannot guess the password at leisure.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user

from clickpro.blueprints.account.forms import NameForm, PasswordChangeForm
from clickpro.blueprints.auth import throttle
from clickpro.extensions import db
from clickpro.guards import login_required
from clickpro.realtime import disconnect_user
from clickpro.services.accounts.service import AccountError, change_password, rename

bp = Blueprint("account", __name__, template_folder="templates")


def _render(name_form=None, password_form=None, status: int = 200):
    user = current_user._get_current_object()
    page = render_template(
        "account/index.html",
        name_form=name_form or NameForm(formdata=None, obj=user),
        password_form=password_form or PasswordChangeForm(formdata=None),
    )
    return page, status


@bp.route("/account")
@login_required
def index():
    return _render()


@bp.route("/account/name", methods=["POST"])
@login_required
def set_name():
    form = NameForm()
    if not form.validate_on_submit():
        return _render(name_form=form, status=400)
    try:
        rename(current_user._get_current_object(), form.name.data or "")
    except AccountError as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, exc.message]
        return _render(name_form=form, status=400)
    flash(_("Nome atualizado."), "success")
    return redirect(url_for("account.index"))


@bp.route("/account/password", methods=["POST"])
@login_required
def set_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _render(password_form=form, status=400)
    user = current_user._get_current_object()
    throttled = throttle.reserve_attempt(user.email)
    if throttled is not None:
        message = ngettext(
            "Muitas tentativas. Tente de novo em %(num)s minuto.",
            "Muitas tentativas. Tente de novo em %(num)s minutos.",
            throttled.minutes,
        )
        form.current.errors = [*form.current.errors, message]
        return _render(password_form=form, status=429)
    try:
        change_password(user, form.current.data or "", form.password.data or "")
    except AccountError as exc:
        db.session.rollback()
        field = form.current if exc.field == "current" else form.password
        field.errors = [*field.errors, exc.message]
        return _render(password_form=form, status=400)
    throttle.clear_account(user.email)
    disconnect_user(user.id)  # the other sessions' open sockets; this page reconnects
    login_user(user)  # this session carries the new session_version: it stays valid
    flash(_("Senha alterada. As outras sessões da sua conta foram encerradas."), "success")
    return redirect(url_for("account.index"))
