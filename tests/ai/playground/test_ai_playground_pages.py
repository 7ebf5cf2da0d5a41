"""/ai/playground: the page, the bounds of a test conversation, tenancy, reset and
"Salvar instruções" (to the client's assistant or the number's own)."""

from __future__ import annotations

import pytest

from clickpro.models import AIPlaygroundTurn, OpenAICredential, Role
from clickpro.services.ai import playground


@pytest.fixture
def admin(shop, login_as, client):
    login_as(shop.tenant.admin, shop.tenant)
    return shop


def test_page_shows_the_number_assistant_and_the_tools_switch(client, admin):
    page = client.get("/ai/playground/").get_data(as_text=True)
    assert 'data-testid="pg-chat"' in page
    assert "Você é a atendente da Loja IA." in page  # the saved instructions, to edit
    assert 'data-testid="pg-tools"' in page and 'data-testid="pg-knowledge"' in page


def test_without_openai_key_the_page_says_so(client, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    page = client.get("/ai/playground/").get_data(as_text=True)
    assert 'data-testid="pg-setup-error"' in page and "Credenciais" in page


def test_agents_are_refused(client, shop, create_member, login_as):
    login_as(create_member(shop.tenant, Role.CLIENT_USER), shop.tenant)
    assert client.get("/ai/playground/").status_code == 403
    assert client.post("/ai/playground/ask", data={"question": "oi"}).status_code == 403


def test_bad_questions_are_refused(client, admin, db):
    json_headers = {"Accept": "application/json"}
    empty = client.post("/ai/playground/ask", data={"question": "  "}, headers=json_headers)
    assert empty.status_code == 422 and empty.get_json()["field"] == "question"
    long = client.post("/ai/playground/ask", data={"question": "x" * 2001}, headers=json_headers)
    assert long.status_code == 422
    other = client.post("/ai/playground/ask", data={"question": "oi", "number_id": "999999"},
                        headers=json_headers)  # fmt: skip
    assert other.status_code == 422 and other.get_json()["field"] == "number_id"
    assert db.session.query(AIPlaygroundTurn).count() == 0


def test_a_full_test_conversation_must_be_reset(client, admin, db):
    user_id = admin.tenant.admin.id
    db.session.add_all(
        AIPlaygroundTurn(client_id=admin.tenant.id, user_id=user_id, question=f"q{i}", answer="a")
        for i in range(playground.MAX_TURNS)
    )
    db.session.commit()
    full = client.post("/ai/playground/ask", data={"question": "oi"},
                       headers={"Accept": "application/json"})  # fmt: skip
    assert full.status_code == 422 and "nova" in full.get_json()["error"]
    assert client.post("/ai/playground/reset").status_code == 302
    assert playground.chat(admin.tenant.id, user_id) == []
    assert db.session.query(AIPlaygroundTurn).count() == playground.MAX_TURNS  # spend kept


def test_chats_are_per_admin_and_per_client(admin, create_client, db):
    other = create_client()
    db.session.add(AIPlaygroundTurn(client_id=other.id, user_id=other.admin.id, question="x"))
    db.session.commit()
    assert playground.chat(admin.tenant.id, admin.tenant.admin.id) == []
    assert playground.chat(admin.tenant.id, other.admin.id) == []


def test_save_instructions_to_the_client(client, admin, db):
    response = client.post("/ai/playground/instructions",
                           data={"instructions": "Seja breve e chame o cliente pelo nome."})  # fmt: skip
    assert response.status_code == 302
    credential = db.session.query(OpenAICredential).filter_by(client_id=admin.tenant.id).one()
    assert credential.instructions == "Seja breve e chame o cliente pelo nome."


def test_save_instructions_to_the_number_that_overrides_them(client, admin, db):
    admin.number.ai_settings = {"instructions": "Vendas.", "temperature": 0.5}
    db.session.commit()
    response = client.post("/ai/playground/instructions",
                           data={"instructions": "Vendas, com desconto.",
                                 "number_id": str(admin.number.id)})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert admin.number.ai_settings == {"instructions": "Vendas, com desconto.", "temperature": 0.5}
    credential = db.session.query(OpenAICredential).filter_by(client_id=admin.tenant.id).one()
    assert credential.instructions == "Você é a atendente da Loja IA."  # untouched
