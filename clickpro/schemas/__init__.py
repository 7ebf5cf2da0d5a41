"""One pydantic shape per resource: a message, a contact, a conversation.

Every edge that shows one of them uses the model from here, built by the batch builder
next to it: the REST API (``blueprints/api``), the inbox JSON
(``services/inbox/serialize``), the Socket.IO events (``services/inbox/events``) and the
outbound webhook payloads (``services/api/outbound_webhooks``). A field added here
appears everywhere at once; nobody keeps a second hand-written dict.

Why a top-level package and not ``services/<domain>/schemas.py``: no single domain owns
these shapes (a message is shown by inbox, api and webhooks alike), and both the web
layer and the services import them. The package sits just above ``models``: it reads
rows (``models``, ``extensions.db``) and the 24-hour window rule
(``services.messaging.outbound.window_open``), and is imported by services and
blueprints, never the reverse; ``tests/foundation/test_layers.py`` keeps it cycle-free.

The builders load what a page needs at a fixed number of queries whatever its size
(names, phones, labels, opt-outs: once per page, never per row).
"""

from clickpro.schemas.contacts import ContactOut, contact_shape, contact_shapes
from clickpro.schemas.conversations import (
    ConversationDetail,
    ConversationOut,
    LabelRef,
    ListRef,
    conversation_detail,
    conversation_shape,
    conversation_shapes,
)
from clickpro.schemas.messages import (
    Location,
    MessageOut,
    MessageStatusOut,
    message_shape,
    message_shapes,
    message_status,
)

__all__ = [
    "ContactOut",
    "ConversationDetail",
    "ConversationOut",
    "LabelRef",
    "ListRef",
    "Location",
    "MessageOut",
    "MessageStatusOut",
    "contact_shape",
    "contact_shapes",
    "conversation_detail",
    "conversation_shape",
    "conversation_shapes",
    "message_shape",
    "message_shapes",
    "message_status",
]
