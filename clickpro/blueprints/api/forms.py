"""Forms of the API panel pages (Flask-WTF: every POST carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, URLField, widgets
from wtforms.validators import DataRequired

from clickpro.blueprints.limits import ColumnLength
from clickpro.models import ApiToken, WebhookEndpoint
from clickpro.services.api.outbound_webhooks import EVENTS


class CsrfForm(FlaskForm):
    """Only the CSRF token: the URL says what, the button says which action."""


class TokenForm(FlaskForm):
    name = StringField(
        _l("Nome do token"), validators=[DataRequired(), ColumnLength(ApiToken.name)]
    )


class WebhookForm(FlaskForm):
    url = URLField(_l("URL"), validators=[DataRequired(), ColumnLength(WebhookEndpoint.url)])
    description = StringField(
        _l("Descrição"), validators=[ColumnLength(WebhookEndpoint.description)]
    )
    events = SelectMultipleField(
        _l("Eventos"),
        choices=[(e, e) for e in EVENTS],
        validators=[DataRequired(message=_l("Escolha ao menos um evento."))],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
