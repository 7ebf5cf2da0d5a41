"""Forms of the API panel pages (Flask-WTF: every POST carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, URLField, widgets
from wtforms.validators import DataRequired, Length

from clickpro.services.api.outbound_webhooks import EVENTS


class CsrfForm(FlaskForm):
    """Only the CSRF token: the URL says what, the button says which action."""


class TokenForm(FlaskForm):
    name = StringField(_l("Nome do token"), validators=[DataRequired(), Length(max=120)])


class WebhookForm(FlaskForm):
    url = URLField(_l("URL"), validators=[DataRequired(), Length(max=2000)])
    description = StringField(_l("Descrição"), validators=[Length(max=200)])
    events = SelectMultipleField(
        _l("Eventos"),
        choices=[(e, e) for e in EVENTS],
        validators=[DataRequired(message=_l("Escolha ao menos um evento."))],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
