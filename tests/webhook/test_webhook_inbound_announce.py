"""A batch's inbound messages reach the inbox first (#24): the live ``message:new`` of
every message of the batch goes out before the slow receivers (service cycles, routing,
flows, AI) of any of them run; each receiver still hears each message exactly once,
in the messages' order."""

from __future__ import annotations

from webhook_helpers import encode, inbound

from clickpro import events
from clickpro.services.inbox import events as inbox_events
from clickpro.services.webhook.ingest import process_events, store_event


def test_batch_emits_every_message_before_any_followup(shop, spy, emit_order):
    order = emit_order
    received = spy("message_received")  # an ordinary (second round) receiver
    opened = spy("conversation_opened")  # sent by the service cycles, then routing
    real_record = received._record

    def record(sender, **kwargs):
        order.append(("received", kwargs["message_id"]))
        real_record(sender, **kwargs)

    events.message_received.disconnect(received._record)
    events.message_received.connect(record, weak=False)
    try:
        ids = [store_event(encode(inbound(f"55119666600{n:02d}"))) for n in range(3)]
        assert process_events([i for i in ids if i]) == 3
    finally:
        events.message_received.disconnect(record)
    messages = [mid for kind, mid in order if kind == "message:new"]
    assert len(messages) == 3 and messages == sorted(messages)  # once each, in order
    assert order[:3] == [("message:new", m) for m in messages]  # all live events first
    assert [mid for kind, mid in order if kind == "received"] == messages  # once, in order
    assert len(opened.calls) == 3  # one new cycle per conversation, after the emits


def test_single_event_emits_before_the_other_receivers(shop, spy, monkeypatch):
    order: list[str] = []
    real_publish = inbox_events.publish_message
    monkeypatch.setattr(
        inbox_events,
        "publish_message",
        lambda c, m: (order.append("message:new"), real_publish(c, m))[1],
    )

    def record(sender, **kwargs):
        order.append("received")

    events.message_received.connect(record, weak=False)
    try:
        event_id = store_event(encode(inbound("5511966660099")))
        assert event_id and process_events([event_id]) == 1
    finally:
        events.message_received.disconnect(record)
    assert order == ["message:new", "received"]


def test_send_round_splits_receivers_without_losing_one(app):
    heard: list[str] = []

    @events.live_first
    def live(sender, **kwargs):
        heard.append("live")

    def slow(sender, **kwargs):
        heard.append("slow")

    events.message_received.connect(slow, sender=app, weak=False)
    events.message_received.connect(live, sender=app, weak=False)
    try:
        events.send_round(events.message_received, True, client_id=0, message_id=0)
        events.send_round(events.message_received, False, client_id=0, message_id=0)
        assert heard.count("live") == 1 and heard.count("slow") == 1
        assert heard.index("live") < heard.index("slow")
        heard.clear()
        events.send_safely(events.message_received, client_id=0, message_id=0)
        assert sorted(heard) == ["live", "slow"]  # no round: every receiver, once
    finally:
        events.message_received.disconnect(slow)
        events.message_received.disconnect(live)
