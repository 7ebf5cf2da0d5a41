"""The audit log: one ``record()`` for every security-relevant action.

``record(action, target=None, **details)`` reads who and from where from the request
when there is one (the signed-in user, the client in use, the visitor's address behind
the trusted proxy, or the API token's client and creator) and falls back to the actor
``"system"`` in workers and the CLI. Call it *after* the action's own commit: it commits
its row by itself (``commit=False`` to ride in the caller's transaction). A failure to
write an entry is logged and never breaks the action it describes.

Entries are only ever inserted; nothing in the app updates or deletes them.
"""

from clickpro.services.audit.actions import ACTIONS, Action
from clickpro.services.audit.queries import AuditFilter, actors_of, entries_for, export_rows
from clickpro.services.audit.recorder import (
    record,
    record_sign_in_failure,
    record_two_factor_failure,
)

__all__ = [
    "ACTIONS",
    "Action",
    "AuditFilter",
    "actors_of",
    "entries_for",
    "export_rows",
    "record",
    "record_sign_in_failure",
    "record_two_factor_failure",
]
