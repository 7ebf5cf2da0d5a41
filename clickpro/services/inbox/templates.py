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


def approved_templates(client_id: int) -> list[dict]:
    """Approved templates with their variable slots (header/body/buttons/media)."""
    stmt = (
        sa.select(Template)
        .where(Template.client_id == client_id, Template.status == TemplateStatus.APPROVED)
        .order_by(Template.name, Template.language)
    )
    return [
        {
            "id": t.id,
            "name": t.name,
            "language": t.language,
            "category": t.category,
            "header": _component_text(t.components, "HEADER"),
            "body": _component_text(t.components, "BODY"),
            "slots": variable_slots(t.components or []),
        }
        for t in db.session.scalars(stmt)
    ]
