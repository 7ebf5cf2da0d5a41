"""Saving a campaign from the wizard or the API (only DRAFT/SCHEDULED ones are editable)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Campaign, CampaignList
from clickpro.models.base import utcnow
from clickpro.services.campaigns import audience
from clickpro.services.campaigns.form import CampaignError, clean_campaign_data
from clickpro.services.campaigns.numbers import campaign_number
from clickpro.services.campaigns.queries import EDITABLE, S, get_campaign, status_label


def save_campaign(
    client_id: int,
    data: dict,
    *,
    campaign_id: int | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> Campaign:
    """Create or update a DRAFT/SCHEDULED campaign from wizard or API data.

    ``data`` may name the number (``number_id``, or Meta's ``phone_number_id``); a new
    campaign without one gets the client's first number.
    """
    now = now or utcnow()
    if campaign_id is None:
        campaign = Campaign(client_id=client_id, created_by_id=user_id, status=S.DRAFT)
    else:
        campaign = get_campaign(client_id, campaign_id)
        if campaign.status not in EDITABLE:
            raise CampaignError(
                _(
                    "Não é possível editar uma campanha %(status)s.",
                    status=status_label(campaign.status),
                )
            )
    current = campaign_number(campaign) if campaign.id is not None else None
    clean = clean_campaign_data(client_id, data, campaign, current, now)
    for key in ("name", "number_id", "template_id", "rate_mps", "batch_size", "batch_interval_s",
                "send_window", "variables", "missing_value_policy", "scheduled_at"):  # fmt: skip
        if key in clean:
            setattr(campaign, key, clean[key])
    if "fallback" in clean:
        campaign.variables = {**(campaign.variables or {}), "fallback": clean["fallback"]}
    db.session.add(campaign)
    db.session.flush()
    if "list_ids" in clean or "exclude_list_ids" in clean:
        _set_lists(campaign, clean.get("list_ids"), clean.get("exclude_list_ids"))
    if campaign.status == S.SCHEDULED:  # edited after scheduling: back to draft
        campaign.status = S.DRAFT
    db.session.commit()
    return campaign


def _set_lists(campaign: Campaign, include: list[int] | None, exclude: list[int] | None) -> None:
    old_in, old_ex = audience.list_ids(campaign.id)
    include = old_in if include is None else include
    exclude = old_ex if exclude is None else exclude
    db.session.execute(sa.delete(CampaignList).where(CampaignList.campaign_id == campaign.id))
    for list_id in include:
        db.session.add(CampaignList(campaign_id=campaign.id, list_id=list_id, is_exclusion=False))
    for list_id in exclude:
        if list_id not in include:
            db.session.add(
                CampaignList(campaign_id=campaign.id, list_id=list_id, is_exclusion=True)
            )
