"""Helpers for campaign tests (data builders, a recording transport)."""

from __future__ import annotations

import itertools
import json

import httpx

from clickpro.extensions import db as _db
from clickpro.models import Contact, ContactList, ContactListMember

_seq = itertools.count(1)

BODY_ONLY = [
    {
        "type": "BODY",
        "text": "Olá {{1}}, seu cupom é {{2}}!",
        "example": {"body_text": [["Maria", "X1"]]},
    },
    {"type": "FOOTER", "text": "Responda SAIR para não receber mais"},
]
FULL = [
    {"type": "HEADER", "format": "TEXT", "text": "Oferta para {{1}}", "example": {"header_text": ["Maria"]}},
    {"type": "BODY", "text": "Oi {{1}}, código {{2}}.", "example": {"body_text": [["Maria", "A1"]]}},
    {"type": "BUTTONS", "buttons": [
        {"type": "URL", "text": "Ver", "url": "https://loja.example/p/{{1}}", "example": ["https://loja.example/p/1"]},
    ]},
]  # fmt: skip


class Recorder(httpx.BaseTransport):
    """Wraps the sandbox transport and keeps every send payload that went over the wire."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.payloads: list[dict] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/messages"):
            self.payloads.append(json.loads(request.read() or b"{}"))
        return self.inner.handle_request(request)


def sandbox_template(state, name: str, components: list, account=None) -> None:
    account = account or state.account_for_number("100000000000011")
    payload = {"name": name, "language": "pt_BR", "category": "MARKETING", "components": components}
    body, status = state.templates.create(account, payload)
    assert status == 200, body
    assert state.templates.find(account.waba_id, name, "pt_BR")["status"] == "APPROVED"


def add_contacts(tenant, n: int, *, attrs=None, names=True, prefix="+5511") -> list[int]:
    """Bulk-insert ``n`` contacts (fast); ids."""
    # Wrapped so the number keeps 8 digits after the 9: past ~100 calls in one session the
    # [:14] cut dropped the last digit and every row of a call got the same phone.
    base = (next(_seq) % 99 + 1) * 1_000_000
    rows = [
        {"client_id": tenant.id, "phone_e164": f"{prefix}9{base + i:08d}"[:14],
         "wa_id": f"{prefix}9{base + i:08d}"[1:14], "name": f"Pessoa {i}" if names else "",
         "attributes": dict(attrs(i)) if attrs else {"cupom": f"C{i}"}}
        for i in range(n)
    ]  # fmt: skip
    _db.session.execute(_db.insert(Contact), rows)
    _db.session.commit()
    phones = [r["phone_e164"] for r in rows]
    return list(_db.session.scalars(_db.select(Contact.id).where(Contact.phone_e164.in_(phones))))


def make_list(tenant, contact_ids, name=None) -> ContactList:
    contact_list = ContactList(client_id=tenant.id, name=name or f"Lista {next(_seq)}")
    _db.session.add(contact_list)
    _db.session.flush()
    if contact_ids:
        _db.session.execute(
            _db.insert(ContactListMember),
            [{"list_id": contact_list.id, "contact_id": c} for c in contact_ids],
        )
    _db.session.commit()
    return contact_list
