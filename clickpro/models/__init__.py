"""Every model, imported once so that mappers and Alembic see all tables."""

from clickpro.models.accounts import Client, ClientMember, Role, User
from clickpro.models.campaigns import Campaign, CampaignList, CampaignStatus
from clickpro.models.contacts import (
    Contact,
    ContactImport,
    ContactImportRejection,
    ContactList,
    ContactListMember,
    ImportStatus,
    OptOut,
    OptOutSource,
)
from clickpro.models.credentials import CredentialStatus, OpenAICredential, WhatsAppCredential
from clickpro.models.messaging import (
    Author,
    DeliveryRank,
    Direction,
    Message,
    MessageStatus,
    PendingStatus,
    WebhookEvent,
)
from clickpro.models.notifications import Notification
from clickpro.models.templates import Template, TemplateStatus

__all__ = [
    "Author",
    "Campaign",
    "CampaignList",
    "CampaignStatus",
    "Client",
    "ClientMember",
    "Contact",
    "ContactImport",
    "ContactImportRejection",
    "ContactList",
    "ContactListMember",
    "CredentialStatus",
    "DeliveryRank",
    "Direction",
    "ImportStatus",
    "Message",
    "MessageStatus",
    "Notification",
    "OpenAICredential",
    "OptOut",
    "OptOutSource",
    "PendingStatus",
    "Role",
    "Template",
    "TemplateStatus",
    "User",
    "WebhookEvent",
    "WhatsAppCredential",
]
