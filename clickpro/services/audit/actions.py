"""Action codes of the audit log and their labels (the log's filter offers these)."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Action(StrEnum):
    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    TWO_FACTOR_FAILED = "auth.two_factor_failed"
    TWO_FACTOR_ENABLED = "two_factor.enabled"
    TWO_FACTOR_DISABLED = "two_factor.disabled"
    RECOVERY_CODE_USED = "two_factor.recovery_code_used"
    RECOVERY_CODES_REGENERATED = "two_factor.recovery_codes_regenerated"
    MEMBER_INVITED = "member.invited"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_DEACTIVATED = "member.deactivated"
    MEMBER_REACTIVATED = "member.reactivated"
    CREDENTIAL_CREATED = "credential.created"
    CREDENTIAL_CHANGED = "credential.changed"
    CREDENTIAL_REMOVED = "credential.removed"
    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_CHANGED = "webhook.changed"
    WEBHOOK_DELETED = "webhook.deleted"
    CAMPAIGN_STARTED = "campaign.started"
    CAMPAIGN_PAUSED = "campaign.paused"
    CAMPAIGN_RESUMED = "campaign.resumed"
    CAMPAIGN_CANCELLED = "campaign.cancelled"
    EXPORT_DOWNLOADED = "export.downloaded"
    CONTACTS_DELETED = "contacts.deleted"
    CLIENT_SETTINGS_CHANGED = "client.settings_changed"


ACTIONS: dict[str, object] = {
    Action.SIGN_IN: _l("Entrada na conta"),
    Action.SIGN_IN_FAILED: _l("Entrada recusada"),
    Action.TWO_FACTOR_FAILED: _l("Código de verificação recusado"),
    Action.TWO_FACTOR_ENABLED: _l("Verificação em duas etapas ativada"),
    Action.TWO_FACTOR_DISABLED: _l("Verificação em duas etapas desativada"),
    Action.RECOVERY_CODE_USED: _l("Código de recuperação usado"),
    Action.RECOVERY_CODES_REGENERATED: _l("Códigos de recuperação gerados de novo"),
    Action.MEMBER_INVITED: _l("Membro convidado"),
    Action.MEMBER_ROLE_CHANGED: _l("Papel de membro alterado"),
    Action.MEMBER_DEACTIVATED: _l("Membro desativado"),
    Action.MEMBER_REACTIVATED: _l("Membro reativado"),
    Action.CREDENTIAL_CREATED: _l("Credencial criada"),
    Action.CREDENTIAL_CHANGED: _l("Credencial alterada"),
    Action.CREDENTIAL_REMOVED: _l("Credencial removida"),
    Action.API_TOKEN_CREATED: _l("Token de API criado"),
    Action.API_TOKEN_REVOKED: _l("Token de API revogado"),
    Action.WEBHOOK_CREATED: _l("Webhook de saída criado"),
    Action.WEBHOOK_CHANGED: _l("Webhook de saída alterado"),
    Action.WEBHOOK_DELETED: _l("Webhook de saída removido"),
    Action.CAMPAIGN_STARTED: _l("Campanha iniciada"),
    Action.CAMPAIGN_PAUSED: _l("Campanha pausada"),
    Action.CAMPAIGN_RESUMED: _l("Campanha retomada"),
    Action.CAMPAIGN_CANCELLED: _l("Campanha cancelada"),
    Action.EXPORT_DOWNLOADED: _l("Exportação baixada"),
    Action.CONTACTS_DELETED: _l("Contatos excluídos"),
    Action.CLIENT_SETTINGS_CHANGED: _l("Configurações do cliente alteradas"),
}


def label(action: str) -> str:
    return str(ACTIONS.get(action, action))
