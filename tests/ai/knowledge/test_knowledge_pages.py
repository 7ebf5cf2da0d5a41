"""/ai/knowledge: upload, FAQ, bad upload message, delete, another client's id → 404."""

from __future__ import annotations

import io

import pytest
from kb_docs import PRICE_LIST

from clickpro.models import KnowledgeDocument


@pytest.fixture
def admin(shop, login_as):
    login_as(shop.tenant.admin, shop.tenant)
    return shop.tenant


def test_upload_faq_list_and_delete(client, admin, db, sandbox):
    response = client.post("/ai/knowledge/upload", data={
        "file": (io.BytesIO(PRICE_LIST.encode()), "precos.txt")},
        content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    response = client.post("/ai/knowledge/faq", data={"question": "Abrem domingo?",
                                                      "answer": "Não."})  # fmt: skip
    assert response.status_code == 302
    page = client.get("/ai/knowledge/").get_data(as_text=True)
    assert "precos.txt" in page and "Abrem domingo?" in page and "pronto" in page
    document = db.session.query(KnowledgeDocument).filter_by(kind="file").one()
    file_id = document.openai_file_id
    assert client.post(f"/ai/knowledge/{document.id}/delete").status_code == 302
    assert file_id not in sandbox.openai_files
    assert db.session.query(KnowledgeDocument).count() == 1


def test_bad_upload_shows_the_reason(client, admin, db):
    response = client.post("/ai/knowledge/upload", data={
        "file": (io.BytesIO(b"%PDF-1.4 broken"), "x.pdf")},
        content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    assert "corrompido" in response.get_data(as_text=True)
    assert db.session.query(KnowledgeDocument).count() == 0


def test_another_clients_document_is_404(client, admin, db, create_client,
                                         create_openai_credential):  # fmt: skip
    from clickpro.services.ai.knowledge import documents as kb

    other = create_client("Outra")
    create_openai_credential(other, api_key="sk-test-other-client-00009999")
    theirs = kb.add_faq(other.id, None, "Horário?", "9h às 18h.")
    assert client.post(f"/ai/knowledge/{theirs.id}/delete").status_code == 404
    assert client.post(f"/ai/knowledge/{theirs.id}/retry").status_code == 404
    assert "Horário?" not in client.get("/ai/knowledge/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(KnowledgeDocument, theirs.id).status == "ready"


def test_citation_shows_in_the_activity_page(client, admin, shop, db):
    from clickpro.services.ai.knowledge import documents as kb

    kb.add_file(admin.id, None, "precos.txt", PRICE_LIST.encode())
    shop.say("Quanto custa a camiseta básica?")
    page = client.get("/ai/activity").get_data(as_text=True)
    assert 'data-testid="ai-citation"' in page and "precos.txt" in page
