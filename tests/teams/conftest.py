"""Fixtures of the teams tests: a client with three agents, a number and conversations."""

from __future__ import annotations

import itertools

import pytest

from clickpro.extensions import db as _db
from clickpro.models import ClientMember
from clickpro.models.base import utcnow

_n = itertools.count(1)


@pytest.fixture
def crew(tenants, create_member, create_whatsapp_credential):
    """Client A with three agents (sorted by id) and a number; client B with its own."""

    class Crew:
        pass

    crew = Crew()
    crew.tenant = tenants.a
    crew.other = tenants.b
    crew.agents = sorted(
        [tenants.a_user, create_member(tenants.a), create_member(tenants.a)], key=lambda u: u.id
    )
    crew.number = create_whatsapp_credential(tenants.a)
    crew.other_number = create_whatsapp_credential(
        tenants.b,
        account={
            "access_token": "sandbox-token-b",
            "waba_id": "100000000000002",
            "phone_number_id": "100000000000099",
            "app_id": "100000000000021",
        },
    )
    crew.other_user = tenants.b_user
    return crew


@pytest.fixture
def new_conversation(create_contact, create_conversation):
    def _make(tenant, number, **state):
        contact = create_contact(tenant, phone=f"+5511977{next(_n):06d}")
        return create_conversation(tenant, contact, number, **state)

    return _make


@pytest.fixture
def set_online(app):
    return _set_online


def _set_online(tenant, user, *, away: bool = False, seen=True) -> None:
    member = _db.session.scalar(
        _db.select(ClientMember).where(
            ClientMember.client_id == tenant.id, ClientMember.user_id == user.id
        )
    )
    member.last_seen_at = utcnow() if seen else None
    member.away_since = utcnow() if away else None
    _db.session.commit()
