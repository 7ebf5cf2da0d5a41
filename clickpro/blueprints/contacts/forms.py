"""Forms of the contacts area (Flask-WTF: every POST carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class CsrfForm(FlaskForm):
    """Only the CSRF token: the URL says what, the button says which action."""


class ContactForm(FlaskForm):
    """Phone and name; attributes come as ``attr_key``/``attr_value`` lists (dynamic rows)."""

    phone = StringField(_l("Telefone"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Nome"), validators=[Optional(), Length(max=200)])


class ListForm(FlaskForm):
    name = StringField(_l("Nome da lista"), validators=[DataRequired(), Length(max=120)])


class AddToListForm(FlaskForm):
    phones = TextAreaField(
        _l("Telefones (um por linha)"), validators=[DataRequired(), Length(max=200_000)]
    )


class OptOutForm(FlaskForm):
    phone = StringField(_l("Telefone"), validators=[DataRequired(), Length(max=40)])
    reason = StringField(_l("Motivo"), validators=[Optional(), Length(max=500)])


class OptOutImportForm(FlaskForm):
    file = FileField(_l("Arquivo (CSV, .xlsx ou .txt)"), validators=[FileRequired()])


class UploadForm(FlaskForm):
    file = FileField(_l("Planilha (CSV ou .xlsx)"), validators=[FileRequired()])
    list_id = SelectField(_l("Adicionar à lista"), choices=[], validate_choice=False)
    list_name = StringField(_l("ou nova lista"), validators=[Optional(), Length(max=120)])
    sheet = StringField(_l("Aba (opcional)"), validators=[Optional(), Length(max=120)])
