"""The ``file_search`` tool of one answer: the client's vector store, limited by a filter
on the ``scope`` attribute to the documents of every number plus the conversation's
number (one store per client; a number-scoped document never answers on another
number)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from clickpro.extensions import db
from clickpro.models import KnowledgeDocument
from clickpro.services.ai.knowledge.documents import knowledge_base, ready_scopes, scope_of

MAX_RESULTS = 5


def score_threshold() -> float:
    """``AI_KNOWLEDGE_SCORE_THRESHOLD`` within OpenAI's 0..1.

    OpenAI's file_search ranks with ``score_threshold`` 0 unless told otherwise, so it
    returns its top chunks however unrelated they are; without a threshold "nothing
    relevant found" (the "Não sei, vou chamar um atendente." handoff) would rarely fire.
    """
    return min(max(float(current_app.config["AI_KNOWLEDGE_SCORE_THRESHOLD"]), 0.0), 1.0)


def relevant(results: list[dict]) -> list[dict]:
    """The results at or above the threshold (also when the API ignored the option)."""
    floor = score_threshold()
    return [r for r in results if float(r.get("score") or 0.0) >= floor]


def file_search_tool(client_id: int, number_id: int | None) -> dict | None:
    """The tool to offer, or None when no ready document serves this number."""
    scopes = ready_scopes(client_id)
    if None not in scopes and (number_id is None or number_id not in scopes):
        return None
    base = knowledge_base(client_id)
    if base is None:
        return None
    everyone = {"type": "eq", "key": "scope", "value": scope_of(None)}
    flt: dict = everyone
    if number_id:
        flt = {"type": "or", "filters": [everyone,
               {"type": "eq", "key": "scope", "value": scope_of(number_id)}]}  # fmt: skip
    return {"type": "file_search", "vector_store_ids": [base.vector_store_id],
            "max_num_results": MAX_RESULTS, "filters": flt,
            "ranking_options": {"ranker": "auto", "score_threshold": score_threshold()}}  # fmt: skip


def describe(client_id: int, citations: list[dict]) -> list[dict]:
    """Citations with our document id and title (for the run log)."""
    ids = [c["file_id"] for c in citations if c.get("file_id")]
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(
            KnowledgeDocument.openai_file_id, KnowledgeDocument.id, KnowledgeDocument.title
        ).where(KnowledgeDocument.client_id == client_id, KnowledgeDocument.openai_file_id.in_(ids))
    ).all()
    known = {file_id: (doc_id, title) for file_id, doc_id, title in rows}
    out = []
    for citation in citations:
        doc_id, title = known.get(citation["file_id"], (None, None))
        out.append({"file_id": citation["file_id"], "filename": citation.get("filename"),
                    "document_id": doc_id, "title": title or citation.get("filename")})  # fmt: skip
    return out
