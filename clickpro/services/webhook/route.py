"""Route the changes of one webhook payload to their client and apply them.

``messages`` changes are routed by ``metadata.phone_number_id``; template and phone
number changes by the WABA id (``entry[].id``). A change whose number or WABA is not
ours leaves the event unrouted (kept for the super admin), never an error. A client may
have several numbers, each with its own app secret; an archived (removed) number is
nobody's: its changes leave the event unrouted like an unknown number's.

Tenant isolation: a delivery is signed by one Meta app (its *app key*, decided at the
ack, see :mod:`.signer`). A change is applied only to credentials of that same app; a
change naming another app's number or WABA is dropped (logged, counted in
``Outcome.dropped``), never routed — messages, statuses, template, quality and account
updates alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.costs.quality import category_update
from clickpro.services.costs.sending_rules import marketing_stopped, recipient_ids
from clickpro.services.messaging.delivery import StatusChange, record_status
from clickpro.services.messaging.status_batch import status_identities
from clickpro.services.templates.status import apply_template_update
from clickpro.services.webhook import route_cache
from clickpro.services.webhook.inbound import (
    PayloadError,
    Received,
    ingest_messages,
    ingest_user_id_updates,
)
from clickpro.services.webhook.signer import PLATFORM, credential_app_key

log = logging.getLogger(__name__)
_credentials = WhatsAppCredential.__table__

# phone_number_quality_update: throughput levels and quality events.
_THROUGHPUT = {"HIGH": 1000, "STANDARD": 80, "COEXISTENCE": 20, "THROUGHPUT_UPGRADE": 1000}
_QUALITY_EVENTS = {"FLAGGED": "RED", "UNFLAGGED": "GREEN"}
# message_template_status_update events that are not template statuses.
_TEMPLATE_EVENT_STATUS = {"REINSTATED": "APPROVED", "FLAGGED": None}


@dataclass
class Outcome:
    """What processing one event did; signals are sent from it after commit."""

    client_ids: list[int] = field(default_factory=list)
    unrouted: bool = False
    received: list[Received] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)
    pending: list[tuple[int, str]] = field(default_factory=list)
    ignored_fields: list[str] = field(default_factory=list)
    signer: str = PLATFORM
    dropped: int = 0
    # Inbound messages with neither a phone nor a BSUID (or no id): not stored, counted.
    malformed: int = 0
    # (client, wamid) of failed statuses with Meta's 131050: opted out after commit.
    marketing_stopped: list[tuple[int, str]] = field(default_factory=list)

    def allows(self, app_key: str | None, field_name: str, target: object) -> bool:
        """Whether a credential of ``app_key`` may receive a change of this delivery."""
        if app_key is not None and app_key == self.signer:
            return True
        self.dropped += 1
        log.warning(
            "webhook: dropped a %s change for %s: it belongs to another Meta app than the "
            "one that signed the delivery",
            field_name,
            target,
        )
        return False

    def routed_to(self, client_id: int) -> None:
        if client_id not in self.client_ids:
            self.client_ids.append(client_id)


def _client_for_number(phone_number_id) -> tuple[int | None, str | None]:
    """(client, app key) owning the number; hits are cached briefly (one lookup per burst).

    An archived number belongs to nobody: its webhooks stay unrouted.
    """
    if not phone_number_id:
        return None, None
    key = str(phone_number_id)
    hit = route_cache.cached(key)
    if hit is not None:
        return hit
    c = _credentials.c
    row = db.session.execute(
        sa.select(c.client_id, c.app_secret_enc).where(
            c.phone_number_id == key, c.archived_at.is_(None)
        )
    ).first()
    if row is None:  # misses are not cached: a credential may be added any time
        route_cache.forget(key)
        return None, None
    app_key = credential_app_key(row.app_secret_enc)
    route_cache.store(key, row.client_id, app_key)
    return row.client_id, app_key


def clear_route_cache() -> None:
    route_cache.clear()


def _credentials_for_waba(waba_id, outcome: Outcome, field_name: str) -> list:
    """The WABA's numbers (not archived) that belong to the signing app (others dropped)."""
    if not waba_id:
        return []
    c = _credentials.c
    stmt = sa.select(c.id, c.client_id, c.display_phone_number, c.app_secret_enc).where(
        c.waba_id == str(waba_id), c.archived_at.is_(None)
    )
    rows = list(db.session.execute(stmt).all())
    return [
        row
        for row in rows
        if outcome.allows(credential_app_key(row.app_secret_enc), field_name, f"WABA {waba_id}")
    ]


def _messages_change(entry: dict, value: dict, outcome: Outcome) -> None:
    metadata = found if isinstance(found := value.get("metadata"), dict) else {}
    phone_number_id = metadata.get("phone_number_id")
    client_id, app_key = _client_for_number(phone_number_id)
    if client_id is None:
        outcome.unrouted = True
        return
    if not outcome.allows(app_key, "messages", f"number {phone_number_id}"):
        return
    outcome.routed_to(client_id)
    ingested = ingest_messages(client_id, value)
    outcome.received.extend(ingested.received)
    outcome.malformed += ingested.malformed
    for status in value.get("statuses") or []:
        if not isinstance(status, dict):
            raise PayloadError(_("status em formato inesperado"))
        change, pending = record_status(
            client_id,
            str(status.get("id") or ""),
            str(status.get("status") or ""),
            status.get("timestamp"),
            callback_data=status.get("biz_opaque_callback_data"),
            errors=status.get("errors") if isinstance(status.get("errors"), list) else None,
            pricing=status.get("pricing") if isinstance(status.get("pricing"), dict) else None,
            recipient=recipient_ids(status),
            phone_number_id=str(phone_number_id),
            identities=status_identities(status),
        )
        if change is not None:
            outcome.changes.append(change)
        if marketing_stopped(status):  # 131050, even when the FAILED moves nothing (late)
            outcome.marketing_stopped.append((client_id, str(status.get("id") or "")))
        if pending:
            outcome.pending.append((client_id, str(status.get("id"))))
    for error in value.get("errors") or []:
        log.warning("webhook error for client %s: %s", client_id, error)


