"""The client's teams (departments): create, edit, archive, members.

A team may own one of the client's numbers (``number_id``): new conversations on it are
routed to the team (see ``routing``). Archived teams keep their history rows but take
no new conversations and are hidden from pickers.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import ClientMember, Conversation, User, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.models.teams import AssignmentRule, Team, TeamMember
from clickpro.services.teams.assignment import active_member
from clickpro.services.teams.errors import TeamError, TeamNotFound
from clickpro.tenancy import id_in_range

NAME_MAX = 80
RULES = tuple(rule.value for rule in AssignmentRule)


@dataclass(frozen=True)
class TeamRow:
    team: Team
    member_count: int
    open_count: int


def get_team(client_id: int, team_id, *, include_archived: bool = True) -> Team:
    """The client's team, else ``TeamNotFound`` (another client's id included)."""
    try:
        wanted = int(team_id)
    except (TypeError, ValueError):
        raise TeamNotFound(_("Equipe não encontrada.")) from None
    team = None
    if id_in_range(Team, wanted):
        stmt = sa.select(Team).where(Team.id == wanted, Team.client_id == client_id)
        if not include_archived:
            stmt = stmt.where(Team.archived_at.is_(None))
        team = db.session.scalar(stmt)
    if team is None:
        raise TeamNotFound(_("Equipe não encontrada."))
    return team


def list_teams(client_id: int, *, include_archived: bool = False) -> list[TeamRow]:
    """Teams by name, with member and open-conversation counts (three queries)."""
    stmt = sa.select(Team).where(Team.client_id == client_id)
    if not include_archived:
        stmt = stmt.where(Team.archived_at.is_(None))
    teams = list(db.session.scalars(stmt.order_by(Team.archived_at.is_not(None), Team.name)))
    ids = [t.id for t in teams]
    members: dict[int, int] = {}
    opened: dict[int, int] = {}
    if ids:
        members = dict(
            db.session.execute(
                sa.select(TeamMember.team_id, sa.func.count())
                .join(
                    ClientMember,
                    sa.and_(
                        ClientMember.user_id == TeamMember.user_id,
                        ClientMember.client_id == client_id,
                        ClientMember.is_active.is_(True),
                    ),
                )
                .where(TeamMember.team_id.in_(ids))
                .group_by(TeamMember.team_id)
            ).all()
        )
        opened = dict(
            db.session.execute(  # type: ignore[arg-type]
                sa.select(Conversation.team_id, sa.func.count())
                .where(
                    Conversation.client_id == client_id,
                    Conversation.team_id.in_(ids),
                    Conversation.status == "OPEN",
                )
                .group_by(Conversation.team_id)
            ).all()
        )
    return [TeamRow(t, members.get(t.id, 0), opened.get(t.id, 0)) for t in teams]


def _clean_name(client_id: int, name, team_id: int | None) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise TeamError(_("Informe o nome da equipe."), field="name")
    if len(name) > NAME_MAX:
        raise TeamError(
            _("O nome pode ter no máximo %(max)d caracteres.", max=NAME_MAX), field="name"
        )
    clash = sa.select(Team.id).where(
        Team.client_id == client_id, sa.func.lower(Team.name) == name.lower()
    )
    if team_id is not None:
        clash = clash.where(Team.id != team_id)
    if db.session.scalar(clash) is not None:
        raise TeamError(_("Já existe uma equipe com este nome."), field="name", code="conflict")
    return name


def _clean_number(client_id: int, number_id, team_id: int | None) -> int | None:
    if number_id in (None, "", 0, "0"):
        return None
    try:
        wanted = int(number_id)
    except (TypeError, ValueError):
        raise TeamError(_("Número inválido."), field="number_id") from None
    found = None
    if id_in_range(WhatsAppCredential, wanted):
        found = db.session.scalar(
            sa.select(WhatsAppCredential.id).where(
                WhatsAppCredential.id == wanted, WhatsAppCredential.client_id == client_id
            )
        )
    if found is None:
        raise TeamError(_("Número não encontrado."), field="number_id")
    taken = sa.select(Team.name).where(
        Team.client_id == client_id, Team.number_id == found, Team.archived_at.is_(None)
    )
    if team_id is not None:
        taken = taken.where(Team.id != team_id)
    other = db.session.scalar(taken)
    if other is not None:
        raise TeamError(
            _("Este número já é atendido pela equipe %(team)s.", team=other),
            field="number_id",
            code="conflict",
        )
    return found


def _clean_positive(value, field: str, *, maximum: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TeamError(_("Informe um número inteiro."), field=field) from None
    if number < 1 or number > maximum:
        raise TeamError(_("Informe um valor entre 1 e %(max)d.", max=maximum), field=field)
    return number


def _apply(client_id: int, team: Team, data: dict) -> None:
    if "name" in data:
        team.name = _clean_name(client_id, data["name"], team.id)
    if "number_id" in data:
        team.number_id = _clean_number(client_id, data["number_id"], team.id)
    if "assignment_rule" in data:
        rule = str(data["assignment_rule"] or AssignmentRule.MANUAL)
        if rule not in RULES:
            raise TeamError(_("Regra de distribuição inválida."), field="assignment_rule")
        team.assignment_rule = rule
    if "max_open_per_agent" in data:
        team.max_open_per_agent = _clean_positive(
            data["max_open_per_agent"], "max_open_per_agent", maximum=1000
        )
    for field in ("sla_first_response_minutes", "sla_resolution_minutes"):
        if field in data:
            setattr(team, field, _clean_positive(data[field], field, maximum=60 * 24 * 30))
    if "csat_enabled" in data:
        team.csat_enabled = bool(data["csat_enabled"])


def create_team(client_id: int, data: dict) -> Team:
    team = Team(client_id=client_id, assignment_rule=AssignmentRule.MANUAL, csat_enabled=False)
    if "name" not in data:
        data = {**data, "name": ""}
    _apply(client_id, team, data)
    db.session.add(team)
    db.session.flush()
    if "member_ids" in data:
        _set_members(client_id, team, data["member_ids"])
    db.session.commit()
    return team


def update_team(client_id: int, team_id, data: dict) -> Team:
    team = get_team(client_id, team_id)
    if team.archived_at is not None:
        raise TeamError(_("Esta equipe está arquivada."), code="conflict", http_status=409)
    _apply(client_id, team, data)
    if "member_ids" in data:
        _set_members(client_id, team, data["member_ids"])
    db.session.commit()
    return team


def archive_team(client_id: int, team_id) -> Team:
    """Archive: no more routing; its conversations go back to the general queue."""
    team = get_team(client_id, team_id)
    if team.archived_at is None:
        team.archived_at = utcnow()
        team.number_id = None
        db.session.execute(
            sa.update(Conversation)
            .where(Conversation.client_id == client_id, Conversation.team_id == team.id)
            .values(team_id=None)
        )
        db.session.commit()
    return team


def member_ids(team_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(TeamMember.user_id)
            .where(TeamMember.team_id == team_id)
            .order_by(TeamMember.user_id)
        )
    )


def members(client_id: int, team_id) -> list[dict]:
    """The team's active members: id, name, email, away, last seen."""
    team = get_team(client_id, team_id)
    rows = db.session.execute(
        sa.select(
            User.id, User.name, User.email, ClientMember.away_since, ClientMember.last_seen_at
        )
        .join(TeamMember, TeamMember.user_id == User.id)
        .join(
            ClientMember,
            sa.and_(ClientMember.user_id == User.id, ClientMember.client_id == client_id),
        )
        .where(TeamMember.team_id == team.id, ClientMember.is_active.is_(True))
        .order_by(User.name, User.id)
    )
    return [
        {
            "id": uid,
            "name": name or email,
            "email": email,
            "away": away is not None,
            "last_seen_at": seen.isoformat() if seen else None,
        }
        for uid, name, email, away, seen in rows
    ]


