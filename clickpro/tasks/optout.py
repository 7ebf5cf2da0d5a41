"""Opt-out jobs (queue ``QUEUE_DEFAULT``): the confirmation text after SAIR / VOLTAR."""

from __future__ import annotations

from clickpro.services.contacts import optout_rules


def send_confirmation(
    client_id: int, contact_id: int, action: str, conversation_id: int | None = None
) -> bool:
    """Job: one confirmation (``action`` "stop" or "resubscribe") from the number of
    ``conversation_id`` (jobs queued before numbers have none: the first number); the
    opt-out stands anyway."""
    return optout_rules.send_confirmation(client_id, contact_id, action, conversation_id)
