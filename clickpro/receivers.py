"""Core signal receivers, connected explicitly when the app is created.

One list, so a reader sees who reacts to which domain event (plugins add their own
receivers in their ``init_app``). Each receiver is connected for this app only
(``sender=app``): signals are sent by the app that made the change.
"""

from __future__ import annotations

from flask import Flask

# (signal, "module:function") pairs; imported lazily so features stay decoupled.
CORE_RECEIVERS: tuple[tuple[str, str], ...] = (
    # Live inbox: domain events → Socket.IO (through the Redis queue across processes).
    ("message_received", "clickpro.services.inbox.events:on_message_received"),
    ("message_created", "clickpro.services.inbox.events:on_message_created"),
    ("message_status_changed", "clickpro.services.inbox.events:on_message_status_changed"),
    ("conversation_updated", "clickpro.services.inbox.events:on_conversation_updated"),
    ("notification_created", "clickpro.services.inbox.events:on_notification_created"),
    ("campaign_progress", "clickpro.services.inbox.events:on_campaign_progress"),
    ("campaign_finished", "clickpro.services.inbox.events:on_campaign_finished"),
    # Outbound webhooks: the client's own URLs (signed, retried on QUEUE_OUTBOUND).
    ("message_received", "clickpro.services.api.outbound_webhooks:on_message_received"),
    ("message_status_changed", "clickpro.services.api.outbound_webhooks:on_message_status_changed"),
    ("campaign_finished", "clickpro.services.api.outbound_webhooks:on_campaign_finished"),
    ("contact_opted_out", "clickpro.services.api.outbound_webhooks:on_contact_opted_out"),
    (
        "conversation_assigned",
        "clickpro.services.api.outbound_webhooks:on_conversation_assigned",
    ),
    # Inbound media fetched once from Meta and kept per client (h10).
    ("message_received", "clickpro.services.media.receivers:on_message_received"),
    # Fetched media / a transcript → the bubble is replaced live (message:update) (h1).
    ("message_media_updated", "clickpro.services.media.live:on_media_updated"),
    # A new open cycle goes to its number's team; the team's rule picks the agent (h6).
    ("conversation_opened", "clickpro.services.teams.routing:on_conversation_opened"),
    # A template PAUSED/DISABLED by Meta pauses its running campaigns (h6).
    ("template_status_changed", "clickpro.services.costs.quality:on_template_status_changed"),
    # Service cycles, SLA deadlines, off-hours reply and CSAT (h7, #19).
    ("message_received", "clickpro.services.teams.cycles:on_message_received"),
    ("message_created", "clickpro.services.teams.cycles:on_message_created"),
    ("conversation_status_changed", "clickpro.services.teams.cycles:on_status_changed"),
    ("conversation_assigned", "clickpro.services.teams.cycles:on_conversation_assigned"),
)


def connect_receivers(app: Flask) -> None:
    import importlib

    from clickpro import events

    for signal_name, target in CORE_RECEIVERS:
        module_name, func_name = target.split(":")
        receiver = getattr(importlib.import_module(module_name), func_name)
        getattr(events, signal_name).connect(receiver, sender=app, weak=False)
