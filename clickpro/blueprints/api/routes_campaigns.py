"""/api/v1 campaigns (``services.campaigns``): create, read, start/pause/resume/cancel."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.blueprints.api.auth import ApiError, Caller
from clickpro.blueprints.api.registry import id_desc_page, int_cursor, not_found, operation
from clickpro.blueprints.api.routes_messages import message_page
from clickpro.blueprints.api.schemas import PageQuery
from clickpro.blueprints.api.schemas_messaging import (
    CampaignCostOut,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    Counters,
    MessagePage,
    StatusQuery,
)
from clickpro.extensions import db
from clickpro.models import Campaign, CampaignList, Message
from clickpro.services.campaigns import service as campaigns
from clickpro.services.campaigns.form import CampaignError
from clickpro.services.campaigns.numbers import campaign_number
from clickpro.services.costs.reports import campaign_cost
from clickpro.tenancy import get_owned

T = "campaigns"


def _lists(campaign_id: int) -> tuple[list[int], list[int]]:
    rows = db.session.execute(
        sa.select(CampaignList.list_id, CampaignList.is_exclusion).where(
            CampaignList.campaign_id == campaign_id
        )
    ).all()
    return sorted(r[0] for r in rows if not r[1]), sorted(r[0] for r in rows if r[1])


def campaign_out(row: Campaign, counts: dict | None = None) -> CampaignOut:
    include, exclude = _lists(row.id)
    counts = counts if counts is not None else (row.counters or {})
    number = campaign_number(row)
    return CampaignOut(
        id=row.id,
        name=row.name,
        phone_number_id=number.phone_number_id if number else None,
        status=row.status,
        template_id=row.template_id,
        list_ids=include,
        exclude_list_ids=exclude,
        variables=dict(row.variables or {}),
        rate_mps=row.rate_mps,
        batch_size=row.batch_size,
        batch_interval_s=row.batch_interval_s,
        scheduled_at=row.scheduled_at,
        send_window=row.send_window,
        counters=Counters(**{k: int(v) for k, v in counts.items() if k in Counters.model_fields}),
        pause_reason=row.pause_reason,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        cost=CampaignCostOut(**campaign_cost(row).as_api()),
    )


def _owned(caller: Caller, campaign_id: int) -> Campaign:
    row = get_owned(Campaign, campaign_id, caller.client_id)
    if row is None:
        raise not_found(message=_("Campanha não encontrada."))
    return row


def refused(exc: CampaignError, status: int = 409) -> ApiError:
    code = "campaign_refused" if status == 409 else "validation_error"
    return ApiError(status, code, str(exc), {"campaign": [str(exc)]})


@operation("/campaigns", "GET", summary="List campaigns", tag=T, query=PageQuery,
           response=CampaignPage, errors=(422,))  # fmt: skip
def list_campaigns(caller: Caller, query: PageQuery):
    stmt = sa.select(Campaign).where(Campaign.client_id == caller.client_id)
    rows, next_cursor = id_desc_page(Campaign, stmt, query.cursor, query.limit)
    return CampaignPage(data=[campaign_out(r) for r in rows], next_cursor=next_cursor)


@operation("/campaigns", "POST", summary="Create a campaign (status DRAFT)", tag=T,
           body=CampaignIn, response=CampaignOut, status=201,
           errors=(400, 409, 415, 422), idempotent=True)  # fmt: skip
def create_campaign(caller: Caller, body: CampaignIn):
    data = body.model_dump(exclude_none=True, mode="json")
    data["variables"] = body.variables.model_dump(exclude_none=True)
    if body.scheduled_at is not None:
        data["scheduled_at"] = body.scheduled_at
    try:
        row = campaigns.save_campaign(caller.client_id, data)
    except CampaignError as exc:
        db.session.rollback()
        raise refused(exc, 422) from None
    return campaign_out(row, campaigns.status_counts(row.id)), 201


@operation("/campaigns/<int:campaign_id>", "GET", summary="A campaign with counters by status",
           tag=T, response=CampaignOut, errors=(404,))  # fmt: skip
def get_campaign(caller: Caller, campaign_id: int):
    row = _owned(caller, campaign_id)
    return campaign_out(row, campaigns.status_counts(row.id))


def _control(caller: Caller, campaign_id: int, action) -> CampaignOut:
    _owned(caller, campaign_id)
    try:
        row = action(caller.client_id, campaign_id)
    except CampaignError as exc:
        db.session.rollback()
        raise refused(exc) from None
    db.session.expire_all()
    row = _owned(caller, campaign_id)
    return campaign_out(row, campaigns.status_counts(row.id))


@operation("/campaigns/<int:campaign_id>/start", "POST", summary="Start (or schedule) a campaign",
           tag=T, response=CampaignOut, errors=(404, 409))  # fmt: skip
def start_campaign(caller: Caller, campaign_id: int):
    """Starts now, or SCHEDULED when the campaign has a future ``scheduled_at``."""
    return _control(caller, campaign_id, campaigns.start_campaign)


@operation("/campaigns/<int:campaign_id>/pause", "POST", summary="Pause a running campaign",
           tag=T, response=CampaignOut, errors=(404, 409))  # fmt: skip
def pause_campaign(caller: Caller, campaign_id: int):
    return _control(caller, campaign_id, campaigns.pause_campaign)


@operation("/campaigns/<int:campaign_id>/resume", "POST", summary="Resume a paused campaign",
           tag=T, response=CampaignOut, errors=(404, 409))  # fmt: skip
def resume_campaign(caller: Caller, campaign_id: int):
    return _control(caller, campaign_id, campaigns.resume_campaign)


@operation("/campaigns/<int:campaign_id>/cancel", "POST", summary="Cancel a campaign",
           tag=T, response=CampaignOut, errors=(404, 409))  # fmt: skip
def cancel_campaign(caller: Caller, campaign_id: int):
    return _control(caller, campaign_id, campaigns.cancel_campaign)


@operation("/campaigns/<int:campaign_id>/messages", "GET", summary="Per-recipient results",
           tag=T, query=StatusQuery, response=MessagePage, errors=(404, 422))  # fmt: skip
def campaign_messages(caller: Caller, campaign_id: int, query: StatusQuery):
    row = _owned(caller, campaign_id)
    stmt = sa.select(Message).where(
        Message.client_id == caller.client_id, Message.campaign_id == row.id
    )
    if query.status:
        stmt = stmt.where(Message.status == query.status.upper())
    cursor = int_cursor(query.cursor)
    if cursor is not None:
        stmt = stmt.where(Message.id > cursor)
    rows = list(db.session.scalars(stmt.order_by(Message.id).limit(query.limit + 1)))
    return message_page(rows, query.limit)
