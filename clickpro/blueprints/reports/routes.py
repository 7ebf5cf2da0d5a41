"""``/reports``: the client's reports over a period, with filters and Δ vs the previous
period; ``/reports/export/<table>.<fmt>`` (XLSX / CSV) and ``/reports/pdf`` (one month).

Every figure is scoped to the client in use; a number / team / campaign id of another
client in the filters is a 404, a malformed one is ignored with a message.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.i18n import format_local
from clickpro.models import Campaign, Team, WhatsAppCredential
from clickpro.services.accounts.validation import safe_zone
from clickpro.services.reports import exports, periods
from clickpro.services.reports import formatting as fmt
from clickpro.services.reports.charts import DAILY_TABLES, WEEKLY_PAST_DAYS, by_week, chart_of
from clickpro.services.reports.pdf import render_month
from clickpro.services.reports.queries import (
    Filters,
    Report,
    Table,
    campaign_names,
    compare,
    key_label,
    team_names,
)
from clickpro.services.reports.rollups import rollup_state
from clickpro.tenancy import get_owned, require_client

bp = Blueprint("reports", __name__, template_folder="templates", cli_group="reports")


@bp.before_request
def _needs_postgresql():
    """The rollups and percentiles are PostgreSQL SQL (``timezone()``,
    ``percentile_cont``): on the SQLite of the default set-up the pages say so instead of
    failing."""
    if db.engine.dialect.name != "postgresql":
        return render_template("reports/needs_postgresql.html"), 501
    return None


@bp.cli.command("rollup")
@click.option("--full", is_flag=True, help="rebuild every day (after a time-zone change)")
@click.option("--client", "client_ids", multiple=True, type=int, help="only these client ids")
def rollup_command(full: bool, client_ids: tuple[int, ...]) -> None:
    """Fold new messages into the report rollups now (the job does it every 5 min)."""
    from clickpro.services.reports.rollups import run

    days = run(list(client_ids) or None, full=full)
    click.echo(f"{days} day(s) rebuilt")


TABLES = (
    "messages",
    "funnel",
    "failures",
    "conversations",
    "times_team",
    "times_agent",
    "csat",
    "ai",
    "costs_category",
    "costs_number",
)
_FILTERS = (("number", WhatsAppCredential), ("team", Team), ("campaign", Campaign))


def _filters(notes: list[str]) -> Filters:
    values: dict[str, int | None] = {}
    for name, model in _FILTERS:
        raw = (request.args.get(name) or "").strip()
        if not raw:
            values[f"{name}_id"] = None
            continue
        if not raw.isdigit() or len(raw) > 12:
            notes.append(_("Filtro ignorado: “%(valor)s” não é um código válido.", valor=raw[:40]))
            values[f"{name}_id"] = None
            continue
        row = get_owned(model, int(raw))
        if row is None:
            abort(404)
        values[f"{name}_id"] = int(raw)
    return Filters(**values)


def _period(client, notes: list[str]) -> periods.Period:
    today = periods.today_in(safe_zone(client.timezone))
    try:
        return periods.resolve(
            request.args.get("preset"), request.args.get("start"), request.args.get("end"), today
        )
    except periods.PeriodError as error:
        notes.append(str(error))
        return periods.resolve("30d", None, None, today)


def table_of(report: Report, key: str) -> Table:
    if key == "messages":
        return report.messages_per_day()
    if key == "funnel":
        return report.funnel()
    if key == "failures":
        return report.failures()
    if key == "conversations":
        return report.conversations_per_day()
    if key in ("times_team", "times_agent"):
        return report.response_times(key.split("_", 1)[1])
    if key == "csat":
        return report.csat_table()
    if key == "ai":
        return report.ai_table()
    if key in ("costs_category", "costs_number"):
        return report.costs_by(key.split("_", 1)[1])
    abort(404)


@bp.route("/reports")
def index():
    client = require_client()
    notes: list[str] = []
    period = _period(client, notes)
    filters = _filters(notes)
    report = Report(client, period, filters)
    previous = Report(client, period.previous(), filters)
    # Each figure is computed once (the Report memoises): the tables first, then the
    # headline cards reuse their totals, cycles, CSAT and AI figures; the previous
    # period only computes the headline numbers.
    tables: dict[str, Table] = {key: table_of(report, key) for key in TABLES}
    weekly = period.days > WEEKLY_PAST_DAYS
    if weekly:  # long periods: per-day tables and charts by week (exports stay daily)
        for key in DAILY_TABLES:
            tables[key] = by_week(tables[key])
    numbers = report.key_numbers()
    deltas = compare(numbers, previous.key_numbers())
    csat = report.csat()
    ai = report.ai()
    cards: list[dict[str, Any]] = []
    for key, value in numbers.items():
        d = deltas.get(key)
        good = d is not None and ((d < 0) if key in fmt.LOWER_IS_BETTER else (d > 0))
        currency = report.ai_currency if key == "ai_spend" else report.cost_currency
        cards.append(
            {
                "key": key,
                "label": key_label(key),
                "value": fmt.key_value(key, value, currency),
                "delta": fmt.delta(d),
                "tone": "secondary" if not d else ("success" if good else "danger"),
            }
        )
    args = {
        k: v
        for k, v in request.args.items()
        if k in ("preset", "start", "end", "number", "team", "campaign")
    }
    state = rollup_state()
    return render_template(
        "reports/index.html",
        period=period,
        previous=period.previous(),
        presets=periods.PRESETS,
        filters=filters,
        args=args,
        notes=notes,
        cards=cards,
        tables=tables,
        charts={key: chart_of(table) for key, table in tables.items()},
        csat=csat,
        ai=ai,
        cost_currency=report.cost_currency,
        numbers=report.number_names(),
        teams=team_names(client.id),
        campaigns=campaign_names(client.id),
        fmt=fmt,
        rolled_up_at=format_local(state.last_run_at) if state else None,
        tz=report.tz,
        weekly=weekly,
    )


@bp.route("/reports/export/<key>.<fmt_name>")
def export(key: str, fmt_name: str):
    if key not in TABLES or fmt_name not in ("csv", "xlsx"):
        abort(404)
    client = require_client()
    notes: list[str] = []
    period = _period(client, notes)
    table = table_of(Report(client, period, _filters(notes)), key)
    name = f"relatorio-{key}-{period.start.isoformat()}-{period.end.isoformat()}.{fmt_name}"
    if fmt_name == "csv":
        body, mime = exports.to_csv(table), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(table)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/reports/pdf")
def pdf():
    client = require_client()
    today = periods.today_in(safe_zone(client.timezone))
    raw = (request.args.get("month") or "").strip()
    try:
        year, month = (int(p) for p in raw.split("-", 1)) if raw else (today.year, today.month)
        period = periods.month_period(year, month)
    except (ValueError, TypeError):
        abort(400, _("Mês inválido: use AAAA-MM."))
    if not 2000 <= period.start.year <= 2100:
        abort(400, _("Mês inválido: use AAAA-MM."))
    notes: list[str] = []
    filters = _filters(notes)
    body = render_month(Report(client, period, filters), Report(client, period.previous(), filters))
    name = f"resumo-{period.start.isoformat()[:7]}.pdf"
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
