"""Ids inside a flow graph that must belong to the client saving or importing it.

A graph names labels, teams, agents, numbers and campaigns by id. An exported flow (or a
hand-written JSON, or a crafted editor request) may carry another client's ids; they are
never trusted: :func:`drop_foreign_ids` removes each one that is not the client's (lists
lose the item, single ids become ``null``) and reports a warning per id dropped.

The places an id can be (graph schema 1): ``set.add_labels`` / ``set.remove_labels``,
``handoff.team_id`` / ``handoff.user_id``, condition rules with ``source`` ``label``
(``value``), ``number`` (``value``) or ``business_hours`` (``team_id``), and the
``campaign_reply`` trigger's ``campaign_id``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Campaign, ClientMember, Label, WhatsAppCredential
from clickpro.models.teams import Team

MAX_ID = 2**31 - 1
KINDS = ("label", "team", "user", "number", "campaign")


@dataclass
class _Ref:
    """One id found in the graph: ``container[key]`` (a dict key or a list index)."""

    kind: str
    value: Any
    step_id: str | None
    field: str
    container: dict | list
    key: str | int


@dataclass
class Found:
    refs: list[_Ref] = field(default_factory=list)

    def add(self, kind: str, container: dict | list, key, step_id: str | None, fld: str) -> None:
        value = container[key] if isinstance(container, list) else container.get(key)
        if value is not None:
            self.refs.append(_Ref(kind, value, step_id, fld, container, key))


def _collect_step(found: Found, step_id: str, step: dict) -> None:
    kind = step.get("type")
    if kind == "set":
        for key in ("add_labels", "remove_labels"):
            items = step.get(key)
            if isinstance(items, list):
                for index in range(len(items)):
                    found.add("label", items, index, step_id, key)
    elif kind == "handoff":
        found.add("team", step, "team_id", step_id, "team_id")
        found.add("user", step, "user_id", step_id, "user_id")
    elif kind == "condition":
        rules = step.get("rules")
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            cond = rule.get("if") if isinstance(rule, dict) else None
            if not isinstance(cond, dict):
                continue
            where = f"rules.{index}"
            source = cond.get("source")
            if source in ("label", "number"):
                found.add(source, cond, "value", step_id, where)
            elif source == "business_hours":
                found.add("team", cond, "team_id", step_id, where)


def collect(graph: dict) -> Found:
    found = Found()
    steps = graph.get("steps")
    if isinstance(steps, dict):
        for step_id, step in steps.items():
            if isinstance(step, dict):
                _collect_step(found, str(step_id), step)
    triggers = graph.get("triggers")
    for trigger in triggers if isinstance(triggers, list) else []:
        if isinstance(trigger, dict) and trigger.get("kind") == "campaign_reply":
            found.add("campaign", trigger, "campaign_id", None, "triggers")
    return found


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number <= MAX_ID else None


def _owned(client_id: int, kind: str, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    if kind == "user":
        stmt = sa.select(ClientMember.user_id).where(
            ClientMember.client_id == client_id,
            ClientMember.is_active.is_(True),
            ClientMember.user_id.in_(wanted),
        )
    else:
        model: Any = {
            "label": Label,
            "team": Team,
            "number": WhatsAppCredential,
            "campaign": Campaign,
        }[kind]
        stmt = sa.select(model.id).where(model.client_id == client_id, model.id.in_(wanted))
    return set(db.session.scalars(stmt))


def _message(kind: str, value: Any) -> str:
    texts = {
        "label": _("Etiqueta %(id)s não pertence a esta conta e foi removida.", id=value),
        "team": _("Equipe %(id)s não pertence a esta conta e foi removida.", id=value),
        "user": _("Atendente %(id)s não pertence a esta conta e foi removido.", id=value),
        "number": _("Número %(id)s não pertence a esta conta e foi removido.", id=value),
        "campaign": _("Campanha %(id)s não pertence a esta conta e foi removida.", id=value),
    }
    return texts[kind]


def drop_foreign_ids(client_id: int, graph: dict) -> list[tuple[str | None, str, str]]:
    """Remove, in place, every id of ``graph`` that is not ``client_id``'s.

    Returns ``(step_id, field, message)`` for each id dropped (one query per kind).
    """
    found = collect(graph)
    by_kind: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for ref in found.refs:
        number = _as_id(ref.value)
        if number is not None:
            by_kind[ref.kind].add(number)
    owned = {kind: _owned(client_id, kind, ids) for kind, ids in by_kind.items()}
    dropped: list[tuple[str | None, str, str]] = []
    removed: dict[int, list[int]] = {}  # id(list) → indexes to delete (after the loop)
    lists: dict[int, list] = {}
    for ref in found.refs:
        number = _as_id(ref.value)
        keep = number is not None and number in owned[ref.kind]
        if isinstance(ref.container, list):
            if keep:
                ref.container[ref.key] = number  # type: ignore[index]
            else:
                removed.setdefault(id(ref.container), []).append(ref.key)  # type: ignore[arg-type]
                lists[id(ref.container)] = ref.container
        else:
            ref.container[ref.key] = number if keep else None
        if not keep:
            dropped.append((ref.step_id, ref.field, _message(ref.kind, ref.value)))
    for key, indexes in removed.items():
        for index in sorted(indexes, reverse=True):
            del lists[key][index]
    return dropped
