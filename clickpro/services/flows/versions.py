"""A flow's life: create, edit the draft, publish versions, roll back, copy, move as JSON.

Every function takes the client explicitly and answers another client's flow (or
version) id with :class:`FlowNotFound` (a 404 at every edge). The draft is free to be
incomplete: :func:`save_draft` refuses only what is not a graph at all (not JSON, too
big, too many steps, bad step ids) and stores the rest, returning the problems
``graph.validate`` finds; :func:`publish` is where errors block (``FlowInvalid``).

A version is immutable: a run in progress keeps walking the version it started on
(``FlowRun.version_id``), whatever is published or rolled back meanwhile.

Ids inside a graph (labels, teams, agents, numbers, campaigns) are checked against the
client on every save and import (:mod:`clickpro.services.flows.foreign_ids`).
"""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.models.flows import Flow, FlowVersion
from clickpro.services.flows.edit_errors import FlowChangeRefused, FlowMissing, FlowRejected
from clickpro.services.flows.foreign_ids import drop_foreign_ids
from clickpro.services.flows.structure import (  # noqa: F401 - part of this module's API
    MAX_BYTES,
    MAX_STEPS,
    check_structure,
    empty_graph,
    errors_of,
    problem,
    validate,
)

NAME_MAX = 80
DESCRIPTION_MAX = 500
NOTE_MAX = 200
EXPORT_FORMAT = 1
COPY_SUFFIX = " (cópia)"


def _foreign_problems(client_id: int, graph: dict) -> list:
    return [
        problem(step_id, fld, "warning", message)
        for step_id, fld, message in drop_foreign_ids(client_id, graph)
    ]


def _clean_graph(client_id: int, graph: Any) -> tuple[dict, list]:
    """A private copy of ``graph`` without foreign ids, and the warnings about them.

    Raises ``FlowRejected`` (a ``FlowInvalid``) when it is not a graph at all.
    """
    structural = check_structure(graph)
    if structural:
        raise FlowRejected(structural)
    clean = copy.deepcopy(graph)
    return clean, _foreign_problems(client_id, clean)


# --------------------------------------------------------------------------- lookups


def get_flow(client_id: int, flow_id: Any, *, for_update: bool = False) -> Flow:
    """The client's flow (archived included), else ``FlowNotFound``."""
    try:
        wanted = int(flow_id)
    except (TypeError, ValueError):
        raise FlowMissing(_("Fluxo não encontrado.")) from None
    flow = None
    if 0 < wanted <= 2**31 - 1:
        stmt = sa.select(Flow).where(Flow.id == wanted, Flow.client_id == client_id)
        if for_update:
            stmt = stmt.with_for_update()
        flow = db.session.scalar(stmt)
    if flow is None:
        raise FlowMissing(_("Fluxo não encontrado."))
    return flow


def get_version(client_id: int, flow_id: int, version_id: Any) -> FlowVersion:
    try:
        wanted = int(version_id)
    except (TypeError, ValueError):
        raise FlowMissing(_("Versão não encontrada.")) from None
    version = None
    if 0 < wanted <= 2**31 - 1:
        version = db.session.scalar(
            sa.select(FlowVersion).where(
                FlowVersion.id == wanted,
                FlowVersion.flow_id == flow_id,
                FlowVersion.client_id == client_id,
            )
        )
    if version is None:
        raise FlowMissing(_("Versão não encontrada."))
    return version


def published_version(flow: Flow) -> FlowVersion | None:
    if flow.published_version_id is None:
        return None
    return db.session.get(FlowVersion, flow.published_version_id)


def list_flows(client_id: int, *, include_archived: bool = False) -> list[Flow]:
    stmt = sa.select(Flow).where(Flow.client_id == client_id)
    if not include_archived:
        stmt = stmt.where(Flow.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Flow.archived_at.is_not(None), Flow.name)))


def list_versions(client_id: int, flow_id: int) -> list[FlowVersion]:
    """Newest first."""
    flow = get_flow(client_id, flow_id)
    return list(
        db.session.scalars(
            sa.select(FlowVersion)
            .where(FlowVersion.flow_id == flow.id, FlowVersion.client_id == client_id)
            .order_by(FlowVersion.number.desc())
        )
    )


# --------------------------------------------------------------------------- names


