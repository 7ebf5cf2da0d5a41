"""Two-factor sign-in: enrollment from the account, the code after the password.

The password step (``auth.login``) calls :func:`second_step`: for a user with 2FA it
stores a short-lived *signed* pending state in the session (user id, session version,
where to go next) and sends the browser to ``/login/two-factor``; nobody is signed in
yet. Only a valid TOTP or recovery code there calls ``login_user``. Wrong codes are
throttled per account (``TWO_FACTOR_MAX_ATTEMPTS`` per ``LOGIN_THROTTLE_WINDOW_MINUTES``)
and the pending state expires after ``TWO_FACTOR_PENDING_SECONDS``.

A ``before_request`` hook sends a signed-in user who must have 2FA (super admin by
setting, member of a client that enforces it) and has none to the enrollment page before
anything else, Flask-Admin included. API tokens never use the session: unaffected.
"""

from __future__ import annotations

import math
import time

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, user_logged_in
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItemPerMinute
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from clickpro.blueprints.auth import throttle
from clickpro.crypto import decrypt, encrypt
from clickpro.extensions import db
from clickpro.guards import login_required
from clickpro.models import User
from clickpro.services import audit
from clickpro.services.accounts import two_factor as service
from clickpro.services.accounts.invitations import pending_invitations_for
from clickpro.services.audit import Action

bp = Blueprint("two_factor", __name__, template_folder="templates")
PENDING_KEY = "two_factor_pending"
ENROLL_KEY = "two_factor_enroll"
_SALT = "clickpro.two-factor.pending"
# Endpoints a user who must enroll can still reach (the rest redirect to enrollment).
OPEN_ENDPOINTS = frozenset({"static", "auth.logout", "auth.language", "auth.login"})


class CodeForm(FlaskForm):
    code = StringField(_l("Código"), validators=[DataRequired(), Length(max=32)])


class PasswordCodeForm(CodeForm):
    password = PasswordField(_l("Senha"), validators=[DataRequired(), Length(max=256)])


@bp.record_once
def _install(state) -> None:
    app: Flask = state.app
    app.before_request(_enforce_enrollment)
    user_logged_in.connect(_audit_sign_in, app)


def _audit_sign_in(app, user: User, **_kwargs) -> None:
    audit.record(Action.SIGN_IN, user, method=session.get("two_factor_method") or "password")
    session.pop("two_factor_method", None)


# --- the password step's hook -------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def second_step(user: User, next_url: str):
    """For a user with 2FA: the redirect to the code step (nobody signed in), else None."""
    if not user.two_factor_enabled:
        return None
    state = {"u": user.id, "v": user.session_version or 0, "n": next_url}
    session[PENDING_KEY] = _serializer().dumps(state)
    return redirect(url_for("two_factor.challenge"))


