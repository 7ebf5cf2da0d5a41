"""The role matrix in one table: every endpoint → the capability it needs.

``clickpro.guards`` checks the capability of the matched endpoint in one app-level
``before_request`` (before the view and its own guards run), so a route cannot be left
open by forgetting a decorator: an endpoint with no entry here answers 403, and
``tests/foundation/test_role_matrix.py`` fails for it. docs/roles.md is the same matrix in
prose; keep the two in step.

Kinds of entries:

- ``PUBLIC``: no login (sign-in, health, Meta's webhook, static files, API docs);
- ``LOGIN``: any signed-in user, with or without a client (invitations, language...);
- ``SUPER_ADMIN``: the platform operator's Flask-Admin (others get 404);
- ``API_TOKEN``: ``/api/v1``, authenticated by a Bearer token (its own checks, see
  ``clickpro.blueprints.api.auth``), never by the browser session;
- a client capability (``Capability``): a signed-in member of the client in use whose role
  grants it (``ROLE_CAPABILITIES``), or an agent whose client admin turned the matching
  "Agentes podem ..." option on (``AGENT_OPTIONAL``).
"""

from __future__ import annotations

from enum import StrEnum

from clickpro.models import Role
from clickpro.services.accounts.agent_permissions import AgentPermissions, agent_permissions_of
from clickpro.tenancy import get_current_membership


class Access(StrEnum):
    PUBLIC = "public"
    LOGIN = "login"
    SUPER_ADMIN = "super_admin"
    API_TOKEN = "api_token"


class Capability(StrEnum):
    DASHBOARD = "dashboard"
    NOTIFICATIONS = "notifications"
    INBOX = "inbox"
    QUICK_REPLIES = "quick_replies"  # create/delete the client's quick replies
    CONTACTS_VIEW = "contacts_view"
    CONTACTS_EDIT = "contacts_edit"  # create, edit, lists, add an opt-out
    CONTACTS_IMPORT = "contacts_import"
    CONTACTS_DELETE = "contacts_delete"  # a contact and its history; a list
    CONTACTS_EXPORT = "contacts_export"
    OPTOUTS_REMOVE = "optouts_remove"  # a number receives campaigns again
    CAMPAIGNS = "campaigns"  # every campaign page, its JSON and its CSV export
    TEMPLATES_VIEW = "templates_view"
    TEMPLATES_MANAGE = "templates_manage"
    CREDENTIALS = "credentials"
    AI_SETTINGS = "ai_settings"
    MEMBERS = "members"  # team, roles, invitations, agent permissions
    API_SETTINGS = "api_settings"  # API tokens and outbound webhooks
    AUDIT = "audit"  # the client's audit log, its export, the two-factor policy
    REPORTS = "reports"  # h7: /reports, its exports and the monthly PDF
    FLOWS = "flows"  # h2: chatbot flows: list, editor, simulator, versions, import/export


Requirement = Access | Capability

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.CLIENT_ADMIN: frozenset(Capability),
    Role.CLIENT_USER: frozenset(
        {
            Capability.DASHBOARD,
            Capability.NOTIFICATIONS,
            Capability.INBOX,
            Capability.CONTACTS_VIEW,
            Capability.CONTACTS_EDIT,
            Capability.TEMPLATES_VIEW,
        }
    ),
}

# Capabilities an agent gets only when the client admin allows it (members page).
AGENT_OPTIONAL: dict[Capability, str] = {
    Capability.CONTACTS_IMPORT: "import_contacts",
    Capability.CONTACTS_DELETE: "delete_contacts",
    Capability.CONTACTS_EXPORT: "export_contacts",
}