def _clean_name(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise FlowChangeRefused(_("Dê um nome ao fluxo."), field="name")
    if len(text) > NAME_MAX:
        raise FlowChangeRefused(_("Nome com no máximo %(n)s caracteres.", n=NAME_MAX), field="name")
    return text


def _name_taken(client_id: int, name: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Flow.id).where(
        Flow.client_id == client_id, sa.func.lower(Flow.name) == name.lower()
    )
    if exclude_id is not None:
        stmt = stmt.where(Flow.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def unique_name(client_id: int, name: str, suffix: str = COPY_SUFFIX) -> str:
    """``name``, else ``name (cópia)``, ``name (cópia 2)``, ... (fits ``NAME_MAX``)."""
    if not _name_taken(client_id, name):
        return name
    for n in range(1, 1000):
        tail = suffix if n == 1 else f"{suffix[:-1]} {n})"
        candidate = name[: NAME_MAX - len(tail)].rstrip() + tail
        if not _name_taken(client_id, candidate):
            return candidate
    raise FlowChangeRefused(_("Já existem cópias demais deste fluxo."), field="name")


def _check_number(client_id: int, number_id: Any) -> int | None:
    if number_id in (None, ""):
        return None
    try:
        wanted = int(number_id)
    except (TypeError, ValueError):
        wanted = 0
    found = 0 < wanted <= 2**31 - 1 and db.session.scalar(
        sa.select(WhatsAppCredential.id).where(
            WhatsAppCredential.id == wanted,
            WhatsAppCredential.client_id == client_id,
            WhatsAppCredential.archived_at.is_(None),
        )
    )
    if not found:
        raise FlowChangeRefused(_("Número não encontrado."), field="number_id")
    return wanted


# --------------------------------------------------------------------------- lifecycle


def create_flow(
    client_id: int,
    name: str,
    *,
    user_id: int | None,
    graph: dict | None = None,
    template_key: str | None = None,
    number_id: int | None = None,
    description: str = "",
    rename: bool = False,
) -> Flow:
    """A new, unpublished flow. A taken name is refused (``rename``: made unique)."""
    text = _clean_name(name)
    if rename:
        text = unique_name(client_id, text)
    elif _name_taken(client_id, text):
        raise FlowChangeRefused(_("Já existe um fluxo com esse nome."), field="name", code="conflict",
                        http_status=409)  # fmt: skip
    draft, _warnings = _clean_graph(client_id, empty_graph() if graph is None else graph)
    flow = Flow(
        client_id=client_id,
        name=text,
        description=str(description or "")[:DESCRIPTION_MAX],
        number_id=_check_number(client_id, number_id),
        draft=draft,
        draft_updated_at=utcnow(),
        enabled=True,
        template_key=template_key,
        created_by_id=user_id,
    )
    db.session.add(flow)
    db.session.commit()
    return flow


def update_flow(client_id: int, flow_id: int, **changes: Any) -> Flow:
    """Change ``name``, ``description`` and/or ``number_id`` (only the keys given)."""
    flow = get_flow(client_id, flow_id)
    if "name" in changes:
        text = _clean_name(changes["name"])
        if _name_taken(client_id, text, exclude_id=flow.id):
            raise FlowChangeRefused(_("Já existe um fluxo com esse nome."), field="name", code="conflict",
                            http_status=409)  # fmt: skip
        flow.name = text
    if "description" in changes:
        flow.description = str(changes["description"] or "")[:DESCRIPTION_MAX]
    if "number_id" in changes:
        flow.number_id = _check_number(client_id, changes["number_id"])
    db.session.commit()
    return flow


def save_draft(client_id: int, flow_id: int, graph: Any) -> list:
    """Store ``graph`` as the draft; return its problems (errors do not block a draft).

    Refused (``FlowInvalid``, nothing stored) only when it is not a graph at all.
    """
    flow = get_flow(client_id, flow_id)
    clean, warnings = _clean_graph(client_id, graph)
    flow.draft = clean
    flow.draft_updated_at = utcnow()
    db.session.commit()
    return warnings + validate(clean)


def publish(client_id: int, flow_id: int, *, user_id: int | None, note: str = "") -> FlowVersion:
    """The draft becomes version n+1 and the published one (``FlowInvalid`` on errors)."""
    flow = get_flow(client_id, flow_id, for_update=True)  # serialises concurrent publishes
    if flow.archived_at is not None:
        raise FlowChangeRefused(_("Fluxo arquivado: restaure-o antes de publicar."), code="conflict",
                        http_status=409)  # fmt: skip
    graph = copy.deepcopy(flow.draft or {})
    structural = check_structure(graph)
    if not structural:
        _foreign_problems(client_id, graph)  # ids may have been deleted since the save
    problems = structural or validate(graph)
    if errors_of(problems):
        db.session.rollback()
        raise FlowRejected(problems)
    last = db.session.scalar(
        sa.select(sa.func.max(FlowVersion.number)).where(FlowVersion.flow_id == flow.id)
    )
    version = FlowVersion(
        client_id=client_id,
        flow_id=flow.id,
        number=(last or 0) + 1,
        graph=graph,
        note=str(note or "")[:NOTE_MAX],
        published_at=utcnow(),
        published_by_id=user_id,
    )
    db.session.add(version)
    db.session.flush()
    flow.published_version_id = version.id
    db.session.commit()
    return version


def rollback(client_id: int, flow_id: int, version_id: int, *, user_id: int | None) -> FlowVersion:
    """Publish an older version again and copy its graph into the draft."""
    flow = get_flow(client_id, flow_id, for_update=True)
    version = get_version(client_id, flow.id, version_id)
    flow.published_version_id = version.id
    flow.draft = copy.deepcopy(version.graph)
    flow.draft_updated_at = utcnow()
    db.session.commit()
    return version


def duplicate(client_id: int, flow_id: int, *, user_id: int | None) -> Flow:
    """An unpublished copy of the draft, named "<name> (cópia)"."""
    source = get_flow(client_id, flow_id)
    return create_flow(
        client_id,
        source.name,
        user_id=user_id,
        graph=copy.deepcopy(source.draft or {}),
        template_key=source.template_key,
        number_id=source.number_id,
        description=source.description,
        rename=True,
    )


def set_enabled(client_id: int, flow_id: int, enabled: bool) -> Flow:
    """Off: the triggers stop firing; runs in progress finish."""
    flow = get_flow(client_id, flow_id)
    flow.enabled = bool(enabled)
    db.session.commit()
    return flow


def archive(client_id: int, flow_id: int) -> Flow:
    """Hidden from the list, its triggers stop; runs and reports stay."""
    flow = get_flow(client_id, flow_id)
    if flow.archived_at is None:
        flow.archived_at = utcnow()
        flow.enabled = False
    db.session.commit()
    return flow


def restore(client_id: int, flow_id: int) -> Flow:
    """Back in the list (disabled: the admin turns it on again)."""
    flow = get_flow(client_id, flow_id)
    flow.archived_at = None
    db.session.commit()
    return flow


# --------------------------------------------------------------------------- JSON files


def export_flow(client_id: int, flow_id: int) -> dict:
    """The draft as a portable document (``import_flow`` reads it back)."""
    flow = get_flow(client_id, flow_id)
    return {
        "clickpro_flow": EXPORT_FORMAT,
        "name": flow.name,
        "description": flow.description,
        "template_key": flow.template_key,
        "graph": copy.deepcopy(flow.draft or {}),
    }


def read_document(data: Any) -> tuple[str, str, dict, str | None]:
    """(name, description, graph, template_key) of an export (or ``{"name", "graph"}``)."""
    if not isinstance(data, dict):
        raise FlowChangeRefused(_("Arquivo inválido: esperado um objeto JSON."), field="file")
    if "clickpro_flow" in data and data["clickpro_flow"] != EXPORT_FORMAT:
        raise FlowChangeRefused(_("Formato de fluxo não suportado."), field="clickpro_flow")
    graph = data.get("graph")
    if not isinstance(graph, dict):
        raise FlowChangeRefused(_("O arquivo não traz o fluxo (campo graph)."), field="graph")
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise FlowChangeRefused(_("Descrição inválida."), field="description")
    key = data.get("template_key")
    template_key = key[:40] if isinstance(key, str) and key else None
    return _clean_name(data.get("name")), description[:DESCRIPTION_MAX], graph, template_key


def import_flow(
    client_id: int, data: Any, *, user_id: int | None, number_id: int | None = None
) -> Flow:
    """A new flow from an exported document; ids not of this client are dropped.

    The warnings about dropped ids are on ``flow.import_problems`` (not stored).
    """
    name, description, graph, template_key = read_document(data)
    clean, warnings = _clean_graph(client_id, graph)
    flow = create_flow(
        client_id,
        name,
        user_id=user_id,
        graph=clean,
        template_key=template_key,
        number_id=number_id,
        description=description,
        rename=True,
    )
    flow.import_problems = warnings  # type: ignore[attr-defined]
    return flow


# --------------------------------------------------------------------------- agents


def has_manual_trigger(graph: Any) -> bool:
    triggers = graph.get("triggers") if isinstance(graph, dict) else None
    return any(
        isinstance(t, dict) and t.get("kind") == "manual"
        for t in (triggers if isinstance(triggers, list) else [])
    )


def startable_flows(client_id: int, *, number_id: int | None = None) -> list[Flow]:
    """Flows an agent may start on a conversation (of ``number_id``): published, not
    archived, for that number (or any), with a ``manual`` trigger in the published version.

    ``enabled`` is not required: it switches the automatic triggers; a manual start is
    the agent's explicit choice (an admin stops it by removing the trigger or archiving).
    """
    stmt = (
        sa.select(Flow, FlowVersion.graph)
        .join(FlowVersion, FlowVersion.id == Flow.published_version_id)
        .where(Flow.client_id == client_id, Flow.archived_at.is_(None))
        .order_by(Flow.name)
    )
    if number_id is not None:
        stmt = stmt.where(sa.or_(Flow.number_id.is_(None), Flow.number_id == number_id))
    return [flow for flow, graph in db.session.execute(stmt) if has_manual_trigger(graph)]
