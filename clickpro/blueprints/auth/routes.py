from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from clickpro.blueprints.auth.forms import LoginForm
from clickpro.extensions import db
from clickpro.guards import login_required
from clickpro.services.accounts.service import LoginFailed, authenticate
from clickpro.tenancy import switch_client

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    # Browsers read a backslash as "/" and drop tabs and newlines: refuse both.
    unsafe = "\\" in target or any(ord(ch) < 32 for ch in target)
    if (
        unsafe
        or parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return url_for("dashboard.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except LoginFailed:
            flash(
                _(
                    "E-mail ou senha inválidos. Após 5 tentativas erradas o acesso fica "
                    "bloqueado por 15 minutos."
                ),
                "danger",
            )
            status = 401
        else:
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash(_("Você saiu da sua conta."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/switch-client", methods=["POST"])
@login_required
def switch():
    try:
        client_id = int(request.form.get("client_id", ""))
    except ValueError:
        abort(400)
    switch_client(client_id)
    return redirect(url_for("dashboard.index"))


@bp.route("/language/<lang>", methods=["POST"])
def language(lang: str):
    if lang not in ("pt_BR", "en"):
        abort(404)
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect(_safe_next(request.referrer and urlsplit(request.referrer).path))
