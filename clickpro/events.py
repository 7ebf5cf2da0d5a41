"""Domain signals (blinker). Features react to each other through these, never by calls.

Every signal is sent by :func:`send_safely` with ``sender=current_app`` (the app object)
and keyword arguments only, *after* the database change it announces is committed,
inside an app context. Receivers are connected per app, with ``sender=app``, by the
factory (``clickpro.receivers``) or by a plugin's ``init_app`` (see
``clickpro.plugins.api.connect``), so two apps in one process (tests, a script next to a
server) each run only their own receivers: an app built with ``PLUGINS=()`` really has
no plugin. A receiver connected without a sender (a test's spy) hears every app. A
receiver must not raise: one that does is logged and the others still run.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from blinker import NamedSignal, Namespace
from flask import Flask, current_app

log = logging.getLogger(__name__)
_signals = Namespace()

message_received = _signals.signal(
    "message-received",
    doc="An inbound message was stored. kwargs: client_id, message_id, contact_id, "
    "conversation_id, number_id (the client's number it arrived to).",
)
message_created = _signals.signal(
    "message-created",
    doc="An outbound chat message (agent, AI, system) was stored. "
    "kwargs: client_id, message_id, contact_id.",
)
message_status_changed = _signals.signal(
    "message-status-changed",
    doc="A message's delivery status moved. kwargs: client_id, message_id, contact_id, "
    "campaign_id, status, previous.",
)
template_status_changed = _signals.signal(
    "template-status-changed",
    doc="Meta changed a template's status. kwargs: client_id, template_id, previous, status, reason.",
)
contact_opted_out = _signals.signal(
    "contact-opted-out",
    doc="A phone and/or BSUID was added to the client's opt-outs. kwargs: client_id, "
    "phone_e164 (None for a BSUID-only opt-out), bsuid (or None), source.",
)
contact_opted_in = _signals.signal(
    "contact-opted-in",
    doc="A phone and/or BSUID was removed from the client's opt-outs. kwargs: client_id, "
    "phone_e164 (or None), bsuid (or None), source.",
)
conversation_updated = _signals.signal(
    "conversation-updated",
    doc="A conversation's state changed (assignee, AI pause, read, resolved). "
    "kwargs: client_id, conversation_id (the one that changed) and/or contact_id "
    "(contact_id alone: every conversation of the contact is refreshed).",
)
conversation_opened = _signals.signal(
    "conversation-opened",
    doc="A conversation started a new open cycle: its first inbound message, or the "
    "customer wrote to a RESOLVED one. Sent once per cycle (the cycle row is the claim), "
    "before the off-hours check, so routing can give it a team first. "
    "kwargs: client_id, conversation_id, number_id, reopened (bool).",
)
conversation_status_changed = _signals.signal(
    "conversation-status-changed",
    doc="A conversation moved between OPEN, SNOOZED and RESOLVED by a person, the API, a "
    "flow, the AI or a job. kwargs: client_id, conversation_id, previous, status, "
    "actor_user_id (or None), actor ('user', 'api', 'ai', 'flow', 'system').",
)
conversation_assigned = _signals.signal(
    "conversation-assigned",
    doc="A conversation's team and/or agent changed (the conversation_events row is "
    "stored). kwargs: client_id, conversation_id, team_id, user_id, previous_team_id, "
    "previous_user_id, actor_user_id (or None), actor, event_id.",
)
campaign_progress = _signals.signal(
    "campaign-progress",
    doc="A campaign's counters changed. kwargs: client_id, campaign_id, status, counters.",
)
campaign_finished = _signals.signal(
    "campaign-finished",
    doc="A campaign reached COMPLETED, CANCELLED or FAILED. kwargs: client_id, campaign_id, status.",
)
notification_created = _signals.signal(
    "notification-created",
    doc="A panel notification was stored. kwargs: client_id, notification_id, user_id.",
)
message_media_updated = _signals.signal(
    "message-media-updated",
    doc="An inbound message's media was fetched (or failed) or its audio transcribed. "
    "kwargs: client_id, message_id, what ('fetched', 'failed' or 'transcribed').",
)
import_progress = _signals.signal(
    "import-progress",
    doc="A contacts import advanced. kwargs: client_id, import_id, status.",
)


def signal_named(name: str) -> NamedSignal:
    """The domain signal called ``name`` (a queued round names its signal, see
    :meth:`SecondRounds.take`); ``KeyError`` for a name this module does not define."""
    return _signals[name]


def live_first(receiver):
    """Mark a receiver as one of a signal's *first round* (see :func:`send_round`): the
    cheap ones someone is waiting on (the inbox's live event and what shapes it)."""
    receiver.live_first = True
    return receiver


def send_safely(signal: NamedSignal, **kwargs) -> None:
    """Send ``signal`` from the current app; a failing receiver is logged, never propagated.

    The sender has already committed its change; a broken subscriber (say, the inbox
    emitter while Redis is down) must not turn a stored webhook into a 500.
    """
    send_round(signal, None, **kwargs)


# What every slow receiver of a signal looks up by primary key, loaded in one query and
# held while the round runs ("module:function", called with the signal's kwargs; it
# returns the rows). SQLAlchemy's identity map holds rows weakly: each receiver
# dropped its rows and the next one loaded them again: an inbound message's follow-ups
# loaded its message, conversation and client 2-3 times each (#24). Held, each
# ``session.get`` (and ``tenancy.get_owned``) of them is answered from the session.
ROUND_ROWS: dict[str, str] = {
    "message-received": "clickpro.services.conversations:inbound_rows",
}


def _rows_for_round(signal_name: str, kwargs: dict[str, Any]) -> object:
    """The rows :data:`ROUND_ROWS` names for ``signal_name`` (``None`` if none, or if
    loading them failed: the receivers then load their own, as without it)."""
    target = ROUND_ROWS.get(signal_name)
    if target is None:
        return None
    module_name, func_name = target.split(":")
    try:
        return getattr(importlib.import_module(module_name), func_name)(**kwargs)
    except Exception:
        log.exception("could not preload the rows of a %s round", signal_name)
        return None


def send_round(signal: NamedSignal, first: bool | None, **kwargs) -> None:
    """:func:`send_safely` to the receivers marked :func:`live_first` (``first=True``) or
    to the others (``False``; ``None``: all, in their order). A sender announcing a batch
    sends every item's first round, then every item's second: each receiver still hears
    each item exactly once, in the items' order, and the live events go out before the
    slow receivers (cycles, routing, flows, AI) of the batch run.

    Inside :func:`deferring_second_rounds` a second round (``first=False``) is queued
    there instead of run now (see :class:`SecondRounds`)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    receivers = [
        receiver
        for receiver in signal.receivers_for(app)
        if first is None or bool(getattr(receiver, "live_first", False)) == first
    ]
    queue = _second_rounds.get()
    if first is False and queue is not None:
        queue.add(_Round(app, signal.name, receivers, kwargs, contextvars.copy_context()))
        return
    held = _rows_for_round(signal.name, kwargs) if receivers and first is not True else None
    for receiver in receivers:
        _call(app, signal.name, receiver, kwargs)
    del held


def _call(app: Flask, signal_name: str, receiver: Callable, kwargs: dict[str, Any]) -> None:
    try:
        receiver(app, **kwargs)
    except Exception:
        log.exception("receiver %r of %s failed", receiver, signal_name)


@dataclass
class _Round:
    """One item's second round, queued: its receivers still to run, in their order."""

    app: Flask
    signal_name: str
    receivers: list[Callable]
    kwargs: dict[str, Any]
    context: contextvars.Context  # the sender's (e.g. a batch's memo of endpoints)
    all_receivers: int = 0  # how many it had when queued (``receivers`` shrinks as they run)

    def __post_init__(self) -> None:
        self.all_receivers = len(self.receivers)

    @property
    def untouched(self) -> bool:
        """None of its receivers has run yet."""
        return len(self.receivers) == self.all_receivers


class SecondRounds:
    """Second rounds queued by :func:`send_round`, run later, when the sender chooses.

    The webhooks drain (#24) runs them one message at a time between its batches: a
    message that arrives while earlier messages' slow receivers (service cycles,
    routing, flows, AI) are pending is stored and gets its live ``message:new`` after at
    most one earlier message's second round, instead of after all of them. Rounds run
    first in, first out and each round's receivers in their order, so each receiver
    still hears each item exactly once, in the items' order, and always after that
    item's first round.
    """

    def __init__(self) -> None:
        self._rounds: deque[_Round] = deque()

    def add(self, item: _Round) -> None:
        if item.receivers:
            self._rounds.append(item)

    def __len__(self) -> int:
        """How many items still have receivers to run."""
        return len(self._rounds)

    def run_item(self) -> None:
        """Run the oldest item's receivers still pending (its whole second round).

        The item stays queued until its last receiver ran, and each receiver leaves the
        list before it runs: interrupted (a warm shutdown), the rest still run later.
        """
        if not self._rounds:
            return
        item = self._rounds[0]
        held = item.context.run(_rows_for_round, item.signal_name, item.kwargs)
        while item.receivers:
            receiver = item.receivers.pop(0)
            item.context.run(_call, item.app, item.signal_name, receiver, item.kwargs)
        del held
        self._rounds.popleft()

    def run_all(self) -> None:
        while self._rounds:
            self.run_item()

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        """Empty the queue into ``(signal name, kwargs)`` pairs, for a job to send again
        with ``send_round(signal_named(name), False, **kwargs)``. Only rounds none of
        whose receivers ran yet are taken (the drain takes them right after its batch);
        the sender's context stays behind (what it holds are per-batch memos)."""
        taken = []
        while self._rounds and self._rounds[-1].untouched:
            item = self._rounds.pop()
            taken.append((item.signal_name, item.kwargs))
        taken.reverse()
        return taken


_second_rounds: contextvars.ContextVar[SecondRounds | None] = contextvars.ContextVar(
    "second_rounds", default=None
)


@contextlib.contextmanager
def deferring_second_rounds() -> Iterator[SecondRounds]:
    """Queue the second rounds sent inside the block; the caller runs them
    (:meth:`SecondRounds.run_item`) when it has nothing more urgent to do. Whatever is
    left when the block ends (normally or not) runs then: no receiver is skipped."""
    queue = SecondRounds()
    token = _second_rounds.set(queue)
    try:
        yield queue
    finally:
        _second_rounds.reset(token)
        queue.run_all()
