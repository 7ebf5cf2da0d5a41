"""Business hours pages (CLIENT_ADMIN: the ``members`` capability).

A server-rendered form, no script: each weekday is one field of intervals
("08:00-12:00, 13:00-18:00": several a day, a lunch break is two), holidays one per
line, the time zone, and the off-hours reply with a preview of the next opening.
Saving goes through :func:`clickpro.services.teams.hours.save_hours` (same checks as the
API); another client's team is a 404.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.services.teams import hours, offhours
from clickpro.services.teams.errors import TeamNotFound
from clickpro.tenancy import require_client

bp = Blueprint("hours", __name__, template_folder="templates")

ZONES = (
    "America/Sao_Paulo",
    "America/Manaus",
    "America/Cuiaba",
    "America/Porto_Velho",
    "America/Rio_Branco",
    "America/Noronha",
    "America/Fortaleza",
    "America/Recife",
    "America/Bahia",
    "America/Belem",
    "Europe/Lisbon",
    "America/New_York",
    "UTC",
)
_PAIR = re.compile(r"^\s*(\d{1,2}):?(\d{2})?\s*[-–]\s*(\d{1,2}):?(\d{2})?\s*$")


def _hhmm(h: str, m: str | None) -> str:
    return f"{int(h):02d}:{m or '00'}"


def parse_day(text: str) -> list[list[str]]:
    """ "08:00-12:00, 13:00-18:00" → [["08:00", "12:00"], ["13:00", "18:00"]]."""
    out = []
    for part in re.split(r"[,;]", text or ""):
        if not part.strip():
            continue
        match = _PAIR.match(part)
        if not match:
            raise ValueError(_("Intervalo inválido: “%(text)s” (use 08:00-12:00).", text=part))
        h1, m1, h2, m2 = match.groups()
        out.append([_hhmm(h1, m1), _hhmm(h2, m2)])
    return out


def format_day(intervals) -> str:
    return ", ".join(f"{a}-{b}" for a, b in intervals or [])


def _form_data() -> dict:
    weekly = {}
    for day in range(7):
        intervals = parse_day(request.form.get(f"day_{day}", ""))
        if intervals:
            weekly[str(day)] = intervals
    holidays = [line.strip() for line in request.form.get("holidays", "").splitlines()]
    return {
        "weekly": weekly,
        "holidays": [h for h in holidays if h],
        "timezone": request.form.get("timezone") or None,
        "off_hours_enabled": request.form.get("off_hours_enabled") == "1",
        "off_hours_message": request.form.get("off_hours_message") or None,
    }


def _page(team_id: int | None, team_name: str | None):
    client = require_client()
    try:
        state = hours.hours_state(client.id, team_id)
    except TeamNotFound:
        abort(404)
    if request.method == "POST":
        try:
            data = _form_data()
            state = hours.save_hours(client.id, team_id, data)
        except (ValueError, ServiceError) as exc:
            flash(str(exc), "danger")
            return _render(client, team_id, team_name, state, request.form), 422
        flash(_("Horário de atendimento salvo."), "success")
        target = (
            url_for("hours.team_hours", team_id=team_id)
            if team_id
            else url_for("hours.client_hours")
        )
        return redirect(target)
    return _render(client, team_id, team_name, state, None)


def _render(client, team_id, team_name, state, form):
    days = {
        str(d): (form.get(f"day_{d}", "") if form else format_day(state["weekly"].get(str(d))))
        for d in range(7)
    }
    preview = None
    if state["off_hours_enabled"] or state["off_hours_message"]:
        preview = offhours.render(state["off_hours_message"], state["next_opening_phrase"])
    return render_template(
        "hours/edit.html",
        client=client,
        team_id=team_id,
        team_name=team_name,
        state=state,
        days=days,
        weekdays=[hours.weekday_name(i) for i in range(7)],
        holidays=form.get("holidays", "") if form else "\n".join(state["holidays"]),
        zones=ZONES,
        preview=preview,
        default_message=offhours.default_message(),
    )


@bp.route("/settings/hours", methods=["GET", "POST"])
def client_hours():
    return _page(None, None)


@bp.route("/teams/<int:team_id>/hours", methods=["GET", "POST"])
def team_hours(team_id: int):
    from clickpro.services.teams.teams import get_team

    client = require_client()
    try:
        team = get_team(client.id, team_id)
    except TeamNotFound:
        abort(404)
    return _page(team.id, team.name)


@bp.route("/teams/<int:team_id>/hours/reset", methods=["POST"])
def reset_team_hours(team_id: int):
    client = require_client()
    try:
        hours.delete_hours(client.id, team_id)
    except TeamNotFound:
        abort(404)
    flash(_("A equipe voltou a usar o horário da empresa."), "success")
    return redirect(url_for("hours.team_hours", team_id=team_id))