C = Capability
# endpoint → requirement, or {method: requirement} when GET and POST differ.
ENDPOINTS: dict[str, Requirement | dict[str, Requirement]] = {
    # no login
    "static": Access.PUBLIC,
    "health.healthz": Access.PUBLIC,
    "metrics.index": Access.PUBLIC,  # Prometheus: its own bearer token (METRICS_TOKEN)
    "webhook.verify": Access.PUBLIC,
    "webhook.receive": Access.PUBLIC,
    "auth.login": Access.PUBLIC,
    "auth.logout": Access.PUBLIC,  # signs out whoever is signed in; nothing else
    "auth.language": Access.PUBLIC,  # the login page has the switch too
    "two_factor.challenge": Access.PUBLIC,  # the code step: a signed pending state, no login
    "api.v1.docs": Access.PUBLIC,
    "api.v1.openapi_json": Access.PUBLIC,
    "auth.forgot_password": Access.PUBLIC,  # e-mailed links (h7): their token is the key
    "auth.forgot_password_sent": Access.PUBLIC,
    "auth.reset_password": Access.PUBLIC,
    "auth.invitation_link": Access.PUBLIC,
    "dev.mail_index": Access.PUBLIC,  # its own guard: embedded or super admin, never production
    "dev.mail_detail": Access.PUBLIC,
    "dev.mail_html": Access.PUBLIC,
    # signed in, any client (or none)
    "auth.invitations": Access.LOGIN,
    "auth.accept_invitation": Access.LOGIN,
    "auth.decline_invitation": Access.LOGIN,
    "auth.switch": Access.LOGIN,
    "account.index": Access.LOGIN,
    "account.set_name": Access.LOGIN,
    "account.set_password": Access.LOGIN,
    "two_factor.setup": Access.LOGIN,
    "two_factor.enable": Access.LOGIN,
    "two_factor.disable": Access.LOGIN,
    "two_factor.regenerate": Access.LOGIN,
    # the panel
    "dashboard.index": C.DASHBOARD,
    "notifications.index": C.NOTIFICATIONS,
    "notifications.unread": C.NOTIFICATIONS,
    "notifications.read_one": C.NOTIFICATIONS,
    "notifications.read_all": C.NOTIFICATIONS,
    "inbox.index": C.INBOX,
    "inbox.conversation_page": C.INBOX,
    "inbox.conversations": C.INBOX,
    "inbox.conversation": C.INBOX,
    "inbox.messages": C.INBOX,
    "inbox.search": C.INBOX,
    "inbox.updates": C.INBOX,
    "inbox.templates": C.INBOX,
    "inbox.quick_replies_json": C.INBOX,
    "inbox.media": C.INBOX,
    "inbox.conversation_events": C.INBOX,
    "inbox.transfer": C.INBOX,
    "inbox.conversation_flows": C.INBOX,  # chatbot flows an agent may start (h3)
    "inbox.start_flow": C.INBOX,
    "inbox.exit_flow": C.INBOX,
    "inbox.inbox_teams": C.INBOX,
    "media.message_media": C.INBOX,  # stored inbound media (h10)
    "media.refetch": C.INBOX,  # queue the fetch of expired media again (h1)
    "inbox.send_text": C.INBOX,
    "inbox.send_media": C.INBOX,
    "inbox.send_template": C.INBOX,
    "inbox.new_conversation": C.INBOX,
    "inbox.new_conversation_contacts": C.INBOX,
    "inbox.new_conversation_state": C.INBOX,
    "inbox.send_interactive": C.INBOX,
    "inbox.add_note": C.INBOX,
    "inbox.mark_read": C.INBOX,
    "inbox.assign": C.INBOX,
    "inbox.set_labels": C.INBOX,
    "inbox.set_status": C.INBOX,
    "inbox.set_ai": C.INBOX,
    "inbox.snooze_presets": C.INBOX,
    "inbox.snooze": C.INBOX,
    "inbox.unsnooze": C.INBOX,
    "inbox.typing": C.INBOX,
    "inbox.create_label": C.INBOX,
    "inbox.quick_replies_page": C.QUICK_REPLIES,
    "inbox.delete_quick_reply_view": C.QUICK_REPLIES,
    "contacts.index": C.CONTACTS_VIEW,
    "contacts.detail": C.CONTACTS_VIEW,
    "contacts.new": C.CONTACTS_EDIT,
    "contacts.edit": C.CONTACTS_EDIT,
    "contacts.delete": C.CONTACTS_DELETE,
    "contacts.export": C.CONTACTS_EXPORT,
    "contacts.export_csv": C.CONTACTS_EXPORT,
    "contacts.lists": {"GET": C.CONTACTS_VIEW, "POST": C.CONTACTS_EDIT},
    "contacts.list_detail": C.CONTACTS_VIEW,
    "contacts.list_rename": C.CONTACTS_EDIT,
    "contacts.list_add": C.CONTACTS_EDIT,
    "contacts.list_remove": C.CONTACTS_EDIT,
    "contacts.add_to_list": C.CONTACTS_EDIT,
    "contacts.list_delete": C.CONTACTS_DELETE,
    "contacts.imports": C.CONTACTS_IMPORT,
    "contacts.import_new": C.CONTACTS_IMPORT,
    "contacts.import_mapping": C.CONTACTS_IMPORT,
    "contacts.import_sheet": C.CONTACTS_IMPORT,
    "contacts.import_detail": C.CONTACTS_IMPORT,
    "contacts.import_progress": C.CONTACTS_IMPORT,
    "contacts.import_resume": C.CONTACTS_IMPORT,
    "contacts.import_rejected": C.CONTACTS_IMPORT,
    "contacts.optouts": C.CONTACTS_VIEW,
    "contacts.optout_add": C.CONTACTS_EDIT,
    "contacts.optout_import": C.CONTACTS_IMPORT,
    "contacts.optout_remove": C.OPTOUTS_REMOVE,
    "campaigns.index": C.CAMPAIGNS,
    "campaigns.new": C.CAMPAIGNS,
    "campaigns.edit": C.CAMPAIGNS,
    "campaigns.detail": C.CAMPAIGNS,
    "campaigns.act": C.CAMPAIGNS,
    "campaigns.from_sheet": C.CAMPAIGNS,
    "campaigns.progress": C.CAMPAIGNS,
    "campaigns.export": C.CAMPAIGNS,
    "campaigns.audience": C.CAMPAIGNS,
    "campaigns.preview": C.CAMPAIGNS,
    "campaigns.template_info": C.CAMPAIGNS,
    "reports.index": C.REPORTS,  # h7: charts, tables, Δ vs previous period
    "reports.export": C.REPORTS,
    "reports.pdf": C.REPORTS,
    "flows.index": C.FLOWS,  # h2: chatbot flows editor and simulator
    "flows.new": C.FLOWS,
    "flows.import_json": C.FLOWS,
    "flows.archive": C.FLOWS,
    "flows.set_enabled": C.FLOWS,
    "flows.duplicate": C.FLOWS,
    "flows.export": C.FLOWS,
    "flows.edit": C.FLOWS,
    "flows.validate_graph": C.FLOWS,
    "flows.save_draft": C.FLOWS,
    "flows.settings": C.FLOWS,
    "flows.publish": C.FLOWS,
    "flows.restore_version": C.FLOWS,
    "flows.simulator_start": C.FLOWS,
    "flows.simulator_state": C.FLOWS,
    "flows.simulator_input": C.FLOWS,
    "costs.index": C.CAMPAIGNS,  # h6: spend per month, number, category, campaign
    "costs.campaign_json": C.CAMPAIGNS,
    "costs.estimate_json": C.CAMPAIGNS,
    "costs.marketing_api_setting": C.CAMPAIGNS,
    "costs.ai_budget": C.CAMPAIGNS,
    "templates.index": C.TEMPLATES_VIEW,
    "templates.detail": C.TEMPLATES_VIEW,
    "templates.new": C.TEMPLATES_MANAGE,
    "templates.create": C.TEMPLATES_MANAGE,
    "templates.duplicate_as_new": C.TEMPLATES_MANAGE,
    "templates.sync": C.TEMPLATES_MANAGE,
    "templates.delete": C.TEMPLATES_MANAGE,
    "hours.client_hours": C.MEMBERS,  # business hours (h7): admins only
    "hours.team_hours": C.MEMBERS,
    "hours.reset_team_hours": C.MEMBERS,
    "credentials.index": C.CREDENTIALS,
    "credentials.save_whatsapp": C.CREDENTIALS,
    "credentials.save_openai": C.CREDENTIALS,
    "credentials.test_whatsapp": C.CREDENTIALS,
    "credentials.number": C.CREDENTIALS,
    "credentials.test_number": C.CREDENTIALS,
    "credentials.update_number": C.CREDENTIALS,
    "credentials.archive_number": C.CREDENTIALS,
    "credentials.number_assistant": C.AI_SETTINGS,
    "credentials.test_openai": C.CREDENTIALS,
    "ai_reply.activity": C.AI_SETTINGS,
    "ai_tools.index": C.AI_SETTINGS,  # the client's HTTP endpoints as AI tools (h6)
    "ai_tools.new": C.AI_SETTINGS,
    "ai_tools.edit": C.AI_SETTINGS,
    "ai_tools.delete": C.AI_SETTINGS,
    "ai_tools.test": C.AI_SETTINGS,
    "knowledge.index": C.AI_SETTINGS,  # the AI's knowledge base (h4)
    "knowledge.upload": C.AI_SETTINGS,
    "knowledge.faq": C.AI_SETTINGS,
    "knowledge.delete": C.AI_SETTINGS,
    "knowledge.retry": C.AI_SETTINGS,
    "ai_playground.index": C.AI_SETTINGS,  # try the assistant before turning it on (h6)
    "ai_playground.ask": C.AI_SETTINGS,
    "ai_playground.reset": C.AI_SETTINGS,
    "ai_playground.save_instructions": C.AI_SETTINGS,
    "teams.index": C.MEMBERS,  # teams (departments) and their routing (h6)
    "teams.new": C.MEMBERS,
    "teams.edit": C.MEMBERS,
    "teams.archive": C.MEMBERS,
    "teams.away": C.INBOX,  # the agent's own "Ausente" switch
    "teams.heartbeat": C.INBOX,
    "members.index": C.MEMBERS,
    "members.add": C.MEMBERS,
    "members.set_role": C.MEMBERS,
    "members.deactivate": C.MEMBERS,
    "members.reactivate": C.MEMBERS,
    "members.revoke_invitation": C.MEMBERS,
    "members.resend_invitation": C.MEMBERS,
    "members.agent_permissions": C.MEMBERS,
    "api.tokens": C.API_SETTINGS,
    "api.revoke_token": C.API_SETTINGS,
    "api.webhooks": C.API_SETTINGS,
    "api.toggle_webhook": C.API_SETTINGS,
    "api.delete_webhook": C.API_SETTINGS,
    "audit.index": C.AUDIT,
    "audit.export": C.AUDIT,
    "audit.two_factor_policy": C.AUDIT,
}

