"""A campaign's life: start (or schedule), pause, resume, cancel, and the dispatcher jobs.

Every refusal is a :class:`CampaignError` with a pt_BR message.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from rq import Worker

from clickpro.events import campaign_finished, send_safely
from clickpro.extensions import db, redis_connection, rowcount
from clickpro.jobs import QUEUE_CAMPAIGNS, enqueue, get_queue
from clickpro.models import Campaign, Message, MessageStatus, Template, TemplateStatus
from clickpro.models.base import utcnow
from clickpro.services.campaigns import audience, control
from clickpro.services.campaigns.counters import _announce, refresh_counters
from clickpro.services.campaigns.form import CampaignError
from clickpro.services.campaigns.queries import (
    ACTIVE,
    EDITABLE,
    S,
    audience_of,
    get_campaign,
    status_label,
)
from clickpro.services.campaigns.vars import mapping_errors
from clickpro.services.credentials import get_whatsapp_credential

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
    credential = get_whatsapp_credential(campaign.client_id)
    if credential is None:
        errors.append(_("Configure as credenciais do WhatsApp antes de enviar campanhas."))
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
    from clickpro.services.campaigns.sheet import pending_import

    if campaign.id and pending_import(campaign.id) is not None:
        errors.append(_("A importação da planilha ainda não terminou."))
    if not errors and audience_of(campaign).eligible == 0:
        errors.append(_("O público está vazio: nenhum contato elegível nas listas escolhidas."))
    return errors


def start_campaign(
    client_id: int, campaign_id: int, *, now: datetime | None = None, scheduled: bool = False
) -> Campaign:
    """Start now (materialize + dispatch) or schedule; ``scheduled`` = the due job."""
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
                status=S.RUNNING,
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
    audience.materialize(campaign, now)
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign.id).values(materialized_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    db.session.refresh(campaign)
    control.set_state(campaign.id, S.RUNNING)
    refresh_counters(campaign.id)
    enqueue_dispatchers(campaign.id)
    return campaign


def _late_errors(campaign: Campaign) -> list[str]:
    """At the scheduled time only what may have changed since scheduling is re-checked."""
    template = db.session.get(Template, campaign.template_id) if campaign.template_id else None
    if template is None or template.status != TemplateStatus.APPROVED:
        return [_("O modelo deixou de estar aprovado.")]
    if get_whatsapp_credential(campaign.client_id) is None:
        return [_("As credenciais do WhatsApp foram removidas.")]
    return []


def dispatcher_count() -> int:
    """One dispatcher job per worker listening on the campaigns queue (bounded)."""
    limit = int(current_app.config["CAMPAIGN_MAX_DISPATCHERS"])
    if not current_app.config["RQ_ASYNC"]:
        return 1
    try:
        workers = Worker.all(connection=redis_connection(), queue=get_queue(QUEUE_CAMPAIGNS))
        return max(1, min(limit, len(workers)))
    except Exception:  # noqa: BLE001 - Redis down: one job, the watchdog adds more later
        return 1


def enqueue_dispatchers(campaign_id: int) -> None:
    slice_s = int(current_app.config["CAMPAIGN_DISPATCH_SLICE_S"])
    for slot in range(dispatcher_count()):
        # A fresh job id each time (never reuse the id of a job that may still be running);
        # the slot's Redis lease makes extra jobs for a busy slot exit at once.
        enqueue(
            "campaigns.dispatch",
            campaign_id,
            slot,
            queue=QUEUE_CAMPAIGNS,
            job_timeout=slice_s + 300,
        )


# ---------------------------------------------------------------- pause / resume / cancel
def pause_campaign(
    client_id: int, campaign_id: int, reason: str | None = None, *, by: str = "user"
) -> Campaign:
    campaign = get_campaign(client_id, campaign_id)
    if campaign.status == S.PAUSED:
        return campaign
    if campaign.status != S.RUNNING:
        raise CampaignError(_("Só uma campanha em andamento pode ser pausada."))
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign.id, Campaign.status == S.RUNNING)
        .values(status=S.PAUSED, pause_reason=(reason or "")[:500] or None, paused_by=by)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    control.set_state(campaign.id, S.PAUSED)
    db.session.refresh(campaign)
    _announce(campaign)
    return campaign


def resume_campaign(client_id: int, campaign_id: int, *, by: str = "user") -> Campaign:
    campaign = get_campaign(client_id, campaign_id)
    if campaign.status == S.RUNNING:
        return campaign
    if campaign.status != S.PAUSED:
        raise CampaignError(_("Só uma campanha pausada pode ser retomada."))
    if by == "user":
        errors = _late_errors(campaign)
        if errors:
            raise CampaignError(" ".join(errors))
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign.id, Campaign.status == S.PAUSED)
        .values(status=S.RUNNING, pause_reason=None, paused_by=None, heartbeat_at=None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    control.set_state(campaign.id, S.RUNNING)
    db.session.refresh(campaign)
    _announce(campaign)
    enqueue_dispatchers(campaign.id)
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
    cancel_queued_rows(campaign.id)
    db.session.refresh(campaign)
    refresh_counters(campaign.id)
    send_safely(campaign_finished, client_id=client_id, campaign_id=campaign.id, status=S.CANCELLED)
    return campaign


def cancel_queued_rows(campaign_id: int) -> int:
    count = rowcount(
        db.session.execute(
            sa.update(Message)
            .where(Message.campaign_id == campaign_id, Message.status == MessageStatus.QUEUED)
            .values(status=MessageStatus.CANCELLED, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    return count
