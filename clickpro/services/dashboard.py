"""Figures for a client's dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import (
    Campaign,
    Client,
    Contact,
    Conversation,
    Message,
    OpenAICredential,
    Template,
    TemplateStatus,
    WhatsAppCredential,
)
from clickpro.models.base import utcnow
from clickpro.services.accounts.validation import safe_zone
from clickpro.services.reports.sparklines import sparklines_for


@dataclass
class DashboardFigures:
    contacts: int = 0
    campaigns_by_status: dict[str, int] = field(default_factory=dict)
    messages_today_by_status: dict[str, int] = field(default_factory=dict)
    unread_conversations: int = 0
    has_whatsapp: bool = False
    has_openai: bool = False
    approved_templates: int = 0
    sparklines: list = field(default_factory=list)  # h7: today + 30 days per metric


def start_of_today(client: Client) -> datetime:
    tz = safe_zone(client.timezone)  # a bad stored zone: São Paulo, logged
    local = utcnow().astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def figures_for(client: Client) -> DashboardFigures:
    cid = client.id
    count = sa.func.count()

    def grouped(column, *where) -> dict[str, int]:
        stmt = sa.select(column, count).where(*where).group_by(column)
        return {key: n for key, n in db.session.execute(stmt)}

    return DashboardFigures(
        contacts=db.session.scalar(sa.select(count).where(Contact.client_id == cid)) or 0,
        campaigns_by_status=grouped(Campaign.status, Campaign.client_id == cid),
        messages_today_by_status=grouped(
            Message.status,
            Message.client_id == cid,
            Message.created_at >= start_of_today(client),
        ),
        unread_conversations=db.session.scalar(
            # one per contact per number: a customer on two numbers can count twice
            sa.select(count).where(Conversation.client_id == cid, Conversation.unread_count > 0)
        )
        or 0,
        has_whatsapp=db.session.scalar(
            sa.select(WhatsAppCredential.id).where(WhatsAppCredential.client_id == cid)
        )
        is not None,
        has_openai=db.session.scalar(
            sa.select(OpenAICredential.id).where(OpenAICredential.client_id == cid)
        )
        is not None,
        sparklines=sparklines_for(client),
        approved_templates=db.session.scalar(
            sa.select(count).where(
                Template.client_id == cid, Template.status == TemplateStatus.APPROVED
            )
        )
        or 0,
    )
