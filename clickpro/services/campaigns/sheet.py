"""Shortcut: a campaign straight from a spreadsheet.

The upload goes through the contacts import service (same validation, same rows, same
opt-out rules): it fills a new list, which becomes the campaign's audience. Each row's
own values are frozen for its recipient (``campaign_recipient_values``) and fill the
template variables (``{{contact.<column>}}``) for that person — the master contact is
not rewritten (only its empty fields are filled) unless the admin ticked "Atualizar
contatos existentes". The campaign is a DRAFT: the admin reviews it in the wizard and
starts it once the import is done (``readiness_errors`` refuses earlier).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Campaign, ContactImport, ImportStatus, Template
from clickpro.services.campaigns.audience import list_ids
from clickpro.services.campaigns.form import CampaignError
from clickpro.services.campaigns.numbers import number_choices, template_fits
from clickpro.services.campaigns.saving import save_campaign
from clickpro.services.contacts.imports.errors import ContactImportError
from clickpro.services.contacts.imports.service import (
    create_import,
    preview_import,
    set_mapping,
    start_import,
)
from clickpro.services.templates.rules import variable_slots


def default_variables(components: list[dict], attributes: list[str]) -> dict:
    """Fill the template's slots with the sheet's columns, in order ({{contact.<col>}})."""
    slots = variable_slots(components)
    picks = iter(["{{contact.name}}", *(f"{{{{contact.{a}}}}}" for a in attributes)])

    def take() -> str:
        return next(picks, "{{contact.name}}")

    variables: dict = {}
    if slots["header"]:
        variables["header"] = [take() for _ in range(slots["header"])]
    if slots["body"]:
        variables["body"] = [take() for _ in range(slots["body"])]
    if slots["buttons"]:
        variables["buttons"] = {i: [take() for _ in range(n)] for i, n in slots["buttons"].items()}
    return variables


def campaign_from_spreadsheet(
    client_id: int,
    user_id: int | None,
    *,
    stream,
    filename: str,
    name: str,
    template_id: int,
    rate_mps: float | None = None,
    variables: dict | None = None,
    update_existing: bool = False,
) -> Campaign:
    """Import the sheet into a new list and save a DRAFT campaign targeting it."""
    template = db.session.scalar(
        sa.select(Template).where(Template.client_id == client_id, Template.id == template_id)
    )
    if template is None or template.status != "APPROVED":
        raise CampaignError(_("Escolha um modelo aprovado."))
    if not (name or "").strip():
        raise CampaignError(_("Dê um nome à campanha."))
    try:
        imp = create_import(
            client_id, user_id, stream_or_path=stream, filename=filename,
            list_name=_("Campanha: %(name)s", name=name.strip())[:120],
        )  # fmt: skip
        _header, _rows, _sheets, suggested = preview_import(imp.id)
        set_mapping(imp.id, suggested, {"update_existing": update_existing})
    except ContactImportError as exc:
        db.session.rollback()
        raise CampaignError(str(exc)) from None
    attributes = list((suggested.get("attributes") or {}).values())
    data: dict = {
        "name": name,
        "number_id": _number_for(client_id, template),
        "template_id": template.id,
        "list_ids": [imp.list_id],
        "variables": variables or default_variables(template.components, attributes),
    }
    if rate_mps is not None:
        data["rate_mps"] = rate_mps
    campaign = save_campaign(client_id, data, user_id=user_id)
    # The import keeps each row's values for this campaign's recipients.
    imp.options = {**(imp.options or {}), "campaign_id": campaign.id}
    db.session.commit()
    start_import(imp.id)
    return campaign


def _number_for(client_id: int, template: Template) -> int | None:
    """The first active number on the template's WABA (the wizard can change it later)."""
    numbers = number_choices(client_id)
    fitting = [n for n in numbers if template_fits(template, n)]
    chosen = fitting[0] if fitting else (numbers[0] if numbers else None)
    return chosen.id if chosen else None


def pending_import(campaign_id: int) -> ContactImport | None:
    """An unfinished import that is still filling one of the campaign's lists."""
    include, _exclude = list_ids(campaign_id)
    if not include:
        return None
    return db.session.scalar(
        sa.select(ContactImport).where(
            ContactImport.list_id.in_(include),
            ContactImport.status.in_((ImportStatus.QUEUED, ImportStatus.RUNNING)),
        )
    )
