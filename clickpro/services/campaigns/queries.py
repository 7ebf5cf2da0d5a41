"""Campaign lookups and labels the UI, the API and the other campaign modules share:
fetch a client's campaign, status labels, the audience count and the tier warning."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Campaign, CampaignStatus, ContactList, Template, WhatsAppCredential
from clickpro.services.campaigns import audience
from clickpro.services.campaigns.form import CampaignError
from clickpro.services.campaigns.vars import POLICY_FALLBACK, preview
from clickpro.services.contacts.display import contact_label
from clickpro.services.conversations import first_number
from clickpro.tenancy import get_owned

S = CampaignStatus
EDITABLE = (S.DRAFT, S.SCHEDULED)
ACTIVE = (S.SCHEDULED, S.PREPARING, S.RUNNING, S.PAUSED)
TIER_LIMITS = {"TIER_250": 250, "TIER_1K": 1000, "TIER_10K": 10_000, "TIER_100K": 100_000}


def get_campaign(client_id: int, campaign_id: int) -> Campaign:
    campaign = get_owned(Campaign, campaign_id, client_id)
    if campaign is None:
        raise CampaignError(_("Campanha não encontrada."))
    return campaign


def status_label(status: str) -> str:
    labels: dict[str, str] = {
        S.DRAFT: _("rascunho"), S.SCHEDULED: _("agendada"), S.PREPARING: _("em preparação"),
        S.RUNNING: _("em andamento"),
        S.PAUSED: _("pausada"), S.CANCELLED: _("cancelada"), S.COMPLETED: _("concluída"),
        S.FAILED: _("com falha"),
    }  # fmt: skip
    return labels.get(status, status)


def audience_of(campaign: Campaign) -> audience.AudienceCount:
    """The review's numbers: the same function the wizard's live count calls."""
    include, exclude = audience.list_ids(campaign.id)
    return audience.count_audience(
        campaign.client_id,
        include,
        exclude,
        campaign.variables or {},
        campaign.missing_value_policy,
        campaign_id=campaign.id,
    )


def review_preview(campaign: Campaign, template: Template | None) -> dict | None:
    """The message as the sample recipient will get it (values filled, not
    ``{{contact.cupom}}``), with ``contact`` {name, phone} and the fields it lacks."""
    if template is None:
        return None
    variables = campaign.variables or {}
    policy = campaign.missing_value_policy
    include, exclude = audience.list_ids(campaign.id)
    sample = audience.sample_contact(
        campaign.client_id, include, exclude, variables, policy, campaign_id=campaign.id
    )
    fallback = (variables.get("fallback") or "") if policy == POLICY_FALLBACK else None
    if sample is None:
        return {**preview(template.components, {}, None, None), "contact": None}
    contact, data = sample
    result = preview(template.components, variables, data, fallback)
    result["contact"] = {"name": data.name, "phone": contact_label(contact)}  # or @username
    return result


def tier_warning(
    client_id: int, eligible: int, number: WhatsAppCredential | None = None
) -> str | None:
    """The audience passes the messaging limit of ``number`` (the campaign's; None: the
    client's first number) — Meta reports the tier on each number."""
    credential = number if number is not None else first_number(client_id)
    tier = (credential.messaging_tier or "") if credential else ""
    limit = TIER_LIMITS.get(tier.upper())
    if limit is not None and eligible > limit:
        return _(
            "O público (%(n)s) passa do limite de mensagens do número em 24 h (%(tier)s: "
            "%(limit)s conversas). O excedente será recusado pela Meta.",
            n=eligible, tier=tier, limit=limit,
        )  # fmt: skip
    return None


def lists_for_client(client_id: int) -> list[ContactList]:
    return list(db.session.scalars(sa.select(ContactList).where(ContactList.client_id == client_id)
                                   .order_by(ContactList.name)))  # fmt: skip
