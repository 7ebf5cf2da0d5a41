"""Snooze: presets in the client's time zone, the wake job reopens once and reminds the
snoozer in the bell, a customer message wakes it, the SNOOZED list filter, tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clickpro.events import conversation_status_changed
from clickpro.extensions import db
from clickpro.models import Client, Conversation, Notification
from clickpro.models.teams import ConversationEvent
from clickpro.services.inbox import attention
from clickpro.services.inbox.actions import InboxError

PHONE_ID = "100000000000011"
# Wednesday 2026-12-02 15:30 in São Paulo (UTC-3) = 18:30 UTC.
NOW = datetime(2026, 12, 2, 18, 30, tzinfo=UTC)


def _tz(tenant, name):
    client = db.session.get(Client, tenant.id)
    client.timezone = name
    db.session.commit()


def test_presets_are_in_the_clients_time_zone(wired):
    _tz(wired.a, "America/Sao_Paulo")
    zone = attention.client_zone(wired.a.id)
    assert attention.preset_until("1h", zone, NOW) == NOW + timedelta(hours=1)
    # amanhã às 9h in São Paulo = 12:00 UTC
    assert attention.preset_until("tomorrow_9", zone, NOW) == datetime(
        2026, 12, 3, 12, 0, tzinfo=UTC
    )
    # segunda às 9h: Monday 2026-12-07
    assert attention.preset_until("monday_9", zone, NOW) == datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    # another client zone: Lisbon (UTC+0 in December); 18:30 UTC is already Wednesday
    _tz(wired.a, "Europe/Lisbon")
    zone = attention.client_zone(wired.a.id)
    assert attention.preset_until("tomorrow_9", zone, NOW) == datetime(
        2026, 12, 3, 9, 0, tzinfo=UTC
    )
    # late evening in Tokyo is already Thursday there: "amanhã" is Friday
    zone = attention.ZoneInfo("Asia/Tokyo")
    assert attention.preset_until("tomorrow_9", zone, NOW) == datetime(
        2026, 12, 4, 0, 0, tzinfo=UTC
    )
    # on a Monday "segunda" is next week's
    monday = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)  # Monday 08:00 in São Paulo
    zone = attention.ZoneInfo("America/Sao_Paulo")
    assert attention.preset_until("monday_9", zone, monday) == datetime(
        2026, 12, 14, 12, 0, tzinfo=UTC
    )
    with pytest.raises(InboxError):
        attention.preset_until("never", zone, NOW)


def test_custom_time_without_offset_is_client_local(wired):
    _tz(wired.a, "America/Sao_Paulo")
    zone = attention.client_zone(wired.a.id)
    assert attention.custom_until("2026-12-10T14:00", zone) == datetime(
        2026, 12, 10, 17, 0, tzinfo=UTC
    )
    assert attention.custom_until("2026-12-10T14:00Z", zone) == datetime(
        2026, 12, 10, 14, 0, tzinfo=UTC
    )
    with pytest.raises(InboxError):
        attention.custom_until("amanhã", zone)


def test_snooze_then_job_reopens_once_with_event_and_reminder(app, wired, conversation, login_as):
    conv, _ = conversation(wired.a, name="Rita")
    seen = []

    def on_status(sender, **kw):
        seen.append((kw["previous"], kw["status"], kw["actor"]))

    conversation_status_changed.connect(on_status, app)
    try:
        http = login_as(wired.a_user, wired.a)
        answer = http.post(f"/inbox/api/conversations/{conv.id}/snooze", json={"preset": "1h"})
        assert answer.status_code == 200, answer.get_json()
        data = answer.get_json()["conversation"]
        assert data["status"] == "SNOOZED" and data["snoozed_until"]
        # it leaves "Abertas" and shows under the SNOOZED filter
        open_ids = [
            c["id"] for c in http.get("/inbox/api/conversations?status=OPEN").get_json()["items"]
        ]
        assert conv.id not in open_ids
        snoozed = http.get("/inbox/api/conversations?status=SNOOZED").get_json()["items"]
        assert [c["id"] for c in snoozed] == [conv.id]

        assert attention.wake_due() == 0  # not due yet
        later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
        assert attention.wake_due(later) == 1
        assert attention.wake_due(later + timedelta(minutes=1)) == 0  # once
    finally:
        conversation_status_changed.disconnect(on_status, app)
    db.session.expire_all()
    row = db.session.get(Conversation, conv.id)
    assert (row.status, row.snoozed_until) == ("OPEN", None)
    kinds = [
        e.kind
        for e in db.session.query(ConversationEvent)
        .filter_by(conversation_id=conv.id)
        .order_by(ConversationEvent.id)
    ]
    assert kinds == ["snoozed", "unsnoozed"]
    assert seen == [("OPEN", "SNOOZED", "user"), ("SNOOZED", "OPEN", "system")]
    notes = db.session.query(Notification).filter_by(client_id=wired.a.id, kind="snooze_due").all()
    assert len(notes) == 1
    note = notes[0]
    assert note.user_id == wired.a_user.id and note.conversation_id == conv.id
    assert "Rita" in note.text
    # the bell links to the conversation
    from clickpro.blueprints.notifications.links import notification_link

    with app.test_request_context():
        assert notification_link(note) == f"/inbox/c/{conv.id}"


def test_customer_message_wakes_a_snoozed_conversation(app, wired, sandbox, login_as):
    sandbox.simulate_inbound(PHONE_ID, "5511987650099", text="Oi", name="Bia")
    sandbox.flush()
    conv = db.session.query(Conversation).filter_by(client_id=wired.a.id).one()
    attention.snooze(wired.a.id, conv.id, wired.a_user.id, preset="tomorrow_9")
    sandbox.simulate_inbound(PHONE_ID, "5511987650099", text="Ainda estou esperando", name="Bia")
    sandbox.flush()
    db.session.expire_all()
    row = db.session.get(Conversation, conv.id)
    assert (row.status, row.snoozed_until) == ("OPEN", None)
    assert attention.wake_due(datetime.now(UTC) + timedelta(days=2)) == 0  # no stale reminder


def test_snooze_refusals_and_tenancy(wired, conversation, login_as):
    mine, _ = conversation(wired.a)
    theirs, _ = conversation(wired.b)
    http = login_as(wired.a_user, wired.a)
    for path in ("snooze", "unsnooze", "typing"):
        answer = http.post(f"/inbox/api/conversations/{theirs.id}/{path}", json={"preset": "1h"})
        assert answer.status_code == 404, path
    db.session.expire_all()
    assert db.session.get(Conversation, theirs.id).status == "OPEN"
    past = http.post(
        f"/inbox/api/conversations/{mine.id}/snooze", json={"until": "2020-01-01T09:00"}
    )
    assert past.status_code == 422
    assert http.post(f"/inbox/api/conversations/{mine.id}/snooze", json={}).status_code == 422
    assert (
        http.post(f"/inbox/api/conversations/{mine.id}/snooze", json={"preset": "x"}).status_code
        == 422
    )
    # custom time, then the agent brings it back by hand (no reminder)
    answer = http.post(
        f"/inbox/api/conversations/{mine.id}/snooze", json={"until": "2099-01-01T09:00"}
    )
    assert answer.status_code == 422  # more than a year
    future = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    answer = http.post(f"/inbox/api/conversations/{mine.id}/snooze", json={"until": future})
    assert answer.status_code == 200 and answer.get_json()["conversation"]["status"] == "SNOOZED"
    answer = http.post(f"/inbox/api/conversations/{mine.id}/unsnooze")
    assert answer.get_json()["conversation"]["status"] == "OPEN"
    assert db.session.query(Notification).filter_by(kind="snooze_due").count() == 0
    presets = http.get("/inbox/api/snooze/presets").get_json()["items"]
    assert [p["preset"] for p in presets] == ["1h", "tomorrow_9", "monday_9"]


def test_wake_job_is_a_periodic_job(app):
    from clickpro.tasks.schedule import periodic_jobs

    ids = {j.id: j.func for j in periodic_jobs(app)}
    assert ids["inbox.wake_snoozed"] == "clickpro.tasks.snooze.wake_due"
