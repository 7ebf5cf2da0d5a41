from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from clickpro.models import Role


def role_choices() -> list[tuple[str, str]]:
    return [
        (Role.CLIENT_USER.value, _l("Atendente")),
        (Role.CLIENT_ADMIN.value, _l("Administrador")),
    ]


class AddMemberForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Nome"), validators=[Optional(), Length(max=120)])
    # Always asked (never "only for a new user"): the form must not reveal whether the
    # e-mail already has an account. It is used only if the account does not exist yet.
    password = PasswordField(
        _l("Senha inicial"),
        validators=[DataRequired(), Length(min=8, max=256)],
        description=_l("Usada só se a pessoa ainda não tiver conta no ClickPro."),
    )
    role = SelectField(_l("Papel"), choices=role_choices, validators=[DataRequired()])


class RoleForm(FlaskForm):
    role = SelectField(_l("Papel"), choices=role_choices, validators=[DataRequired()])


class ActiveForm(FlaskForm):
    """Only the CSRF token: the URL says which member, the action which state."""


class AgentPermissionsForm(FlaskForm):
    """What agents (CLIENT_USER) may do beyond the inbox and contacts (all off by default)."""

    import_contacts = BooleanField(_l("Agentes podem importar contatos"))
    delete_contacts = BooleanField(_l("Agentes podem excluir contatos"))
    export_contacts = BooleanField(_l("Agentes podem exportar"))
