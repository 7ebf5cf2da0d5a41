"""The two-client "world" of the isolation tests (fixture ``world`` via conftest.py).

``WORLD_FACTORIES`` is the list of what client A owns: one row of every tenant model,
each carrying the marker ``SEGREDO-A`` in a text column. To cover a new tenant model,
add one entry ``"name": factory`` (a function ``(world) -> row``; rows built earlier are
in ``world.rows``) and, if routes name it in their URLs, map the argument name in
``ARGUMENT_ROWS`` of ``test_isolation.py``. Row ids are explicit and large (7000+),
so they can never be mistaken for the other client's own rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256

import pytest
import sqlalchemy as sa

from clickpro.extensions import db as _db
from clickpro.models import (
    Campaign,
    CampaignList,
    Client,
    ClientMember,
    Contact,
    ContactImport,
    ContactImportRejection,
    ContactList,
    ContactListMember,
    MemberInvitation,
    Message,
    Notification,
    OpenAICredential,
    OptOut,
    Role,
    Template,
    WebhookEvent,
    WhatsAppCredential,
)

MARKER = "SEGREDO-A"
A_PHONE = "+5511987650001"
A_PHONE_NUMBER_ID = "700000000000011"


@dataclass
class World:
    a: Client
    b: Client
    a_admin: object
    a_agent: object
    b_admin: object
    b_agent: object
    rows: dict[str, object] = field(default_factory=dict)

    @property
    def markers(self) -> tuple[str, ...]:
        """Strings that must never appear in anything client B is shown."""
        return (MARKER, MARKER.lower(), A_PHONE, A_PHONE.lstrip("+"), A_PHONE_NUMBER_ID)


def _add(row):
    _db.session.add(row)
    _db.session.flush()
    return row


def _secret(value: str) -> str:
    from clickpro.crypto import encrypt

    return encrypt(value)


def _contact(w: World):
    return _add(
        Contact(
            id=7101,
            client_id=w.a.id,
            phone_e164=A_PHONE,
            wa_id=A_PHONE.lstrip("+"),
            name=f"{MARKER}-contato",
            attributes={"cidade": f"{MARKER}-cidade"},
        )
    )


def _contact_list(w: World):
    row = _add(ContactList(id=7201, client_id=w.a.id, name=f"{MARKER}-lista", description=MARKER))
    _add(ContactListMember(list_id=row.id, contact_id=w.rows["contact"].id))
    return row


def _opt_out(w: World):
    return _add(
        OptOut(id=7301, client_id=w.a.id, phone_e164="+5511987650002", reason=f"{MARKER}-optout")
    )


def _template(w: World):
    return _add(
        Template(
            id=7401,
            client_id=w.a.id,
            name="segredo_a_modelo",
            language="pt_BR",
            category="MARKETING",
            components=[{"type": "BODY", "text": f"{MARKER}-corpo {{{{1}}}}"}],
            status="APPROVED",
            meta_template_id="7000000000401",
        )
    )


def _campaign(w: World):
    row = _add(
        Campaign(
            id=7501,
            client_id=w.a.id,
            name=f"{MARKER}-campanha",
            template_id=w.rows["template"].id,
            status="DRAFT",
            variables={"body": [f"{MARKER}-variavel"]},
        )
    )
    _add(CampaignList(campaign_id=row.id, list_id=w.rows["contact_list"].id))
    return row


def _message(w: World):
    return _add(
        Message(
            id=7601,
            client_id=w.a.id,
            contact_id=w.rows["contact"].id,
            direction="IN",
            author="CONTACT",
            status="RECEIVED",
            body=f"{MARKER}-mensagem",
            wamid="wamid.SEGREDO-A-7601",
        )
    )


def _contact_import(w: World):
    row = _add(
        ContactImport(
            id=7701,
            client_id=w.a.id,
            list_id=w.rows["contact_list"].id,
            filename=f"{MARKER}-planilha.csv",
            status="done",
            error=f"{MARKER}-erro",
        )
    )
    _add(
        ContactImportRejection(
            id=7711, import_id=row.id, line_number=2, raw=[MARKER], reason=f"{MARKER}-rejeitada"
        )
    )
    return row


def _notification(w: World):
    return _add(Notification(id=7801, client_id=w.a.id, kind="test", text=f"{MARKER}-notificacao"))


def _webhook_event(w: World):
    body = json.dumps({"object": "whatsapp_business_account", "marker": f"{MARKER}-webhook"})
    return _add(
        WebhookEvent(
            id=7901,
            client_id=w.a.id,
            body=body,
            body_sha256=sha256(body.encode()).hexdigest(),
            signature_ok=True,
            routed=True,
            error=f"{MARKER}-falha",
        )
    )


def _whatsapp_credential(w: World):
    return _add(
        WhatsAppCredential(
            id=7951,
            client_id=w.a.id,
            access_token_enc=_secret(f"{MARKER}-token-de-acesso"),
            token_last4="7951",
            waba_id="700000000000001",
            phone_number_id=A_PHONE_NUMBER_ID,
            display_phone_number="+55 11 98765-0001",
            verified_name=f"{MARKER}-verificado",
            status="VALID",
        )
    )


def _conversation(w: World):
    from clickpro.models import Conversation
    from clickpro.models.base import utcnow

    return _add(
        Conversation(
            id=7152,
            client_id=w.a.id,
            contact_id=w.rows["contact"].id,
            number_id=w.rows["whatsapp_credential"].id,
            last_message_at=utcnow(),
            last_message_preview=f"{MARKER}-previa",
            unread_count=1,
        )
    )


def _openai_credential(w: World):
    return _add(
        OpenAICredential(
            id=7961,
            client_id=w.a.id,
            api_key_enc=_secret(f"sk-{MARKER}-chave"),
            key_last4="7961",
            instructions=f"{MARKER}-instrucoes",
            handoff_keywords=[f"{MARKER}-atendente"],
            status="VALID",
        )
    )


def _member_invitation(w: World):
    from datetime import timedelta

    from clickpro.models.base import utcnow

    return _add(
        MemberInvitation(
            id=7971,
            client_id=w.a.id,
            email=f"{MARKER.lower()}-convidada@example.com",
            role=Role.CLIENT_USER,
            invited_by_id=w.a_admin.id,
            token_sha256=sha256(f"{MARKER}-convite".encode()).hexdigest(),
            expires_at=utcnow() + timedelta(days=7),
        )
    )


# Built in this order; a factory may use the rows built before it (``world.rows``).
WORLD_FACTORIES: dict[str, Callable[[World], object]] = {
    "contact": _contact,
    "contact_list": _contact_list,
    "opt_out": _opt_out,
    "template": _template,
    "campaign": _campaign,
    "message": _message,
    "contact_import": _contact_import,
    "notification": _notification,
    "webhook_event": _webhook_event,
    "whatsapp_credential": _whatsapp_credential,
    "conversation": _conversation,
    "openai_credential": _openai_credential,
    "member_invitation": _member_invitation,
}


@pytest.fixture
def world(create_client, create_user, create_member) -> World:
    """Client A (created first, with every tenant row) and client B (empty)."""
    a_admin = create_user(f"{MARKER.lower()}-admin@example.com", name=f"{MARKER}-admin")
    a = create_client(f"{MARKER}-cliente", admin=a_admin, slug="segredo-a-cliente")
    a_agent = create_member(a, Role.CLIENT_USER, name=f"{MARKER}-atendente")
    b = create_client("Loja B", slug="loja-b")
    b_agent = create_member(b, Role.CLIENT_USER, name="Atendente B")
    w = World(a=a, b=b, a_admin=a_admin, a_agent=a_agent, b_admin=b.admin, b_agent=b_agent)
    w.rows["membership"] = _db.session.scalar(
        sa.select(ClientMember).where(
            ClientMember.client_id == a.id, ClientMember.user_id == a_admin.id
        )
    )
    for name, factory in WORLD_FACTORIES.items():
        w.rows[name] = factory(w)
    for model in uncovered_tenant_models(w):
        w.rows[model.__tablename__] = generic_row(model, w)
    _db.session.commit()
    return w


def uncovered_tenant_models(w: World) -> list[type]:
    """Tenant models (a ``client_id`` column) that no factory above builds yet."""
    covered = {type(row).__tablename__ for row in w.rows.values()}
    by_table = {m.local_table.name: m.class_ for m in _db.Model.registry.mappers}
    # Dependency order (a table after the tables its foreign keys point to).
    return [
        by_table[table.name]
        for table in _db.metadata.sorted_tables
        if table.name in by_table and "client_id" in table.c and table.name not in covered
    ]


def generic_row(model: type, w: World):
    """A row of a tenant model nobody wrote a factory for: required columns get the
    marker (strings), zero/false/empty (others) or the id of A's row they reference."""
    rows_by_table = {type(row).__tablename__: row for row in w.rows.values()}
    rows_by_table.update({"clients": w.a, "users": w.a_admin})
    values: dict = {"client_id": w.a.id}
    for column in model.__table__.columns:
        if column.name in values:
            continue
        if column.primary_key and column.name == "id":
            values["id"] = 8001 + len(w.rows)
            continue
        fk = next(iter(column.foreign_keys), None)
        if fk is not None and fk.column.table.name in rows_by_table:
            values[column.name] = rows_by_table[fk.column.table.name].id
            continue
        optional = (
            column.nullable or column.default is not None or column.server_default is not None
        )
        if optional and not isinstance(column.type, sa.String):
            continue
        values[column.name] = _filler(column)
    return _add(model(**{k: v for k, v in values.items() if v is not None}))


