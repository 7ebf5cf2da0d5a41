from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Senha"), validators=[DataRequired(), Length(max=256)])


class CsrfOnlyForm(FlaskForm):
    """Only the CSRF token: the URL says which invitation and which answer."""
