"""The assistant settings of issue #21's pre-answer decisions (intents, images, the
per-conversation cap), parsed and validated for ``openai_credentials.options``.

Called by :func:`clickpro.services.credentials.assistant.save_openai_credentials` (the
panel form and the API). A key absent from the submitted data keeps its stored value,
so an API caller that does not know these settings does not reset them. Bad input
raises ``CredentialError`` with a pt_BR message for that field.
"""

from __future__ import annotations

from flask_babel import gettext as _

from clickpro.services.credentials.common import CredentialError
from clickpro.services.teams.assignment import active_team
from clickpro.services.teams.errors import TeamNotFound

CONVERSATION_CAP_MAX = 10_000
IMAGE_MAX_KB_LIMIT = 20 * 1024  # OpenAI's per-image limit
KEYS = ("intents_enabled", "human_team_id", "complaint_team_id", "conversation_reply_cap",
        "image_max_kb")  # fmt: skip


def _whole(data: dict, key: str, low: int, high: int, label: str) -> int | None:
    raw = str(data.get(key) if data.get(key) is not None else "").strip()
    raw = raw.replace(".", "").replace(" ", "")
    if raw == "":
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise CredentialError(
            key,
            _(
                "%(label)s: use um número inteiro entre %(low)s e %(high)s.",
                label=label,
                low=low,
                high=high,
            ),
        )
    return int(raw)


def _team(client_id: int, data: dict, key: str) -> int | None:
    raw = data.get(key)
    if raw in (None, "", "0", 0):
        return None
    try:
        return active_team(client_id, raw, field=key).id
    except TeamNotFound:
        raise CredentialError(key, _("Equipe não encontrada.")) from None


def parse(client_id: int, data: dict) -> dict:
    """The options to store, for the keys present in ``data``."""
    found: dict = {}
    if "intents_enabled" in data:
        found["intents_enabled"] = bool(data.get("intents_enabled"))
    for key in ("human_team_id", "complaint_team_id"):
        if key in data:
            found[key] = _team(client_id, data, key)
    if "conversation_reply_cap" in data:
        cap = _whole(data, "conversation_reply_cap", 0, CONVERSATION_CAP_MAX,
                     _("Limite de respostas por conversa"))  # fmt: skip
        found["conversation_reply_cap"] = cap or None
    if "image_max_kb" in data:
        kb = _whole(data, "image_max_kb", 0, IMAGE_MAX_KB_LIMIT,
                    _("Tamanho máximo de imagem (KB)"))  # fmt: skip
        found["image_max_kb"] = kb  # None: the default; 0: images off
    return found
