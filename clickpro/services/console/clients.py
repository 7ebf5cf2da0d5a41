"""Per client (and per number) health over ALL clients, in a fixed number of queries.

Every figure is one grouped query over every client at once (never a query per client),
so the console opens as fast with 500 clients as with 5: clients, numbers, OpenAI keys,
template problems, failing outbound endpoints, dead letters, AI spend, WhatsApp spend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from clickpro.extensions import db
from clickpro.models import (
    Author,
    Client,
    CredentialStatus,
    Message,
    MessageStatus,
    OpenAICredential,
    Template,
    TemplateStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WhatsAppCredential,
)
from clickpro.models.api import DeliveryStatus
from clickpro.models.base import utcnow
from clickpro.models.media import MessageMedia

# Meta's number quality: GREEN (high), YELLOW (medium), RED (low); UNKNOWN / None = no data.
BAD_QUALITY = frozenset({"YELLOW", "RED", "LOW", "MEDIUM", "FLAGGED"})
TEMPLATE_PROBLEMS = (TemplateStatus.PAUSED, TemplateStatus.REJECTED, TemplateStatus.DISABLED)
CHARGED = (MessageStatus.DELIVERED, MessageStatus.READ)
FAILED_DELIVERY_WINDOW = timedelta(hours=24)
RECENT_DELIVERIES = 50  # an endpoint's latest deliveries looked at for recent failures


@dataclass
class NumberRow:
    id: int
    display_name: str
    phone: str
    quality_rating: str | None
    messaging_tier: str | None
    status: str
    last_error: str | None

    @property
    def quality_bad(self) -> bool:
        return (self.quality_rating or "").upper() in BAD_QUALITY

    @property
    def failing(self) -> bool:
        return self.status == CredentialStatus.INVALID


@dataclass
class ClientRow:
    id: int
    name: str
    slug: str
    is_active: bool
    numbers: list[NumberRow] = field(default_factory=list)
    openai_status: str | None = None
    templates: dict[str, int] = field(default_factory=dict)  # PAUSED/REJECTED/DISABLED → n
    failing_endpoints: int = 0
    failed_deliveries: int = 0
    dead_letters: int = 0
    ai_spend: Decimal = Decimal(0)
    whatsapp_spend: dict[str, Decimal] = field(default_factory=dict)  # currency → amount

    @property
    def failing_credentials(self) -> int:
        invalid_numbers = sum(1 for n in self.numbers if n.failing)
        return invalid_numbers + (1 if self.openai_status == CredentialStatus.INVALID else 0)

    @property
    def bad_quality(self) -> int:
        return sum(1 for n in self.numbers if n.quality_bad)

    @property
    def template_problems(self) -> int:
        return sum(self.templates.values())

    @property
    def whatsapp_total(self) -> Decimal:
        """For sorting: the amounts of every currency added (a client normally has one)."""
        return sum(self.whatsapp_spend.values(), Decimal(0))

    @property
    def problems(self) -> int:
        """How many kinds of trouble the client has (0: nothing to look at)."""
        return sum(
            1
            for n in (
                self.bad_quality,
                self.template_problems,
                self.failing_credentials,
                self.failing_endpoints,
                self.dead_letters,
            )
            if n
        )


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def client_rows(now: datetime | None = None) -> list[ClientRow]:
    """One row per client (ordered by name), every figure filled in."""
    now = now or utcnow()
    rows = {
        cid: ClientRow(id=cid, name=name, slug=slug, is_active=active)
        for cid, name, slug, active in db.session.execute(
            sa.select(Client.id, Client.name, Client.slug, Client.is_active).order_by(
                Client.name, Client.id
            )
        )
    }
    _numbers(rows)
    _openai(rows)
    _templates(rows)
    _endpoints(rows, now - FAILED_DELIVERY_WINDOW)
    _dead_letters(rows)
    _spend(rows, month_start(now))
    return list(rows.values())


def _numbers(rows: dict[int, ClientRow]) -> None:
    w = WhatsAppCredential
    stmt = (
        sa.select(
            w.id,
            w.client_id,
            w.display_name,
            w.display_phone_number,
            w.quality_rating,
            w.messaging_tier,
            w.status,
            w.last_error,
        )  # fmt: skip
        .where(w.archived_at.is_(None))
        .order_by(w.client_id, w.id)
    )
    for r in db.session.execute(stmt):
        row = rows.get(r.client_id)
        if row is not None:
            row.numbers.append(
                NumberRow(
                    id=r.id,
                    display_name=r.display_name or "",
                    phone=r.display_phone_number or "",
                    quality_rating=r.quality_rating,
                    messaging_tier=r.messaging_tier,
                    status=r.status,
                    last_error=(r.last_error or "")[:200] or None,
                )
            )


def _openai(rows: dict[int, ClientRow]) -> None:
    stmt = sa.select(OpenAICredential.client_id, OpenAICredential.status)
    for client_id, status in db.session.execute(stmt):
        if client_id in rows:
            rows[client_id].openai_status = status


def _templates(rows: dict[int, ClientRow]) -> None:
    stmt = (
        sa.select(Template.client_id, Template.status, sa.func.count())
        .where(Template.status.in_(TEMPLATE_PROBLEMS))
        .group_by(Template.client_id, Template.status)
    )
    for client_id, status, n in db.session.execute(stmt):
        if client_id in rows:
            rows[client_id].templates[str(status)] = int(n)


def _endpoints(rows: dict[int, ClientRow], since: datetime) -> None:
    """Active endpoints backing off (``failures`` over the setting) or with a failed
    delivery in the last 24 h among their latest :data:`RECENT_DELIVERIES` (read through
    the ``(endpoint_id, id)`` index, so the deliveries' whole history is never scanned)."""
    failing_after = int(current_app.config["OUTBOUND_WEBHOOK_FAILING_AFTER"])
    e = WebhookEndpoint
    d = WebhookDelivery
    latest = (
        sa.select(d.status, d.updated_at)
        .where(d.endpoint_id == e.id)
        .order_by(d.id.desc())
        .limit(RECENT_DELIVERIES)
        .correlate(e)
        .subquery()
    )
    failed = (
        sa.select(sa.func.count())
        .select_from(latest)
        .where(latest.c.status == DeliveryStatus.FAILED, latest.c.updated_at >= since)
        .scalar_subquery()
    )
    stmt = sa.select(e.client_id, e.failures, failed).where(e.is_active.is_(True))
    for client_id, failures, n_failed in db.session.execute(stmt):
        row = rows.get(client_id)
        if row is not None and (failures >= failing_after or n_failed):
            row.failing_endpoints += 1
            row.failed_deliveries += int(n_failed or 0)


def _dead_letters(rows: dict[int, ClientRow]) -> None:
    ev = WebhookEvent
    stmt = (
        sa.select(ev.client_id, sa.func.count())
        .where(ev.dead_at.is_not(None), ev.processed_at.is_(None), ev.client_id.is_not(None))
        .group_by(ev.client_id)
    )
    for client_id, n in db.session.execute(stmt):
        if client_id in rows:
            rows[client_id].dead_letters = int(n)


def unrouted_dead_letters() -> int:
    """Dead letters that belong to no client (unknown number, unreadable body)."""
    ev = WebhookEvent
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                ev.dead_at.is_not(None), ev.processed_at.is_(None), ev.client_id.is_(None)
            )
        )
        or 0
    )


