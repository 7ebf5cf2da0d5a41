"""The AI's knowledge base (issue #21): documents and FAQ entries indexed with OpenAI's
file search.

``KnowledgeBase``: one OpenAI vector store per client (created with the client's own key
on the first upload). ``KnowledgeDocument``: one uploaded file or FAQ entry (the FAQ is
indexed as a generated text document). ``number_id`` scopes a document to one number's
assistant (NULL: every number); the scope travels as the vector-store file attribute
``scope`` ("all" or "n<id>") and the answer's file_search carries a filter on it, so one
store serves all the client's numbers.

``content`` keeps the bytes until the file reached OpenAI (a failed upload is retried by
the sweep job); it is cleared once the document is ready.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import Model, TenantMixin, TimestampMixin


class KnowledgeStatus(StrEnum):
    UPLOADING = "uploading"  # enviando: bytes not yet at OpenAI (or being retried)
    INDEXING = "indexing"  # indexando: the vector store is processing the file
    READY = "ready"  # pronto
    FAILED = "failed"  # falhou (see ``error``); transient failures are retried
    DELETING = "deleting"  # removendo at OpenAI; the row goes when that worked


class KnowledgeBase(TenantMixin, TimestampMixin, Model):
    __tablename__ = "knowledge_bases"
    __table_args__ = (sa.UniqueConstraint("client_id", name="uq_knowledge_bases_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vector_store_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)


class KnowledgeDocument(TenantMixin, TimestampMixin, Model):
    __tablename__ = "knowledge_documents"
    __table_args__ = (sa.Index("ix_knowledge_documents_status", "status", "next_try_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)  # file | faq
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    mime: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False, default=0)
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(
        sa.String(12), nullable=False, default=KnowledgeStatus.UPLOADING
    )
    error: Mapped[str | None] = mapped_column(sa.String(500))
    retryable: Mapped[bool] = mapped_column(nullable=False, default=True)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    openai_file_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
