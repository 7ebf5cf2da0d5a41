"""condition, set and wait steps."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import ContactLabel, Conversation, Label
from clickpro.services.flows import validators
from clickpro.services.flows.steps.base import Ctx, Result
from clickpro.services.flows.templating import fold


def _num(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    return validators.parse_number(str(value or ""))


def compare(left: Any, op: str, right: Any) -> bool:
    if op == "empty":
        return left in (None, "", [], {})
    if op == "not_empty":
        return left not in (None, "", [], {})
    if op in ("gt", "gte", "lt", "lte"):
        x, y = _num(left), _num(right)
        if x is None or y is None:
            return False
        return {"gt": x > y, "gte": x >= y, "lt": x < y, "lte": x <= y}[op]
    a, b = fold(left), fold(right)
    if op == "eq":
        return a == b
    if op == "neq":
        return a != b
    if op == "contains":
        return bool(b) and b in a
    if op == "starts_with":
        return bool(b) and a.startswith(b)
    if op == "in":
        options = right if isinstance(right, list) else str(right or "").split(",")
        return a in {fold(o) for o in options}
    return False


def _label_ids(ctx: Ctx) -> set[int]:
    if ctx.contact is None:
        return {int(i) for i in ctx.variables.get("_labels", [])}
    return set(
        db.session.scalars(
            sa.select(ContactLabel.label_id).where(ContactLabel.contact_id == ctx.contact.id)
        )
    )


def _in_time(ctx: Ctx, cond: dict) -> bool:
    from clickpro.services.teams import hours

    local = ctx.now.astimezone(hours.zone(hours._client_tz(ctx.client_id)))
    days = cond.get("weekdays")
    if isinstance(days, list) and days and local.weekday() not in days:
        return False
    hhmm = local.strftime("%H:%M")
    start, end = str(cond.get("from") or "00:00"), str(cond.get("to") or "23:59")
    return start <= hhmm < end if start <= end else (hhmm >= start or hhmm < end)


def holds(ctx: Ctx, cond: dict) -> bool:
    source, op = cond.get("source"), str(cond.get("op") or "")
    if source == "var":
        return compare(ctx.variables.get(str(cond.get("name"))), op, cond.get("value"))
    if source == "contact":
        values = ctx.contact_values()
        field = str(cond.get("field") or "")
        left = (
            (values.get("attr") or {}).get(field[5:])
            if field.startswith("attr:")
            else values.get(field)
        )
        return compare(left, op, cond.get("value"))
    if source == "business_hours":
        from clickpro.services.teams import hours

        team_id = cond.get("team_id") or (ctx.conversation.team_id if ctx.conversation else None)
        is_open = hours.is_team_open(ctx.client_id, team_id, ctx.now)
        return is_open if op == "open" else not is_open
    if source == "time":
        return _in_time(ctx, cond)
    if source == "number":
        return ctx.conversation is not None and ctx.conversation.number_id == cond.get("value")
    if source == "label":
        has = cond.get("value") in _label_ids(ctx)
        return has if op == "has" else not has
    return False


def step_condition(ctx: Ctx, sid: str, step: dict) -> Result:
    for i, rule in enumerate(step.get("rules") or []):
        if isinstance(rule, dict) and isinstance(rule.get("if"), dict) and holds(ctx, rule["if"]):
            return Result("next", rule.get("next"), exit_field=f"rules.{i}.next", outcome="matched",
                          detail={"rule": i})  # fmt: skip
    return Result(
        "next", step.get("else"), exit_field="else", outcome="matched", detail={"rule": "else"}
    )


def step_set(ctx: Ctx, sid: str, step: dict) -> Result:
    variables = {str(k): ctx.render(v) for k, v in (step.get("variables") or {}).items()}
    attributes = {str(k): ctx.render(v) for k, v in (step.get("attributes") or {}).items()}
    add = [int(i) for i in step.get("add_labels") or []]
    remove = [int(i) for i in step.get("remove_labels") or []]
    if variables:
        ctx.set_variables(variables)
    detail = {
        "variables": variables,
        "attributes": attributes,
        "add_labels": add,
        "remove_labels": remove,
    }
    if not ctx.live or ctx.contact is None:
        labels = (_label_ids(ctx) | set(add)) - set(remove)
        ctx.set_variables({"_labels": sorted(labels)})  # simulator: recorded, not applied
        return Result("next", step.get("next"), outcome="done", detail=detail)
    contact = ctx.contact
    if attributes:
        contact.attributes = {**(contact.attributes or {}), **attributes}
    owned = set(db.session.scalars(sa.select(Label.id).where(Label.client_id == ctx.client_id,
                                                              Label.id.in_(add + remove))))  # fmt: skip
    current = _label_ids(ctx)
    for label_id in sorted(set(add) & owned - current):
        db.session.add(ContactLabel(contact_id=contact.id, label_id=label_id))
    gone = set(remove) & owned & current
    if gone:
        db.session.execute(sa.delete(ContactLabel).where(ContactLabel.contact_id == contact.id,
                                                         ContactLabel.label_id.in_(gone)))  # fmt: skip
    if add or remove:
        db.session.execute(sa.update(Conversation).where(Conversation.client_id == ctx.client_id,
                                                         Conversation.contact_id == contact.id)
                           .values(updated_at=datetime.now().astimezone()))  # fmt: skip
    return Result("next", step.get("next"), outcome="done", detail=detail)


def step_wait(ctx: Ctx, sid: str, step: dict) -> Result:
    seconds = max(1, min(int(step.get("seconds") or 1), 7 * 24 * 3600))
    return Result("wait_timer", wake_at=ctx.now + timedelta(seconds=seconds), outcome="waiting")
