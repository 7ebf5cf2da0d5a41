"""Ready-made flows in pt_BR: the three a Brazilian business puts on its number first.

The graphs are JSON files in ``clickpro/data/flows/<key>.json`` (graph schema 1). A
handoff step there may name its team (``"team_name": "Financeiro"``): when a client
creates the flow, the hint becomes that client's team of that name (case- and
accent-insensitive, not archived), else ``team_id`` stays ``null`` (the conversation's
or the number's team). The hint never reaches the stored graph.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from clickpro.extensions import db
from clickpro.models.flows import Flow
from clickpro.models.teams import Team
from clickpro.services.flows import versions
from clickpro.services.flows.edit_errors import FlowMissing

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "flows"


@dataclass(frozen=True)
class FlowTemplate:
    key: str
    name: object  # lazy string: the flow's name in the client's list (pt_BR)
    description: object


TEMPLATES: dict[str, FlowTemplate] = {
    t.key: t
    for t in (
        FlowTemplate(
            "menu_atendimento",
            _l("Menu de atendimento"),
            _l(
                "1 – Financeiro, 2 – Suporte, 3 – Falar com atendente; cada opção passa a conversa para a equipe certa."
            ),  # fmt: skip
        ),
        FlowTemplate(
            "pre_atendimento_cpf",
            _l("Pré-atendimento com CPF"),
            _l(
                "Pede nome, CPF/CNPJ (com verificação) e número do pedido, consulta seu ERP se você quiser e passa para um atendente com os dados na nota."
            ),  # fmt: skip
        ),
        FlowTemplate(
            "pesquisa_satisfacao",
            _l("Pesquisa de satisfação"),
            _l(
                "Nota de 1 a 5 e um comentário opcional, guardados no contato, e um agradecimento."
            ),  # fmt: skip
        ),
    )
}


@cache
def _load(key: str) -> dict:
    with (DATA_DIR / f"{key}.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def template_graph(key: str) -> dict:
    """A fresh copy of the template's graph (with its ``team_name`` hints)."""
    if key not in TEMPLATES:
        raise FlowMissing(str(_l("Modelo de fluxo não encontrado.")))
    return copy.deepcopy(_load(key))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def _teams_by_name(client_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Team.id, Team.name)
        .where(Team.client_id == client_id, Team.archived_at.is_(None))
        .order_by(Team.id.desc())  # the oldest team wins a (folded) name clash
    )
    return {_fold(name): team_id for team_id, name in rows}


def resolve_teams(client_id: int, graph: dict) -> dict:
    """Turn each handoff's ``team_name`` hint into the client's team id (in place)."""
    teams: dict[str, int] | None = None
    for step in (graph.get("steps") or {}).values():
        if not isinstance(step, dict) or "team_name" not in step:
            continue
        hint = step.pop("team_name")
        if step.get("type") != "handoff" or step.get("team_id") is not None:
            continue
        if teams is None:
            teams = _teams_by_name(client_id)
        step["team_id"] = teams.get(_fold(str(hint or "")))
    return graph


def create_from_template(
    client_id: int,
    key: str,
    *,
    user_id: int | None,
    number_id: int | None = None,
    name: str | None = None,
) -> Flow:
    """A new (unpublished) flow of the client from a ready-made template (named after the
    template unless ``name``; a taken name gets " (cópia)")."""
    graph = resolve_teams(client_id, template_graph(key))
    template = TEMPLATES[key]
    return versions.create_flow(
        client_id,
        name or str(template.name),
        user_id=user_id,
        graph=graph,
        template_key=key,
        number_id=number_id,
        description=str(template.description),
        rename=True,
    )
