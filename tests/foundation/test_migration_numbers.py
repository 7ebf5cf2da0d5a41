"""Upgrade of a database seeded the way the previous release stored it (head d17a02000001:
one WhatsApp credential per client, the inbox state on the contact) to today's head: the
credential becomes the client's first number, each contact with messages one conversation
on it carrying that state, and messages, campaigns and templates point to the number.

Asserts on the new tables only (a later revision drops the contact's old columns).
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from clickpro.config import normalize_database_url
from clickpro.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or ""
PREVIOUS_HEAD = "d17a02000001"
T0 = "2026-11-20 09:00:00+00"
T1 = "2026-11-30 10:00:00+00"
T2 = "2026-11-30 10:05:00+00"
T3 = "2026-11-30 10:07:00+00"

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgres"), reason="TEST_DATABASE_URL is not PostgreSQL"
)

# What the previous release wrote: every NOT NULL column, as its code filled them.
SEED = [
    f"""INSERT INTO clients (id, name, slug, timezone, is_active, ai_enabled, settings,
        created_at, updated_at) VALUES
        (1, 'Loja A', 'loja-a', 'America/Sao_Paulo', true, true, '{{}}', '{T0}', '{T0}'),
        (2, 'Loja B', 'loja-b', 'America/Sao_Paulo', true, false, '{{}}', '{T0}', '{T0}')""",
    f"""INSERT INTO users (id, email, password_hash, name, is_super_admin, is_active,
        failed_logins, created_at, updated_at) VALUES
        (1, 'dono@loja-a.com.br', 'x', 'Dona', false, true, 0, '{T0}', '{T0}'),
        (2, 'atende@loja-a.com.br', 'x', 'Atendente', false, true, 0, '{T0}', '{T0}')""",
    f"""INSERT INTO client_members (id, client_id, user_id, role, is_active, created_at,
        updated_at) VALUES (1, 1, 1, 'CLIENT_ADMIN', true, '{T0}', '{T0}'),
        (2, 1, 2, 'CLIENT_USER', true, '{T0}', '{T0}')""",
    f"""INSERT INTO whatsapp_credentials (id, client_id, access_token_enc, token_last4, waba_id,
        phone_number_id, app_id, display_phone_number, verified_name, quality_rating,
        app_secret_enc, verify_token_sha256, status, validated_at, throughput_mps,
        messaging_tier, created_at, updated_at) VALUES
        (11, 1, 'gAAAA-token-a', 'en-a', '100000000000001', '100000000000011', NULL,
         '+55 11 3000-0001', 'Loja A Oficial', 'GREEN', 'gAAAA-secret-a', NULL, 'VALID',
         '{T0}', 80, 'TIER_1K', '{T0}', '{T0}'),
        (12, 2, 'gAAAA-token-b', 'en-b', '100000000000002', '100000000000022', NULL,
         '+55 21 3000-0002', NULL, NULL, NULL, NULL, 'VALID', '{T0}', 80, NULL,
         '{T0}', '{T0}')""",
    f"""INSERT INTO templates (id, client_id, name, language, category, components, status,
        created_at, updated_at) VALUES
        (21, 1, 'promo', 'pt_BR', 'MARKETING', '[]', 'APPROVED', '{T0}', '{T0}'),
        (22, 1, 'boas_vindas', 'pt_BR', 'UTILITY', '[]', 'APPROVED', '{T0}', '{T0}'),
        (23, 2, 'promo', 'pt_BR', 'MARKETING', '[]', 'PENDING', '{T0}', '{T0}')""",
    f"""INSERT INTO campaigns (id, client_id, name, template_id, status, rate_mps, variables,
        missing_value_policy, counters, created_at, updated_at) VALUES
        (31, 1, 'Black Friday', 21, 'COMPLETED', 20, '{{}}', 'skip', '{{}}', '{T1}', '{T1}')""",
    # 41: open, 2 unread, assigned, AI paused. 42: resolved. 43: no messages. 44: client B.
    f"""INSERT INTO contacts (id, client_id, phone_e164, wa_id, name, attributes,
        last_inbound_at, ai_paused, last_message_at, last_message_preview, unread_count,
        assigned_user_id, conversation_status, created_at, updated_at) VALUES
        (41, 1, '+5511987650001', '5511987650001', 'Ana', '{{}}', '{T2}', true, '{T3}',
         'Quero saber do pedido', 2, 2, 'OPEN', '{T0}', '{T3}'),
        (42, 1, '+5511987650002', '5511987650002', 'Bia', '{{}}', '{T1}', false, '{T1}',
         'Obrigada!', 0, NULL, 'RESOLVED', '{T0}', '{T2}'),
        (43, 1, '+5511987650003', NULL, 'Caio', '{{}}', NULL, false, NULL, NULL, 0, NULL,
         'OPEN', '{T0}', '{T0}'),
        (44, 2, '+5521987650004', '5521987650004', 'Duda', '{{}}', '{T2}', false, '{T2}',
         'Oi', 1, NULL, 'OPEN', '{T0}', '{T2}')""",
    f"""INSERT INTO messages (id, client_id, contact_id, campaign_id, direction, author,
        agent_id, type, body, payload, template_id, wamid, is_internal_note, status,
        attempts, created_at, updated_at) VALUES
        (51, 1, 41, 31, 'OUT', 'CAMPAIGN', NULL, 'template', '', '{{}}', 21, 'wamid.A1',
         false, 'READ', 1, '{T1}', '{T1}'),
        (52, 1, 41, NULL, 'IN', 'CONTACT', NULL, 'text', 'Quero saber do pedido', '{{}}',
         NULL, 'wamid.A2', false, 'RECEIVED', 0, '{T2}', '{T2}'),
        (53, 1, 41, NULL, 'OUT', 'AGENT', 2, 'text', 'Já vejo!', '{{}}', NULL, 'wamid.A3',
         false, 'DELIVERED', 1, '{T3}', '{T3}'),
        (54, 1, 42, NULL, 'IN', 'CONTACT', NULL, 'text', 'Obrigada!', '{{}}', NULL,
         'wamid.A4', false, 'RECEIVED', 0, '{T1}', '{T1}'),
        (55, 2, 44, NULL, 'IN', 'CONTACT', NULL, 'text', 'Oi', '{{}}', NULL, 'wamid.B1',
         false, 'RECEIVED', 0, '{T2}', '{T2}')""",
]
COUNTS = {"clients": 2, "users": 2, "client_members": 2, "whatsapp_credentials": 2,
          "templates": 3, "campaigns": 1, "contacts": 4, "messages": 5}  # fmt: skip


@pytest.fixture
def previous_release_database():
    url = sa.engine.make_url(normalize_database_url(TEST_DATABASE_URL))
    url = url.set(database=f"{url.database}_numbers")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def _rows(conn, sql: str) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text(sql))]


def test_single_credential_becomes_the_first_number_with_nothing_lost(
    make_app, previous_release_database
):
    app = make_app(SQLALCHEMY_DATABASE_URI=previous_release_database)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision=PREVIOUS_HEAD)
        with db.engine.begin() as conn:
            for statement in SEED:
                conn.execute(sa.text(statement))
        upgrade(directory=directory)  # to today's head

        with db.engine.connect() as conn:
            for table, count in COUNTS.items():
                assert conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) == count, table
            numbers = _rows(conn, "SELECT id, client_id, display_name, archived_at, ai_settings,"
                                  " phone_number_id, access_token_enc, app_secret_enc"
                                  " FROM whatsapp_credentials ORDER BY id")  # fmt: skip
            conversations = _rows(conn, "SELECT * FROM conversations ORDER BY contact_id")
            messages = _rows(conn, "SELECT id, number_id, conversation_id, contact_id, body,"
                                   " status FROM messages ORDER BY id")  # fmt: skip
            campaign = _rows(conn, "SELECT number_id, template_id FROM campaigns")
            templates = _rows(conn, "SELECT id, waba_id FROM templates ORDER BY id")

        # The credential is the first number: its name from Meta's, secrets kept.
        assert [(n["id"], n["client_id"], n["display_name"]) for n in numbers] == [
            (11, 1, "Loja A Oficial"),
            (12, 2, "+55 21 3000-0002"),  # no verified name: the phone
        ]
        assert all(n["archived_at"] is None and n["ai_settings"] is None for n in numbers)
        assert numbers[0]["access_token_enc"] == "gAAAA-token-a"
        assert numbers[0]["app_secret_enc"] == "gAAAA-secret-a"
        from clickpro.services.conversations import first_number

        assert first_number(1).id == 11 and first_number(2).id == 12

        # One conversation per contact with messages, with the contact's inbox state.
        by_contact = {c["contact_id"]: c for c in conversations}
        assert sorted(by_contact) == [41, 42, 44]  # 43 never talked
        ana, bia, duda = by_contact[41], by_contact[42], by_contact[44]
        assert (ana["client_id"], ana["number_id"], ana["status"]) == (1, 11, "OPEN")
        assert (ana["assigned_user_id"], ana["unread_count"], ana["ai_paused"]) == (2, 2, True)
        assert ana["last_message_preview"] == "Quero saber do pedido"
        assert str(ana["last_message_at"]).startswith("2026-11-30 10:07:00")
        assert str(ana["last_inbound_at"]).startswith("2026-11-30 10:05:00")
        assert ana["resolved_at"] is None
        assert (bia["status"], bia["unread_count"], bia["ai_paused"]) == ("RESOLVED", 0, False)
        assert bia["resolved_at"] is not None and bia["last_message_preview"] == "Obrigada!"
        assert str(bia["last_inbound_at"]).startswith("2026-11-30 10:00:00")
        assert (duda["client_id"], duda["number_id"], duda["unread_count"]) == (2, 12, 1)

        # Messages: on their client's number and in their contact's conversation.
        conversation_of = {c["contact_id"]: c["id"] for c in conversations}
        for message in messages:
            expected_number = 12 if message["contact_id"] == 44 else 11
            assert message["number_id"] == expected_number, message
            assert message["conversation_id"] == conversation_of[message["contact_id"]], message
        assert [m["body"] for m in messages] == [
            "", "Quero saber do pedido", "Já vejo!", "Obrigada!", "Oi",
        ]  # fmt: skip
        assert campaign == [{"number_id": 11, "template_id": 21}]
        assert templates == [
            {"id": 21, "waba_id": "100000000000001"},
            {"id": 22, "waba_id": "100000000000001"},
            {"id": 23, "waba_id": "100000000000002"},
        ]
        db.session.remove()
        db.engine.dispose()