def _set_members(client_id: int, team: Team, user_ids) -> None:
    if user_ids is None:
        user_ids = []
    if not isinstance(user_ids, list | tuple | set):
        raise TeamError(_("Lista de membros inválida."), field="member_ids")
    wanted = {active_member(client_id, uid, field="member_ids") for uid in user_ids}
    current = set(member_ids(team.id))
    for uid in current - wanted:
        db.session.execute(
            sa.delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == uid)
        )
    for uid in sorted(wanted - current):
        db.session.add(TeamMember(team_id=team.id, user_id=uid))
    db.session.flush()


def set_members(client_id: int, team_id, user_ids) -> list[int]:
    """Replace the team's members (each must be an active member of the client)."""
    team = get_team(client_id, team_id, include_archived=False)
    _set_members(client_id, team, user_ids)
    db.session.commit()
    return member_ids(team.id)


def teams_of_user(client_id: int, user_id: int) -> list[Team]:
    """The active teams ``user_id`` belongs to in this client, by name."""
    return list(
        db.session.scalars(
            sa.select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(
                Team.client_id == client_id,
                Team.archived_at.is_(None),
                TeamMember.user_id == user_id,
            )
            .order_by(Team.name)
        )
    )


def team_choices(client_id: int) -> list[dict]:
    """Active teams for pickers: id, name, member ids."""
    teams = list(
        db.session.scalars(
            sa.select(Team)
            .where(Team.client_id == client_id, Team.archived_at.is_(None))
            .order_by(Team.name)
        )
    )
    ids = [t.id for t in teams]
    by_team: dict[int, list[int]] = {t: [] for t in ids}
    if ids:
        for team_id, uid in db.session.execute(
            sa.select(TeamMember.team_id, TeamMember.user_id)
            .where(TeamMember.team_id.in_(ids))
            .order_by(TeamMember.user_id)
        ):
            by_team[team_id].append(uid)
    return [{"id": t.id, "name": t.name, "member_ids": by_team[t.id]} for t in teams]