def _per_client(rows: dict[int, ClientRow], *columns) -> list[sa.Row]:
    """``columns`` (correlated scalar subqueries on ``Client.id``) for every client.

    One statement; the database runs each subquery per client through the
    ``(client_id, …)`` indexes of messages, reading only this month's rows of each client
    (a plain GROUP BY over all clients would scan the table's whole history)."""
    if not rows:
        return []
    return list(db.session.execute(sa.select(Client.id, *columns)))


def _spend(rows: dict[int, ClientRow], start: datetime) -> None:
    """This month's AI spend (replies + voice-note transcripts, as
    ``services.costs.ai_spend``) and WhatsApp spend (delivered messages' cost, as
    ``services.costs.reports``), for every client in one statement."""
    m = Message
    ai = (
        sa.select(sa.func.coalesce(sa.func.sum(m.ai_usage["cost"].as_float()), 0))
        .where(m.client_id == Client.id, m.created_at >= start, m.author == Author.AI)
        .scalar_subquery()
    )
    media = MessageMedia
    transcripts = (
        sa.select(sa.func.coalesce(sa.func.sum(media.transcript_usage["cost"].as_float()), 0))
        .where(media.client_id == Client.id, media.created_at >= start)
        .scalar_subquery()
    )
    priced = [
        m.client_id == Client.id,
        m.pricing_category.is_not(None),  # ix_messages_client_priced (partial)
        m.delivered_at >= start,
        m.status.in_(CHARGED),
        m.cost.is_not(None),
    ]
    amount = sa.select(sa.func.sum(m.cost)).where(*priced).scalar_subquery()
    currencies = sa.select(sa.func.count(sa.distinct(m.cost_currency))).where(*priced)
    currency = sa.select(sa.func.max(m.cost_currency)).where(*priced).scalar_subquery()
    mixed: list[int] = []
    for client_id, ai_cost, transcript_cost, total, n_currencies, code in _per_client(
        rows, ai, transcripts, amount, currencies.scalar_subquery(), currency
    ):
        row = rows.get(client_id)
        if row is None:
            continue
        ai_total = float(ai_cost or 0) + float(transcript_cost or 0)
        if ai_total:
            row.ai_spend = Decimal(str(round(ai_total, 6)))
        if n_currencies and n_currencies > 1:
            mixed.append(client_id)
        elif total:
            row.whatsapp_spend[code or ""] = Decimal(str(total))
    if mixed:  # rare: a client charged in two currencies this month
        stmt = (
            sa.select(m.client_id, m.cost_currency, sa.func.sum(m.cost))
            .where(*priced[1:], m.client_id.in_(mixed))
            .group_by(m.client_id, m.cost_currency)
        )
        for client_id, code, total in db.session.execute(stmt):
            if total:
                rows[client_id].whatsapp_spend[code or ""] = Decimal(str(total))
