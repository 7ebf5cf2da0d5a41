"""The one door to Meta's Graph API (WhatsApp Business Cloud API).

Every HTTP call ClickPro makes to Meta goes through :class:`GraphClient`. It raises
:class:`GraphError` with a classified :class:`GraphErrorKind` so callers react on the kind
(back off, fail the message, stop the campaign, mark the credential invalid) instead of
parsing codes themselves.

The package is split by responsibility: :mod:`.errors` (classification, redaction),
:mod:`.transport` (auth, retries, pagination), :mod:`.messages`, :mod:`.templates`,
:mod:`.media` (SSRF-safe downloads) and :mod:`.client` (the assembled client and its
app-configured factory). Callers import from ``clickpro.integrations.meta``.
"""

from __future__ import annotations

from clickpro.integrations.meta.client import (
    DEFAULT_API_VERSION,
    DEFAULT_GRAPH_URL,
    GraphClient,
    graph_client,
    shared_http_client,
)
from clickpro.integrations.meta.errors import (
    RETRYABLE_KINDS,
    GraphError,
    GraphErrorKind,
    classify,
    redact,
)
from clickpro.integrations.meta.media import UnsafeMediaURL, is_meta_id
from clickpro.integrations.meta.messages import SendResult
from clickpro.integrations.meta.transport import DEFAULT_TIMEOUT

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_GRAPH_URL",
    "DEFAULT_TIMEOUT",
    "RETRYABLE_KINDS",
    "GraphClient",
    "GraphError",
    "GraphErrorKind",
    "SendResult",
    "UnsafeMediaURL",
    "classify",
    "graph_client",
    "is_meta_id",
    "redact",
    "shared_http_client",
]
