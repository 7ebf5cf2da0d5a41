"""The knowledge base against the sandbox: upload → indexing → ready, answers with a
citation in the run log, the no-knowledge handoff, delete at OpenAI, retries, tenancy."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from kb_docs import PRICE_LIST, docx_bytes, pdf_bytes

from clickpro.models import AIReplyRun, KnowledgeBase, KnowledgeDocument
from clickpro.services.ai.knowledge import documents as kb
from clickpro.services.ai.knowledge.documents import KnowledgeError


def _doc(db, document_id) -> KnowledgeDocument:
    db.session.expire_all()
    return db.session.get(KnowledgeDocument, document_id)


def _store(sandbox, shop):
    base = sa.select(KnowledgeBase).where(KnowledgeBase.client_id == shop.tenant.id)
    from clickpro.extensions import db

    return sandbox.vector_stores[db.session.scalar(base).vector_store_id]


def test_upload_goes_indexing_then_ready(shop, db, sandbox, monkeypatch):
    queued: list = []
    monkeypatch.setattr(kb, "enqueue", lambda *a, **k: queued.append(a))
    document = kb.add_file(shop.tenant.id, None, "precos.txt", PRICE_LIST.encode())
    assert document.status == "uploading" and document.size == len(PRICE_LIST.encode())
    assert queued == [("knowledge.index_document", shop.tenant.id, document.id)]
    assert kb.index_document(shop.tenant.id, document.id) == "indexing"
    row = _doc(db, document.id)
    assert row.openai_file_id in sandbox.openai_files
    entry = _store(sandbox, shop)["files"][row.openai_file_id]
    assert entry["status"] == "in_progress" and entry["attributes"]["scope"] == "all"
    assert sandbox.openai_files[row.openai_file_id]["purpose"] == "assistants"
    assert kb.poll_document(shop.tenant.id, document.id) == "ready"
    row = _doc(db, document.id)
    assert row.content is None and row.error is None


@pytest.mark.parametrize(
    "name, content",
    [("precos.pdf", pdf_bytes(PRICE_LIST)), ("precos.docx", docx_bytes(PRICE_LIST))],
)
def test_pdf_and_docx_are_read_and_answer(shop, db, name, content):
    document = kb.add_file(shop.tenant.id, None, name, content)  # jobs run inline
    assert _doc(db, document.id).status == "ready"
    shop.say("Qual o prazo de entrega para Campinas?")
    [answer] = shop.ai_messages()
    assert "três dias" in answer.body or "tres dias" in answer.body or "Campinas" in answer.body
    run = db.session.scalar(sa.select(AIReplyRun))
    assert run.outcome == "answered"
    assert run.citations and run.citations[0]["document_id"] == document.id
    assert run.citations[0]["filename"] == name


def test_answer_cites_the_document_in_the_run_log_not_to_the_customer(shop, db, openai_spy):
    document = kb.add_file(shop.tenant.id, None, "precos.txt", PRICE_LIST.encode())
    shop.say("Quanto custa a camiseta básica?")
    [answer] = shop.ai_messages()
    assert "49 reais" in answer.body
    assert "file-" not in answer.body and "【" not in answer.body
    run = db.session.scalar(sa.select(AIReplyRun))
    assert run.citations == [{"file_id": _doc(db, document.id).openai_file_id,
                              "filename": "precos.txt", "document_id": document.id,
                              "title": "precos.txt"}]  # fmt: skip
    body = openai_spy.bodies[-1]
    [tool] = [t for t in body["tools"] if t["type"] == "file_search"]
    assert tool["filters"]["type"] == "or"  # every number's documents + this number's
    assert {"type": "eq", "key": "scope", "value": "all"} in tool["filters"]["filters"]
    assert body["include"] == ["file_search_call.results"]


def test_nothing_relevant_hands_off_instead_of_inventing(shop, db):
    kb.add_faq(shop.tenant.id, None, "Vocês abrem no domingo?", "Não, só de segunda a sábado.")
    shop.say("Vocês aceitam pagamento em bitcoin?")
    [answer] = shop.ai_messages()
    assert answer.body == "Não sei, vou chamar um atendente."
    run = db.session.scalar(sa.select(AIReplyRun))
    assert run.outcome == "no_knowledge" and run.citations == []
    assert shop.conversation.ai_paused is True


def test_faq_entry_answers(shop, db):
    faq = kb.add_faq(
        shop.tenant.id, None, "Vocês abrem no domingo?", "Não, só de segunda a sábado."
    )
    assert faq.kind == "faq" and _doc(db, faq.id).status == "ready"
    shop.say("vocês abrem domingo?")
    [answer] = shop.ai_messages()
    assert "segunda a sábado" in answer.body


def test_without_documents_no_file_search_is_offered(shop, openai_spy):
    shop.say("Oi, tudo bem?")
    assert all("tools" not in b or not any(t["type"] == "file_search" for t in b["tools"])
               for b in openai_spy.bodies)  # fmt: skip
    assert len(shop.ai_messages()) == 1


def test_delete_removes_it_at_openai(shop, db, sandbox):
    document = kb.add_file(shop.tenant.id, None, "precos.txt", PRICE_LIST.encode())
    file_id = _doc(db, document.id).openai_file_id
    kb.delete_document(shop.tenant.id, document.id)
    assert _doc(db, document.id) is None
    assert file_id not in sandbox.openai_files
    assert file_id not in _store(sandbox, shop)["files"]


def test_delete_failure_is_retried_by_the_sweep(shop, db, sandbox):
    document = kb.add_file(shop.tenant.id, None, "precos.txt", PRICE_LIST.encode())
    file_id = _doc(db, document.id).openai_file_id
    sandbox.force_openai("server")
    kb.delete_document(shop.tenant.id, document.id)
    row = _doc(db, document.id)
    assert row.status == "deleting" and row.next_try_at is not None
    row.next_try_at = None
    db.session.commit()
    assert kb.sweep()["removed"] == 1
    assert _doc(db, document.id) is None and file_id not in sandbox.openai_files


def test_openai_failures_while_indexing_are_retried(shop, db, sandbox):
    sandbox.force_openai("rate_limit", count=2)
    document = kb.add_file(shop.tenant.id, None, "precos.txt", PRICE_LIST.encode())
    row = _doc(db, document.id)
    assert row.status == "uploading" and row.attempts == 1 and row.error
    assert row.next_try_at is not None
    kb.sweep()  # not due yet
    assert _doc(db, document.id).attempts == 1
    row.next_try_at = None
    db.session.commit()
    kb.sweep()  # the second forced failure
    row = _doc(db, document.id)
    assert row.attempts == 2 and row.status == "uploading"
    row.next_try_at = None
    db.session.commit()
    kb.sweep()
    assert _doc(db, document.id).status == "ready"


def test_bad_key_fails_for_good(shop, db, sandbox):
    sandbox.force_openai("bad_key")
    document = kb.add_file(shop.tenant.id, None, "precos.txt", PRICE_LIST.encode())
    row = _doc(db, document.id)
    assert row.status == "failed" and row.retryable is False and row.error


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("foto.png", b"\x89PNG\r\n\x1a\n....", "Tipo de arquivo"),
        ("precos.pdf", b"isto nao e um pdf", "não é um PDF"),
        ("precos.pdf", b"%PDF-1.4\n garbage", "corrompido"),
        ("precos.docx", b"PK\x03\x04 not really a zip", "não é um DOCX"),
        ("precos.txt", b"\x00\x01\x02binary", "não é um TXT"),
        ("vazio.txt", b"", "vazio"),
        ("grande.txt", b"a" * (kb.MAX_UPLOAD_BYTES + 1), "grande demais"),
    ],
)
def test_bad_uploads_are_refused(shop, db, name, content, message):
    with pytest.raises(KnowledgeError) as info:
        kb.add_file(shop.tenant.id, None, name, content)
    assert message in str(info.value)
    assert db.session.scalar(sa.select(sa.func.count(KnowledgeDocument.id))) == 0


def test_number_scope_and_foreign_number(shop, db, openai_spy, create_client,
                                         create_whatsapp_credential):  # fmt: skip
    other = create_client("Outra Loja")
    foreign = create_whatsapp_credential(
        other,
        {"access_token": "t2", "waba_id": "200000000000001", "phone_number_id": "200000000000011"},
    )
    with pytest.raises(KnowledgeError):
        kb.add_file(shop.tenant.id, None, "p.txt", PRICE_LIST.encode(), number_id=foreign.id)
    document = kb.add_file(shop.tenant.id, None, "p.txt", PRICE_LIST.encode(),
                           number_id=shop.number.id)  # fmt: skip
    entry = _store(openai_spy and shop.sandbox, shop)["files"][_doc(db, document.id).openai_file_id]
    assert entry["attributes"]["scope"] == f"n{shop.number.id}"
    shop.say("Quanto custa a camiseta básica?")
    [tool] = [t for t in openai_spy.bodies[-1]["tools"] if t["type"] == "file_search"]
    assert {"type": "eq", "key": "scope", "value": f"n{shop.number.id}"} in tool["filters"][
        "filters"
    ]


def test_tenant_isolation(shop, db, sandbox, create_client, create_openai_credential):
    other = create_client("Outra Loja")
    create_openai_credential(other, api_key="sk-test-other-client-00009999")
    mine = kb.add_file(shop.tenant.id, None, "precos.txt", PRICE_LIST.encode())
    theirs = kb.add_faq(other.id, None, "Horário?", "Das 9h às 18h.")
    stores = db.session.scalars(sa.select(KnowledgeBase)).all()
    assert len({s.vector_store_id for s in stores}) == 2
    # another client's document id is not found
    assert kb.get_document(other.id, mine.id) is None
    with pytest.raises(LookupError):
        kb.delete_document(other.id, mine.id)
    assert _doc(db, mine.id).status == "ready"
    # each store answers only its own key: the other client's key gets OpenAI's 404
    theirs_store = next(s for s in stores if s.client_id == other.id).vector_store_id
    assert (
        sandbox.vector_stores[theirs_store]["key"]
        != sandbox.vector_stores[
            next(s for s in stores if s.client_id == shop.tenant.id).vector_store_id
        ]["key"]
    )
    assert _doc(db, theirs.id).status == "ready"


def test_no_openai_key_refuses_upload(create_client, db):
    tenant = create_client("Sem Chave")
    with pytest.raises(KnowledgeError) as info:
        kb.add_faq(tenant.id, None, "Pergunta?", "Resposta.")
    assert "chave da OpenAI" in str(info.value)


def _best_score(sandbox, db, document_id, question: str) -> float:
    from clickpro.sandbox.openai_files import score

    chunks = sandbox.openai_files[_doc(db, document_id).openai_file_id]["chunks"]
    return max(score(question, chunk) for chunk in chunks)


WEAK_QUESTION = "Vocês abrem no feriado de Natal à noite?"


def test_the_search_asks_openai_for_relevant_results_only(shop, db, openai_spy):
    """OpenAI's file_search default threshold is 0 (top chunks however unrelated): the
    tool carries AI_KNOWLEDGE_SCORE_THRESHOLD so "nothing relevant" can happen for real."""
    shop.app.config["AI_KNOWLEDGE_SCORE_THRESHOLD"] = 0.35
    kb.add_faq(shop.tenant.id, None, "Vocês abrem no domingo?", "Não, só de segunda a sábado.")
    shop.say("Vocês abrem domingo?")
    [tool] = [t for t in openai_spy.bodies[-1]["tools"] if t["type"] == "file_search"]
    assert tool["ranking_options"] == {"ranker": "auto", "score_threshold": 0.35}


def test_a_weak_match_hands_off_under_the_threshold_and_answers_above(shop, db, sandbox):
    faq = kb.add_faq(
        shop.tenant.id, None, "Vocês abrem no domingo?", "Não, só de segunda a sábado."
    )
    weak = _best_score(sandbox, db, faq.id, WEAK_QUESTION)
    assert 0.1 < weak < 0.5  # shares a word or two: below the default 0.5
    shop.say(WEAK_QUESTION)
    [answer] = shop.ai_messages()
    assert answer.body == "Não sei, vou chamar um atendente."

    shop.conversation.ai_paused = False
    db.session.commit()
    shop.app.config["AI_KNOWLEDGE_SCORE_THRESHOLD"] = 0.1
    shop.say(WEAK_QUESTION + " E no Ano Novo?")
    answers = shop.ai_messages()
    assert len(answers) == 2 and "segunda a sábado" in answers[-1].body


def test_results_under_the_threshold_count_as_nothing_found(app):
    """Also when the API ignored ranking_options and sent weak results back anyway."""
    from clickpro.services.ai.knowledge.search import relevant

    app.config["AI_KNOWLEDGE_SCORE_THRESHOLD"] = 0.5
    results = [{"file_id": "f1", "score": 0.49}, {"file_id": "f2", "score": 0.5}, {"file_id": "f3"}]
    assert [r["file_id"] for r in relevant(results)] == ["f2"]
    app.config["AI_KNOWLEDGE_SCORE_THRESHOLD"] = 7  # clamped to OpenAI's 0..1
    assert relevant([{"score": 1.0}]) == [{"score": 1.0}]


def test_the_sandbox_refuses_a_threshold_outside_0_and_1(sandbox, app):
    import httpx

    transport = app.config["OPENAI_HTTP_TRANSPORT"]
    with httpx.Client(transport=transport, base_url="http://sandbox.test/openai/v1") as http:
        answer = http.post(
            "/responses",
            headers={"Authorization": "Bearer sk-test"},
            json={"model": "gpt-4.1-mini", "input": "oi",
                  "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"],
                             "ranking_options": {"score_threshold": 1.5}}]},
        )  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "tools[0].ranking_options.score_threshold"
