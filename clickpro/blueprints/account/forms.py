from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from clickpro.blueprints.limits import ColumnLength, MaxLength
from clickpro.models import User


class NameForm(FlaskForm):
    name = StringField(_l("Nome"), validators=[DataRequired(), ColumnLength(User.name)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Senha atual"), validators=[DataRequired(), MaxLength(256)])
    password = PasswordField(_l("Nova senha"), validators=[DataRequired(), MaxLength(256)])
    confirm = PasswordField(
        _l("Repita a nova senha"),
        validators=[DataRequired(), EqualTo("password", message=_l("As senhas não conferem."))],
    )