def _template_change(kind: str) -> Callable[[dict, dict, Outcome], None]:
    def handle(entry: dict, value: dict, outcome: Outcome) -> None:
        credentials = _credentials_for_waba(entry.get("id"), outcome, f"template {kind}")
        if not credentials:
            outcome.unrouted = True
            return
        fields: dict = {
            "meta_template_id": value.get("message_template_id"),
            "name": value.get("message_template_name"),
            "language": value.get("message_template_language"),
        }
        if kind == "status":
            event = str(value.get("event") or "").upper()
            status = _TEMPLATE_EVENT_STATUS.get(event, event)
            fields.update(status=status, reason=value.get("reason"))
            if event == "FLAGGED":
                fields["quality"] = "RED"
        elif kind == "quality":
            fields["quality"] = value.get("new_quality_score")
        for client_id in {row.client_id for row in credentials}:
            outcome.routed_to(client_id)
            if kind == "category":  # impending: notify only; completed: apply (h6)
                category_update(client_id, value)
            else:
                apply_template_update(client_id, waba_id=str(entry.get("id") or ""), **fields)

    return handle


def _digits(text) -> str:
    return "".join(ch for ch in str(text or "") if ch.isdigit())


def _phone_quality_change(entry: dict, value: dict, outcome: Outcome) -> None:
    credentials = _credentials_for_waba(entry.get("id"), outcome, "phone_number_quality_update")
    display = _digits(value.get("display_phone_number"))
    matching = [r for r in credentials if display and _digits(r.display_phone_number) == display]
    targets = matching or (credentials if len(credentials) == 1 else [])
    if not targets:
        outcome.unrouted = True
        return
    event = str(value.get("event") or "").upper()
    throughput = found if isinstance(found := value.get("throughput"), dict) else {}
    updates: dict = {}
    mps = _THROUGHPUT.get(event) or _THROUGHPUT.get(str(throughput.get("level") or "").upper())
    if mps:
        updates["throughput_mps"] = mps
    quality = value.get("quality_rating") or _QUALITY_EVENTS.get(event)
    if quality:
        updates["quality_rating"] = str(quality).upper()[:16]
    # 2026: the tier is max_daily_conversations_per_business; current_limit is going away.
    tier = value.get("max_daily_conversations_per_business") or value.get("current_limit")
    if tier:
        updates["messaging_tier"] = str(tier)[:32]
    for row in targets:
        outcome.routed_to(row.client_id)
        if updates:
            db.session.execute(
                sa.update(_credentials)
                .where(_credentials.c.id == row.id)
                .values(**updates, updated_at=utcnow())
            )


def _user_id_update_change(entry: dict, value: dict, outcome: Outcome) -> None:
    """A user's new BSUID (h5): routed by WABA, as BSUIDs are scoped to the portfolio."""
    credentials = _credentials_for_waba(entry.get("id"), outcome, "user_id_update")
    if not credentials:
        outcome.unrouted = True
        return
    for client_id in sorted({row.client_id for row in credentials}):
        outcome.routed_to(client_id)
        ingest_user_id_updates(client_id, str(entry.get("id")), value)


HANDLERS: dict[str, Callable[[dict, dict, Outcome], None]] = {
    "messages": _messages_change,
    "message_template_status_update": _template_change("status"),
    "message_template_quality_update": _template_change("quality"),
    "template_category_update": _template_change("category"),
    "phone_number_quality_update": _phone_quality_change,
    "user_id_update": _user_id_update_change,
}


def status_wamids(payloads) -> list[str]:
    """Every status wamid in decoded payloads (tolerant: odd shapes are skipped here)."""
    found: list[str] = []
    for data in payloads:
        entries = data.get("entry") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            changes = entry.get("changes") if isinstance(entry, dict) else None
            for change in changes if isinstance(changes, list) else []:
                value = change.get("value") if isinstance(change, dict) else None
                statuses = value.get("statuses") if isinstance(value, dict) else None
                for item in statuses if isinstance(statuses, list) else []:
                    if isinstance(item, dict) and item.get("id"):
                        found.append(str(item["id"]))
    return found


def process_payload(data, signer: str | None = PLATFORM) -> Outcome:
    """Apply every change of a decoded payload (no commit); raises PayloadError on odd shapes.

    ``signer`` is the app key that signed the delivery (None, for events stored before
    it was recorded, means the platform's app).
    """
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise PayloadError(_("formato desconhecido: o corpo não tem a lista 'entry'"))
    outcome = Outcome(signer=signer or PLATFORM)
    for entry in data["entry"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            raise PayloadError(_("formato desconhecido: 'entry' sem a lista 'changes'"))
        for change in entry["changes"]:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                raise PayloadError(_("formato desconhecido: 'change' sem 'value'"))
            handler = HANDLERS.get(str(change.get("field")))
            if handler is None:
                outcome.ignored_fields.append(str(change.get("field")))
                continue
            handler(entry, change["value"], outcome)
    return outcome
