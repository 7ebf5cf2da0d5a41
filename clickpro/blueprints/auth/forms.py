from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from clickpro.blueprints.limits import ColumnLength, MaxLength
from clickpro.models import User


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), ColumnLength(User.email)])
    password = PasswordField(_l("Senha"), validators=[DataRequired(), MaxLength(256)])


class CsrfOnlyForm(FlaskForm):
    """Only the CSRF token: the URL says which invitation and which answer."""


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), ColumnLength(User.email)])


class ResetPasswordForm(FlaskForm):
    """The new password twice (the rules themselves are the service's, everywhere)."""

    password = PasswordField(_l("Nova senha"), validators=[DataRequired(), MaxLength(256)])
    confirm = PasswordField(
        _l("Repita a nova senha"),
        validators=[DataRequired(), EqualTo("password", message=_l("As senhas não conferem."))],
    )


class AcceptInvitationForm(ResetPasswordForm):
    name = StringField(_l("Seu nome"), validators=[DataRequired(), ColumnLength(User.name)])
