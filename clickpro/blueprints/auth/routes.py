from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from clickpro.blueprints.auth import throttle, two_factor
from clickpro.blueprints.auth.forms import CsrfOnlyForm, LoginForm
from clickpro.extensions import db
from clickpro.guards import login_required
from clickpro.realtime import disconnect_user
from clickpro.services import audit
from clickpro.services.accounts import invitations as invitations_service
from clickpro.services.accounts.invitations import pending_invitations_for
from clickpro.services.accounts.service import (
    AccountError,
    LoginFailed,
    authenticate,
    end_sessions,
)
from clickpro.tenancy import switch_client

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.record_once
def _install_throttle(state) -> None:
    throttle.init_throttle(state.app)


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
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        throttled = throttle.reserve_attempt(form.email.data or "")
        if throttled is not None:
            flash(
                ngettext(
                    "Muitas tentativas de entrada. Tente de novo em %(num)s minuto.",
                    "Muitas tentativas de entrada. Tente de novo em %(num)s minutos.",
                    throttled.minutes,
                ),
                "danger",
            )
            status = 429
            headers["Retry-After"] = str(throttled.retry_after_s)
        else:
            try:
                user = authenticate(form.email.data or "", form.password.data or "")
            except LoginFailed:
                audit.record_sign_in_failure(form.email.data or "")
                flash(_login_failed_message(), "danger")
                status = 401
            else:
                throttle.clear_account(form.email.data or "")
                session.clear()
                code_step = two_factor.second_step(user, _safe_next(request.args.get("next")))
                if code_step is not None:
                    return code_step  # 2FA: signed in only after the code
                login_user(user)
                return redirect(_after_login_target())
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status, headers


def _login_failed_message() -> str:
    """The one answer to every failure; the numbers are the settings'."""
    config = current_app.config
    return _(
        "E-mail ou senha inválidos. Após %(attempts)s tentativas erradas, novas tentativas "
        "ficam bloqueadas por %(minutes)s minutos.",
        attempts=config["LOGIN_THROTTLE_PER_ACCOUNT"],
        minutes=config["LOGIN_THROTTLE_WINDOW_MINUTES"],
    )


def _after_login_target() -> str:
    """Pending invitations come first: they are how a new client reaches this user."""
    if pending_invitations_for(current_user):
        return url_for("auth.invitations")
    return _safe_next(request.args.get("next"))


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        user_id = current_user.id
        end_sessions(user_id)  # every cookie issued to this user stops working
        disconnect_user(user_id)
    logout_user()
    session.clear()
    flash(_("Você saiu da sua conta."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitations")
@login_required
def invitations():
    return render_template(
        "auth/invitations.html",
        invitations=pending_invitations_for(current_user),
        form=CsrfOnlyForm(),
    )


@bp.route("/invitations/<int:invitation_id>/accept", methods=["POST"])
@login_required
def accept_invitation(invitation_id: int):
    return _answer_invitation(invitation_id, "accept")


@bp.route("/invitations/<int:invitation_id>/decline", methods=["POST"])
@login_required
def decline_invitation(invitation_id: int):
    return _answer_invitation(invitation_id, "decline")


def _answer_invitation(invitation_id: int, action: str):
    if not CsrfOnlyForm().validate_on_submit():
        flash(_("Formulário expirado. Tente novamente."), "danger")
        return redirect(url_for("auth.invitations"))
    user = current_user._get_current_object()
    if invitations_service.addressed_to(invitation_id, user) is None:
        abort(404)  # someone else's (or no) invitation: never say which
    try:
        if action == "accept":
            membership = invitations_service.accept(invitation_id, user)
        else:
            invitations_service.decline(invitation_id, user)
    except AccountError as exc:
        flash(str(exc), "warning")
        return redirect(url_for("auth.invitations"))
    if action == "decline":
        flash(_("Convite recusado."), "info")
        return redirect(url_for("auth.invitations"))
    switch_client(membership.client_id)
    flash(_("Você agora faz parte de %(client)s.", client=membership.client.name), "success")
    return redirect(url_for("dashboard.index"))


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
