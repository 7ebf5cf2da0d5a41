"""RQ jobs of contact imports (queue ``QUEUE_IMPORTS``)."""

from __future__ import annotations


def run_import_job(import_id: int) -> None:
    """Run (or resume) an import; the worker provides the app context."""
    from clickpro.services.contacts.imports.service import run_import

    run_import(import_id)


def sweep_uploads() -> dict:
    """Periodic: delete uploads never started (``IMPORT_UNSTARTED_TTL_H``), orphans, and
    imports abandoned at the mapping step with their empty list (``IMPORT_ABANDONED_AFTER_S``)."""
    from clickpro.services.contacts.imports.uploads import sweep_unstarted

    return sweep_unstarted()
