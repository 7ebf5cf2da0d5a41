"""A campaign's life: start (or schedule), pause, resume, cancel.

DRAFT → (SCHEDULED →) PREPARING → RUNNING ⇄ PAUSED → COMPLETED, or CANCELLED from any
of them. PREPARING = the preparation job (:mod:`.preparation`) is inserting the rows.

Every refusal is a :class:`CampaignError` with a pt_BR message.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.events import campaign_finished, send_safely
from clickpro.extensions import db, rowcount
from clickpro.jobs import QUEUE_CAMPAIGNS, enqueue
from clickpro.models import Campaign, Template, TemplateStatus, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.campaigns import audience, control, dispatchers, preparation
from clickpro.services.campaigns.counters import _announce, refresh_counters
from clickpro.services.campaigns.form import CampaignError
from clickpro.services.campaigns.numbers import (
    campaign_number,
    number_label,
    template_fits,
    wrong_waba_message,
)
from clickpro.services.campaigns.queries import (
    ACTIVE,
    EDITABLE,
    S,
    get_campaign,
    status_label,
)
from clickpro.services.campaigns.sheet import pending_import
from clickpro.services.campaigns.vars import mapping_errors

log = logging.getLogger(__name__)


def readiness_errors(campaign: Campaign, now: datetime) -> list[str]:
    """Everything that prevents starting ``campaign`` (empty = ready)."""
    errors: list[str] = []
    template = db.session.get(Template, campaign.template_id) if campaign.template_id else None
    if template is None or template.client_id != campaign.client_id:
        errors.append(_("Escolha um modelo aprovado."))
    elif template.status != TemplateStatus.APPROVED:
        errors.append(_("O modelo %(name)s não está aprovado pela Meta.", name=template.name))
    else:
        errors += mapping_errors(template.components, campaign.variables or {})
    credential = campaign_number(campaign)
    if credential is None:
        errors.append(_("Configure as credenciais do WhatsApp antes de enviar campanhas."))
    elif credential.archived_at is not None:
        errors.append(_removed(credential))
    elif template is not None and not template_fits(template, credential):
        errors.append(wrong_waba_message(template, credential))
    elif not 0 < (campaign.rate_mps or 0) <= credential.throughput_mps:
        errors.append(
            _("A velocidade deve ficar entre 1 e %(max)s mensagens/s (limite do número).",
              max=credential.throughput_mps)
        )  # fmt: skip
    if (
        campaign.scheduled_at is not None
        and campaign.scheduled_at < now
        and campaign.status == S.DRAFT
    ):
        errors.append(_("A data de início já passou."))

    if campaign.id and pending_import(campaign.id) is not None:
        errors.append(_("A importação da planilha ainda não terminou."))
    if not errors and not _has_audience(campaign):
        errors.append(_("O público está vazio: nenhum contato elegível nas listas escolhidas."))
    return errors


def start_campaign(
    client_id: int, campaign_id: int, *, now: datetime | None = None, scheduled: bool = False
) -> Campaign:
    """Start now or schedule; ``scheduled`` = the due job.

    Starting only claims the start (PREPARING) and enqueues the preparation job, which
    materializes the rows and hands over to the dispatchers (:mod:`.preparation`): the
    request answers at once whatever the audience size.
    """
    now = now or utcnow()
    campaign = get_campaign(client_id, campaign_id)
    allowed = (S.SCHEDULED,) if scheduled else (S.DRAFT,)
    if campaign.status not in allowed:
        if scheduled:  # the job is late or duplicated: nothing to do
            return campaign
        raise CampaignError(
            _("A campanha já está %(status)s.", status=status_label(campaign.status))
        )
    errors = readiness_errors(campaign, now) if not scheduled else _late_errors(campaign)
    if errors:
        raise CampaignError(" ".join(errors))
    if not scheduled and campaign.scheduled_at is not None and campaign.scheduled_at > now:
        campaign.status = S.SCHEDULED
        db.session.commit()
        audit_record(Action.CAMPAIGN_STARTED, campaign, client_id=client_id,
                     scheduled_at=campaign.scheduled_at)  # fmt: skip
        if current_app.config["RQ_ASYNC"]:
            enqueue("campaigns.start_scheduled", campaign.id, queue=QUEUE_CAMPAIGNS,
                    job_id=f"campaign-{campaign.id}-start", at=campaign.scheduled_at)  # fmt: skip
        return campaign
    # Claim the start atomically: a double click or a duplicate job starts once.
    claimed = rowcount(
        db.session.execute(
            sa.update(Campaign)
            .where(Campaign.id == campaign.id, Campaign.status.in_(allowed))
            .values(
                status=S.PREPARING,
                started_at=now,
                paused_by=None,
                pause_reason=None,
                heartbeat_at=None,
            )  # fmt: skip
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:
        db.session.rollback()
        return get_campaign(client_id, campaign_id)
    db.session.commit()
    audit_record(Action.CAMPAIGN_STARTED, campaign, client_id=client_id, scheduled=scheduled)
    control.set_state(campaign.id, S.PREPARING)
    db.session.refresh(campaign)
    _announce(campaign)
    preparation.enqueue_preparation(campaign.id)
    db.session.refresh(campaign)  # RQ_ASYNC off (tests): the job has already run
    return campaign


def _has_audience(campaign: Campaign) -> bool:
    include, exclude = audience.list_ids(campaign.id)
    return audience.any_eligible(
        campaign.client_id, include, exclude, campaign.variables or {},
        campaign.missing_value_policy, campaign_id=campaign.id,
    )  # fmt: skip


def _late_errors(campaign: Campaign) -> list[str]:
    """At the scheduled time only what may have changed since scheduling is re-checked."""
    template = db.session.get(Template, campaign.template_id) if campaign.template_id else None
    if template is None or template.status != TemplateStatus.APPROVED:
        return [_("O modelo deixou de estar aprovado.")]
    number = campaign_number(campaign)
    if number is None:
        return [_("As credenciais do WhatsApp foram removidas.")]
    if number.archived_at is not None:
        return [_removed(number)]
    return []


def _removed(number: WhatsAppCredential) -> str:
    return _(
        "O número %(number)s desta campanha foi removido: escolha outro número.",
        number=number_label(number),
    )


# ---------------------------------------------------------------- pause / resume / cancel
def pause_campaign(
    client_id: int, campaign_id: int, reason: str | None = None, *, by: str = "user"
) -> Campaign:
    campaign = get_campaign(client_id, campaign_id)
    if campaign.status == S.PAUSED:
        return campaign
    if campaign.status not in (S.RUNNING, S.PREPARING):
        raise CampaignError(_("Só uma campanha em andamento pode ser pausada."))
    # PREPARING too: the preparation job finishes inserting the rows and leaves them QUEUED.
    db.session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status.in_((S.RUNNING, S.PREPARING)))
        .values(status=S.PAUSED, pause_reason=(reason or "")[:500] or None, paused_by=by)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    control.set_state(campaign.id, S.PAUSED)
    audit_record(Action.CAMPAIGN_PAUSED, campaign, client_id=client_id, by=by, reason=reason)
    db.session.refresh(campaign)
    _announce(campaign)
    return campaign


def resume_campaign(client_id: int, campaign_id: int, *, by: str = "user") -> Campaign:
    campaign = get_campaign(client_id, campaign_id)
    if campaign.status in (S.RUNNING, S.PREPARING):
        return campaign
    if campaign.status != S.PAUSED:
        raise CampaignError(_("Só uma campanha pausada pode ser retomada."))
    if by == "user":
        errors = _late_errors(campaign)
        if errors:
            raise CampaignError(" ".join(errors))
    # Paused while its rows were being prepared: prepare them (again, idempotent) first.
    status = S.RUNNING if campaign.materialized_at is not None else S.PREPARING
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign.id, Campaign.status == S.PAUSED)
        .values(status=status, pause_reason=None, paused_by=None, heartbeat_at=None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    control.set_state(campaign.id, status)
    audit_record(Action.CAMPAIGN_RESUMED, campaign, client_id=client_id, by=by)
    db.session.refresh(campaign)
    _announce(campaign)
    if status == S.PREPARING:
        preparation.enqueue_preparation(campaign.id)
        db.session.refresh(campaign)
    else:
        dispatchers.enqueue_dispatchers(campaign.id)
    return campaign


def cancel_campaign(client_id: int, campaign_id: int) -> Campaign:
    campaign = get_campaign(client_id, campaign_id)
    if campaign.status == S.CANCELLED:
        return campaign
    if campaign.status not in (*EDITABLE, *ACTIVE):
        raise CampaignError(_("Esta campanha já terminou."))
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign.id)
        .values(status=S.CANCELLED, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    control.set_state(campaign.id, S.CANCELLED)
    audit_record(Action.CAMPAIGN_CANCELLED, campaign, client_id=client_id)
    dispatchers.cancel_queued_rows(campaign.id)
    db.session.refresh(campaign)
    refresh_counters(campaign.id)
    send_safely(campaign_finished, client_id=client_id, campaign_id=campaign.id, status=S.CANCELLED)
    return campaign
