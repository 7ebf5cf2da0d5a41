"""Which inbound message starts (or advances) a flow run."""

from __future__ import annotations


def on_message_received(sender, **kwargs) -> None:
    """Receiver of ``message_received`` (h1 fills it in)."""
