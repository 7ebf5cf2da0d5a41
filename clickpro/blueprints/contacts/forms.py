"""Forms of the contacts area (Flask-WTF: every POST carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from clickpro.blueprints.limits import ColumnLength, MaxLength
from clickpro.models import Contact, ContactImport, ContactList, OptOut

PHONE_INPUT_MAX = 40  # any written shape; stored as E.164 (20)
BSUID_INPUT_MAX = 140  # CC.ENT. + 128 (contacts/bsuids.py checks the form)


class CsrfForm(FlaskForm):
    """Only the CSRF token: the URL says what, the button says which action."""


class ContactForm(FlaskForm):
    """Phone or BSUID, username, name; attributes come as ``attr_key``/``attr_value``
    lists (dynamic rows). The service says when neither phone nor BSUID is given."""

    phone = StringField(_l("Telefone"), validators=[Optional(), MaxLength(PHONE_INPUT_MAX)])
    bsuid = StringField(
        _l("BSUID (ID de usuário do WhatsApp)"),
        validators=[Optional(), MaxLength(BSUID_INPUT_MAX)],
    )
    username = StringField(
        _l("Nome de usuário do WhatsApp"), validators=[Optional(), ColumnLength(Contact.username)]
    )
    name = StringField(_l("Nome"), validators=[Optional(), ColumnLength(Contact.name)])


class ListForm(FlaskForm):
    name = StringField(
        _l("Nome da lista"), validators=[DataRequired(), ColumnLength(ContactList.name)]
    )


class AddToListForm(FlaskForm):
    phones = TextAreaField(
        _l("Telefones (um por linha)"), validators=[DataRequired(), MaxLength(200_000)]
    )


class OptOutForm(FlaskForm):
    phone = StringField(
        _l("Telefone ou BSUID"),
        validators=[DataRequired(), MaxLength(max(PHONE_INPUT_MAX, BSUID_INPUT_MAX))],
    )
    reason = StringField(_l("Motivo"), validators=[Optional(), ColumnLength(OptOut.reason)])


class OptOutImportForm(FlaskForm):
    file = FileField(_l("Arquivo (CSV, .xlsx ou .txt)"), validators=[FileRequired()])


class UploadForm(FlaskForm):
    file = FileField(_l("Planilha (CSV ou .xlsx)"), validators=[FileRequired()])
    list_id = SelectField(_l("Adicionar à lista"), choices=[], validate_choice=False)
    list_name = StringField(
        _l("ou nova lista"), validators=[Optional(), ColumnLength(ContactList.name)]
    )
    sheet = StringField(
        _l("Aba (opcional)"), validators=[Optional(), ColumnLength(ContactImport.sheet)]
    )
