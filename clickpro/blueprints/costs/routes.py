"""Costs pages: the month's spend by category, number, campaign and day; campaign JSON.

Every query is scoped to the client in use (``require_client``); another client's
campaign id is a 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, format_number, ngettext
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from clickpro.blueprints.costs.money import money
from clickpro.extensions import db
from clickpro.guards import admin_required
from clickpro.models import Campaign, ContactList, Template
from clickpro.services.costs import ai_spend, marketing_api
from clickpro.services.costs.estimate import audience_prefixes, price_audience
from clickpro.services.costs.reports import campaign_cost, costs_by
from clickpro.tenancy import get_owned, get_owned_or_404, require_client

bp = Blueprint("costs", __name__, template_folder="templates")


class CsrfForm(FlaskForm):
    """A POST with only the CSRF token (the action is a button's value)."""


def category_label(value: str | None) -> str:
    labels = {
        "marketing": _("Marketing"),
        "marketing_lite": _("Marketing (Marketing Messages API)"),
        "utility": _("Utilidade"),
        "authentication": _("Autenticação"),
        "authentication_international": _("Autenticação internacional"),
        "service": _("Atendimento"),
    }
    return labels.get(str(value or ""), str(value or "—"))


@bp.app_template_global("campaign_cost")
def campaign_cost_global(campaign: Campaign):
    """For ``campaigns/_cost.html``: the campaign's cost (its own client's rows only)."""
    return campaign_cost(campaign)


@bp.app_template_filter("money")
def money_filter(amount, currency, unit: bool = False) -> str:
    return money(amount, currency, unit=unit)


bp.add_app_template_global(category_label, "cost_category_label")


def _month_bounds(value: str | None) -> tuple[datetime, datetime, str]:
    """``2026-12`` → [1 Dec, 1 Jan) in UTC; the current month when absent; 400 if bad."""
    now = datetime.now(UTC)
    text = (value or f"{now.year:04d}-{now.month:02d}").strip()
    try:
        year, month = (int(part) for part in text.split("-", 1))
        start = datetime(year, month, 1, tzinfo=UTC)
    except (ValueError, TypeError):
        abort(400, _("Mês inválido: use AAAA-MM."))
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end, f"{year:04d}-{month:02d}"


def _shift(month: str, delta: int) -> str:
    year, m = (int(p) for p in month.split("-"))
    index = year * 12 + (m - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@bp.route("/costs")
@admin_required
def index():
    client = require_client()
    start, end, month = _month_bounds(request.args.get("month"))
    groups = {
        name: costs_by(client.id, start, end, name)
        for name in ("category", "number", "campaign", "day")
    }
    totals: dict[str, dict] = {}
    for row in groups["category"]:
        slot = totals.setdefault(
            row.currency or "", {"amount": 0, "charged": 0, "free": 0, "unpriced": 0}
        )
        slot["amount"] += row.amount
        slot["charged"] += row.charged
        slot["free"] += row.free
        slot["unpriced"] += row.unpriced
    ai_spent, ai_replies = ai_spend.spend_between(client.id, start, end)
    return render_template(
        "costs/index.html",
        month=month,
        previous=_shift(month, -1),
        following=_shift(month, 1),
        groups=groups,
        totals=totals,
        marketing=marketing_api.setting_of(client.id),
        ai_spent=ai_spent,
        ai_replies=ai_replies,
        ai_currency=current_app.config["AI_PRICE_CURRENCY"],
        ai_budget=ai_spend.monthly_budget(client),
        ai_token_budget=ai_spend.monthly_token_budget(client),
        ai_tokens=format_number(ai_spend.tokens_between(client.id, start, end)),
        ai_enabled=client.ai_enabled,
        form=CsrfForm(),
    )


@bp.route("/costs/ai-budget", methods=["POST"])
@admin_required
def ai_budget():
    """The client's monthly AI budget (empty or 0: none)."""
    client = require_client()
    if not CsrfForm().validate_on_submit():
        abort(400)
    raw = str(request.form.get("budget") or "").strip().replace(",", ".")
    try:
        value = Decimal(raw) if raw else None
    except InvalidOperation:
        value = Decimal("-1")
    if value is not None and (not value.is_finite() or value < 0 or value > 1_000_000):
        flash(_("Orçamento inválido: use um valor entre 0 e 1.000.000."), "warning")
    else:
        ai_spend.set_monthly_budget(client.id, value)
        flash(_("Orçamento mensal de IA salvo."), "success")
    if "token_budget" in request.form:  # h5 (#21): the monthly token budget beside it
        tokens = _token_budget(request.form.get("token_budget"))
        if tokens is False:
            flash(_("Orçamento de tokens inválido: use um número inteiro entre 0 e "
                    "10.000.000.000."), "warning")  # fmt: skip
        else:
            ai_spend.set_monthly_token_budget(client.id, tokens or None)
    return redirect(url_for("costs.index"))


def _token_budget(raw: str | None) -> int | None | bool:
    """The token budget typed (thousands dots/spaces allowed): None when empty, False
    when not a whole number in range."""
    text = "".join(str(raw or "").split()).replace(".", "").replace("_", "")
    if not text:
        return None
    if not text.isdigit() or len(text) > 11 or int(text) > 10_000_000_000:
        return False
    return int(text)


@bp.route("/costs/marketing-api", methods=["POST"])
@admin_required
def marketing_api_setting():
    """The number's Marketing Messages API switch: check with Meta, turn on or off."""
    client = require_client()
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action")
    turn_on = {"on": True, "off": False}.get(str(action))
    try:
        setting = marketing_api.check(client.id, turn_on=turn_on)
    except marketing_api.MarketingApiError as exc:
        flash(str(exc), "warning")
    else:
        if setting.onboarded:
            flash(
                _("Campanhas de marketing deste número saem pela Marketing Messages API."),
                "success",
            )
        else:
            flash(_("Campanhas deste número saem pela API padrão (/messages)."), "info")
    return redirect(url_for("costs.index"))


@bp.route("/costs/campaigns/<int:campaign_id>.json")
@admin_required
def campaign_json(campaign_id: int):
    campaign = get_owned_or_404(Campaign, campaign_id, require_client().id)
    cost = campaign_cost(campaign)
    data = cost.as_api()
    data["text"] = {
        "estimated": money(cost.estimated, cost.currency),
        "actual": money(cost.actual, cost.currency),
        "per_delivered": money(cost.per_delivered, cost.currency, unit=True),
        "per_read": money(cost.per_read, cost.currency, unit=True),
    }
    return jsonify(data)


def _ids(values) -> list[int]:
    out = []
    for value in values if isinstance(values, list) else []:
        if str(value).isdigit() and len(str(value)) < 10:
            out.append(int(value))
    return out


@bp.route("/costs/estimate.json", methods=["POST"])
@admin_required
def estimate_json():
    """The wizard: ``{template_id, list_ids, exclude_list_ids, policy}`` → "~R$ … para … contatos"."""
    client = require_client()
    data = request.get_json(silent=True) or {}
    owned = set(
        db.session.scalars(sa.select(ContactList.id).where(ContactList.client_id == client.id))
    )
    include = [i for i in _ids(data.get("list_ids")) if i in owned]
    exclude = [i for i in _ids(data.get("exclude_list_ids")) if i in owned]
    raw_id = str(data.get("template_id") or "")
    template = None
    if raw_id.isdigit() and len(raw_id) < 10:
        template = get_owned(Template, int(raw_id), client.id)
    if template is None or not include:
        return jsonify(text="", amount=None)
    policy = "fallback" if data.get("policy") == "fallback" else "skip"
    variables = found if isinstance(found := data.get("variables"), dict) else {}
    prefixes = audience_prefixes(client.id, include, exclude, variables, policy)
    estimate = price_audience(client.id, template.category, prefixes)
    if estimate is None:
        return jsonify(text=_("Sem cartão de preços para estimar o custo."), amount=None)
    text = ngettext(
        "~%(amount)s para %(n)s contato",
        "~%(amount)s para %(n)s contatos",
        estimate.recipients,
        amount=money(estimate.amount, estimate.currency),
        n=format_decimal(estimate.recipients),
    )
    notes = []
    if estimate.unpriced:
        notes.append(
            ngettext(
                "%(num)s contato de um país fora do cartão de preços não está na estimativa.",
                "%(num)s contatos de países fora do cartão de preços não estão na estimativa.",
                estimate.unpriced,
            )
        )
    if estimate.category != "marketing":
        notes.append(
            _(
                "A Meta pode mudar a categoria do modelo (por exemplo, para marketing), e o preço muda com ela."
            )
        )
    return jsonify(
        text=text,
        notes=notes,
        amount=float(estimate.amount),
        currency=estimate.currency,
        recipients=estimate.recipients,
        category=estimate.category,
    )
