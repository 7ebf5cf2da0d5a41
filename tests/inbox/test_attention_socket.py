"""The bell is pushed live: a real python-socketio client gets the snooze reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from live_helpers import PASSWORD, LiveClient, ServerThread, login

from clickpro.services.inbox import attention


def test_snooze_reminder_reaches_only_the_snoozers_bell(app, wired, conversation, create_member):
    from clickpro.models import Role

    conv, _ = conversation(wired.a, name="Rita")
    colleague = create_member(wired.a, Role.CLIENT_USER)
    attention.snooze(wired.a.id, conv.id, wired.a_user.id, preset="1h")
    with ServerThread(app) as server:
        mine = LiveClient(server.url, login(server.url, wired.a_user.email, PASSWORD))
        theirs = LiveClient(server.url, login(server.url, colleague.email, PASSWORD))
        other_client = LiveClient(server.url, login(server.url, wired.b_user.email, PASSWORD))
        try:
            assert attention.wake_due(datetime.now(UTC) + timedelta(hours=2)) == 1
            got = mine.wait_for("notification:new", 5, lambda d: d["kind"] == "snooze_due")
            assert got is not None, "the snoozer's bell got no live push"
            assert got["conversation_id"] == conv.id and "Rita" in got["text"]
            update = mine.wait_for(
                "conversation:update", 5, lambda d: d["conversation"]["id"] == conv.id
            )
            assert update is not None and update["conversation"]["status"] == "OPEN"
            assert theirs.wait_for("notification:new", 1.0) is None
            assert other_client.wait_for("notification:new", 0.5) is None
            assert other_client.wait_for("conversation:update", 0.5) is None
        finally:
            for c in (mine, theirs, other_client):
                c.close()
