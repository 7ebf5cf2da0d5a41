"""A small hand-made world for the report tests (client in America/Sao_Paulo, UTC−3).

Local day 09/11/2026 and 10/11/2026; every expected figure in the tests is computed by
hand from what is written here.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from report_seed import add_message, at

from clickpro.extensions import db
from clickpro.models import (
    AIReplyRun,
    Campaign,
    ConversationCycle,
    CsatSurvey,
    OptOut,
    Team,
)


@pytest.fixture
def world(
    create_client, create_whatsapp_credential, create_contact, create_conversation, create_member
):
    tenant = create_client("Loja Relatórios", timezone="America/Sao_Paulo")
    n1 = create_whatsapp_credential(tenant, display_name="Vendas")
    n2 = create_whatsapp_credential(
        tenant,
        account={
            "access_token": "t2",
            "waba_id": "100000000000001",
            "phone_number_id": "100000000000099",
            "app_id": "100000000000021",
        },
        display_name="Suporte",
    )
    c1, c2, c3, c4 = (create_contact(tenant, f"+5511990000{i:03d}") for i in range(1, 5))
    campaign = Campaign(
        client_id=tenant.id, name="Black Friday", status="COMPLETED", number_id=n1.id
    )
    db.session.add(campaign)
    db.session.commit()
    money = {"pricing_category": "marketing", "cost_currency": "BRL"}
    # Local 09/11: 23:30 local = 02:30 UTC on the 10th (time-zone boundary)
    m1 = add_message(tenant, c1, n1, created_at=at(10, 2, 30))
    # the campaign at 12:00 local (15:00 UTC on the 9th)
    add_message(tenant, c2, n1, direction="OUT", author="CAMPAIGN", campaign_id=campaign.id,
                status="READ", created_at=at(9, 15), sent_at=at(9, 15), delivered_at=at(9, 15, 1),
                read_at=at(9, 15, 5), cost=Decimal("0.0625"), **money)  # fmt: skip
    add_message(tenant, c3, n1, direction="OUT", author="CAMPAIGN", campaign_id=campaign.id,
                status="FAILED", error_code=131026, created_at=at(9, 15))  # fmt: skip
    m4 = add_message(tenant, c4, n1, direction="OUT", author="CAMPAIGN", campaign_id=campaign.id,
                     status="DELIVERED", created_at=at(9, 15), sent_at=at(9, 15),
                     delivered_at=at(9, 15, 2), cost=Decimal("0.0625"), **money)  # fmt: skip
    add_message(tenant, c2, n1, created_at=at(9, 16), body="Quero!")  # c2 replies
    db.session.add(OptOut(client_id=tenant.id, phone_e164=c4.phone_e164, source="keyword",
                          created_at=at(9, 17)))  # fmt: skip
    db.session.commit()
    # Local 10/11: 00:30 local = 03:30 UTC
    add_message(tenant, c1, n1, created_at=at(10, 3, 30))
    add_message(tenant, c1, n1, direction="OUT", author="AI", created_at=at(10, 3, 31),
                ai_usage={"cost": 0.002, "input_tokens": 100})  # fmt: skip
    add_message(tenant, c1, n2, direction="OUT", author="AGENT", status="DELIVERED",
                created_at=at(10, 12), sent_at=at(10, 12), delivered_at=at(10, 12, 1),
                cost=Decimal("0"), pricing_category="service", cost_currency="BRL")  # fmt: skip
    # an internal note never counts
    add_message(tenant, c1, n1, direction="OUT", author="AGENT", is_internal_note=True,
                created_at=at(10, 13))  # fmt: skip

    # Service: team "Atendimento" with 5 cycles; agent Ana on 3 of them
    team = Team(client_id=tenant.id, name="Atendimento")
    db.session.add(team)
    db.session.commit()
    ana = create_member(tenant, name="Ana")
    convs = [create_conversation(tenant, c, n1) for c in (c1, c2, c3, c4)]
    conv5 = create_conversation(tenant, c1, n2)
    frt = [60, 120, 300, 600, 1200]  # median 300, p90 = 600 + 0.6 × 600 = 960
    res = [600, 1800, None, 3600, 7200]  # resolved ones: median 2700, p90 6120
    opened = [at(9, 12), at(9, 13), at(9, 14), at(10, 12), at(10, 13)]  # local: 9,9,9,10,10
    agents = [ana.id, ana.id, None, ana.id, None]
    cycles = []
    for i, conv in enumerate([*convs, conv5]):
        cycle = ConversationCycle(
            client_id=tenant.id, conversation_id=conv.id, number_id=conv.number_id,
            team_id=team.id, agent_user_id=agents[i], opened_at=opened[i],
            first_response_at=opened[i], first_response_seconds=frt[i],
            resolved_at=None if res[i] is None else at(10, 20, i),
            resolution_seconds=res[i],
        )  # fmt: skip
        db.session.add(cycle)
        cycles.append(cycle)
    db.session.commit()
    # AI replied inside cycles 0 (handled by Ana) and 4 (nobody human): containment 1 of 2
    add_message(tenant, c1, n2, direction="OUT", author="AI", conversation_id=conv5.id,
                created_at=at(10, 13, 5))  # fmt: skip
    add_message(tenant, c1, n1, direction="OUT", author="AI", conversation_id=convs[0].id,
                created_at=at(9, 12, 1))  # fmt: skip
    # AI runs: 3 answered, 1 handoff → handoff rate 25 %
    outcomes = ["answered", "answered", "answered", "handoff_keyword"]
    for i, outcome in enumerate(outcomes):
        db.session.add(AIReplyRun(client_id=tenant.id, contact_id=c1.id, conversation_id=convs[0].id,
                                  trigger_message_id=m1.id * 100 + i, after_message_id=i,
                                  status="DONE", outcome=outcome, created_at=at(9, 18, i),
                                  intent_usage={"cost": 0.001} if i == 0 else None))  # fmt: skip
    db.session.add(AIReplyRun(client_id=tenant.id, contact_id=c1.id, conversation_id=conv5.id,
                              trigger_message_id=m1.id * 100 + 9, after_message_id=0,
                              status="DONE", outcome="answered", created_at=at(10, 13, 5)))  # fmt: skip
    # CSAT: 5, 4, 5, 2 answered, one unanswered → average 4.0, 4 of 5 = 80 %
    for i, score in enumerate([5, 4, 5, None, 2]):
        db.session.add(CsatSurvey(client_id=tenant.id, conversation_id=convs[i % 4].id,
                                  cycle_id=cycles[i].id, team_id=team.id, score=score,
                                  status="RATED" if score else "EXPIRED", asked_at=at(10, 21, i)))  # fmt: skip
    db.session.commit()
    return SimpleNamespace(
        tenant=tenant, n1=n1, n2=n2, campaign=campaign, team=team, ana=ana, m4=m4,
        contacts=(c1, c2, c3, c4),
    )  # fmt: skip
