""" "Resend failed" retries each failed recipient once per failure kind, never per click.

* a recipient that failed with a retryable code is re-sent once for that code; more
  clicks, or the same failure again, send nothing more; a different failure afterwards is
  a new kind and is retried once;
* 131049 (Meta's per-user marketing limit) is not retried at once: it becomes eligible 12 h
  after the failure, then (if it failed again) 24 h after the second failure, then never;
  the campaign page says how many wait and when they open;
* non-retryable failures (131026: not on WhatsApp) are never re-sent.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.extensions import db
from clickpro.models import Contact, Message, MessageRetry
from clickpro.models.accounts import Role
from clickpro.models.base import utcnow
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns import stats

PNID = "100000000000011"
VARS = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}


def _campaign(setup, n: int):
    ids = add_contacts(setup.tenant, n)
    payload = {"name": "C", "template_id": setup.template.id, "variables": VARS, "rate_mps": 80,
               "list_ids": [make_list(setup.tenant, ids).id]}  # fmt: skip
    campaign = svc.save_campaign(setup.tenant.id, payload)
    phones = list(
        db.session.scalars(sa.select(Contact.wa_id).where(Contact.id.in_(ids)).order_by(Contact.id))
    )
    return campaign, phones


def _rows(campaign_id: int) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Message).where(Message.campaign_id == campaign_id).order_by(Message.id)
        )
    )


def _sends_to(recorder, phone: str) -> int:
    """Send requests that reached Meta for ``phone`` (failed ones included)."""
    return sum(1 for p in recorder.payloads if p.get("to") == phone)


def test_a_failure_kind_is_retried_once_whatever_the_clicks(setup, recorder):
    campaign, phones = _campaign(setup, 3)
    setup.sandbox.set_failures(PNID, [{"code": 131000, "to": phones[:1]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    assert [m.status for m in _rows(campaign.id)] == ["FAILED", "SENT", "SENT"]
    assert _sends_to(recorder, phones[0]) == 1
    # Meta still fails it: the first click re-sends it once, the next clicks nothing.
    assert svc.retry_failed(setup.tenant.id, campaign.id) == 1
    assert _rows(campaign.id)[0].status == "FAILED"
    for _ in range(3):
        assert svc.retry_failed(setup.tenant.id, campaign.id) == 0
    assert _sends_to(recorder, phones[0]) == 2
    kinds = db.session.execute(sa.select(MessageRetry.kind, MessageRetry.round)).all()
    assert kinds == [("131000", 1)]


def test_a_new_failure_kind_is_a_new_retry(setup, recorder):
    campaign, phones = _campaign(setup, 2)
    setup.sandbox.set_failures(PNID, [{"code": 131000, "to": phones[:1]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    # The retry now fails differently: 131049, which waits for Meta's back-off.
    setup.sandbox.set_failures(PNID, [{"code": 131049, "to": phones[:1]}])
    assert svc.retry_failed(setup.tenant.id, campaign.id) == 1
    assert _rows(campaign.id)[0].error_code == 131049
    assert svc.retry_failed(setup.tenant.id, campaign.id) == 0
    setup.sandbox.set_failures(PNID, [])
    later = utcnow() + timedelta(hours=12, minutes=1)
    assert svc.retry_failed(setup.tenant.id, campaign.id, now=later) == 1
    assert _rows(campaign.id)[0].status == "SENT"
    assert _sends_to(recorder, phones[0]) == 3


def test_131049_waits_12h_then_24h_then_is_never_retried(setup, recorder):
    campaign, phones = _campaign(setup, 2)
    setup.sandbox.set_failures(PNID, [{"code": 131049, "to": phones[:1]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    failed_at = _rows(campaign.id)[0].failed_at
    retry = svc.retry_failed
    assert retry(setup.tenant.id, campaign.id) == 0  # not immediately
    assert retry(setup.tenant.id, campaign.id, now=failed_at + timedelta(hours=11, minutes=59)) == 0
    assert retry(setup.tenant.id, campaign.id, now=failed_at + timedelta(hours=12, seconds=1)) == 1
    second = _rows(campaign.id)[0]
    assert (second.status, second.error_code) == ("FAILED", 131049)  # Meta held it again
    second_at = second.failed_at
    assert second_at >= failed_at
    assert retry(setup.tenant.id, campaign.id, now=second_at + timedelta(hours=12, seconds=1)) == 0
    assert retry(setup.tenant.id, campaign.id, now=second_at + timedelta(hours=23, minutes=59)) == 0
    assert retry(setup.tenant.id, campaign.id, now=second_at + timedelta(hours=24, seconds=1)) == 1
    assert _rows(campaign.id)[0].status == "FAILED"
    far = utcnow() + timedelta(days=30)
    assert retry(setup.tenant.id, campaign.id, now=far) == 0  # two rounds, then never
    assert _sends_to(recorder, phones[0]) == 3
    rounds = db.session.execute(
        sa.select(MessageRetry.kind, MessageRetry.round).order_by(MessageRetry.round)
    ).all()
    assert rounds == [("131049", 1), ("131049", 2)]


def test_non_retryable_failures_are_never_resent(setup, recorder):
    campaign, phones = _campaign(setup, 2)
    setup.sandbox.set_failures(PNID, [{"code": 131026, "to": phones[:1]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    assert svc.retry_failed(setup.tenant.id, campaign.id, now=utcnow() + timedelta(days=3)) == 0
    assert _sends_to(recorder, phones[0]) == 1


def test_the_page_says_how_many_131049_wait_and_when(setup, login_as, create_member):
    campaign, phones = _campaign(setup, 3)
    setup.sandbox.set_failures(PNID, [{"code": 131049, "to": phones[:2]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    rows = _rows(campaign.id)
    failed = sorted(m.failed_at for m in rows if m.status == "FAILED")
    data = stats.progress(svc.get_campaign(setup.tenant.id, campaign.id))
    waiting = data["waiting_131049"]
    assert waiting["count"] == 2 and data["retryable_failed"] == 0
    assert waiting["first_at"] == (failed[0] + timedelta(hours=12)).isoformat()
    assert waiting["last_at"] == (failed[-1] + timedelta(hours=12)).isoformat()
    local = (failed[0] + timedelta(hours=12)).astimezone(
        __import__("zoneinfo").ZoneInfo(setup.tenant.timezone or "America/Sao_Paulo")
    )
    assert local.strftime("%d/%m/%Y %H:%M") in waiting["text"] and "131049" in waiting["text"]
    # Past the back-off they are no longer waiting: they are ready to resend.
    later = stats.progress(
        svc.get_campaign(setup.tenant.id, campaign.id), failed[-1] + timedelta(hours=12, seconds=1)
    )
    assert later["waiting_131049"]["count"] == 0 and later["retryable_failed"] == 2

    admin = create_member(setup.tenant, Role.CLIENT_ADMIN)
    http = login_as(admin, setup.tenant)
    progress = http.get(f"/campaigns/{campaign.id}/progress.json").get_json()
    assert progress["waiting_131049"]["count"] == 2
    page = http.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-testid="waiting-131049"' in page


def test_repeated_clicks_on_the_page_resend_nothing_more(setup, recorder, login_as, create_member):
    campaign, phones = _campaign(setup, 2)
    setup.sandbox.set_failures(PNID, [{"code": 131000, "to": phones[:1]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    setup.sandbox.set_failures(PNID, [{"code": 131000, "to": phones[:1]}])
    admin = create_member(setup.tenant, Role.CLIENT_ADMIN)
    http = login_as(admin, setup.tenant)
    page = http.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "/retry-failed" in page
    for _ in range(4):
        answer = http.post(f"/campaigns/{campaign.id}/retry-failed")
        assert answer.status_code == 302
    assert _sends_to(recorder, phones[0]) == 2  # the first send and one retry