def _filler(column: sa.Column):
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):  # UTCDateTime and friends: their base type
        kind = kind.impl_instance
    if isinstance(kind, sa.String):
        length = getattr(kind, "length", None) or 200
        return f"{MARKER}-{column.name}"[:length]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, (sa.Integer, sa.Float, sa.Numeric)):
        return 0
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.DateTime):
        from clickpro.models.base import utcnow

        return utcnow()
    if isinstance(kind, sa.Date):
        from clickpro.models.base import utcnow

        return utcnow().date()
    return None


def snapshot_of_a(w: World) -> dict[str, list[tuple]]:
    """Every row that belongs to client A, table by table, as plain tuples."""
    snapshot: dict[str, list[tuple]] = {}
    with _db.engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            stmt = sa.select(table)
            if "client_id" in table.c:
                stmt = stmt.where(table.c.client_id == w.a.id)
            elif table.name == "clients":
                stmt = stmt.where(table.c.id == w.a.id)
            elif table.name == "users":
                stmt = stmt.where(table.c.id.in_([w.a_admin.id, w.a_agent.id]))
            pk = list(table.primary_key.columns)
            rows = conn.execute(stmt.order_by(*pk)).all()
            snapshot[table.name] = [tuple(r) for r in rows]
    return snapshot
