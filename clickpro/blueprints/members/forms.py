from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField
from wtforms.validators import DataRequired

from clickpro.blueprints.limits import ColumnLength
from clickpro.models import Role, User


def role_choices() -> list[tuple[str, str]]:
    return [
        (Role.CLIENT_USER.value, _l("Atendente")),
        (Role.CLIENT_ADMIN.value, _l("Administrador")),
    ]


class AddMemberForm(FlaskForm):
    # Only the e-mail and the role: the invitee chooses name and password from the link.
    email = EmailField(_l("E-mail"), validators=[DataRequired(), ColumnLength(User.email)])
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
    view_all_conversations = BooleanField(_l("Agentes veem todas as conversas (visão Todas)"))
