"""Knowledge-base jobs (issue #21): index, poll and remove one document, and the sweep
that retries what failed for a passing reason and polls what is still indexing."""

from __future__ import annotations


def index_document(client_id: int, document_id: int) -> str:
    from clickpro.services.ai.knowledge import documents

    return documents.index_document(client_id, document_id)


def poll_document(client_id: int, document_id: int) -> str:
    from clickpro.services.ai.knowledge import documents

    return documents.poll_document(client_id, document_id)


def remove_document(client_id: int, document_id: int) -> bool:
    from clickpro.services.ai.knowledge import documents

    return documents.remove_document(client_id, document_id)


def sweep() -> dict[str, int]:
    from clickpro.services.ai.knowledge import documents

    return documents.sweep()
