"""The dashboard's "today" numbers with a 30-day sparkline each (issue #22).

History comes from the rollups (messages) and ``conversation_cycles`` (opened
conversations); today's value is counted live (one local day on the
``(client_id, created_at)`` index), so the card is right before the job's next pass.
Each card also says it in words (pt_BR), for screen readers and a quick read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from clickpro.extensions import db
from clickpro.models import Client, ConversationCycle, Message
from clickpro.services.accounts.validation import safe_zone
from clickpro.services.reports import formatting as fmt
from clickpro.services.reports.periods import Period, today_in
from clickpro.services.reports.queries import daily_series

DAYS = 30
WIDTH, HEIGHT = 120, 32


@dataclass
class Sparkline:
    key: str
    label: str
    today: int
    values: list[int]  # DAYS values, the last one is today
    words: str

    @property
    def points(self) -> str:
        """SVG polyline points (x left → right, y 0 at the top)."""
        top = max(self.values) or 1
        step = WIDTH / max(1, len(self.values) - 1)
        return " ".join(
            f"{i * step:.1f},{HEIGHT - 2 - (HEIGHT - 4) * v / top:.1f}"
            for i, v in enumerate(self.values)
        )


def _today_live(client: Client, start, end) -> dict[str, int]:
    m = Message
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(m.direction == "IN"),
            sa.func.count().filter(m.direction == "OUT"),
            sa.func.count().filter(m.direction == "OUT", m.author == "AI"),
        ).where(
            m.client_id == client.id,
            m.created_at >= start,
            m.created_at < end,
            m.is_internal_note.is_(False),
        )
    ).one()
    opened = db.session.scalar(
        sa.select(sa.func.count()).where(
            ConversationCycle.client_id == client.id,
            ConversationCycle.opened_at >= start,
            ConversationCycle.opened_at < end,
        )
    )
    return {"msgs_in": row[0], "msgs_out": row[1], "out_ai": row[2], "opened": int(opened or 0)}


def _opened_per_day(client: Client, days: list[date], tz: str, lo, hi) -> list[int]:
    c = ConversationCycle
    day = sa.cast(sa.func.timezone(tz, c.opened_at), sa.Date)
    rows = dict(
        db.session.execute(
            sa.select(day, sa.func.count())
            .where(c.client_id == client.id, c.opened_at >= lo, c.opened_at < hi)
            .group_by(day)
        ).all()
    )
    return [int(rows.get(d) or 0) for d in days]


def _words(key: str, today: int, values: list[int]) -> str:
    average = sum(values[:-1]) / max(1, len(values) - 1)
    texts = {
        "msgs_in": ngettext(
            "Hoje: %(num)s mensagem recebida.", "Hoje: %(num)s mensagens recebidas.", today
        ),
        "msgs_out": ngettext(
            "Hoje: %(num)s mensagem enviada.", "Hoje: %(num)s mensagens enviadas.", today
        ),
        "opened": ngettext(
            "Hoje: %(num)s conversa aberta.", "Hoje: %(num)s conversas abertas.", today
        ),
        "out_ai": ngettext(
            "Hoje: %(num)s resposta da IA.", "Hoje: %(num)s respostas da IA.", today
        ),
    }
    return (
        texts[key]
        + " "
        + _(
            "Média de %(media)s por dia nos 30 dias anteriores.",
            media=fmt.count(round(average)),
        )
    )


def _history(client: Client, days: list[date], tz: str, lo, hi) -> dict[str, list[int]]:
    return {
        "msgs_in": daily_series(client, days, "msgs_in"),
        "msgs_out": daily_series(client, days, "msgs_out"),
        "opened": _opened_per_day(client, days, tz, lo, hi),
        "out_ai": daily_series(client, days, "out_ai"),
    }


def sparklines_for(client: Client) -> list[Sparkline]:
    zone = safe_zone(client.timezone)
    today = today_in(zone)
    period = Period(today - timedelta(days=DAYS - 1), today)
    days = period.each_day()
    lo, hi = period.instants(zone)
    start_today = Period(today, today).instants(zone)[0]
    live = _today_live(client, start_today, hi)
    if db.engine.dialect.name != "postgresql":  # no rollups there: today only
        zeros = [0] * DAYS
        series = {key: list(zeros) for key in ("msgs_in", "msgs_out", "opened", "out_ai")}
    else:
        series = _history(client, days, str(zone.key), lo, hi)
    labels = {
        "msgs_in": _("Mensagens recebidas"),
        "msgs_out": _("Mensagens enviadas"),
        "opened": _("Conversas abertas"),
        "out_ai": _("Respostas da IA"),
    }
    out = []
    for key, values in series.items():
        values[-1] = live[key]  # today, counted now
        out.append(Sparkline(key, labels[key], live[key], values, _words(key, live[key], values)))
    return out
