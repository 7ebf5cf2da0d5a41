"""Snooze job: reopen the conversations whose snooze ended (every minute)."""

from __future__ import annotations


def wake_due() -> int:
    from clickpro.services.inbox.attention import wake_due as wake

    return wake()