# Whole families of generated endpoints: Flask-Admin's views, the token API.
PREFIXES: tuple[tuple[str, Requirement], ...] = (
    ("admin.", Access.SUPER_ADMIN),
    ("admin_", Access.SUPER_ADMIN),
    ("api.v1.", Access.API_TOKEN),
)


def requirement_for(endpoint: str | None, method: str = "GET") -> Requirement | None:
    """What ``endpoint`` needs for ``method`` (None: the endpoint has no entry)."""
    if endpoint is None:
        return None
    entry = ENDPOINTS.get(endpoint)
    if isinstance(entry, dict):
        return entry.get("GET" if method in ("HEAD", "OPTIONS") else method)
    if entry is not None:
        return entry
    for prefix, requirement in PREFIXES:
        if endpoint.startswith(prefix):
            return requirement
    return None


def role_allows(role: str, capability: Capability, options: AgentPermissions) -> bool:
    if capability in ROLE_CAPABILITIES.get(role, frozenset()):
        return True
    field = AGENT_OPTIONAL.get(capability)
    return role == Role.CLIENT_USER and field is not None and getattr(options, field)


def can(capability: Capability | str) -> bool:
    """May the signed-in member do ``capability`` in the client in use?"""
    membership = get_current_membership()
    if membership is None:
        return False
    return role_allows(
        membership.role, Capability(capability), agent_permissions_of(membership.client)
    )


def can_endpoint(endpoint: str, method: str = "GET") -> bool:
    """For menus and buttons: would ``endpoint`` open for the signed-in member?"""
    requirement = requirement_for(endpoint, method)
    if isinstance(requirement, Capability):
        return can(requirement)
    return requirement is not None and requirement != Access.SUPER_ADMIN
