"""Upload, index and delete the knowledge base's documents (issue #21).

Flow of a document: ``add_file`` / ``add_faq`` check it and store it (UPLOADING, bytes
kept) → job ``knowledge.index_document``: the client's vector store (created with the
client's own OpenAI key on first use), ``POST /files`` (purpose ``assistants``), attach
with the attribute ``scope`` ("all" or "n<number id>") → INDEXING → job
``knowledge.poll_document`` until the vector-store file is ``completed`` (READY, bytes
dropped) or ``failed`` (FAILED). OpenAI failures that may pass (rate limit, 5xx,
timeouts) leave the document where it was with ``next_try_at``: the periodic
``knowledge.sweep`` retries it with backoff, up to :data:`MAX_ATTEMPTS`.

Delete marks it DELETING and the job removes the vector-store file and the file at
OpenAI, then the row; a failure there is retried by the sweep too.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.integrations.openai import OpenAIFailure
from clickpro.jobs import QUEUE_IMPORTS, enqueue
from clickpro.models import KnowledgeBase, KnowledgeDocument, KnowledgeStatus, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.ai.knowledge.text import KINDS, DocumentError, extract_text, sniff
from clickpro.services.credentials import NoCredentials, get_openai_credential, openai_for

log = logging.getLogger(__name__)
S = KnowledgeStatus
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 200
MAX_QUESTION = 300
MAX_ANSWER = 4000
MAX_ATTEMPTS = 6
RETRY_BASE_S = 30
POLL_DELAY_S = 3


class KnowledgeError(ServiceError):
    pass


def scope_of(number_id: int | None) -> str:
    return f"n{number_id}" if number_id else "all"


# --------------------------------------------------------------------------- queries


def list_documents(client_id: int) -> list[KnowledgeDocument]:
    return list(
        db.session.scalars(
            sa.select(KnowledgeDocument)
            .where(KnowledgeDocument.client_id == client_id)
            .order_by(KnowledgeDocument.created_at.desc(), KnowledgeDocument.id.desc())
        )
    )


def get_document(client_id: int, document_id: int) -> KnowledgeDocument | None:
    from clickpro.tenancy import get_owned

    return get_owned(KnowledgeDocument, document_id, client_id)


def knowledge_base(client_id: int) -> KnowledgeBase | None:
    return db.session.scalar(sa.select(KnowledgeBase).where(KnowledgeBase.client_id == client_id))


def ready_scopes(client_id: int) -> set[int | None]:
    """The number ids (None: every number) that have at least one ready document."""
    rows = db.session.execute(
        sa.select(KnowledgeDocument.number_id)
        .where(KnowledgeDocument.client_id == client_id, KnowledgeDocument.status == S.READY)
        .distinct()
    )
    return {row[0] for row in rows}


# --------------------------------------------------------------------------- adding


def _check_number(client_id: int, number_id: int | None) -> int | None:
    if not number_id:
        return None
    from clickpro.tenancy import get_owned

    if get_owned(WhatsAppCredential, number_id, client_id) is None:
        raise KnowledgeError(_("Número não encontrado."), field="number_id")
    return int(number_id)


def _check_room(client_id: int) -> None:
    if get_openai_credential(client_id) is None:
        raise KnowledgeError(
            _("Configure a chave da OpenAI em Credenciais antes de montar a base de conhecimento.")
        )
    count = db.session.scalar(
        sa.select(sa.func.count(KnowledgeDocument.id)).where(
            KnowledgeDocument.client_id == client_id
        )
    )
    if int(count or 0) >= MAX_DOCUMENTS:
        raise KnowledgeError(
            _(
                "A base de conhecimento já tem %(n)s documentos: remova algum antes.",
                n=MAX_DOCUMENTS,
            )
        )


def _safe_name(filename: str) -> str:
    name = re.sub(r"[^\w.\- ]+", "_", (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    return name.strip(" .")[:200] or "documento"


def add_file(
    client_id: int, user_id: int | None, filename: str, content: bytes, *,
    number_id: int | None = None,
) -> KnowledgeDocument:  # fmt: skip
    """Check an upload (size, type by content, readable text) and queue its indexing."""
    number_id = _check_number(client_id, number_id)
    _check_room(client_id)
    name = _safe_name(filename)
    if not content:
        raise KnowledgeError(_("O arquivo está vazio."), field="file")
    if len(content) > MAX_UPLOAD_BYTES:
        raise KnowledgeError(
            _("Arquivo grande demais: o limite é %(mb)s MB.", mb=MAX_UPLOAD_BYTES // 1024 // 1024),
            field="file",
        )
    try:
        kind = sniff(content, name)
        text = extract_text(content, kind)
    except DocumentError as exc:
        raise KnowledgeError(str(exc), field="file") from None
    if not text.strip():
        raise KnowledgeError(
            _("Não encontramos texto neste arquivo (é uma imagem escaneada?)."), field="file"
        )
    return _store(client_id, user_id, "file", name, name, KINDS[kind], content, number_id)


def add_faq(
    client_id: int, user_id: int | None, question: str, answer: str, *,
    number_id: int | None = None,
) -> KnowledgeDocument:  # fmt: skip
    """A pasted question + answer, indexed as a small generated text document."""
    number_id = _check_number(client_id, number_id)
    question, answer = (question or "").strip(), (answer or "").strip()
    if not question:
        raise KnowledgeError(_("Escreva a pergunta."), field="question")
    if not answer:
        raise KnowledgeError(_("Escreva a resposta."), field="answer")
    if len(question) > MAX_QUESTION:
        raise KnowledgeError(_("A pergunta passa de %(n)s caracteres.", n=MAX_QUESTION),
                             field="question")  # fmt: skip
    if len(answer) > MAX_ANSWER:
        raise KnowledgeError(_("A resposta passa de %(n)s caracteres.", n=MAX_ANSWER),
                             field="answer")  # fmt: skip
    _check_room(client_id)
    body = f"Pergunta frequente: {question}\nResposta: {answer}\n".encode()
    filename = f"faq-{uuid.uuid4().hex[:12]}.txt"
    return _store(client_id, user_id, "faq", question, filename, KINDS["txt"], body, number_id)


def _store(client_id, user_id, kind, title, filename, mime, content, number_id):
    document = KnowledgeDocument(
        client_id=client_id, number_id=number_id, kind=kind, title=title[:300],
        filename=filename, mime=mime, size=len(content), content=content,
        status=S.UPLOADING, attempts=0, retryable=True, created_by_id=user_id,
    )  # fmt: skip
    db.session.add(document)
    db.session.commit()
    enqueue("knowledge.index_document", client_id, document.id, queue=QUEUE_IMPORTS)
    return document


# --------------------------------------------------------------------------- indexing


def _failed_attempt(document: KnowledgeDocument, failure: OpenAIFailure | NoCredentials) -> None:
    document.attempts += 1
    message = failure.message if isinstance(failure, OpenAIFailure) else str(failure)
    document.error = message[:500]
    retryable = isinstance(failure, OpenAIFailure) and failure.retryable
    if retryable and document.attempts < MAX_ATTEMPTS:
        delay = max(
            RETRY_BASE_S * 2 ** (document.attempts - 1), getattr(failure, "retry_after", None) or 0
        )
        document.next_try_at = utcnow() + timedelta(seconds=min(delay, 3600))
    elif document.status != S.DELETING:
        document.status, document.retryable, document.next_try_at = S.FAILED, False, None
    else:
        document.next_try_at = utcnow() + timedelta(seconds=3600)  # keep trying to delete
    db.session.commit()
    log.warning("knowledge document %s: %s", document.id, message)


def _ensure_store(client_id: int, gateway) -> str:
    base = knowledge_base(client_id)
    if base is not None:
        return base.vector_store_id
    store_id = gateway.create_vector_store(f"clickpro-client-{client_id}",
                                           {"clickpro_client": str(client_id)})  # fmt: skip
    db.session.add(KnowledgeBase(client_id=client_id, vector_store_id=store_id))
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # a concurrent first upload made one: use that one
        db.session.rollback()
        base = knowledge_base(client_id)
        if base is None:
            raise
        return base.vector_store_id
    return store_id


def index_document(client_id: int, document_id: int) -> str:
    """Upload and attach one UPLOADING document; returns its status afterwards."""
    document = get_document(client_id, document_id)
    if document is None or document.status != S.UPLOADING:
        return document.status if document else "gone"
    try:
        _credential, gateway = openai_for(client_id)
        store_id = _ensure_store(client_id, gateway)
        if not document.openai_file_id:
            document.openai_file_id = gateway.upload_file(
                document.filename, document.content or b"", document.mime
            )
            db.session.commit()
        found = gateway.attach_file(
            store_id, document.openai_file_id,
            {"scope": scope_of(document.number_id), "document_id": str(document.id)},
        )  # fmt: skip
    except (OpenAIFailure, NoCredentials) as failure:
        _failed_attempt(document, failure)
        return document.status
    document.status, document.error, document.next_try_at = S.INDEXING, None, None
    document.attempts = 0
    _apply(document, found.status, found.error)
    if document.status == S.INDEXING:
        enqueue(
            "knowledge.poll_document",
            client_id,
            document.id,
            queue=QUEUE_IMPORTS,
            delay=POLL_DELAY_S,
        )
    return document.status


def _apply(document: KnowledgeDocument, status: str, error: str | None) -> None:
    if status == "completed":
        document.status, document.content, document.error = S.READY, None, None
    elif status in ("failed", "cancelled"):
        document.status, document.retryable = S.FAILED, False
        document.error = (error or _("A OpenAI não conseguiu indexar o arquivo."))[:500]
    db.session.commit()


def poll_document(client_id: int, document_id: int) -> str:
    """Ask OpenAI how the indexing of one INDEXING document is going."""
    document = get_document(client_id, document_id)
    base = knowledge_base(client_id)
    if document is None or document.status != S.INDEXING or base is None:
        return document.status if document else "gone"
    try:
        _credential, gateway = openai_for(client_id)
        found = gateway.vector_store_file(base.vector_store_id, document.openai_file_id or "")
    except (OpenAIFailure, NoCredentials) as failure:
        if isinstance(failure, OpenAIFailure) and failure.retryable:
            document.next_try_at = utcnow() + timedelta(seconds=RETRY_BASE_S)
            db.session.commit()
            return document.status
        _failed_attempt(document, failure)
        return document.status
    if found is None:  # the store lost it: upload again
        document.status, document.next_try_at = S.UPLOADING, utcnow()
        db.session.commit()
        return document.status
    _apply(document, found.status, found.error)
    return document.status


def retry_document(client_id: int, document_id: int) -> KnowledgeDocument:
    """A user asks to index a FAILED document again (its bytes were kept)."""
    document = get_document(client_id, document_id)
    if document is None:
        raise LookupError(document_id)
    if document.status != S.FAILED or document.content is None:
        raise KnowledgeError(_("Este documento não pode ser reenviado: envie o arquivo de novo."))
    document.status, document.attempts, document.retryable = S.UPLOADING, 0, True
    document.openai_file_id, document.error, document.next_try_at = None, None, None
    db.session.commit()
    enqueue("knowledge.index_document", client_id, document.id, queue=QUEUE_IMPORTS)
    return document


# --------------------------------------------------------------------------- deleting


def delete_document(client_id: int, document_id: int) -> None:
    """Mark for deletion and queue the removal at OpenAI (LookupError: not this client's)."""
    document = get_document(client_id, document_id)
    if document is None:
        raise LookupError(document_id)
    document.status, document.next_try_at, document.attempts = S.DELETING, None, 0
    db.session.commit()
    enqueue("knowledge.remove_document", client_id, document.id, queue=QUEUE_IMPORTS)


def remove_document(client_id: int, document_id: int) -> bool:
    """Remove a DELETING document at OpenAI, then here; True when the row is gone."""
    document = get_document(client_id, document_id)
    if document is None:
        return True
    if document.status != S.DELETING:
        return False
    if document.openai_file_id:
        base = knowledge_base(client_id)
        try:
            _credential, gateway = openai_for(client_id)
            if base is not None:
                gateway.detach_file(base.vector_store_id, document.openai_file_id)
            gateway.delete_file(document.openai_file_id)
        except (OpenAIFailure, NoCredentials) as failure:
            _failed_attempt(document, failure)
            return False
    db.session.delete(document)
    db.session.commit()
    return True


# --------------------------------------------------------------------------- sweep


def sweep(limit: int = 200) -> dict[str, int]:
    """Retry due uploads and deletions, and poll documents still indexing (all clients)."""
    now = utcnow()
    due = sa.or_(KnowledgeDocument.next_try_at.is_(None), KnowledgeDocument.next_try_at <= now)
    rows = db.session.execute(
        sa.select(KnowledgeDocument.client_id, KnowledgeDocument.id, KnowledgeDocument.status)
        .where(KnowledgeDocument.status.in_([S.UPLOADING, S.INDEXING, S.DELETING]), due)
        .order_by(KnowledgeDocument.id)
        .limit(limit)
    ).all()
    done = {"indexed": 0, "polled": 0, "removed": 0}
    for client_id, document_id, status in rows:
        try:
            if status == S.UPLOADING:
                index_document(client_id, document_id)
                done["indexed"] += 1
            elif status == S.INDEXING:
                poll_document(client_id, document_id)
                done["polled"] += 1
            else:
                done["removed"] += int(remove_document(client_id, document_id))
        except Exception:  # one broken row must not stop the others
            db.session.rollback()
            log.exception("knowledge sweep: document %s", document_id)
    return done
