"""Teams page (client admin): list, create/edit (number, rule, cap, SLA, CSAT, members),
archive; and the agent's presence ("Ausente" switch, heartbeat)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.guards import admin_required, client_required
from clickpro.models.teams import AssignmentRule
from clickpro.services.credentials import list_numbers
from clickpro.services.inbox import actions as inbox_actions
from clickpro.services.teams import presence
from clickpro.services.teams import teams as team_service
from clickpro.services.teams.errors import TeamError
from clickpro.tenancy import require_client

bp = Blueprint("teams", __name__, template_folder="templates", url_prefix="/teams")

FIELDS = (
    "name",
    "number_id",
    "assignment_rule",
    "max_open_per_agent",
    "sla_first_response_minutes",
    "sla_resolution_minutes",
)


def _rule_labels() -> dict[str, str]:
    return {
        AssignmentRule.MANUAL: _("Manual (fila da equipe)"),
        AssignmentRule.ROUND_ROBIN: _("Rodízio (round-robin)"),
        AssignmentRule.LEAST_BUSY: _("Menos ocupado (online)"),
    }


@bp.get("/")
@admin_required
def index():
    client = require_client()
    return render_template(
        "teams/index.html",
        rows=team_service.list_teams(client.id, include_archived=True),
        numbers={n.id: n for n in list_numbers(client.id, include_archived=True)},
        rules=_rule_labels(),
    )


def _form_data() -> dict:
    data: dict = {f: request.form.get(f, "") for f in FIELDS}
    data["csat_enabled"] = request.form.get("csat_enabled") == "1"
    data["member_ids"] = [int(v) for v in request.form.getlist("member_ids") if v.isdigit()]
    return data


def _render_form(team=None, data=None, error: TeamError | None = None, status: int = 200):
    client = require_client()
    if data is None:
        data = (
            {f: getattr(team, f) for f in FIELDS}
            | {
                "csat_enabled": team.csat_enabled,
                "member_ids": team_service.member_ids(team.id),
            }
            if team
            else {"assignment_rule": "manual", "member_ids": [], "csat_enabled": False}
        )
    return (
        render_template(
            "teams/form.html",
            team=team,
            data=data,
            error=error,
            numbers=list_numbers(client.id),
            people=inbox_actions.team(client.id),
            rules=_rule_labels(),
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    if request.method == "GET":
        return _render_form()
    data = _form_data()
    try:
        team = team_service.create_team(require_client().id, data)
    except TeamError as exc:
        return _render_form(data=data, error=exc, status=422)
    flash(_("Equipe criada."), "success")
    return redirect(url_for("teams.edit", team_id=team.id))


@bp.route("/<int:team_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(team_id: int):
    client = require_client()
    try:
        team = team_service.get_team(client.id, team_id)
    except TeamError:
        abort(404)
    if request.method == "GET":
        return _render_form(team)
    data = _form_data()
    try:
        team_service.update_team(client.id, team.id, data)
    except TeamError as exc:
        return _render_form(team, data=data, error=exc, status=422)
    flash(_("Equipe salva."), "success")
    return redirect(url_for("teams.index"))


@bp.post("/<int:team_id>/archive")
@admin_required
def archive(team_id: int):
    try:
        team_service.archive_team(require_client().id, team_id)
    except TeamError:
        abort(404)
    flash(_("Equipe arquivada."), "success")
    return redirect(url_for("teams.index"))


@bp.post("/presence/away")
@client_required
def away():
    """The agent's "Ausente" switch: no automatic assignment while on."""
    wanted = request.form.get("away", request.args.get("away", "1")) in ("1", "true", "on")
    state = presence.set_away(require_client().id, current_user.id, wanted)
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(away=state)
    flash(_("Você está ausente.") if state else _("Você está disponível."), "info")
    return redirect(request.referrer or url_for("dashboard.index"))


@bp.post("/presence/heartbeat")
@client_required
def heartbeat():
    client_id = require_client().id
    presence.mark_seen(client_id, current_user.id)
    return jsonify(away=presence.is_away(client_id, current_user.id))
