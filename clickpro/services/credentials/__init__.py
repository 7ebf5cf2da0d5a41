"""Credentials of a client: its WhatsApp numbers (Meta), OpenAI + the assistant (and the
assistant's overrides per number), and key rotation.

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
from clickpro.services.credentials.number_assistant import (
    AI_SETTING_KEYS,
    clean_ai_settings,
    prepare_ai_settings,
    save_number_ai_settings,
    store_ai_settings,
)
from clickpro.services.credentials.numbers import (
    NumberNotFound,
    add_number,
    archive_number,
    list_numbers,
    require_number,
    retest_number,
    retest_whatsapp,
    save_whatsapp_credentials,
    update_number,
    whatsapp_for_number,
)
from clickpro.services.credentials.rotation import rotate_all_secrets
from clickpro.services.credentials.whatsapp import (
    get_whatsapp_credential,
    mark_whatsapp_invalid,
    throughput_of,
    whatsapp_for,
)

__all__ = [
    "AI_SETTING_KEYS",
    "DEFAULT_HANDOFF_KEYWORDS",
    "NON_TEXT_POLICIES",
    "AssistantSettings",
    "CredentialError",
    "NoCredentials",
    "NumberNotFound",
    "ServiceUnreachable",
    "add_number",
    "archive_number",
    "assistant_settings",
    "clean_ai_settings",
    "get_openai_credential",
    "get_whatsapp_credential",
    "list_numbers",
    "mark_openai_invalid",
    "mark_whatsapp_invalid",
    "openai_for",
    "prepare_ai_settings",
    "require_number",
    "retest_number",
    "retest_openai",
    "retest_whatsapp",
    "rotate_all_secrets",
    "save_number_ai_settings",
    "save_openai_credentials",
    "save_whatsapp_credentials",
    "store_ai_settings",
    "throughput_of",
    "update_number",
    "whatsapp_for",
    "whatsapp_for_number",
]
