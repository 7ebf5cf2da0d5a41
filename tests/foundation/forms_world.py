"""One client with a row of every kind a panel form acts on (for the PRG and the
confirmation tests): contact, list, opt-out, quick reply, API token, outbound webhook,
an agent, a pending invitation, a notification, an AI tool, a flow and a failed
knowledge-base document."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import pytest

from clickpro.crypto import encrypt
from clickpro.models import (
    ClientMember,
    ContactList,
    ContactListMember,
    MemberInvitation,
    OptOut,
    OptOutSource,
    Role,
    WebhookEndpoint,
)
from clickpro.models.ai_tools import AITool
from clickpro.models.base import utcnow
from clickpro.models.knowledge import KnowledgeDocument, KnowledgeStatus
from clickpro.services.accounts.notifications import notify
from clickpro.services.api import tokens as api_tokens
from clickpro.services.flows import library
from clickpro.services.inbox.quick_replies import save_quick_reply


@dataclass
class FormsWorld:
    tenant: object
    http: object
    ids: dict


@pytest.fixture
def forms_world(db, create_client, create_member, create_contact, login_as) -> FormsWorld:
    tenant = create_client()
    contact = create_contact(tenant, phone="+5511987650001", name="Ana")
    contact_list = ContactList(client_id=tenant.id, name="VIP")
    optout = OptOut(client_id=tenant.id, phone_e164="+5511987650099", source=OptOutSource.MANUAL)
    hook = WebhookEndpoint(
        client_id=tenant.id,
        url="https://erp.example.com/hook",
        events=["optout.created"],
        secret_enc=encrypt("whsec_test"),
    )
    tool = AITool(client_id=tenant.id, name="consultar_pedido", description="Pedido",
                  parameters={"type": "object", "properties": {}},
                  url="https://erp.example.com/pedidos")  # fmt: skip
    document = KnowledgeDocument(client_id=tenant.id, kind="faq", title="Abrem domingo?",
                                 filename="faq.txt", mime="text/plain", size=20,
                                 content=b"Abrem domingo? Nao.", status=KnowledgeStatus.FAILED,
                                 error="falhou")  # fmt: skip
    db.session.add_all([contact_list, optout, hook, tool, document])
    db.session.commit()
    db.session.add(ContactListMember(list_id=contact_list.id, contact_id=contact.id))
    db.session.commit()
    agent = create_member(tenant, Role.CLIENT_USER)
    membership = db.session.query(ClientMember).filter_by(user_id=agent.id).one()
    invitation = MemberInvitation(
        client_id=tenant.id,
        email="nova@example.com",
        role=Role.CLIENT_USER,
        invited_by_id=tenant.admin.id,
        token_sha256=hashlib.sha256(b"forms-world").hexdigest(),
        expires_at=utcnow() + timedelta(days=3),
    )
    db.session.add(invitation)
    db.session.commit()
    reply = save_quick_reply(tenant.id, "oi", "Olá! Como posso ajudar?")
    token = api_tokens.create_token(tenant.id, "ERP", tenant.admin.id)[0]
    note = notify(tenant.id, "x", "Aviso de teste")
    flow = library.create_from_template(tenant.id, "menu_atendimento", user_id=None)
    ids = {
        "contact_id": contact.id,
        "contact_phone": contact.phone_e164,
        "list_id": contact_list.id,
        "optout_id": optout.id,
        "webhook_id": hook.id,
        "member_id": membership.id,
        "invitation_id": invitation.id,
        "reply_id": reply.id,
        "token_id": token.id,
        "notification_id": note.id,
        "tool_id": tool.id,
        "document_id": document.id,
        "flow_id": flow.id,
    }
    return FormsWorld(tenant=tenant, http=login_as(tenant.admin, tenant), ids=ids)
