"""Rows a dead dispatcher left SENDING are resolved within about a minute.

* a status webhook that names the row (``biz_opaque_callback_data = clickpro:m:<id>``)
  marks it sent, even though the wamid was never recorded (the worker died right after
  Meta's 200);
* otherwise, once the row's lease has expired and ``CAMPAIGN_UNKNOWN_GRACE_S`` (60 s by
  default) has passed with no status, the watchdog makes it UNKNOWN and the campaign
  finishes; a living dispatcher's rows (lease renewed) are left alone;
* the admin may resend the UNKNOWN rows, each at most once, through the dispatcher.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.config import BY_NAME
from clickpro.extensions import db
from clickpro.models import Campaign, Message
from clickpro.models.base import utcnow
from clickpro.services.campaigns import dispatch_store, dispatchers
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns.control import ROW_LEASE_S
from clickpro.services.campaigns.dispatch_outcome import Outcome
from clickpro.services.campaigns.schedule import expire_sending, tick
from clickpro.services.credentials import whatsapp_for

VARS = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}


def _campaign(setup, n: int = 3):
    ids = add_contacts(setup.tenant, n)
    payload = {"name": "C", "template_id": setup.template.id, "variables": VARS, "rate_mps": 80,
               "list_ids": [make_list(setup.tenant, ids).id]}  # fmt: skip
    return svc.save_campaign(setup.tenant.id, payload)


def _started_without_dispatchers(setup, monkeypatch, n: int = 3):
    """A RUNNING campaign whose rows are QUEUED; the test plays the dispatcher."""
    for module in (dispatchers, svc):
        monkeypatch.setattr(module, "enqueue_dispatchers", lambda campaign_id: None)
    campaign = _campaign(setup, n)
    svc.start_campaign(setup.tenant.id, campaign.id)
    return campaign


def _rows(campaign_id: int) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Message).where(Message.campaign_id == campaign_id).order_by(Message.id)
        )
    )


def _status(campaign_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Campaign, campaign_id).status


def test_the_grace_is_a_setting_of_60_seconds():
    assert BY_NAME["CAMPAIGN_UNKNOWN_GRACE_S"].default == 60
    assert "CAMPAIGN_UNKNOWN_AFTER_S" not in BY_NAME  # the 10-minute rule is gone


def test_dead_dispatcher_rows_become_unknown_after_lease_plus_grace(setup, monkeypatch, app):
    campaign = _started_without_dispatchers(setup, monkeypatch, n=3)
    claimed = dispatch_store.claim(campaign.id, 2)  # a worker claims two rows, then dies
    assert len(claimed) == 2
    rows = _rows(campaign.id)
    lease_until = rows[0].lease_until
    assert lease_until is not None
    assert abs((lease_until - rows[0].claimed_at).total_seconds() - ROW_LEASE_S) < 1
    grace = app.config["CAMPAIGN_UNKNOWN_GRACE_S"]
    assert grace == 60
    # The third row is sent by a living dispatcher.
    (third,) = dispatch_store.claim(campaign.id, 1)
    dispatch_store.record(
        setup.tenant.id, campaign.id, [Outcome(third.id, "sent", wamid="wamid.OK3", at=utcnow())]
    )

    assert expire_sending(lease_until + timedelta(seconds=grace - 5)) == 0
    assert _status(campaign.id) == "RUNNING"  # SENDING rows keep it from finishing
    assert svc.finish_if_done(campaign.id) is False
    # Lease expired and the grace passed: about 80 s after the claim, not 10 minutes.
    moment = lease_until + timedelta(seconds=grace + 5)
    assert (moment - rows[0].claimed_at).total_seconds() < 90
    assert tick(moment)["unknown"] == 2
    assert [m.status for m in _rows(campaign.id)] == ["UNKNOWN", "UNKNOWN", "SENT"]
    assert _status(campaign.id) == "COMPLETED"
    counters = db.session.get(Campaign, campaign.id).counters
    assert counters["unknown"] == 2 and counters["sending"] == 0


def test_a_living_dispatcher_renews_its_rows_lease(setup, monkeypatch, app):
    campaign = _started_without_dispatchers(setup, monkeypatch, n=2)
    claimed = dispatch_store.claim(campaign.id, 2)
    first_lease = _rows(campaign.id)[0].lease_until
    grace = timedelta(seconds=app.config["CAMPAIGN_UNKNOWN_GRACE_S"])
    dispatch_store.renew_leases([claimed[0].id])  # still sending row 0
    renewed = _rows(campaign.id)
    assert renewed[0].lease_until > first_lease
    assert renewed[1].lease_until == first_lease
    # Between the two leases' ends, only the abandoned row is given up.
    assert expire_sending(first_lease + grace + timedelta(milliseconds=1)) == 1
    assert [m.status for m in _rows(campaign.id)] == ["SENDING", "UNKNOWN"]


def test_dispatcher_loop_tracks_and_renews_what_it_holds(setup, monkeypatch):
    """The dispatcher keeps the ids it claimed until their outcome is recorded."""
    from clickpro.services.campaigns import dispatch

    renewed: list[list[int]] = []
    monkeypatch.setattr(dispatch, "ROW_LEASE_RENEW_S", 0.0)
    monkeypatch.setattr(dispatch_store, "renew_leases", lambda ids: renewed.append(list(ids)))
    campaign = _campaign(setup, n=4)
    svc.start_campaign(setup.tenant.id, campaign.id)  # inline jobs: the dispatcher runs
    assert [m.status for m in _rows(campaign.id)] == ["SENT"] * 4
    assert renewed, "the loop renews the leases of the rows it holds"
    ids = {m.id for m in _rows(campaign.id)}
    assert all(set(batch) <= ids for batch in renewed)


def test_status_webhook_naming_the_row_marks_it_sent_without_a_recorded_wamid(
    setup, monkeypatch, app
):
    campaign = _started_without_dispatchers(setup, monkeypatch, n=1)
    (row,) = dispatch_store.claim(campaign.id, 1)
    # The worker's request reached Meta (200, a wamid) and the worker died before
    # recording anything: the row is SENDING with no wamid.
    credential, graph = whatsapp_for(setup.tenant.id)
    body = [{"type": "text", "text": "Ana"}, {"type": "text", "text": "X1"}]
    sent = graph.send_template(
        credential.phone_number_id, _wa_id(row.contact_id), "oferta", "pt_BR",
        [{"type": "body", "parameters": body}], callback_data=f"clickpro:m:{row.id}",
    )  # fmt: skip
    assert _rows(campaign.id)[0].wamid is None
    setup.sandbox.flush()  # Meta's status webhooks, carrying biz_opaque_callback_data
    message = _rows(campaign.id)[0]
    assert message.wamid == sent.wamid
    assert message.status in ("SENT", "DELIVERED", "READ") and message.sent_at is not None
    # Nothing is left for the watchdog, and the campaign finishes.
    later = utcnow() + timedelta(seconds=ROW_LEASE_S + app.config["CAMPAIGN_UNKNOWN_GRACE_S"] + 5)
    assert tick(later)["unknown"] == 0
    assert _status(campaign.id) == "COMPLETED"


def _wa_id(contact_id: int) -> str:
    from clickpro.models import Contact

    return db.session.get(Contact, contact_id).wa_id


def test_a_late_status_or_late_record_resolves_an_unknown_row(setup, monkeypatch):
    campaign = _started_without_dispatchers(setup, monkeypatch, n=2)
    first, second = dispatch_store.claim(campaign.id, 2)
    assert expire_sending(utcnow() + timedelta(minutes=5)) == 2
    # A stalled (not dead) dispatcher finally records its send: it lands.
    dispatch_store.record(
        setup.tenant.id, campaign.id, [Outcome(first.id, "sent", wamid="wamid.LATE1", at=utcnow())]
    )
    # A status webhook naming the other row through the callback data resolves it too.
    from clickpro.services.messaging.delivery import apply_status

    assert apply_status(setup.tenant.id, "wamid.LATE2", "delivered", None,
                        callback_data=f"clickpro:m:{second.id}")  # fmt: skip
    rows = _rows(campaign.id)
    assert [(m.status, m.wamid) for m in rows] == [
        ("SENT", "wamid.LATE1"),
        ("DELIVERED", "wamid.LATE2"),
    ]


def test_resend_unknown_sends_each_row_once_through_the_dispatcher(setup, monkeypatch, app):
    campaign = _started_without_dispatchers(setup, monkeypatch, n=3)
    dispatch_store.claim(campaign.id, 2)
    expire_sending(utcnow() + timedelta(minutes=5))
    monkeypatch.undo()  # from here the real dispatcher sends (inline jobs)
    svc.resend_unknown(setup.tenant.id, campaign.id)
    statuses = [m.status for m in _rows(campaign.id)]
    assert statuses == ["SENT", "SENT", "SENT"]
    assert len(setup.sandbox.list_sends()) == 3
    # The resent rows die again as UNKNOWN: they are not offered a second time.
    db.session.execute(
        sa.update(Message).where(Message.campaign_id == campaign.id).values(status="UNKNOWN")
    )
    db.session.commit()
    assert svc.resend_unknown(setup.tenant.id, campaign.id) == 1  # only the never-resent row
    assert svc.resend_unknown(setup.tenant.id, campaign.id) == 0
    assert len(setup.sandbox.list_sends()) == 4


def test_campaign_page_explains_unknown_and_asks_before_resending(
    setup, monkeypatch, login_as, create_member
):
    from clickpro.models.accounts import Role

    campaign = _started_without_dispatchers(setup, monkeypatch, n=2)
    dispatch_store.claim(campaign.id, 1)
    expire_sending(utcnow() + timedelta(minutes=5))
    admin = create_member(setup.tenant, Role.CLIENT_ADMIN)
    http = login_as(admin, setup.tenant)
    page = http.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-testid="unknown-note"' in page
    assert "não sabemos se a mensagem foi entregue" in page
    resend_form = page[page.index("/resend-unknown") - 200 : page.index("/resend-unknown") + 400]
    assert "data-confirm=" in resend_form and "uma única vez" in resend_form
    progress = http.get(f"/campaigns/{campaign.id}/progress.json").get_json()
    assert progress["counters"]["unknown"] == 1 and progress["resendable_unknown"] == 1
