"""The AI activity page (/ai/activity): client admins only, this client's figures only."""

from __future__ import annotations

import re

from clickpro.models import Role


def _figure(html: str, key: str) -> int:
    match = re.search(rf'data-testid="ai-{key}">(\d+)<', html)
    assert match, f"figure {key} not on the page"
    return int(match.group(1))


def test_activity_shows_todays_answers_tokens_failures_and_handoffs(shop, login_as, db):
    shop.say("Oi, tudo bem?")
    shop.sandbox.force_openai("quota")
    shop.say("E o preço?")

    html = login_as(shop.tenant.admin, shop.tenant).get("/ai/activity").get_data(as_text=True)

    assert _figure(html, "answers") == 1
    answer = shop.ai_messages()[0]
    assert (
        _figure(html, "tokens")
        == answer.ai_usage["input_tokens"] + answer.ai_usage["output_tokens"]
    )
    assert _figure(html, "failures") == 1
    assert _figure(html, "handoffs") == 1
    assert html.count("data-run-id=") == 1
    assert f"{answer.ai_usage['latency_ms']} ms" in html
    assert "Maria Cliente" in html


def test_activity_is_for_client_admins(shop, login_as, create_member):
    agent = create_member(shop.tenant, Role.CLIENT_USER)
    assert login_as(agent, shop.tenant).get("/ai/activity").status_code == 403


def test_activity_of_another_client_shows_nothing_of_this_one(shop, login_as, create_client):
    shop.say("Oi")
    other = create_client("Outra Loja")
    html = login_as(other.admin, other).get("/ai/activity").get_data(as_text=True)
    assert _figure(html, "answers") == 0 and "Maria Cliente" not in html


def test_activity_needs_login(client):
    response = client.get("/ai/activity")
    assert response.status_code in (302, 401)


def test_a_run_left_half_done_by_a_dead_worker_counts_as_a_failure(shop, db, create_contact):
    from datetime import timedelta

    from clickpro.models import AIReplyRun
    from clickpro.models.base import utcnow
    from clickpro.services.ai.activity import activity

    contact = create_contact(shop.tenant)
    now = utcnow()
    db.session.add_all(
        [
            AIReplyRun(client_id=shop.tenant.id, contact_id=contact.id, trigger_message_id=1,
                       after_message_id=0, status="SENDING", updated_at=now - timedelta(minutes=20)),
            AIReplyRun(client_id=shop.tenant.id, contact_id=contact.id, trigger_message_id=2,
                       after_message_id=1, status="CLAIMED", updated_at=now),
        ]
    )  # fmt: skip
    db.session.commit()
    assert activity(shop.tenant.id, now).failures == 1  # the fresh one is still running
