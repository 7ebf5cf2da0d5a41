"""RQ jobs of contact imports (queue ``QUEUE_IMPORTS``)."""

from __future__ import annotations


def run_import_job(import_id: int) -> None:
    """Run (or resume) an import; the worker provides the app context."""
    from clickpro.services.contacts.imports.service import run_import

    run_import(import_id)
