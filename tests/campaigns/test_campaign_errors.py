"""Meta error codes, auto-pauses, retry-failed, UNKNOWN rows and send windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.extensions import db
from clickpro.integrations.meta import GraphError
from clickpro.labels import label
from clickpro.models import Campaign, Contact, Message, Notification, OptOut, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.campaigns import dispatchers
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns.dispatch_outcome import classify
from clickpro.services.campaigns.schedule import expire_sending, in_window, tick
from clickpro.tasks.campaigns import dispatch

PNID = "100000000000011"
VARS = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}


def campaign_for(setup, n=3, **data):
    ids = add_contacts(setup.tenant, n)
    lst = make_list(setup.tenant, ids)
    payload = {"name": "C", "template_id": setup.template.id, "list_ids": [lst.id], "variables": VARS,
               "rate_mps": 80}  # fmt: skip
    payload.update(data)
    campaign = svc.save_campaign(setup.tenant.id, payload)
    phones = list(
        db.session.scalars(sa.select(Contact.wa_id).where(Contact.id.in_(ids)).order_by(Contact.id))
    )
    return campaign, phones


def rows(campaign_id) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Message).where(Message.campaign_id == campaign_id).order_by(Message.id)
        )
    )


def status_of(campaign_id) -> Campaign:
    db.session.expire_all()
    return db.session.get(Campaign, campaign_id)


RATE_CODES = [130429, 80007, 4, 131056, 131057]
PERMANENT_CODES = [131026, 132000, 132012, 131048]


def test_rate_errors_back_off_and_retry_later(setup, app):
    app.config["CAMPAIGN_DISPATCH_SLICE_S"] = 0.4
    campaign, phones = campaign_for(setup, n=len(RATE_CODES) + 1)
    rules = [{"code": code, "to": [phone]} for code, phone in zip(RATE_CODES, phones, strict=False)]
    setup.sandbox.set_failures(PNID, rules)
    svc.start_campaign(setup.tenant.id, campaign.id)
    messages = rows(campaign.id)
    for code, message in zip(RATE_CODES, messages, strict=False):
        assert (message.status, message.error_code) == ("QUEUED", code)  # backed off, not failed
        assert message.next_attempt_at is not None and message.attempts >= 1
    assert messages[-1].status == "SENT"
    assert status_of(campaign.id).status == "RUNNING"
    setup.sandbox.set_failures(PNID, [])
    db.session.execute(sa.update(Message).values(next_attempt_at=None))
    db.session.commit()
    assert dispatch(campaign.id) == "drained"
    assert [m.status for m in rows(campaign.id)] == ["SENT"] * len(messages)
    assert status_of(campaign.id).status == "COMPLETED"


def test_permanent_errors_fail_the_row_with_code_and_title(setup):
    campaign, phones = campaign_for(setup, n=len(PERMANENT_CODES) + 1)
    rules = [
        {"code": code, "to": [phone]} for code, phone in zip(PERMANENT_CODES, phones, strict=False)
    ]
    setup.sandbox.set_failures(PNID, rules)
    svc.start_campaign(setup.tenant.id, campaign.id)
    messages = rows(campaign.id)
    for code, message in zip(PERMANENT_CODES, messages, strict=False):
        assert (message.status, message.error_code) == ("FAILED", code) and message.error_title
    assert messages[-1].status == "SENT"
    assert status_of(campaign.id).status == "COMPLETED"
    assert status_of(campaign.id).counters["failed"] == len(PERMANENT_CODES)


def test_131050_fails_and_opts_the_contact_out(setup):
    campaign, phones = campaign_for(setup)
    setup.sandbox.set_failures(PNID, [{"code": 131050, "to": [phones[2]]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    assert rows(campaign.id)[2].status == "FAILED"
    opt = db.session.scalar(sa.select(OptOut).where(OptOut.client_id == setup.tenant.id))
    assert opt.phone_e164 == "+" + phones[2] and opt.source == "meta"


def test_131049_retry_failed_resends_only_those_rows_once(setup, recorder):
    campaign, phones = campaign_for(setup, n=4)
    setup.sandbox.set_failures(PNID, [{"code": 131049, "to": phones[:2]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    assert [m.status for m in rows(campaign.id)] == ["FAILED", "FAILED", "SENT", "SENT"]
    setup.sandbox.set_failures(PNID, [])
    before = len(recorder.payloads)
    assert svc.retry_failed(setup.tenant.id, campaign.id) == 0  # Meta's back-off first
    later = utcnow() + timedelta(hours=13)
    assert svc.retry_failed(setup.tenant.id, campaign.id, now=later) == 2
    resent = [p["to"] for p in recorder.payloads[before:]]
    assert sorted(resent) == sorted(phones[:2])
    assert [m.status for m in rows(campaign.id)] == ["SENT"] * 4
    assert svc.retry_failed(setup.tenant.id, campaign.id, now=later) == 0
    assert len(recorder.payloads) == before + 2


def test_131049_not_retried_again_before_its_second_back_off(setup):
    campaign, phones = campaign_for(setup, n=2)
    setup.sandbox.set_failures(PNID, [{"code": 131049, "to": phones[:1]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    later = utcnow() + timedelta(hours=13)
    assert svc.retry_failed(setup.tenant.id, campaign.id, now=later) == 1
    assert rows(campaign.id)[0].status == "FAILED"
    assert svc.retry_failed(setup.tenant.id, campaign.id, now=later) == 0


def test_retry_state_is_a_column_and_the_error_title_stays_meta_s(setup):
    campaign, phones = campaign_for(setup, n=2)
    setup.sandbox.set_failures(PNID, [{"code": 131049, "to": phones[:1]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    first = rows(campaign.id)[0]
    title = first.error_title
    assert first.retried_at is None and title and not title.startswith("[retry]")
    assert svc.retry_failed(setup.tenant.id, campaign.id, now=utcnow() + timedelta(hours=13)) == 1
    again = rows(campaign.id)[0]
    assert again.status == "FAILED" and again.retried_at is not None
    assert again.error_title == title  # no marker text left in what users read
    from clickpro.services.campaigns import stats

    assert [f["title"] for f in stats.failures(campaign.id)] == [title]


def test_token_refused_pauses_with_notification(setup):
    campaign, _ = campaign_for(setup)
    setup.sandbox.revoke_token("sandbox-token")
    svc.start_campaign(setup.tenant.id, campaign.id)
    c = status_of(campaign.id)
    assert c.status == "PAUSED" and c.paused_by == "system" and "reconecte" in c.pause_reason
    assert {m.status for m in rows(campaign.id)} == {"QUEUED"}
    note = db.session.scalar(
        sa.select(Notification).where(Notification.client_id == setup.tenant.id)
    )
    assert note.kind == "campaign_paused" and "reconecte" in note.text


def test_template_paused_at_meta_pauses_campaign(setup):
    campaign, _ = campaign_for(setup)
    template = setup.sandbox.templates.find("100000000000001", "oferta", "pt_BR")
    setup.sandbox.templates.set_status(template["id"], "PAUSED")
    svc.start_campaign(setup.tenant.id, campaign.id)
    c = status_of(campaign.id)
    assert c.status == "PAUSED" and "132015" in c.pause_reason
    assert (
        Notification.query.filter_by(client_id=setup.tenant.id, kind="campaign_paused").count() == 1
    )


def no_dispatchers(monkeypatch) -> None:
    """Dispatcher jobs are not enqueued (the test drives ``dispatch`` itself)."""
    for module in (dispatchers, svc):
        monkeypatch.setattr(module, "enqueue_dispatchers", lambda campaign_id: None)


def test_template_row_disabled_or_credentials_removed_mid_run(setup, monkeypatch):
    no_dispatchers(monkeypatch)
    campaign, _ = campaign_for(setup)
    svc.start_campaign(setup.tenant.id, campaign.id)
    setup.template.status = "DISABLED"
    db.session.commit()
    assert dispatch(campaign.id) == "paused"
    # people read the reason: the template status is named by its label, not Meta's code
    reason = status_of(campaign.id).pause_reason
    assert label("template", "DISABLED") in reason and "DISABLED" not in reason
    setup.template.status = "APPROVED"
    db.session.commit()
    svc.resume_campaign(setup.tenant.id, campaign.id)
    db.session.execute(sa.delete(WhatsAppCredential))
    db.session.commit()
    assert dispatch(campaign.id) == "paused"
    c = status_of(campaign.id)
    assert c.status == "PAUSED" and "credenciais" in c.pause_reason
    assert {m.status for m in rows(campaign.id)} == {"QUEUED"}
    assert len(setup.sandbox.list_sends()) == 0


def test_failure_share_auto_pauses(setup, app):
    app.config["CAMPAIGN_FAILURE_WINDOW"] = 10
    campaign, _ = campaign_for(setup, n=60)
    setup.sandbox.set_failures(PNID, [{"code": 131026, "share": 1.0}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    c = status_of(campaign.id)
    assert c.status == "PAUSED" and "falhas" in c.pause_reason
    statuses = [m.status for m in rows(campaign.id)]
    assert 10 <= statuses.count("FAILED") < 60 and "QUEUED" in statuses


def test_stale_sending_becomes_unknown_then_admin_decides(setup, monkeypatch):
    no_dispatchers(monkeypatch)
    campaign, _ = campaign_for(setup)
    svc.start_campaign(setup.tenant.id, campaign.id)
    from clickpro.services.campaigns.dispatch_store import claim

    claimed = claim(campaign.id, 2)  # a worker claims two rows, then dies
    assert len(claimed) == 2
    assert expire_sending(utcnow()) == 0  # not yet stale
    assert expire_sending(utcnow() + timedelta(minutes=11)) == 2
    assert [m.status for m in rows(campaign.id)].count("UNKNOWN") == 2
    assert svc.mark_unknown_failed(setup.tenant.id, campaign.id) == 2
    assert [m.status for m in rows(campaign.id)].count("FAILED") == 2
    claim(campaign.id, 1)
    expire_sending(utcnow() + timedelta(minutes=11))
    monkeypatch.undo()
    assert svc.resend_unknown(setup.tenant.id, campaign.id) == 1
    assert [m.status for m in rows(campaign.id)] == ["FAILED", "FAILED", "SENT"]
    assert len(setup.sandbox.list_sends()) == 1


def test_send_window_pauses_and_resumes_with_injected_clock(setup, monkeypatch):
    no_dispatchers(monkeypatch)
    window = {"days": [0, 1, 2, 3, 4, 5], "start": "08:00", "end": "20:00"}
    campaign, _ = campaign_for(setup, send_window=window)
    svc.start_campaign(setup.tenant.id, campaign.id)
    zone = ZoneInfo("America/Sao_Paulo")
    saturday_night = datetime(2026, 11, 28, 21, 0, tzinfo=zone).astimezone(UTC)
    sunday_noon = datetime(2026, 11, 29, 12, 0, tzinfo=zone).astimezone(UTC)
    monday_morning = datetime(2026, 11, 30, 8, 0, tzinfo=zone).astimezone(UTC)
    assert not in_window(window, zone, saturday_night) and not in_window(window, zone, sunday_noon)
    assert in_window(window, zone, monday_morning)
    assert tick(saturday_night)["window_paused"] == 1
    c = status_of(campaign.id)
    assert c.status == "PAUSED" and c.paused_by == "window"
    assert tick(sunday_noon)["window_resumed"] == 0
    assert tick(monday_morning)["window_resumed"] == 1
    assert status_of(campaign.id).status == "RUNNING"
    svc.pause_campaign(setup.tenant.id, campaign.id)  # a person's pause is not undone by the window
    assert tick(monday_morning)["window_resumed"] == 0


def test_dispatcher_outside_its_window_pauses_itself(setup):
    local = utcnow().astimezone(ZoneInfo("America/Sao_Paulo"))
    start = (local + timedelta(hours=2)).strftime("%H:00")
    end = (local + timedelta(hours=3)).strftime("%H:00")
    if start >= end:  # around midnight: use a window that excludes today instead
        window = {"days": [(local.weekday() + 1) % 7], "start": "00:00", "end": "23:59"}
    else:
        window = {"days": list(range(7)), "start": start, "end": end}
    campaign, _ = campaign_for(setup, send_window=window)
    svc.start_campaign(setup.tenant.id, campaign.id)
    c = status_of(campaign.id)
    assert c.status == "PAUSED" and c.paused_by == "window"
    assert len(setup.sandbox.list_sends()) == 0


@pytest.mark.parametrize(
    "code, kind, action",
    [(130429, "retry", None), (80007, "retry", None), (4, "retry", None), (131056, "retry", None),
     (131057, "retry", None), (131049, "failed", None), (131026, "failed", None), (131050, "failed", None),
     (132000, "failed", None), (190, "release", "auth"), (132015, "release", "template"),
     (132016, "release", "template")],
)  # fmt: skip
def test_classify_codes(code, kind, action):
    outcome = classify(
        1, GraphError(status_code=400, code=code, title="t"), attempts=1, phone="+55", at=utcnow()
    )
    assert (outcome.kind, outcome.action) == (kind, action)
    assert (outcome.opt_out_phone == "+55") == (code == 131050)


def test_network_error_after_sending_is_unknown_never_retried():
    sent = classify(1, GraphError(status_code=None, code=None, title="Network error: ReadTimeout",
                                  kind="network"), attempts=1, phone="+55", at=utcnow())  # fmt: skip
    refused = classify(1, GraphError(status_code=None, code=None, title="Network error: ConnectError",
                                     kind="network"), attempts=1, phone="+55", at=utcnow())  # fmt: skip
    assert sent.kind == "unknown" and refused.kind == "retry"


def test_131049_automatic_retry_after_24h_when_enabled(setup, app):
    campaign, phones = campaign_for(setup, n=2)
    setup.sandbox.set_failures(PNID, [{"code": 131049, "to": phones[:1]}])
    svc.start_campaign(setup.tenant.id, campaign.id)
    setup.sandbox.set_failures(PNID, [])
    assert tick(utcnow() + timedelta(hours=25))["auto_retried"] == 0  # off by default
    app.config["CAMPAIGN_AUTO_RETRY_131049_H"] = 24
    assert tick(utcnow() + timedelta(hours=1))["auto_retried"] == 0  # not yet
    assert tick(utcnow() + timedelta(hours=25))["auto_retried"] == 1
    assert [m.status for m in rows(campaign.id)] == ["SENT", "SENT"]
    assert tick(utcnow() + timedelta(hours=50))["auto_retried"] == 0
