"""The sandbox's fake customers: their business-scoped user ids and usernames.

Every fake customer has a BSUID per business portfolio (WABA), like Meta gives
(reference §1): ``BR.`` followed by 16 digits derived from the WABA id and the customer's
phone, so the same phone always gets the same BSUID on one WABA and another one on
another WABA (``^[A-Z]{2}\\.(?:ENT\\.)?[A-Za-z0-9]{1,128}$``). Both Brazilian forms of a
mobile (with and without the ninth digit) are one customer.

A *username-only* customer is known by its BSUID alone (``BR.…`` given instead of a
phone, or ``hide_phone``): its webhooks carry ``contacts[].user_id`` /
``messages[].from_user_id`` and ``profile.username``, never ``wa_id`` / ``from``.

:meth:`Customers.change_user_id` is Meta's "user changed phone number": a new BSUID
(and maybe a new phone) from then on, announced with the ``user_changed_user_id`` system
message, the ``user_id_update`` webhook field, or both.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clickpro.sandbox.state import Account

BSUID_RE = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
CHANGE_SHAPES = ("system", "user_id_update", "both")


def canonical_phone(digits: str) -> str:
    """A Brazilian mobile in its 13-digit form (55 DD 9XXXXXXXX); others unchanged."""
    digits = str(digits).lstrip("+")
    if len(digits) == 12 and digits.startswith("55") and digits[4] in "6789":
        return digits[:4] + "9" + digits[4:]
    return digits


def derived_bsuid(waba_id: str, phone: str, generation: int = 0) -> str:
    """The deterministic BSUID of ``phone`` on ``waba_id`` (``BR.`` + 16 digits)."""
    seed = f"{waba_id}:{canonical_phone(phone)}:{generation}".encode()
    number = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") % 10**16
    return f"BR.{number:016d}"


@dataclass
class Customer:
    """What the sandbox knows of one customer on one WABA."""

    bsuid: str
    phone: str | None = None  # digits; None for a customer known only by BSUID
    username: str | None = None
    hide_phone: bool = False  # a username user: webhooks never show the phone


class Customers:
    """Fake customers per WABA: BSUIDs, usernames, identity changes (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_phone: dict[tuple[str, str], Customer] = {}
        self._by_bsuid: dict[tuple[str, str], Customer] = {}
        self._generation: dict[tuple[str, str], int] = {}

    def reset(self) -> None:
        with self._lock:
            self._by_phone.clear()
            self._by_bsuid.clear()
            self._generation.clear()

    # ------------------------------------------------------------------ lookup
    def bsuid_of(self, account: Account, phone: str | None) -> str | None:
        """The customer's BSUID on the account's WABA (statuses' ``recipient_user_id``)."""
        if not phone:
            return None
        return self.customer(account, phone).bsuid

    def customer(self, account: Account, who: str) -> Customer:
        """The customer ``who`` (a phone or a BSUID) on the account's WABA, made if new."""
        waba = account.waba_id
        who = str(who).strip()
        with self._lock:
            if BSUID_RE.match(who):
                found = self._by_bsuid.get((waba, who))
                if found is None:  # a username user the sandbox had not met yet
                    found = Customer(bsuid=who, hide_phone=True)
                    self._by_bsuid[(waba, who)] = found
                return found
            phone = canonical_phone(who)
            found = self._by_phone.get((waba, phone))
            if found is None:
                generation = self._generation.get((waba, phone), 0)
                found = Customer(bsuid=derived_bsuid(waba, phone, generation), phone=phone)
                self._by_phone[(waba, phone)] = found
                self._by_bsuid[(waba, found.bsuid)] = found
            return found

    def remember(
        self, account: Account, customer: Customer, *, username: str | None, hide_phone: bool
    ) -> None:
        with self._lock:
            if username is not None:
                customer.username = username
            if hide_phone:
                customer.hide_phone = True

    # ------------------------------------------------------------------ change
    def change_user_id(
        self, account: Account, who: str, new_phone: str | None = None
    ) -> tuple[Customer, Customer]:
        """The customer gets a new BSUID (and ``new_phone`` if given): (before, after)."""
        before = self.customer(account, who)
        waba = account.waba_id
        with self._lock:
            old = Customer(before.bsuid, before.phone, before.username, before.hide_phone)
            phone = canonical_phone(new_phone) if new_phone else before.phone
            key = phone or before.bsuid
            generation = self._generation.get((waba, key), 0) + 1
            self._generation[(waba, key)] = generation
            seed_phone = phone or before.bsuid
            before.bsuid = derived_bsuid(waba, seed_phone, generation)
            if before.phone and before.phone != phone:
                self._by_phone.pop((waba, before.phone), None)
            before.phone = phone
            if phone:
                self._by_phone[(waba, phone)] = before
            self._by_bsuid[(waba, before.bsuid)] = before
            return old, before


# ---------------------------------------------------------------------- payload values
def inbound_value(
    customer: Customer, msg: dict[str, Any], name: str, wa_id: str | None = None
) -> dict[str, Any]:
    """``contacts``/``messages`` of a ``messages`` change from ``customer`` (``wa_id``: the
    form of the phone to show, e.g. a Brazilian mobile without its ninth digit)."""
    profile: dict[str, Any] = {"name": name}
    if customer.username:
        profile["username"] = customer.username
    contact: dict[str, Any] = {"profile": profile, "user_id": customer.bsuid}
    sender: dict[str, Any] = {"from_user_id": customer.bsuid}
    if customer.phone and not customer.hide_phone:
        contact["wa_id"] = sender["from"] = wa_id or customer.phone
    return {"contacts": [contact], "messages": [{**sender, **msg}]}


def change_values(
    old: Customer, new: Customer, *, wamid: str, name: str, shape: str
) -> list[tuple[str, dict[str, Any]]]:
    """(field, value) of the change notices: the system message and/or ``user_id_update``."""
    if shape not in CHANGE_SHAPES:
        raise ValueError(f"shape must be one of {', '.join(CHANGE_SHAPES)}")
    now = str(int(time.time()))
    notices: list[tuple[str, dict[str, Any]]] = []
    if shape in ("system", "both"):
        system: dict[str, Any] = {
            "body": f"User {name} changed from {old.bsuid} to {new.bsuid}",
            "type": "user_changed_user_id",
            "user_id": new.bsuid,
        }
        if new.phone and new.phone != old.phone and not new.hide_phone:
            system["wa_id"] = new.phone
        msg = {"id": wamid, "timestamp": now, "type": "system", "system": system}
        notices.append(("messages", inbound_value(old, msg, name)))
    if shape in ("user_id_update", "both"):
        item: dict[str, Any] = {
            "detail": f"User {name} changed phone number",
            "user_id": {"previous": old.bsuid, "current": new.bsuid},
            "timestamp": now,
        }
        value: dict[str, Any] = {"messaging_product": "whatsapp", "user_id_update": [item]}
        if new.phone and not new.hide_phone:
            item["wa_id"] = new.phone
            value["contacts"] = [{"wa_id": new.phone}]
        notices.append(("user_id_update", value))
    return notices
