"""Credentials of a client: WhatsApp (Meta) and OpenAI + the assistant, and key rotation.

Everything is validated live before it is stored; secrets are stored encrypted
(``clickpro.crypto``) and only their last 4 characters are ever shown again.
"""

from clickpro.services.credentials.assistant import (
    DEFAULT_HANDOFF_KEYWORDS,
    NON_TEXT_POLICIES,
    AssistantSettings,
    assistant_settings,
    get_openai_credential,
    mark_openai_invalid,
    openai_for,
    retest_openai,
    save_openai_credentials,
)
from clickpro.services.credentials.common import (
    CredentialError,
    NoCredentials,
    ServiceUnreachable,
)
from clickpro.services.credentials.rotation import rotate_all_secrets
from clickpro.services.credentials.whatsapp import (
    get_whatsapp_credential,
    mark_whatsapp_invalid,
    retest_whatsapp,
    save_whatsapp_credentials,
    throughput_of,
    whatsapp_for,
)

__all__ = [
    "DEFAULT_HANDOFF_KEYWORDS",
    "NON_TEXT_POLICIES",
    "AssistantSettings",
    "CredentialError",
    "NoCredentials",
    "ServiceUnreachable",
    "assistant_settings",
    "get_openai_credential",
    "get_whatsapp_credential",
    "mark_openai_invalid",
    "mark_whatsapp_invalid",
    "openai_for",
    "retest_openai",
    "retest_whatsapp",
    "rotate_all_secrets",
    "save_openai_credentials",
    "save_whatsapp_credentials",
    "throughput_of",
    "whatsapp_for",
]
