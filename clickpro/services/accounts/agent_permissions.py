"""What a client admin lets the client's agents (CLIENT_USER) do beyond the defaults.

Stored in ``Client.settings["agent_permissions"]`` as ``{"import": bool, "delete": bool,
"export": bool}``; every flag is off until an admin turns it on (members page).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from clickpro.extensions import db
from clickpro.models import Client
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record

SETTINGS_KEY = "agent_permissions"


@dataclass(frozen=True)
class AgentPermissions:
    import_contacts: bool = False
    delete_contacts: bool = False
    export_contacts: bool = False
    # The inbox's "Todas" view (every conversation, not only mine / my teams').
    view_all_conversations: bool = False


_STORED = {"import_contacts": "import", "delete_contacts": "delete", "export_contacts": "export",
           "view_all_conversations": "view_all"}  # fmt: skip


def agent_permissions_of(client: Client) -> AgentPermissions:
    stored = (client.settings or {}).get(SETTINGS_KEY)
    if not isinstance(stored, dict):
        return AgentPermissions()
    return AgentPermissions(**{field: stored.get(key) is True for field, key in _STORED.items()})


def set_agent_permissions(client: Client, permissions: AgentPermissions) -> None:
    """Replace the client's agent permissions (a new dict: JSON columns track assignment)."""
    values = asdict(permissions)
    settings = dict(client.settings or {})
    settings[SETTINGS_KEY] = {key: bool(values[field]) for field, key in _STORED.items()}
    client.settings = settings
    db.session.commit()
    audit_record(Action.CLIENT_SETTINGS_CHANGED, client, client_id=client.id, setting=SETTINGS_KEY,
                 after=settings[SETTINGS_KEY])  # fmt: skip
