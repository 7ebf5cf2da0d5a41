"""Meta's per-recipient sending rules read off status webhooks (131049, 131050).

131050 ("the user stopped marketing messages from you") opts the identity out of
marketing campaigns. The synchronous send error and a FAILED status that moves the
message already do it (``optout_rules``); this module covers the FAILED status that
arrives *late* — after the message was already DELIVERED/READ (so the monotonic status
rules ignore it and no status signal is sent) — and a failed status seen on any path.
Adding the opt-out is idempotent, so a second path doing it too is harmless.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Contact, Direction, Message, OptOutSource

log = logging.getLogger(__name__)

MARKETING_STOPPED = 131050  # user stopped marketing messages (Meta)
MARKETING_CAPPED = 131049  # per-user marketing limit: not an opt-out (Meta)


def error_codes(status: dict) -> list[int]:
    codes = []
    for error in status.get("errors") or []:
        code = error.get("code") if isinstance(error, dict) else None
        if str(code).isdigit():
            codes.append(int(str(code)))
    return codes


def marketing_stopped(status: dict) -> bool:
    """A ``failed`` status carrying Meta's 131050."""
    return str(status.get("status") or "").lower() == "failed" and MARKETING_STOPPED in error_codes(
        status
    )


def recipient_ids(status: dict) -> dict:
    """The recipient identifiers of a status (phone and BSUID), for the market lookup."""
    return {
        key: str(status[key])
        for key in ("recipient_id", "recipient_user_id")
        if status.get(key) not in (None, "")
    }


def opt_out_marketing_stopped(client_id: int, wamid: str) -> bool:
    """Opt out the contact of our message ``wamid`` (after the webhook committed)."""
    from clickpro.services.contacts import optout
    from clickpro.services.contacts.identity import shown_bsuid

    if not wamid:
        return False
    try:
        found = db.session.execute(
            sa.select(Contact.phone_e164, Contact.bsuid, Contact.id)
            .join(Message, Message.contact_id == Contact.id)
            .where(
                Message.wamid == wamid,
                Message.client_id == client_id,
                Message.direction == Direction.OUT,
                Contact.client_id == client_id,
            )
        ).first()
        if found is None:  # not stored yet: the pending status's move opts out later
            return False
        phone, bsuid = found.phone_e164, None
        if phone is None:  # a username user: opt out the BSUID we sent to
            bsuid = found.bsuid or shown_bsuid(client_id, int(found.id))
            if bsuid is None:
                return False
        return optout.add_opt_out(client_id, phone, OptOutSource.META, reason="131050", bsuid=bsuid)
    except Exception:
        db.session.rollback()
        log.exception("could not opt out after a late 131050 for %s", wamid)
        return False
