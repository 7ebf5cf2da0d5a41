"""The report's figures for one client, period and filters.

Message figures (per day in/out, campaign funnel, failures, WhatsApp and AI spend) read
the rollups (``report_message_days`` / ``report_failure_days``): a handful of rows per
day whatever the message volume. Service figures read ``conversation_cycles`` (one row per
open → resolved stretch, far fewer than messages) with range queries on its
``(client_id, opened_at)`` / ``(client_id, resolved_at)`` indexes; medians and p90 are
exact (``percentile_cont``) over the period's cycles, so they never come from averaging
per-day digests. CSAT reads ``csat_surveys``, AI answers/handoffs ``ai_reply_runs``.

Filters: ``number_id`` applies everywhere; ``campaign_id`` to message figures only;
``team_id`` to the service figures (cycles, CSAT) only — the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.labels import meta_error
from clickpro.models import (
    AIReplyRun,
    Campaign,
    Client,
    ConversationCycle,
    CsatSurvey,
    ReportFailureDay,
    ReportMessageDay,
    Team,
    User,
    WhatsAppCredential,
)
from clickpro.models.ai import HANDOFF_OUTCOMES, AIOutcome
from clickpro.services.accounts.validation import safe_zone
from clickpro.services.costs import ai_spend
from clickpro.services.reports.periods import Period


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
    """Figures of ``client`` over ``period`` with ``filters`` (computed lazily)."""

    def __init__(self, client: Client, period: Period, filters: Filters | None = None):
        self.client = client
        self.period = period
        self.filters = filters or Filters()
        self.zone = safe_zone(client.timezone)
        self.tz = str(self.zone.key)
        self.lo, self.hi = period.instants(self.zone)
        self.cost_currency = "BRL"
        self.ai_currency = "USD"

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
    def _cycle_where(self, column) -> list:
        c = ConversationCycle
        where = [c.client_id == self.client.id, column >= self.lo, column < self.hi]
        if self.filters.number_id is not None:
            where.append(c.number_id == self.filters.number_id)
        if self.filters.team_id is not None:
            where.append(c.team_id == self.filters.team_id)
        return where

    def _local_day(self, column):
        return sa.cast(sa.func.timezone(self.tz, column), sa.Date)

    def conversations_per_day(self) -> Table:
        c = ConversationCycle
        counts: dict[str, dict[date, int]] = {}
        for name, column in (("opened", c.opened_at), ("resolved", c.resolved_at)):
            day = self._local_day(column)
            rows = db.session.execute(
                sa.select(day, sa.func.count()).where(*self._cycle_where(column)).group_by(day)
            ).all()
            counts[name] = {d: int(n) for d, n in rows}
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

    def _percentiles(
        self, value, column, group
    ) -> dict[Any, tuple[int, float | None, float | None]]:
        stmt = (
            sa.select(
                group,
                sa.func.count(value),
                sa.func.percentile_cont(0.5).within_group(value),
                sa.func.percentile_cont(0.9).within_group(value),
            )
            .where(*self._cycle_where(column), value.is_not(None))
            .group_by(group)
        )
        return {
            k: (int(n), None if m is None else float(m), None if p is None else float(p))
            for k, n, m, p in db.session.execute(stmt)
        }

    def response_times(self, by: str) -> Table:
        """First response (cycles opened in the period) and resolution (cycles resolved in
        it): count, median, p90 in business seconds, per team or per agent; the first
        row is the whole period."""
        c = ConversationCycle
        group = c.team_id if by == "team" else c.agent_user_id
        frt = self._percentiles(c.first_response_seconds, c.opened_at, group)
        res = self._percentiles(c.resolution_seconds, c.resolved_at, group)
        all_frt = self._percentiles(c.first_response_seconds, c.opened_at, sa.literal(0))
        all_res = self._percentiles(c.resolution_seconds, c.resolved_at, sa.literal(0))
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
        total_f, total_r = all_frt.get(0, empty), all_res.get(0, empty)
        table.rows.append([_("Todos"), *total_f, *total_r])
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
        w = WhatsAppCredential
        rows = db.session.execute(
            sa.select(w.id, w.display_name, w.display_phone_number).where(
                w.client_id == self.client.id
            )
        ).all()
        return {i: (name or phone or f"#{i}") for i, name, phone in rows}

    # -- CSAT -----------------------------------------------------------------------
    def csat(self) -> dict[str, Any]:
        s = CsatSurvey
        where = [s.client_id == self.client.id, s.asked_at >= self.lo, s.asked_at < self.hi]
        if self.filters.team_id is not None:
            where.append(s.team_id == self.filters.team_id)
        if self.filters.number_id is not None:
            where.append(
                s.cycle_id.in_(
                    sa.select(ConversationCycle.id).where(
                        ConversationCycle.client_id == self.client.id,
                        ConversationCycle.number_id == self.filters.number_id,
                    )
                )
            )
        asked = db.session.scalar(sa.select(sa.func.count()).where(*where)) or 0
        dist: dict[int, int] = dict(
            db.session.execute(  # type: ignore[arg-type]
                sa.select(s.score, sa.func.count())
                .where(*where, s.score.is_not(None))
                .group_by(s.score)
            ).all()
        )
        answered = sum(dist.values())
        total = sum(int(k) * int(v) for k, v in dist.items())
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
        r = AIReplyRun
        where = [r.client_id == self.client.id, r.created_at >= self.lo, r.created_at < self.hi]
        if self.filters.number_id is not None:
            from clickpro.models import Conversation

            where.append(
                r.conversation_id.in_(
                    sa.select(Conversation.id).where(
                        Conversation.client_id == self.client.id,
                        Conversation.number_id == self.filters.number_id,
                    )
                )
            )
        outcome_counts = dict(
            db.session.execute(
                sa.select(r.outcome, sa.func.count())
                .where(*where, r.outcome.is_not(None))
                .group_by(r.outcome)
            ).all()
        )
        runs = sum(outcome_counts.values())
        answers = int(outcome_counts.get(AIOutcome.ANSWERED, 0))
        handoffs = sum(int(outcome_counts.get(o, 0)) for o in HANDOFF_OUTCOMES)
        # containment: of the cycles resolved in the period where the AI answered (a done
        # AI run of the conversation inside the cycle), those no human handled (no agent
        # on the cycle: the assignee at resolution, else the first human responder). It
        # reads ai_reply_runs (indexed by conversation), never the messages table.
        c = ConversationCycle
        ai_replied = sa.exists().where(
            r.client_id == self.client.id,
            r.conversation_id == c.conversation_id,
            r.status == "DONE",
            r.created_at >= c.opened_at,
            r.created_at <= c.resolved_at,
        )
        base = [*self._cycle_where(c.resolved_at), ai_replied]
        with_ai = db.session.scalar(sa.select(sa.func.count()).where(*base)) or 0
        contained = (
            db.session.scalar(sa.select(sa.func.count()).where(*base, c.agent_user_id.is_(None)))
            or 0
        )
        # replies (rollup) + voice-note transcripts + intent classifier calls, as on the
        # costs page; the last two have no number, so a number filter leaves them out
        spend = self.totals()["ai_cost"]
        if self.filters.number_id is None:
            extra = ai_spend.transcript_spend(self.client.id, self.lo, self.hi)
            extra += ai_spend.intent_spend(self.client.id, self.lo, self.hi)
            spend += Decimal(str(round(extra, 8)))
        return {
            "runs": runs,
            "answers": answers,
            "handoffs": handoffs,
            "handoff_rate": _pct(handoffs, runs),
            "with_ai": int(with_ai),
            "contained": int(contained),
            "containment": _pct(int(contained), int(with_ai)),
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
        times = self.response_times("team").rows[0]
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
            "frt_median": times[2],
            "res_median": times[5],
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
