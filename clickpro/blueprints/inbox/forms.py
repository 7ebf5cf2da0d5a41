from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class QuickReplyForm(FlaskForm):
    shortcut = StringField(
        _l("Atalho"), validators=[DataRequired(_l("Informe o atalho.")), Length(max=41)]
    )
    body = TextAreaField(
        _l("Texto"), validators=[DataRequired(_l("Escreva o texto.")), Length(max=4096)]
    )


class DeleteForm(FlaskForm):
    """Only the CSRF token."""
