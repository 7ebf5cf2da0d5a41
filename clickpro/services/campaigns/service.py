"""Campaigns: save (wizard/API), start, pause, resume, cancel, retry — the one place for
their rules. Every refusal is a :class:`CampaignError` with a pt_BR message, so the UI,
the REST API and Flask-Admin get the same answers.

Sending itself is :mod:`clickpro.services.campaigns.dispatch`; the audience and the materialized
rows are :mod:`clickpro.services.campaigns.audience`; windows, scheduled starts and the
watchdog are :mod:`clickpro.services.campaigns.schedule`.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from rq import Worker

from clickpro.events import campaign_finished, send_safely
from clickpro.extensions import db, redis_connection
from clickpro.jobs import QUEUE_CAMPAIGNS, enqueue, get_queue
from clickpro.models import (
    Campaign,
    CampaignList,
    CampaignStatus,
    ContactList,
    Message,
    MessageStatus,
    Template,
    TemplateStatus,
)
from clickpro.models.base import utcnow
from clickpro.services.campaigns import audience, control
from clickpro.services.campaigns.counters import (  # noqa: F401 (re-exported)
    _announce,
    finish_if_done,
    refresh_counters,
    status_counts,
)
from clickpro.services.campaigns.form import CampaignError, clean_campaign_data
from clickpro.services.campaigns.vars import mapping_errors
from clickpro.services.credentials import get_whatsapp_credential
from clickpro.tenancy import get_owned

log = logging.getLogger(__name__)
S = CampaignStatus
EDITABLE = (S.DRAFT, S.SCHEDULED)
ACTIVE = (S.SCHEDULED, S.RUNNING, S.PAUSED)
TIER_LIMITS = {"TIER_250": 250, "TIER_1K": 1000, "TIER_10K": 10_000, "TIER_100K": 100_000}
RETRYABLE_FAILED_CODES = (131049, 131000)


__all__ = ["CampaignError"]


def get_campaign(client_id: int, campaign_id: int) -> Campaign:
    campaign = get_owned(Campaign, campaign_id, client_id)
    if campaign is None:
        raise CampaignError(_("Campanha não encontrada."))
    return campaign


# ---------------------------------------------------------------- save (wizard / API)
def save_campaign(
    client_id: int,
    data: dict,
    *,
    campaign_id: int | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> Campaign:
    """Create or update a DRAFT/SCHEDULED campaign from wizard or API data."""
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
    credential = get_whatsapp_credential(client_id)
    clean = clean_campaign_data(client_id, data, campaign, credential, now)
    for key in ("name", "template_id", "rate_mps", "batch_size", "batch_interval_s",
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


def status_label(status: str) -> str:
    return {
        S.DRAFT: _("rascunho"), S.SCHEDULED: _("agendada"), S.RUNNING: _("em andamento"),
        S.PAUSED: _("pausada"), S.CANCELLED: _("cancelada"), S.COMPLETED: _("concluída"),
        S.FAILED: _("com falha"),
    }.get(status, status)  # fmt: skip


def audience_of(campaign: Campaign) -> audience.AudienceCount:
    include, exclude = audience.list_ids(campaign.id)
    return audience.count_audience(
        campaign.client_id,
        include,
        exclude,
        campaign.variables or {},
        campaign.missing_value_policy,
    )


def tier_warning(client_id: int, eligible: int) -> str | None:
    credential = get_whatsapp_credential(client_id)
    tier = (credential.messaging_tier or "") if credential else ""
    limit = TIER_LIMITS.get(tier.upper())
    if limit is not None and eligible > limit:
        return _(
            "O público (%(n)s) passa do limite de mensagens do número em 24 h (%(tier)s: "
            "%(limit)s conversas). O excedente será recusado pela Meta.",
            n=eligible, tier=tier, limit=limit,
        )  # fmt: skip
    return None


# ---------------------------------------------------------------- start
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
        if current_app.config.get("RQ_ASYNC", True):
            enqueue("campaigns.start_scheduled", campaign.id, queue=QUEUE_CAMPAIGNS,
                    job_id=f"campaign-{campaign.id}-start", at=campaign.scheduled_at)  # fmt: skip
        return campaign
    # Claim the start atomically: a double click or a duplicate job starts once.
    claimed = db.session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status.in_(allowed))
        .values(
            status=S.RUNNING, started_at=now, paused_by=None, pause_reason=None, heartbeat_at=None
        )  # fmt: skip
        .execution_options(synchronize_session=False)
    ).rowcount
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
    limit = int(current_app.config.get("CAMPAIGN_MAX_DISPATCHERS", 4))
    if not current_app.config.get("RQ_ASYNC", True):
        return 1
    try:
        workers = Worker.all(connection=redis_connection(), queue=get_queue(QUEUE_CAMPAIGNS))
        return max(1, min(limit, len(workers)))
    except Exception:  # noqa: BLE001 - Redis down: one job, the watchdog adds more later
        return 1


def enqueue_dispatchers(campaign_id: int) -> None:
    slice_s = int(current_app.config.get("CAMPAIGN_DISPATCH_SLICE_S", 300))
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
    count = db.session.execute(
        sa.update(Message)
        .where(Message.campaign_id == campaign_id, Message.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.CANCELLED, claimed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count


# ---------------------------------------------------------------- failed / unknown rows
def requeue_rows(campaign: Campaign, where: list, *, mark_retried: bool = False) -> int:
    if campaign.status not in (S.RUNNING, S.PAUSED, S.COMPLETED):
        raise CampaignError(_("Não é possível reenviar mensagens de uma campanha %(s)s.",
                              s=status_label(campaign.status)))  # fmt: skip
    ids = list(
        db.session.scalars(sa.select(Message.id).where(Message.campaign_id == campaign.id, *where))
    )
    if not ids:
        return 0
    for chunk in range(0, len(ids), 1000):
        values: dict = {"status": MessageStatus.QUEUED, "next_attempt_at": None, "claimed_at": None}
        if mark_retried:
            values["retried_at"] = utcnow()
        db.session.execute(
            sa.update(Message).where(Message.id.in_(ids[chunk : chunk + 1000])).values(**values)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    if campaign.status == S.COMPLETED:
        db.session.execute(
            sa.update(Campaign).where(Campaign.id == campaign.id)
            .values(status=S.RUNNING, finished_at=None, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    db.session.commit()
    db.session.refresh(campaign)
    if campaign.status == S.RUNNING:
        control.set_state(campaign.id, S.RUNNING)
        enqueue_dispatchers(campaign.id)
    refresh_counters(campaign.id)
    return len(ids)


def retryable_failed_filter() -> list:
    return [
        Message.status == MessageStatus.FAILED,
        Message.error_code.in_(RETRYABLE_FAILED_CODES),
        Message.retried_at.is_(None),
    ]


def retry_failed(client_id: int, campaign_id: int) -> int:
    """Re-queue the rows that failed with a retryable code (131049…), each only once."""
    campaign = get_campaign(client_id, campaign_id)
    return requeue_rows(campaign, retryable_failed_filter(), mark_retried=True)


def resend_unknown(client_id: int, campaign_id: int) -> int:
    """The admin chose to re-send the rows whose outcome is unknown (may duplicate)."""
    campaign = get_campaign(client_id, campaign_id)
    return requeue_rows(campaign, [Message.status == MessageStatus.UNKNOWN])


def mark_unknown_failed(client_id: int, campaign_id: int) -> int:
    campaign = get_campaign(client_id, campaign_id)
    count = db.session.execute(
        sa.update(Message)
        .where(Message.campaign_id == campaign.id, Message.status == MessageStatus.UNKNOWN)
        .values(
            status=MessageStatus.FAILED,
            failed_at=utcnow(),
            error_title=_("Resultado desconhecido: marcado como falha"),
        )  # fmt: skip
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    refresh_counters(campaign.id)
    return count


def lists_for_client(client_id: int) -> list[ContactList]:
    return list(db.session.scalars(sa.select(ContactList).where(ContactList.client_id == client_id)
                                   .order_by(ContactList.name)))  # fmt: skip
