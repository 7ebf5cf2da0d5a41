"""500 clients: the console page in the same handful of queries, and how long it takes."""

from __future__ import annotations

import hashlib
import time

import sqlalchemy as sa

from clickpro.crypto import encrypt
from clickpro.extensions import db
from clickpro.models import Client, Message, Template, WebhookEvent, WhatsAppCredential
from clickpro.models.base import utcnow

CLIENTS = 500


def _seed(n: int) -> None:
    """``n`` clients, each with a number, three templates, a dead letter on every 7th and
    a few priced messages (bulk inserts: seconds, not minutes)."""
    now = utcnow()
    db.session.execute(
        sa.insert(Client),
        [{"name": f"Cliente {i:03d}", "slug": f"escala-{i}", "settings": {}} for i in range(n)],
    )
    ids = list(db.session.scalars(sa.select(Client.id).order_by(Client.id)))
    token = encrypt("t")
    db.session.execute(
        sa.insert(WhatsAppCredential),
        [
            {"client_id": cid, "access_token_enc": token, "waba_id": f"w{cid}",
             "phone_number_id": f"p{cid}", "status": "INVALID" if cid % 11 == 0 else "VALID",
             "quality_rating": ("GREEN", "YELLOW", "RED")[cid % 3], "messaging_tier": "TIER_1K"}
            for cid in ids
        ],
    )  # fmt: skip
    db.session.execute(
        sa.insert(Template),
        [
            {"client_id": cid, "waba_id": f"w{cid}", "name": f"t{k}", "language": "pt_BR",
             "components": [], "status": ("APPROVED", "PAUSED", "REJECTED")[k]}
            for cid in ids for k in range(3)
        ],
    )  # fmt: skip
    db.session.execute(
        sa.insert(WebhookEvent),
        [
            {"client_id": cid, "body": str(cid), "signature_ok": True, "routed": True,
             "body_sha256": hashlib.sha256(str(cid).encode()).hexdigest(), "attempts": 5,
             "dead_at": now, "received_at": now}
            for cid in ids[::7]
        ],
    )  # fmt: skip
    numbers = {
        cid: nid
        for cid, nid in db.session.execute(
            sa.select(WhatsAppCredential.client_id, WhatsAppCredential.id)
        )
    }
    db.session.commit()
    from clickpro.models import Contact

    db.session.execute(
        sa.insert(Contact),
        [{"client_id": cid, "phone_e164": f"+55119{cid:08d}", "name": ""} for cid in ids],
    )
    contacts = {cid: k for cid, k in db.session.execute(sa.select(Contact.client_id, Contact.id))}
    db.session.execute(
        sa.insert(Message),
        [
            {"client_id": cid, "contact_id": contacts[cid], "number_id": numbers[cid],
             "direction": "OUT", "author": "AI" if k == 0 else "AGENT", "type": "text",
             "status": "READ", "body": "x", "ai_usage": {"cost": 0.01} if k == 0 else None,
             "pricing_category": "marketing", "cost": 0.0625, "cost_currency": "BRL",
             "delivered_at": now}
            for cid in ids for k in range(4)
        ],
    )  # fmt: skip
    db.session.commit()


def test_500_clients_open_in_a_fixed_number_of_queries(app, create_user, login_as):
    http = login_as(create_user("root-scale@example.com", is_super_admin=True))
    _seed(CLIENTS)
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    http.get("/admin/console/")  # warm-up (template compilation, admin view caches)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        response = http.get("/admin/console/")
        elapsed = time.perf_counter() - started
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("data-client=") == CLIENTS
    assert len(seen) <= 20, len(seen)
    from clickpro.services.console import build_console

    started = time.perf_counter()
    build_console()
    gather = time.perf_counter() - started
    print(f"\nconsole, {CLIENTS} clients: page {elapsed * 1000:.0f} ms (figures"
          f" {gather * 1000:.0f} ms), {len(seen)} queries")  # fmt: skip
    assert elapsed < 5, elapsed  # generous on a shared machine; typically well under 1 s