def _pending_user() -> tuple[User, str] | None:
    token = session.get(PENDING_KEY)
    if not token:
        return None
    try:
        state = _serializer().loads(
            token, max_age=int(current_app.config["TWO_FACTOR_PENDING_SECONDS"])
        )
        user = db.session.get(User, int(state["u"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None or not user.is_active or (user.session_version or 0) != state.get("v"):
        return None
    return user, str(state.get("n") or url_for("dashboard.index"))


def _code_item() -> RateLimitItemPerMinute:
    return RateLimitItemPerMinute(
        int(current_app.config["TWO_FACTOR_MAX_ATTEMPTS"]),
        int(current_app.config["LOGIN_THROTTLE_WINDOW_MINUTES"]),
    )


def _limiter():
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    return current_app.extensions.get(throttle._KEY)


def _reserve_code_attempt(user_id: int) -> int | None:
    """Count one code attempt of this account; seconds to wait if over the limit."""
    limiter = _limiter()
    if limiter is None:
        return None
    item, keys = _code_item(), ("login-2fa", str(user_id))
    try:
        if not limiter.limiter.hit(item, *keys):
            reset_at, _remaining = limiter.limiter.get_window_stats(item, *keys)
            return max(1, math.ceil(reset_at - time.time()))
    except Exception:  # noqa: BLE001 - storage down: the pending state still expires
        current_app.logger.warning("two-factor throttle unavailable", exc_info=True)
    return None


def _clear_code_attempts(user_id: int) -> None:
    """A right code: whoever typed it holds the phone, the window starts over."""
    limiter = _limiter()
    if limiter is None:
        return
    try:
        limiter.limiter.clear(_code_item(), "login-2fa", str(user_id))
    except Exception:  # noqa: BLE001
        current_app.logger.warning("two-factor throttle unavailable", exc_info=True)


@bp.route("/login/two-factor", methods=["GET", "POST"])
def challenge():
    pending = _pending_user()
    if pending is None:
        session.pop(PENDING_KEY, None)
        flash(_("Entre de novo com e-mail e senha."), "info")
        return redirect(url_for("auth.login"))
    user, next_url = pending
    form = CodeForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        wait = _reserve_code_attempt(user.id)
        method = None if wait is not None else service.verify(user, form.code.data or "")
        if wait is not None:
            minutes = max(1, math.ceil(wait / 60))
            flash(
                ngettext(
                    "Muitas tentativas de código. Tente de novo em %(num)s minuto.",
                    "Muitas tentativas de código. Tente de novo em %(num)s minutos.",
                    minutes,
                ),
                "danger",
            )
            status, headers = 429, {"Retry-After": str(wait)}
        elif method is None:
            audit.record_two_factor_failure(user)
            form.code.errors = [str(service.WRONG_CODE)]
            status = 401
        else:
            _clear_code_attempts(user.id)
            session.clear()
            session["two_factor_method"] = method
            login_user(user)
            if method == "recovery":
                left = service.recovery_codes_left(user)
                flash(
                    ngettext(
                        "Código de recuperação usado. Resta %(num)s código.",
                        "Código de recuperação usado. Restam %(num)s códigos.",
                        left,
                    ),
                    "warning",
                )
            if pending_invitations_for(user):
                return redirect(url_for("auth.invitations"))
            return redirect(next_url)
    elif request.method == "POST":
        status = 400
    return render_template("two_factor/challenge.html", form=form), status, headers


# --- enrollment and management ------------------------------------------------------


def _enforce_enrollment():
    """A user who must have 2FA and has none reaches only the enrollment page."""
    endpoint = request.endpoint or ""
    if (
        not endpoint
        or endpoint in OPEN_ENDPOINTS
        or endpoint.startswith("two_factor.")
        or endpoint.startswith("health.")
        or not current_user.is_authenticated
        or current_user.two_factor_enabled
    ):
        return None
    if not service.required_for(current_user):
        return None
    flash(_("Ative a verificação em duas etapas para continuar."), "warning")
    return redirect(url_for("two_factor.setup"))


def _enroll_secret() -> str:
    """The secret being enrolled: kept encrypted in the session until confirmed."""
    token = session.get(ENROLL_KEY)
    if token:
        try:
            return decrypt(token)
        except Exception:  # noqa: BLE001 - another key set: start over
            session.pop(ENROLL_KEY, None)
    secret = service.new_secret()
    session[ENROLL_KEY] = encrypt(secret)
    return secret


@bp.route("/account/two-factor")
@login_required
def setup():
    user = current_user._get_current_object()
    if user.two_factor_enabled:
        return render_template(
            "two_factor/manage.html",
            left=service.recovery_codes_left(user),
            required=service.required_for(user),
            disable_form=PasswordCodeForm(prefix="disable"),
            regenerate_form=PasswordCodeForm(prefix="regenerate"),
        )
    return _enroll_page(user, CodeForm())


def _enroll_page(user: User, form: CodeForm, status: int = 200):
    secret = _enroll_secret()
    uri = service.provisioning_uri(secret, user.email)
    return (
        render_template(
            "two_factor/enroll.html",
            form=form,
            qr_svg=service.qr_svg(uri),
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            required=service.required_for(user),
        ),
        status,
    )


@bp.route("/account/two-factor/enable", methods=["POST"])
@login_required
def enable():
    user = current_user._get_current_object()
    if user.two_factor_enabled:
        return redirect(url_for("two_factor.setup"))
    form = CodeForm()
    if not form.validate_on_submit():
        return _enroll_page(user, form, 400)
    try:
        codes = service.enable(user, _enroll_secret(), form.code.data or "")
    except service.TwoFactorError as exc:
        form.code.errors = [str(exc)]
        return _enroll_page(user, form, 400)
    session.pop(ENROLL_KEY, None)
    return _codes_page(codes, enabled=True)


def _codes_page(codes: list[str], *, enabled: bool):
    response = current_app.make_response(
        render_template("two_factor/recovery_codes.html", codes=codes, enabled=enabled)
    )
    response.headers["Cache-Control"] = "no-store"  # shown once, never from a cache
    return response


@bp.route("/account/two-factor/disable", methods=["POST"])
@login_required
def disable():
    form = PasswordCodeForm(prefix="disable")
    if not form.validate_on_submit():
        flash(_("Informe a senha e um código."), "danger")
        return redirect(url_for("two_factor.setup"))
    try:
        service.disable(
            current_user._get_current_object(), form.password.data or "", form.code.data or ""
        )
    except service.TwoFactorError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("two_factor.setup"))
    flash(_("Verificação em duas etapas desativada."), "info")
    return redirect(url_for("two_factor.setup"))


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
def regenerate():
    form = PasswordCodeForm(prefix="regenerate")
    if not form.validate_on_submit():
        flash(_("Informe a senha e um código."), "danger")
        return redirect(url_for("two_factor.setup"))
    try:
        codes = service.regenerate_recovery_codes(
            current_user._get_current_object(), form.password.data or "", form.code.data or ""
        )
    except service.TwoFactorError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("two_factor.setup"))
    return _codes_page(codes, enabled=False)
