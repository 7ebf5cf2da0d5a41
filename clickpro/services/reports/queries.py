"""The report's figures for one client, period and filters.

Message figures (per day in/out, campaign funnel, failures, WhatsApp and AI spend) read
the rollups (``report_message_days`` / ``report_failure_days``); conversations opened /
resolved per day, AI containment, CSAT and AI runs by outcome read
``report_service_days``: a handful of rows per day whatever the volume. The medians and
p90 come from the histograms of ``report_cycle_time_buckets`` (whole months read from
month rows, the edges from day rows): within 2 % of the exact ``percentile_cont``
(:mod:`.cycle_times`). Nothing here reads ``messages`` or ``conversation_cycles``.

Filters: ``number_id`` applies everywhere; ``campaign_id`` to message figures only;
``team_id`` to the service figures (cycles, CSAT) only — the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.labels import meta_error
from clickpro.models import (
    Campaign,
    Client,
    ReportFailureDay,
    ReportMessageDay,
    Team,
    User,
    WhatsAppCredential,
)
from clickpro.models.reports import ReportCycleTimeBucket, ReportServiceDay
from clickpro.services.accounts.validation import safe_zone
from clickpro.services.costs import ai_spend
from clickpro.services.reports import cycle_times
from clickpro.services.reports.periods import Period, month_after


@dataclass(frozen=True)
class Filters:
    number_id: int | None = None
    team_id: int | None = None
    campaign_id: int | None = None


@dataclass
class Column:
    key: str
    label: str
    kind: str = "int"  # int | decimal | money | pct | seconds | date | text


@dataclass
class Table:
    """One chart's data: what the page's table shows and what the exports write."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


def _delta(cur: float | Decimal | None, prev: float | Decimal | None) -> float | None:
    """Δ% of ``cur`` over ``prev``; None when there is nothing to compare with."""
    if cur is None or prev is None or not prev:
        return None
    return round((float(cur) - float(prev)) / float(prev) * 100, 1)


def _pct(part: float, whole: float) -> float | None:
    return round(part / whole * 100, 1) if whole else None


