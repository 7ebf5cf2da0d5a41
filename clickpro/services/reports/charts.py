"""Chart.js configurations of the report tables (data only; the page's script draws)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from clickpro.services.reports.queries import Column, Table

GREEN, BLUE, RED, GREY, ORANGE = "#198754", "#0d6efd", "#dc3545", "#6c757d", "#fd7e14"


def _num(value: Any) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal | float) else value


def _minutes(value: Any) -> float | None:
    return None if value is None else round(float(value) / 60, 1)


WEEKLY_PAST_DAYS = 92  # the page shows per-day tables / charts by week past this
DAILY_TABLES = ("messages", "conversations")


def by_week(table: Table) -> Table:
    """A per-day table summed per 7 days from the period's first day (the last week may
    be shorter): what the page shows for long periods (365 rows and points become 53).
    The exports keep the daily rows."""
    weekly = Table(
        table.key,
        table.title,
        [Column("day", _("Semana a partir de"), "date"), *table.columns[1:]],
    )
    for i in range(0, len(table.rows), 7):
        chunk = table.rows[i : i + 7]
        sums = [sum(row[c] for row in chunk) for c in range(1, len(table.columns))]
        weekly.rows.append([chunk[0][0], *sums])
    return weekly


def chart_of(table: Table) -> dict | None:
    """``{"type", "labels", "datasets": [{label, data, color}], "horizontal"}`` or None."""
    rows = table.rows
    if table.key in ("messages", "conversations"):
        labels = [r[0].strftime("%d/%m") for r in rows]
        colors = (GREEN, BLUE)
        return {
            "type": "line" if table.key == "conversations" else "bar",
            "labels": labels,
            "datasets": [
                {
                    "label": table.columns[i].label,
                    "data": [r[i] for r in rows],
                    "color": colors[i - 1],
                }
                for i in (1, 2)
            ],
        }
    if table.key == "funnel":
        return {
            "type": "bar",
            "horizontal": True,
            "labels": [r[0] for r in rows],
            "datasets": [
                {
                    "label": table.columns[1].label,
                    "data": [r[1] for r in rows],
                    "colors": [GREEN] * (len(rows) - 2) + [ORANGE, RED],
                }
            ],
        }
    if table.key == "failures" and rows:
        return {
            "type": "bar",
            "horizontal": True,
            "labels": [r[0] for r in rows[:10]],
            "titles": [r[1] for r in rows[:10]],
            "datasets": [
                {"label": table.columns[2].label, "data": [r[2] for r in rows[:10]], "color": RED}
            ],
        }
    if table.key in ("times_team", "times_agent") and len(rows) > 1:
        body = rows[1:]
        return {
            "type": "bar",
            "decimals": True,
            "labels": [r[0] for r in body],
            "datasets": [
                {
                    "label": _("1ª resposta, mediana (min)"),
                    "data": [_minutes(r[2]) for r in body],
                    "color": GREEN,
                },
                {
                    "label": _("Resolução, mediana (min)"),
                    "data": [_minutes(r[5]) for r in body],
                    "color": BLUE,
                },
            ],
        }
    if table.key == "csat":
        return {
            "type": "bar",
            "labels": [r[0] for r in rows],
            "datasets": [
                {
                    "label": table.columns[1].label,
                    "data": [r[1] for r in rows],
                    "colors": [RED, ORANGE, GREY, "#20c997", GREEN],
                }
            ],
        }
    if table.key in ("costs_category", "costs_number") and rows:
        return {
            "type": "doughnut",
            "labels": [r[0] for r in rows],
            "datasets": [
                {
                    "label": table.columns[4].label,
                    "data": [_num(r[4]) for r in rows],
                    "colors": [GREEN, BLUE, ORANGE, RED, GREY, "#6f42c1", "#20c997"],
                }
            ],
        }
    return None
