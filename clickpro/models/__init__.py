"""Every model, imported once so that mappers and Alembic see all tables."""

from clickpro.models.accounts import (
    Client,
    ClientMember,
    MemberInvitation,
    PasswordResetToken,
    Role,
    User,
)
from clickpro.models.ai import AIOutcome, AIReplyRun, AIRunStatus
from clickpro.models.ai_tools import AIPlaygroundTurn, AITool
from clickpro.models.api import (
    ApiToken,
    DeliveryStatus,
    IdempotencyKey,
    OutboundEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from clickpro.models.audit import AuditEntry, RecoveryCode
from clickpro.models.campaigns import Campaign, CampaignList, CampaignStatus, MessageRetry
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
from clickpro.models.conversations import Conversation, ConversationStatus
from clickpro.models.costs import (
    CampaignCostEstimate,
    MarketingMessagesNumber,
    RateCard,
    RateCardRate,
)
from clickpro.models.credentials import CredentialStatus, OpenAICredential, WhatsAppCredential
from clickpro.models.flows import (
    Flow,
    FlowRun,
    FlowRunInput,
    FlowRunMode,
    FlowRunStatus,
    FlowRunStep,
    FlowTriggerKind,
    FlowVersion,
)
from clickpro.models.identities import ContactIdentity, ContactMerge, IdentityKind
from clickpro.models.inbox import ContactLabel, Label, QuickReply
from clickpro.models.knowledge import KnowledgeBase, KnowledgeDocument, KnowledgeStatus
from clickpro.models.media import MediaStatus, MessageMedia, TranscriptStatus
from clickpro.models.messaging import (
    Author,
    DeliveryRank,
    Direction,
    Message,
    MessageStatus,
    PendingStatus,
    WebhookEvent,
)
from clickpro.models.notifications import Audience, Notification, NotificationRead
from clickpro.models.reports import (  # noqa: F401  (h7: report rollups)
    ReportFailureDay,
    ReportMessageDay,
    ReportRollupState,
)
from clickpro.models.teams import (
    AssignmentRule,
    BusinessHours,
    ConversationCycle,
    ConversationEvent,
    ConversationEventKind,
    CsatStatus,
    CsatSurvey,
    Team,
    TeamMember,
)
from clickpro.models.templates import Template, TemplateStatus

__all__ = [
    "AssignmentRule",
    "BusinessHours",
    "ConversationCycle",
    "ConversationEvent",
    "ConversationEventKind",
    "CsatStatus",
    "CsatSurvey",
    "Team",
    "TeamMember",
    "AIOutcome",
    "AIReplyRun",
    "AIPlaygroundTurn",
    "AITool",
    "KnowledgeBase",
    "KnowledgeDocument",
    "KnowledgeStatus",
    "Audience",
    "AIRunStatus",
    "ApiToken",
    "AuditEntry",
    "Author",
    "Campaign",
    "ContactIdentity",
    "ContactMerge",
    "Conversation",
    "ConversationStatus",
    "IdentityKind",
    "CampaignCostEstimate",
    "CampaignList",
    "CampaignStatus",
    "Client",
    "ClientMember",
    "Contact",
    "ContactImport",
    "ContactLabel",
    "ContactImportRejection",
    "ContactList",
    "ContactListMember",
    "CredentialStatus",
    "DeliveryRank",
    "DeliveryStatus",
    "Direction",
    "IdempotencyKey",
    "MemberInvitation",
    "Flow",
    "FlowRun",
    "FlowRunInput",
    "FlowRunMode",
    "FlowRunStatus",
    "FlowRunStep",
    "FlowTriggerKind",
    "FlowVersion",
    "ImportStatus",
    "Label",
    "MarketingMessagesNumber",
    "MediaStatus",
    "MessageMedia",
    "Message",
    "MessageRetry",
    "MessageStatus",
    "Notification",
    "NotificationRead",
    "OpenAICredential",
    "OptOut",
    "OptOutSource",
    "PasswordResetToken",
    "OutboundEvent",
    "PendingStatus",
    "QuickReply",
    "RateCard",
    "RateCardRate",
    "RecoveryCode",
    "Role",
    "Template",
    "TemplateStatus",
    "TranscriptStatus",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WhatsAppCredential",
]