class Report:
    """Figures of ``client`` over ``period`` with ``filters`` (computed lazily, once).

    Every figure is memoised on the instance (``_once``): the page, the PDF and the
    exports ask for the same totals, cycles and AI figures several times (headline cards,
    tables, the AI and CSAT blocks), and each is one query per request, not one per use.
    A ``Report`` lives for one request; it never outlives the data it read.
    """

    def __init__(self, client: Client, period: Period, filters: Filters | None = None):
        self.client = client
        self.period = period
        self.filters = filters or Filters()
        self.zone = safe_zone(client.timezone)
        self.tz = str(self.zone.key)
        self.lo, self.hi = period.instants(self.zone)
        self.cost_currency = "BRL"
        self.ai_currency = "USD"
        self._memo: dict[Any, Any] = {}

    def _once(self, key: Any, compute):
        """``compute()`` the first time ``key`` is asked for in this report, then reuse."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # -- rollups -------------------------------------------------------------------
    def _days_where(self, model) -> list:
        f = self.filters
        where = [
            model.client_id == self.client.id,
            model.day >= self.period.start,
            model.day <= self.period.end,
        ]
        if f.number_id is not None:
            where.append(model.number_id == f.number_id)
        if f.campaign_id is not None:
            where.append(model.campaign_id == f.campaign_id)
        return where

    def messages_per_day(self) -> Table:
        return self._once("messages_per_day", self._messages_per_day)

    def _messages_per_day(self) -> Table:
        d = ReportMessageDay
        rows = db.session.execute(
            sa.select(d.day, sa.func.sum(d.msgs_in), sa.func.sum(d.msgs_out))
            .where(*self._days_where(d))
            .group_by(d.day)
        ).all()
        by_day = {day: (int(i or 0), int(o or 0)) for day, i, o in rows}
        table = Table(
            "messages",
            _("Mensagens por dia"),
            [
                Column("day", _("Dia"), "date"),
                Column("in", _("Recebidas")),
                Column("out", _("Enviadas")),
            ],
        )
        for day in self.period.each_day():
            i, o = by_day.get(day, (0, 0))
            table.rows.append([day, i, o])
        return table

    def totals(self) -> dict[str, Any]:
        return self._once("totals", self._totals)

    def _totals(self) -> dict[str, Any]:
        d = ReportMessageDay
        names: tuple[str, ...] = ("msgs_in", "msgs_out", "out_ai", "out_agent", "sent")
        names += ("delivered", "read", "failed", "replied", "opted_out", "charged", "free")
        cols = [sa.func.coalesce(sa.func.sum(getattr(d, n)), 0) for n in names]
        cols.append(sa.func.coalesce(sa.func.sum(d.ai_cost), 0))
        row = db.session.execute(sa.select(*cols).where(*self._days_where(d))).one()
        out: dict[str, Any] = {n: int(v) for n, v in zip(names, row[:-1], strict=True)}
        out["ai_cost"] = Decimal(row[-1] or 0)
        return out

    def funnel(self) -> Table:
        return self._once("funnel", self._funnel)

    def _funnel(self) -> Table:
        d = ReportMessageDay
        stages = ("sent", "delivered", "read", "replied", "opted_out", "failed")
        where = [*self._days_where(d), d.campaign_id != 0]
        row = db.session.execute(
            sa.select(*(sa.func.coalesce(sa.func.sum(getattr(d, s)), 0) for s in stages)).where(
                *where
            )
        ).one()
        labels = {
            "sent": _("Enviadas"),
            "delivered": _("Entregues"),
            "read": _("Lidas"),
            "replied": _("Respondidas"),
            "opted_out": _("Descadastros"),
            "failed": _("Falhas"),
        }
        sent = int(row[0] or 0)
        table = Table(
            "funnel",
            _("Funil de campanhas"),
            [
                Column("stage", _("Etapa"), "text"),
                Column("count", _("Mensagens")),
                Column("pct", _("Fração das enviadas (%)"), "pct"),
            ],
        )
        for stage, n in zip(stages, row, strict=True):
            table.rows.append([labels[stage], int(n or 0), _pct(int(n or 0), sent)])
        return table

    def failures(self) -> Table:
        return self._once("failures", self._failures)

    def _failures(self) -> Table:
        f = ReportFailureDay
        where = self._days_where(f)
        if self.filters.campaign_id is None:
            where.append(f.campaign_id != 0)
        rows = db.session.execute(
            sa.select(f.error_code, sa.func.sum(f.failures))
            .where(*where)
            .group_by(f.error_code)
            .order_by(sa.func.sum(f.failures).desc(), f.error_code)
        ).all()
        table = Table(
            "failures",
            _("Falhas por motivo"),
            [
                Column("code", _("Código"), "text"),
                Column("reason", _("Motivo"), "text"),
                Column("count", _("Mensagens")),
            ],
        )
        for code, n in rows:
            explained = meta_error(code or None)
            table.rows.append([str(code) if code else "—", explained.explanation, int(n)])
        return table

    def costs_by(self, key: str) -> Table:
        return self._once(("costs_by", key), lambda: self._costs_by(key))

    def _costs_by(self, key: str) -> Table:
        d = ReportMessageDay
        group = d.category if key == "category" else d.number_id
        rows = db.session.execute(
            sa.select(
                group,
                d.currency,
                sa.func.sum(d.charged),
                sa.func.sum(d.free),
                sa.func.sum(d.cost),
            )
            .where(*self._days_where(d), sa.or_(d.charged > 0, d.free > 0))
            .group_by(group, d.currency)
            .order_by(sa.func.sum(d.cost).desc())
        ).all()
        if key == "category":
            from clickpro.services.reports.formatting import category_label

            names: dict[Any, str] = {r[0]: category_label(str(r[0])) for r in rows}
            title, first = _("Custos por categoria"), _("Categoria")
        else:
            names = dict(self.number_names())
            title, first = _("Custos por número"), _("Número")
        table = Table(
            f"costs_{key}",
            title,
            [
                Column("key", first, "text"),
                Column("currency", _("Moeda"), "text"),
                Column("charged", _("Cobradas")),
                Column("free", _("Grátis")),
                Column("cost", _("Custo"), "money"),
            ],
        )
        for k, currency, charged, free, cost in rows:
            label = names.get(k) or (str(k) if k else "—")
            table.rows.append([label, currency or "", int(charged), int(free), Decimal(cost)])
        return table

    # -- cycles ---------------------------------------------------------------------
    def conversations_per_day(self) -> Table:
        return self._once("conversations_per_day", self._conversations_per_day)

    def _service_where(self, team: bool = True) -> list:
        """``report_service_days`` rows of the period; the number filter always applies,
        the team filter to cycles and CSAT only (``team=False`` for the AI runs)."""
        v = ReportServiceDay
        where = [
            v.client_id == self.client.id,
            v.day >= self.period.start,
            v.day <= self.period.end,
        ]
        if self.filters.number_id is not None:
            where.append(v.number_id == self.filters.number_id)
        if team and self.filters.team_id is not None:
            where.append(v.team_id == self.filters.team_id)
        return where

    def _service_sums(self, names: tuple[str, ...], team: bool = True) -> dict[str, Any]:
        v = ReportServiceDay
        cols = [sa.func.coalesce(sa.func.sum(getattr(v, n)), 0) for n in names]
        row = db.session.execute(sa.select(*cols).where(*self._service_where(team))).one()
        return dict(zip(names, row, strict=True))

    def _conversations_per_day(self) -> Table:
        v = ReportServiceDay
        rows = db.session.execute(
            sa.select(v.day, sa.func.sum(v.opened), sa.func.sum(v.resolved))
            .where(*self._service_where())
            .group_by(v.day)
        ).all()
        counts: dict[str, dict[date, int]] = {"opened": {}, "resolved": {}}
        for day, opened, resolved in rows:
            counts["opened"][day] = int(opened or 0)
            counts["resolved"][day] = int(resolved or 0)
        table = Table(
            "conversations",
            _("Conversas abertas e resolvidas por dia"),
            [
                Column("day", _("Dia"), "date"),
                Column("opened", _("Abertas")),
                Column("resolved", _("Resolvidas")),
            ],
        )
        for day in self.period.each_day():
            table.rows.append([day, counts["opened"].get(day, 0), counts["resolved"].get(day, 0)])
        return table

    def _bucket_where(self) -> list:
        """``report_cycle_time_buckets`` rows of the period: the month rows of the whole
        local months inside it, the day rows of the days at its edges."""
        b = ReportCycleTimeBucket
        start, end = self.period.start, self.period.end
        first = start if start.day == 1 else month_after(start.replace(day=1))
        last = end.replace(day=1)  # the first month NOT wholly inside, unless end is its last
        if month_after(last) - timedelta(days=1) == end:
            last = month_after(last)
        if first < last:  # whole months [first, last)
            spans = sa.or_(
                sa.and_(b.span == 1, b.day >= first, b.day < last),
                sa.and_(b.span == 0, b.day >= start, b.day < first),
                sa.and_(b.span == 0, b.day >= last, b.day <= end),
            )
        else:
            spans = sa.and_(b.span == 0, b.day >= start, b.day <= end)
        where = [b.client_id == self.client.id, spans]
        if self.filters.number_id is not None:
            where.append(b.number_id == self.filters.number_id)
        if self.filters.team_id is not None:
            where.append(b.team_id == self.filters.team_id)
        return where

    def _percentiles(self, metric: str) -> dict[str, Any]:
        """Count, median and p90 of one metric (``frt``: cycles opened in the period,
        ``res``: resolved in it) for the whole period, per team and per agent, from the
        rollup's histograms (:mod:`.cycle_times`: within 2 % of the exact
        ``percentile_cont``). One read of the histograms gives both metrics and every
        group; the walk over the buckets is done here."""

        def compute() -> dict[str, Any]:
            b = ReportCycleTimeBucket
            rows = db.session.execute(
                sa.select(b.metric, b.team_id, b.agent_user_id, b.bucket, sa.func.sum(b.cycles))
                .where(*self._bucket_where())
                .group_by(b.metric, b.team_id, b.agent_user_id, b.bucket)
            ).all()
            # per metric: {(group, key): {bucket: cycles}}, group "team" / "agent" / "all"
            hist: dict[int, dict[tuple[str, Any], dict[int, int]]] = {
                m: {("all", None): {}} for m in cycle_times.METRICS.values()
            }
            for m, team, agent, bucket, n in rows:
                for by in (("team", team or None), ("agent", agent or None), ("all", None)):
                    h = hist[m].setdefault(by, {})
                    h[bucket] = h.get(bucket, 0) + int(n)

            def figures(h: dict[int, int]) -> tuple[int, float | None, float | None]:
                n, (median, p90) = cycle_times.percentiles(h)
                return n, median, p90

            out: dict[str, Any] = {}
            for name, m in cycle_times.METRICS.items():
                out[name] = {"team": {}, "agent": {}}
                for (group, key), h in hist[m].items():
                    if group == "all":
                        out[name]["all"] = figures(h)
                    else:
                        out[name][group][key] = figures(h)
            return out

        return self._once("percentiles", compute)[metric]

    def overall_median(self, metric: str) -> float | None:
        """The period's median of ``frt`` / ``res`` (the headline card): from the
        per-team/agent read when the page made it, else one small read of the
        histograms summed per bucket (both metrics; the previous period's Δ needs
        nothing more)."""
        cached = self._memo.get("percentiles")
        if cached is not None:
            return cached[metric]["all"][1]

        def compute() -> dict[str, float | None]:
            b = ReportCycleTimeBucket
            rows = db.session.execute(
                sa.select(b.metric, b.bucket, sa.func.sum(b.cycles))
                .where(*self._bucket_where())
                .group_by(b.metric, b.bucket)
            ).all()
            hist: dict[int, dict[int, int]] = {m: {} for m in cycle_times.METRICS.values()}
            for m, bucket, n in rows:
                hist[m][bucket] = int(n)
            return {
                name: cycle_times.percentiles(hist[m], (0.5,))[1][0]
                for name, m in cycle_times.METRICS.items()
            }

        return self._once("medians", compute)[metric]

    def response_times(self, by: str) -> Table:
        return self._once(("response_times", by), lambda: self._response_times(by))

    def _response_times(self, by: str) -> Table:
        """First response (cycles opened in the period) and resolution (cycles resolved in
        it): count, median, p90 in business seconds, per team or per agent; the first
        row is the whole period."""
        all_frt, all_res = self._percentiles("frt"), self._percentiles("res")
        frt, res = all_frt[by], all_res[by]
        if by == "team":
            names = self._names(Team, Team.name, set(frt) | set(res))
            title, first, none = _("Tempos por equipe"), _("Equipe"), _("Sem equipe")
        else:
            names = self._names(User, User.name, set(frt) | set(res), tenant=False)
            title, first, none = _("Tempos por agente"), _("Agente"), _("Sem agente (IA/fluxo)")
        table = Table(
            f"times_{by}",
            title,
            [
                Column("key", first, "text"),
                Column("frt_n", _("Primeiras respostas")),
                Column("frt_median", _("1ª resposta (mediana)"), "seconds"),
                Column("frt_p90", _("1ª resposta (p90)"), "seconds"),
                Column("res_n", _("Resolvidas")),
                Column("res_median", _("Resolução (mediana)"), "seconds"),
                Column("res_p90", _("Resolução (p90)"), "seconds"),
            ],
        )
        empty: tuple[int, float | None, float | None] = (0, None, None)
        table.rows.append([_("Todos"), *all_frt["all"], *all_res["all"]])
        keys = sorted(set(frt) | set(res), key=lambda k: (k is None, names.get(k, ""), k or 0))
        for k in keys:
            label = names.get(k) or (none if k is None else f"#{k}")
            table.rows.append([label, *frt.get(k, empty), *res.get(k, empty)])
        return table

    def _names(self, model, column, ids: set, tenant: bool = True) -> dict[Any, str]:
        ids = {i for i in ids if i is not None}
        if not ids:
            return {}
        stmt = sa.select(model.id, column).where(model.id.in_(ids))
        if tenant:
            stmt = stmt.where(model.client_id == self.client.id)
        return {i: n for i, n in db.session.execute(stmt)}

    def number_names(self) -> dict[int, str]:
        return self._once("number_names", self._number_names)

    def _number_names(self) -> dict[int, str]:
        w = WhatsAppCredential
        rows = db.session.execute(
            sa.select(w.id, w.display_name, w.display_phone_number).where(
                w.client_id == self.client.id
            )
        ).all()
        return {i: (name or phone or f"#{i}") for i, name, phone in rows}

    # -- CSAT -----------------------------------------------------------------------
    def csat(self) -> dict[str, Any]:
        return self._once("csat", self._csat)

    def _csat(self) -> dict[str, Any]:
        """Surveys asked in the period (rollup, by ``asked_at``): count and scores."""
        names = ("csat_asked", "csat_1", "csat_2", "csat_3", "csat_4", "csat_5")
        sums = self._service_sums(names)
        asked = int(sums["csat_asked"])
        dist = {score: int(sums[f"csat_{score}"]) for score in range(1, 6)}
        answered = sum(dist.values())
        total = sum(k * v for k, v in dist.items())
        return {
            "asked": int(asked),
            "answered": int(answered),
            "rate": _pct(answered, asked),
            "average": round(total / answered, 2) if answered else None,
            "distribution": {score: int(dist.get(score, 0)) for score in range(1, 6)},
        }

    def csat_table(self, figures: dict | None = None) -> Table:
        figures = figures or self.csat()
        table = Table(
            "csat",
            _("Satisfação (CSAT)"),
            [
                Column("score", _("Nota"), "text"),
                Column("count", _("Respostas")),
                Column("pct", _("Fração das respostas (%)"), "pct"),
            ],
        )
        for score, n in figures["distribution"].items():
            table.rows.append([str(score), n, _pct(n, figures["answered"])])
        return table

    # -- AI -------------------------------------------------------------------------
    def ai(self) -> dict[str, Any]:
        return self._once("ai", self._ai)

    def _ai(self) -> dict[str, Any]:
        """AI runs by outcome and intent spend (rollup by the run's day; the number
        filter via the conversation's number, never the team filter) and containment:
        of the cycles resolved in the period where the AI answered (a done AI run of the
        conversation inside the cycle), those no human handled (no agent on the cycle).
        Both come from ``report_service_days``; the job reads ``ai_reply_runs``, never
        the messages."""
        runs = self._service_sums(
            ("ai_runs", "ai_answers", "ai_handoffs", "ai_intent_cost"), team=False
        )
        cycles = self._service_sums(("ai_resolved", "ai_contained"))
        answers, handoffs = int(runs["ai_answers"]), int(runs["ai_handoffs"])
        with_ai, contained = int(cycles["ai_resolved"]), int(cycles["ai_contained"])
        total_runs = int(runs["ai_runs"])
        # replies (rollup) + voice-note transcripts + intent classifier calls, as on the
        # costs page; the last two have no number, so a number filter leaves them out
        spend = self.totals()["ai_cost"]
        if self.filters.number_id is None:
            extra = ai_spend.transcript_spend(self.client.id, self.lo, self.hi)
            extra += float(runs["ai_intent_cost"] or 0)
            spend += Decimal(str(round(extra, 8)))
        return {
            "runs": total_runs,
            "answers": answers,
            "handoffs": handoffs,
            "handoff_rate": _pct(handoffs, total_runs),
            "with_ai": with_ai,
            "contained": contained,
            "containment": _pct(contained, with_ai),
            "spend": spend,
            "currency": current_app.config["AI_PRICE_CURRENCY"],
        }

    def ai_table(self, figures: dict | None = None) -> Table:
        f = figures or self.ai()
        table = Table(
            "ai",
            _("Assistente de IA"),
            [Column("metric", _("Indicador"), "text"), Column("value", _("Valor"), "decimal")],
        )
        table.rows += [
            [_("Respostas da IA"), f["answers"]],
            [_("Atendimentos da IA"), f["runs"]],
            [_("Transferências para humanos"), f["handoffs"]],
            [_("Taxa de transferência (%)"), f["handoff_rate"]],
            [_("Conversas resolvidas com IA"), f["with_ai"]],
            [_("Resolvidas sem humano"), f["contained"]],
            [_("Contenção (%)"), f["containment"]],
            [_("Gasto com IA (%(moeda)s)", moeda=f["currency"]), f["spend"]],
        ]
        return table

    # -- summary --------------------------------------------------------------------
    def key_numbers(self) -> dict[str, Any]:
        """The headline numbers (for the cards, the PDF and the Δ vs the previous period)."""
        t = self.totals()
        conv = self.conversations_per_day()
        csat = self.csat()
        ai = self.ai()
        cost_rows = self.costs_by("category").rows
        cost = sum((row[4] for row in cost_rows), Decimal(0))
        self.cost_currency = next((row[1] for row in cost_rows if row[1]), "BRL")
        self.ai_currency = ai["currency"]
        return {
            "msgs_in": t["msgs_in"],
            "msgs_out": t["msgs_out"],
            "delivered": t["delivered"],
            "read": t["read"],
            "opened": sum(r[1] for r in conv.rows),
            "resolved": sum(r[2] for r in conv.rows),
            "frt_median": self.overall_median("frt"),
            "res_median": self.overall_median("res"),
            "csat": csat["average"],
            "containment": ai["containment"],
            "cost": cost,
            "ai_spend": ai["spend"],
        }


def key_label(key: str) -> str:
    labels = {
        "msgs_in": _("Mensagens recebidas"),
        "msgs_out": _("Mensagens enviadas"),
        "delivered": _("Entregues"),
        "read": _("Lidas"),
        "opened": _("Conversas abertas"),
        "resolved": _("Conversas resolvidas"),
        "frt_median": _("1ª resposta (mediana)"),
        "res_median": _("Resolução (mediana)"),
        "csat": _("CSAT médio"),
        "containment": _("Contenção da IA"),
        "cost": _("Custo do WhatsApp"),
        "ai_spend": _("Gasto com IA"),
    }
    return labels[key]


def compare(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, float | None]:
    return {k: _delta(current.get(k), previous.get(k)) for k in current}


def daily_series(client: Client, days: list[date], metric: str) -> list[int]:
    """Per-day values of one rollup counter (the dashboard's sparklines)."""
    d = ReportMessageDay
    column = getattr(d, metric)
    rows: dict[date, Any] = dict(
        db.session.execute(
            sa.select(d.day, sa.func.sum(column))
            .where(d.client_id == client.id, d.day >= days[0], d.day <= days[-1])
            .group_by(d.day)
        ).all()
    )
    return [int(rows.get(day) or 0) for day in days]


def campaign_names(client_id: int) -> list[tuple[int, str]]:
    return list(
        db.session.execute(
            sa.select(Campaign.id, Campaign.name)
            .where(Campaign.client_id == client_id)
            .order_by(Campaign.id.desc())
            .limit(500)
        ).all()
    )


def team_names(client_id: int) -> list[tuple[int, str]]:
    return list(
        db.session.execute(
            sa.select(Team.id, Team.name)
            .where(Team.client_id == client_id, Team.archived_at.is_(None))
            .order_by(Team.name)
        ).all()
    )
