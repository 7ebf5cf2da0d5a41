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
from clickpro.models.contacts import CampaignRecipientValues
from clickpro.services.campaigns.numbers import campaign_number
from clickpro.services.campaigns.vars import (
    POLICY_SKIP,
    ContactData,
    referenced_fields,
    required_fields,
    with_row_values,
)
from clickpro.services.contacts.optout import opted_out_clause

OPTED_OUT_REASON = "Contato descadastrado (opt-out)"
MISSING_REASON = "Sem valor para variável mapeada"


@dataclass(frozen=True)
class AudienceCount:
    """The numbers the wizard and the review both show (one computation: ``count_audience``)."""

    total: int  # distinct contacts in the chosen lists, minus exclusion lists
    opted_out: int
    missing: int  # lacking a required value (no default for it): skipped
    eligible: int
    defaulted: int = 0  # eligible but lacking a value that a variable's default fills

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "opted_out": self.opted_out,
            "missing": self.missing,
            "eligible": self.eligible,
            "defaulted": self.defaulted,
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


def _trimmed(value) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.trim(value), "")


def _field_value(field: str, campaign_id: int | None) -> sa.ColumnElement:
    """The contact's value of ``field``; for a sheet campaign its row's value wins."""
    own = Contact.name if field == "name" else Contact.attributes[field].as_string()
    if campaign_id is None:
        return _trimmed(own)
    rv = CampaignRecipientValues
    row_value = rv.name if field == "name" else rv.attributes[field].as_string()
    from_row = (
        sa.select(sa.func.nullif(_trimmed(row_value), ""))
        .where(rv.campaign_id == campaign_id, rv.contact_id == Contact.id)
        .scalar_subquery()
    )
    return sa.func.coalesce(from_row, _trimmed(own))


def _lacks(fields: set[str], campaign_id: int | None = None) -> sa.ColumnElement[bool]:
    """True when the contact lacks a value for one of ``fields``."""
    checks = [_field_value(f, campaign_id) == "" for f in sorted(fields - {"phone"})]
    return sa.or_(*checks) if checks else sa.false()


def _missing(
    variables: dict, policy: str = POLICY_SKIP, campaign_id: int | None = None
) -> sa.ColumnElement[bool]:
    """True when the contact cannot be sent: it lacks a value no default fills."""
    return _lacks(required_fields(variables, policy), campaign_id)


def count_audience(
    client_id: int,
    include: list[int],
    exclude: list[int],
    variables: dict,
    policy: str,
    campaign_id: int | None = None,
) -> AudienceCount:
    """The audience's numbers; the wizard (live) and the campaign review both call this.

    ``campaign_id``: a campaign made from a spreadsheet, whose rows' own values count.
    """
    if not include:
        return AudienceCount(0, 0, 0, 0)
    where = _base_where(client_id, include, exclude)
    opted = _opted_out(client_id)
    missing = sa.and_(sa.not_(opted), _missing(variables, policy, campaign_id))
    defaulted = sa.and_(
        sa.not_(opted),
        sa.not_(_missing(variables, policy, campaign_id)),
        _lacks(referenced_fields(variables), campaign_id),
    )
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((opted, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((missing, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((defaulted, 1), else_=0)), 0),
        )
        .select_from(Contact)
        .where(*where)
    ).one()
    total, opted_n, missing_n, defaulted_n = (int(v) for v in row)
    return AudienceCount(total, opted_n, missing_n, total - opted_n - missing_n, defaulted_n)


def any_eligible(
    client_id: int,
    include: list[int],
    exclude: list[int],
    variables: dict,
    policy: str,
    campaign_id: int | None = None,
) -> bool:
    """Does at least one contact qualify? (Stops at the first: the start of a campaign of a
    million contacts must not count them all.)"""
    if not include:
        return False
    where = [*_base_where(client_id, include, exclude), sa.not_(_opted_out(client_id))]
    where.append(sa.not_(_missing(variables, policy, campaign_id)))
    first = sa.select(sa.literal(1)).select_from(Contact).where(*where).limit(1)
    return db.session.scalar(first) is not None


def recipient_rows(campaign_id: int, contact_ids) -> dict[int, tuple[str, dict]]:
    """{contact id: (name, attributes)} of a sheet campaign's rows for these contacts."""
    ids = list(contact_ids)
    if not ids:
        return {}
    rv = CampaignRecipientValues
    rows = db.session.execute(
        sa.select(rv.contact_id, rv.name, rv.attributes).where(
            rv.campaign_id == campaign_id, rv.contact_id.in_(ids)
        )
    )
    return {cid: (name, attributes or {}) for cid, name, attributes in rows}


def recipient_data(campaign_id: int, contacts) -> dict[int, ContactData]:
    """What each contact's variables are filled from in this campaign: the contact,
    overlaid with its spreadsheet row for a campaign made from one (frozen at import)."""
    contacts = list(contacts)
    rows = recipient_rows(campaign_id, [c.id for c in contacts])
    return {
        c.id: with_row_values(
            ContactData(c.name or "", c.phone_e164, c.attributes or {}), rows.get(c.id)
        )
        for c in contacts
    }


def sample_contact(
    client_id: int,
    include: list[int],
    exclude: list[int],
    variables: dict,
    policy: str,
    campaign_id: int | None = None,
) -> tuple[Contact, ContactData] | None:
    """The contact a preview is rendered for: one who would really receive it (never an
    opted-out or excluded one), else one lacking a value (the preview then says which)."""
    if not include:
        return None
    where = [*_base_where(client_id, include, exclude), sa.not_(_opted_out(client_id))]
    eligible = sa.not_(_missing(variables, policy, campaign_id))
    contact = None
    for extra in (eligible, sa.true()):
        contact = db.session.scalar(
            sa.select(Contact).where(*where, extra).order_by(Contact.id).limit(1)
        )
        if contact is not None:
            break
    if contact is None:
        return None
    data = ContactData(contact.name or "", contact.phone_e164, contact.attributes or {})
    if campaign_id is not None:
        data = with_row_values(data, recipient_rows(campaign_id, [contact.id]).get(contact.id))
    return contact, data


def _insert(dialect: str):
    table = Message.__table__
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _json_literal(dialect: str) -> sa.ColumnElement:
    return sa.literal_column("'{}'::jsonb" if dialect == "postgresql" else "'{}'")


def materialize(campaign: Campaign, now: datetime) -> None:
    """Insert the campaign's messages rows (caller commits). Idempotent.

    Each row carries the number it goes out from (``number_id``: the campaign's number,
    or the client's first for a campaign from before numbers), like every other message.
    """
    include, exclude = list_ids(campaign.id)
    number = campaign_number(campaign)
    dialect = db.engine.dialect.name
    where = _base_where(campaign.client_id, include, exclude)
    opted = _opted_out(campaign.client_id)
    missing = _missing(campaign.variables or {}, campaign.missing_value_policy, campaign.id)
    passes = (
        (opted, MessageStatus.SKIPPED, OPTED_OUT_REASON),
        (missing, MessageStatus.SKIPPED, MISSING_REASON),
        (sa.true(), MessageStatus.QUEUED, None),
    )
    columns = [
        "client_id", "contact_id", "campaign_id", "direction", "author", "type", "body",
        "payload", "template_id", "is_internal_note", "status", "error_title", "attempts",
        "created_at", "updated_at", "number_id",
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
                sa.literal(number.id if number else None, sa.Integer),
            )
            .where(*where, condition)
            .order_by(Contact.id)
        )  # rows (and sends) in contact order
        stmt = _insert(dialect).from_select(columns, select).on_conflict_do_nothing()
        db.session.execute(stmt)
