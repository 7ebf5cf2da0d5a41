from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired

from clickpro.blueprints.limits import ColumnLength, MaxLength
from clickpro.models import QuickReply
from clickpro.services.inbox.quick_replies import BODY_MAX


class QuickReplyForm(FlaskForm):
    shortcut = StringField(
        _l("Atalho"),
        validators=[DataRequired(_l("Informe o atalho.")), ColumnLength(QuickReply.shortcut)],
    )
    body = TextAreaField(
        _l("Texto"), validators=[DataRequired(_l("Escreva o texto.")), MaxLength(BODY_MAX)]
    )


class DeleteForm(FlaskForm):
    """Only the CSRF token."""
