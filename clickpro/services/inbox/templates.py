"""Template fallback of the composer: approved templates and what each one needs."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Template, TemplateStatus
from clickpro.services.templates.rules import variable_slots


def _component_text(components: list[dict], kind: str) -> str:
    for component in components or []:
        if str(component.get("type", "")).upper() == kind:
            return str(component.get("text") or "")
    return ""


ALL_WABAS = object()


def _buttons(components: list[dict]) -> list[str]:
    for component in components or []:
        if str(component.get("type", "")).upper() == "BUTTONS":
            return [str(b.get("text") or "") for b in component.get("buttons") or []]
    return []


def approved_templates(client_id: int, waba_id: object = ALL_WABAS) -> list[dict]:
    """Approved templates with their variable slots (header/body/buttons/media).

    ``waba_id``: only that WhatsApp Business Account's templates (a number can only send
    its own WABA's: Meta answers 132001 for another's); default all of the client's."""
    stmt = (
        sa.select(Template)
        .where(Template.client_id == client_id, Template.status == TemplateStatus.APPROVED)
        .order_by(Template.name, Template.language)
    )
    if waba_id is not ALL_WABAS:
        stmt = stmt.where(Template.waba_id == waba_id)
    return [
        {
            "id": t.id,
            "name": t.name,
            "language": t.language,
            "category": t.category,
            "header": _component_text(t.components, "HEADER"),
            "body": _component_text(t.components, "BODY"),
            "footer": _component_text(t.components, "FOOTER"),
            "buttons": _buttons(t.components),
            "slots": variable_slots(t.components or []),
        }
        for t in db.session.scalars(stmt)
    ]
