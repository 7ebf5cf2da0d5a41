"""Who a campaign reaches: lists minus exclusion lists, minus opt-outs, and materializing
one ``messages`` row per contact in a few set-based statements.

Materialization is three ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (opted out →
SKIPPED, missing a mapped value → SKIPPED, the rest → QUEUED), so 100k rows take
seconds and the unique key (campaign_id, contact_id) makes a second row impossible
whatever path or retry runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from clickpro.extensions import db
from clickpro.models import (
    Author,
    Campaign,
    CampaignList,
    Contact,
    ContactListMember,
    Direction,
    Message,
    MessageStatus,
)
from clickpro.services.campaigns.vars import POLICY_SKIP, referenced_fields
from clickpro.services.contacts.optout import opted_out_clause

OPTED_OUT_REASON = "Contato descadastrado (opt-out)"
MISSING_REASON = "Sem valor para variável mapeada"


@dataclass(frozen=True)
class AudienceCount:
    total: int  # distinct contacts in the chosen lists, minus exclusion lists
    opted_out: int
    missing: int  # lacking a mapped value (skipped with policy "skip")
    eligible: int

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "opted_out": self.opted_out,
            "missing": self.missing,
            "eligible": self.eligible,
        }


def list_ids(campaign_id: int) -> tuple[list[int], list[int]]:
    rows = db.session.execute(
        sa.select(CampaignList.list_id, CampaignList.is_exclusion).where(
            CampaignList.campaign_id == campaign_id
        )
    ).all()
    return [r[0] for r in rows if not r[1]], [r[0] for r in rows if r[1]]


def _base_where(client_id: int, include: list[int], exclude: list[int]) -> list:
    members = sa.select(ContactListMember.contact_id).where(ContactListMember.list_id.in_(include))
    where = [Contact.client_id == client_id, Contact.id.in_(members)]
    if exclude:
        excluded = sa.select(ContactListMember.contact_id).where(
            ContactListMember.list_id.in_(exclude)
        )
        where.append(Contact.id.not_in(excluded))
    return where


def _opted_out(client_id: int) -> sa.ColumnElement[bool]:
    return opted_out_clause(client_id, Contact.phone_e164)


def _missing(variables: dict) -> sa.ColumnElement[bool]:
    """True when the contact lacks a value for a field the mapping uses."""
    checks = []
    for field in sorted(referenced_fields(variables)):
        if field == "phone":
            continue
        if field == "name":
            checks.append(sa.func.coalesce(sa.func.trim(Contact.name), "") == "")
        else:
            value = Contact.attributes[field].as_string()
            checks.append(sa.func.coalesce(sa.func.trim(value), "") == "")
    return sa.or_(*checks) if checks else sa.false()


def count_audience(
    client_id: int, include: list[int], exclude: list[int], variables: dict, policy: str
) -> AudienceCount:
    if not include:
        return AudienceCount(0, 0, 0, 0)
    where = _base_where(client_id, include, exclude)
    opted = _opted_out(client_id)
    missing = sa.and_(sa.not_(opted), _missing(variables)) if policy == POLICY_SKIP else sa.false()
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((opted, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((missing, 1), else_=0)), 0),
        )
        .select_from(Contact)
        .where(*where)
    ).one()
    total, opted_n, missing_n = int(row[0]), int(row[1]), int(row[2])
    return AudienceCount(total, opted_n, missing_n, total - opted_n - missing_n)


def any_eligible(
    client_id: int, include: list[int], exclude: list[int], variables: dict, policy: str
) -> bool:
    """Does at least one contact qualify? (Stops at the first: the start of a campaign of a
    million contacts must not count them all.)"""
    if not include:
        return False
    where = [*_base_where(client_id, include, exclude), sa.not_(_opted_out(client_id))]
    if policy == POLICY_SKIP:
        where.append(sa.not_(_missing(variables)))
    first = sa.select(sa.literal(1)).select_from(Contact).where(*where).limit(1)
    return db.session.scalar(first) is not None


def _insert(dialect: str):
    table = Message.__table__
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _json_literal(dialect: str) -> sa.ColumnElement:
    return sa.literal_column("'{}'::jsonb" if dialect == "postgresql" else "'{}'")


def materialize(campaign: Campaign, now: datetime) -> None:
    """Insert the campaign's messages rows (caller commits). Idempotent."""
    include, exclude = list_ids(campaign.id)
    dialect = db.engine.dialect.name
    where = _base_where(campaign.client_id, include, exclude)
    opted = _opted_out(campaign.client_id)
    missing = (
        _missing(campaign.variables or {})
        if campaign.missing_value_policy == POLICY_SKIP
        else sa.false()
    )
    passes = (
        (opted, MessageStatus.SKIPPED, OPTED_OUT_REASON),
        (missing, MessageStatus.SKIPPED, MISSING_REASON),
        (sa.true(), MessageStatus.QUEUED, None),
    )
    columns = [
        "client_id", "contact_id", "campaign_id", "direction", "author", "type", "body",
        "payload", "template_id", "is_internal_note", "status", "error_title", "attempts",
        "created_at", "updated_at",
    ]  # fmt: skip
    for condition, status, reason in passes:
        select = (
            sa.select(
                sa.literal(campaign.client_id),
                Contact.id,
                sa.literal(campaign.id),
                sa.literal(Direction.OUT.value),
                sa.literal(Author.CAMPAIGN.value),
                sa.literal("template"),
                sa.literal(""),
                _json_literal(dialect),
                sa.literal(campaign.template_id),
                sa.false(),
                sa.literal(status.value),
                sa.literal(reason, sa.String),
                sa.literal(0),
                sa.literal(now, Message.__table__.c.created_at.type),
                sa.literal(now, Message.__table__.c.created_at.type),
            )
            .where(*where, condition)
            .order_by(Contact.id)
        )  # rows (and sends) in contact order
        stmt = _insert(dialect).from_select(columns, select).on_conflict_do_nothing()
        db.session.execute(stmt)
