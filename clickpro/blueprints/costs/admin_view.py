"""Flask-Admin page of rate cards: the list, and a new card from a CSV upload."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from clickpro.extensions import db
from clickpro.models import Client, RateCard, RateCardRate
from clickpro.services.costs.cards import ensure_default_card
from clickpro.services.costs.loading import (
    CardSpec,
    RateCardError,
    load_card,
    parse_day,
    parse_rates,
)

MAX_UPLOAD_BYTES = 1_000_000


class RateCardForm(FlaskForm):
    name = StringField(_l("Nome"), validators=[DataRequired(), Length(max=200)])
    currency = StringField(_l("Moeda"), default="BRL", validators=[DataRequired(), Length(3, 3)])
    valid_from = DateField(_l("Válido a partir de"), validators=[DataRequired()])
    valid_to = DateField(_l("Válido até"), validators=[Optional()])
    source = StringField(_l("Fonte dos preços"), validators=[Optional(), Length(max=500)])
    source_date = DateField(_l("Data da fonte"), validators=[Optional()])
    client_id = SelectField(_l("Cliente"), coerce=int, default=0)
    markup_pct = DecimalField(
        _l("Margem (%)"), default=Decimal("0"), places=3, validators=[NumberRange(0, 1000)]
    )
    file = FileField(_l("Arquivo CSV (category,market,price)"))


class RateCardAdmin(BaseView):
    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.is_super_admin)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(404)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        ensure_default_card()
        db.session.commit()
        form = RateCardForm()
        clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
        form.client_id.choices = [(0, _("Plataforma (preço da Meta)"))] + [
            (cid, name) for cid, name in clients
        ]
        if form.validate_on_submit():
            try:
                card = self._load(form)
            except RateCardError as exc:
                flash(str(exc), "error")
            else:
                flash(_('Cartão de preços "%(name)s" carregado.', name=card.name), "success")
                return redirect(url_for(".index"))
        elif request.method == "POST":
            for errors in form.errors.values():
                for error in errors:
                    flash(str(error), "error")
        counts = dict(
            db.session.execute(
                sa.select(RateCardRate.card_id, sa.func.count()).group_by(RateCardRate.card_id)
            ).all()
        )
        cards = db.session.scalars(
            sa.select(RateCard).order_by(
                RateCard.client_id.is_not(None), RateCard.valid_from.desc()
            )
        ).all()
        names = dict(clients)
        return self.render(
            "costs/admin_rate_cards.html", form=form, cards=cards, counts=counts, names=names
        )

    def _load(self, form: RateCardForm) -> RateCard:
        upload = form.file.data
        text = ""
        if upload:
            raw = upload.read(MAX_UPLOAD_BYTES + 1)
            if len(raw) > MAX_UPLOAD_BYTES:
                raise RateCardError(_("Arquivo grande demais (máximo 1 MB)."))
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise RateCardError(_("O arquivo deve estar em UTF-8.")) from None
        rates = parse_rates(text) if text.strip() else None
        start = parse_day(form.valid_from.data, field=_("Válido a partir de"))
        assert start is not None
        spec = CardSpec(
            name=form.name.data or "",
            currency=form.currency.data or "",
            valid_from=start,
            valid_to=parse_day(form.valid_to.data, field=_("Válido até")),
            source=form.source.data or "",
            source_date=form.source_date.data,
            client_id=form.client_id.data or None,
            markup_pct=form.markup_pct.data or Decimal("0"),
        )
        return load_card(spec, rates)
