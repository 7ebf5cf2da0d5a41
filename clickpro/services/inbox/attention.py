"""Snooze (hide a conversation until a time, then remind whoever snoozed it) and the
typing indicator sent to WhatsApp while an agent writes.

Snooze presets are computed in the client's time zone (``clients.timezone``): "daqui a
1 hora", "amanhã às 9h", "segunda às 9h", or a custom local date-time. The periodic job
:func:`wake_due` reopens due conversations with one conditional UPDATE per conversation
(two workers running it at once reopen it once), writes the ``unsnoozed`` history event
and a bell notification for the snoozer. A customer message wakes it earlier
(``services.webhook.inbound.touch_conversation``).

The typing indicator (Meta: the mark-as-read body plus ``typing_indicator``) goes out at
most once per :data:`TYPING_THROTTLE_S` per conversation: a Redis ``SET NX EX`` key is the
claim, shared by every web process.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.events import conversation_status_changed, conversation_updated, send_safely
from clickpro.extensions import db, redis_connection
from clickpro.models import Client, Contact, Conversation
from clickpro.models.base import utcnow
from clickpro.models.teams import ConversationEvent, ConversationEventKind
from clickpro.services.accounts.notifications import announce, notify
from clickpro.services.credentials.numbers import whatsapp_for_number
from clickpro.services.inbox.actions import InboxError, get_conversation
from clickpro.services.inbox.service import last_inbound

log = logging.getLogger(__name__)

PRESETS = ("1h", "tomorrow_9", "monday_9")
MAX_SNOOZE = timedelta(days=366)
TYPING_THROTTLE_S = 20
WAKE_BATCH = 500
DEFAULT_TZ = "America/Sao_Paulo"


def client_zone(client_id: int) -> ZoneInfo:
    name = db.session.scalar(sa.select(Client.timezone).where(Client.id == client_id))
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def _at_nine(day, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=zone)


def preset_until(preset: str, zone: ZoneInfo, now: datetime) -> datetime:
    """When ``preset`` ends, as an aware UTC datetime (``now`` is aware)."""
    local = now.astimezone(zone)
    if preset == "1h":
        until = now + timedelta(hours=1)
    elif preset == "tomorrow_9":
        until = _at_nine(local.date() + timedelta(days=1), zone)
    elif preset == "monday_9":
        days = (7 - local.weekday()) % 7 or 7  # the next Monday, never today
        until = _at_nine(local.date() + timedelta(days=days), zone)
    else:
        raise InboxError(_("Opção de adiamento desconhecida."))
    return until.astimezone(ZoneInfo("UTC"))


def custom_until(value: str, zone: ZoneInfo) -> datetime:
    """An ISO date-time; without an offset it is the client's local time."""
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise InboxError(_("Data e hora inválidas.")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(ZoneInfo("UTC"))


def presets(client_id: int, now: datetime | None = None) -> list[dict]:
    """The preset menu with each preset's end (UTC ISO and the client's local time)."""
    now = now or utcnow()
    zone = client_zone(client_id)
    out = []
    for name in PRESETS:
        until = preset_until(name, zone, now)
        out.append(
            {
                "preset": name,
                "until": until.isoformat(),
                "local": until.astimezone(zone).strftime("%d/%m %H:%M"),
            }
        )
    return out


def _event(conv: Conversation, kind: str, *, actor_user_id, actor: str, data: dict) -> None:
    db.session.add(
        ConversationEvent(
            client_id=conv.client_id,
            conversation_id=conv.id,
            kind=kind,
            actor_user_id=actor_user_id,
            actor=actor,
            data=data,
        )
    )


def _announce_status(client_id, conversation_id, previous, status, actor_user_id, actor):
    send_safely(conversation_updated, client_id=client_id, conversation_id=conversation_id)
    if previous != status:
        send_safely(
            conversation_status_changed,
            client_id=client_id,
            conversation_id=conversation_id,
            previous=previous,
            status=status,
            actor_user_id=actor_user_id,
            actor=actor,
        )


def snooze(
    client_id: int,
    conversation_id: int,
    user_id: int,
    *,
    preset: str | None = None,
    until: str | None = None,
    now: datetime | None = None,
) -> Conversation:
    """Hide the conversation until a preset or a custom time; the snoozer gets the reminder."""
    now = now or utcnow()
    zone = client_zone(client_id)
    if preset:
        moment = preset_until(preset, zone, now)
    elif until:
        moment = custom_until(until, zone)
    else:
        raise InboxError(_("Escolha até quando adiar a conversa."))
    if moment <= now + timedelta(minutes=1):
        raise InboxError(_("Escolha um momento no futuro."))
    if moment > now + MAX_SNOOZE:
        raise InboxError(_("Adie por no máximo um ano."))
    conv = get_conversation(client_id, conversation_id)
    if conv.status == "RESOLVED":
        raise InboxError(_("Uma conversa resolvida não pode ser adiada; reabra-a antes."))
    previous = conv.status
    conv.status = "SNOOZED"
    conv.snoozed_until = moment
    conv.snoozed_by_id = user_id
    conv.updated_at = now
    _event(
        conv,
        ConversationEventKind.SNOOZED,
        actor_user_id=user_id,
        actor="user",
        data={"until": moment.isoformat(), "preset": preset or "custom"},
    )
    db.session.commit()
    _announce_status(client_id, conv.id, previous, "SNOOZED", user_id, "user")
    return conv


def unsnooze(client_id: int, conversation_id: int, user_id: int) -> Conversation:
    """The agent brings it back now (no reminder)."""
    conv = get_conversation(client_id, conversation_id)
    if conv.status != "SNOOZED":
        return conv
    conv.status = "OPEN"
    conv.snoozed_until = None
    conv.updated_at = utcnow()
    _event(conv, ConversationEventKind.UNSNOOZED, actor_user_id=user_id, actor="user", data={})
    db.session.commit()
    _announce_status(client_id, conv.id, "SNOOZED", "OPEN", user_id, "user")
    return conv


def _wake_one(conversation_id: int, now: datetime) -> bool:
    c = Conversation.__table__.c
    row = db.session.execute(
        sa.update(Conversation.__table__)
        .where(
            c.id == conversation_id,
            c.status == "SNOOZED",
            c.snoozed_until <= sa.literal(now, c.snoozed_until.type),
        )
        .values(status="OPEN", snoozed_until=sa.null(), updated_at=now)
        .returning(c.client_id, c.snoozed_by_id, c.contact_id, c.snoozed_until)
    ).first()
    if row is None:  # another worker woke it, or the customer wrote first
        db.session.rollback()
        return False
    client_id, snoozer, contact_id = row[0], row[1], row[2]
    conv = db.session.get(Conversation, conversation_id)
    assert conv is not None
    _event(conv, ConversationEventKind.UNSNOOZED, actor_user_id=None, actor="system", data={})
    name = db.session.scalar(sa.select(Contact.name).where(Contact.id == contact_id)) or ""
    note = notify(
        client_id,
        "snooze_due",
        _("Lembrete: a conversa com %(name)s voltou para Abertas.", name=name or _("o contato")),
        conversation_id=conversation_id,
        user_id=snoozer,
        dedupe_key=f"snooze:{conversation_id}:{now.isoformat()}",
        commit=False,
    )
    db.session.commit()
    if note is not None:
        announce(note)
    _announce_status(client_id, conversation_id, "SNOOZED", "OPEN", None, "system")
    return True


def wake_due(now: datetime | None = None) -> int:
    """Reopen every conversation whose snooze ended; returns how many this run reopened."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            sa.select(Conversation.id)
            .where(Conversation.status == "SNOOZED", Conversation.snoozed_until <= now)
            .order_by(Conversation.snoozed_until)
            .limit(WAKE_BATCH)
        )
    )
    db.session.rollback()  # end the read transaction; each wake is its own
    woke = 0
    for conversation_id in ids:
        try:
            woke += _wake_one(conversation_id, now)
        except Exception:
            db.session.rollback()
            log.exception("waking snoozed conversation %s failed", conversation_id)
    return woke


# --------------------------------------------------------------------------- typing


def typing(client_id: int, conversation_id: int) -> dict:
    """Show "digitando…" to the customer (their last message is also marked read).

    Returns {"sent": bool, "reason": ...}; throttled per conversation."""
    conv = get_conversation(client_id, conversation_id)
    inbound = last_inbound(conv)
    if inbound is None or not inbound.wamid:
        return {"sent": False, "reason": "no_inbound"}
    key = f"inbox:typing:{conv.id}"
    if not redis_connection().set(key, "1", nx=True, ex=TYPING_THROTTLE_S):
        return {"sent": False, "reason": "throttled"}
    try:
        credential, graph = whatsapp_for_number(client_id, inbound.number_id)
        graph.typing_indicator(credential.phone_number_id, inbound.wamid)
    except Exception as exc:  # best effort, like the read receipt
        log.warning("typing indicator of conversation %s failed: %s", conv.id, exc)
        return {"sent": False, "reason": "failed"}
    return {"sent": True, "reason": None}
