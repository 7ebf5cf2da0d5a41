"""Interactive messages from the composer: reply buttons and list messages.

Validated here with Meta's limits (a clear 422 naming the limit instead of Meta's
error 131009), then sent like any free-form message through the messaging layer
(:mod:`clickpro.services.messaging.steps`): stored first, posted, outcome recorded.
Free-form: needs the conversation's 24-hour window.

Meta's limits (Cloud API, interactive object):
* buttons: 1–3 reply buttons, title ≤ 20 characters, unique titles, id ≤ 256;
* list: button text ≤ 20, 1–10 sections, ≤ 10 rows in all, row title ≤ 24, row
  description ≤ 72, section title ≤ 24 (required with more than one section);
* body ≤ 1024 (buttons) / 4096 (list); header and footer ≤ 60.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.models import Author, Conversation, Message
from clickpro.services.messaging import outbound, steps
from clickpro.services.messaging.sender import route_of

MAX_BUTTONS = 3
BUTTON_TITLE_MAX = 20
BUTTON_BODY_MAX = 1024
LIST_BODY_MAX = 4096
LIST_BUTTON_MAX = 20
MAX_SECTIONS = 10
MAX_ROWS = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
SECTION_TITLE_MAX = 24
HEADER_MAX = 60
FOOTER_MAX = 60


class InteractiveError(ServiceError, ValueError):
    """An interactive message refused before reaching Meta (pt_BR, names the limit)."""

    code = "invalid_interactive"


def _text(value: Any, limit: int, what: str, *, required: bool = True, field: str = "") -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InteractiveError(_("Preencha %(what)s.", what=what), field=field or None)
    if len(text) > limit:
        raise InteractiveError(
            _("%(what)s passa de %(limit)s caracteres.", what=what, limit=limit),
            field=field or None,
        )
    return text


def _frame(data: dict, body_max: int) -> dict:
    """body (required), header (text) and footer of the interactive object."""
    frame: dict[str, Any] = {
        "body": {"text": _text(data.get("body"), body_max, _("o texto"), field="body")}
    }
    header = _text(data.get("header"), HEADER_MAX, _("O cabeçalho"), required=False, field="header")
    footer = _text(data.get("footer"), FOOTER_MAX, _("O rodapé"), required=False, field="footer")
    if header:
        frame["header"] = {"type": "text", "text": header}
    if footer:
        frame["footer"] = {"text": footer}
    return frame


def build_buttons(data: dict) -> dict:
    """The ``interactive`` object of reply buttons (1–3, titles ≤ 20, unique)."""
    titles = [str(b or "").strip() for b in (data.get("buttons") or [])]
    titles = [t for t in titles if t]
    if not 1 <= len(titles) <= MAX_BUTTONS:
        raise InteractiveError(
            _("Use de 1 a %(max)s botões de resposta.", max=MAX_BUTTONS), field="buttons"
        )
    for title in titles:
        _text(title, BUTTON_TITLE_MAX, _("O título do botão “%(t)s”", t=title), field="buttons")
    if len({t.casefold() for t in titles}) != len(titles):
        raise InteractiveError(_("Os botões precisam ter títulos diferentes."), field="buttons")
    buttons = [
        {"type": "reply", "reply": {"id": f"btn_{i + 1}", "title": title}}
        for i, title in enumerate(titles)
    ]
    return {"type": "button", **_frame(data, BUTTON_BODY_MAX), "action": {"buttons": buttons}}


def build_list(data: dict) -> dict:
    """The ``interactive`` object of a list message (sections, ≤ 10 rows in all)."""
    button = _text(
        data.get("button"), LIST_BUTTON_MAX, _("O texto do botão da lista"), field="button"
    )
    raw_sections = [s for s in (data.get("sections") or []) if isinstance(s, dict)]
    if not 1 <= len(raw_sections) <= MAX_SECTIONS:
        raise InteractiveError(
            _("Use de 1 a %(max)s seções na lista.", max=MAX_SECTIONS), field="sections"
        )
    sections = []
    total = 0
    for n, raw in enumerate(raw_sections, start=1):
        title = _text(raw.get("title"), SECTION_TITLE_MAX, _("O título da seção %(n)s", n=n),
                      required=len(raw_sections) > 1, field="sections")  # fmt: skip
        rows = []
        for row in raw.get("rows") or []:
            if not isinstance(row, dict) or not str(row.get("title") or "").strip():
                continue
            total += 1
            row_title = _text(row.get("title"), ROW_TITLE_MAX,
                              _("O título da opção “%(t)s”", t=str(row.get("title")).strip()),
                              field="rows")  # fmt: skip
            item = {"id": f"row_{total}", "title": row_title}
            description = _text(row.get("description"), ROW_DESCRIPTION_MAX,
                                _("A descrição da opção “%(t)s”", t=row_title),
                                required=False, field="rows")  # fmt: skip
            if description:
                item["description"] = description
            rows.append(item)
        if not rows:
            raise InteractiveError(_("A seção %(n)s não tem nenhuma opção.", n=n), field="rows")
        section: dict[str, Any] = {"rows": rows}
        if title:
            section["title"] = title
        sections.append(section)
    if total > MAX_ROWS:
        raise InteractiveError(
            _("A lista tem %(n)s opções; o limite do WhatsApp é %(max)s.", n=total, max=MAX_ROWS),
            field="rows",
        )
    frame = _frame(data, LIST_BODY_MAX)
    return {"type": "list", **frame, "action": {"button": button, "sections": sections}}


def build(data: dict) -> dict:
    kind = str(data.get("kind") or "")
    if kind == "buttons":
        return build_buttons(data)
    if kind == "list":
        return build_list(data)
    raise InteractiveError(_("Tipo de mensagem interativa desconhecido."), field="kind")


def send_interactive(
    conversation: Conversation, interactive: dict, *, author: str, agent_id: int | None = None
) -> Message:
    """An interactive message in ``conversation`` (needs its 24-hour window)."""
    if not outbound.window_open(conversation):
        raise outbound.WindowClosed()
    route = route_of(conversation)
    payload = {**route.recipient.fields(), "type": "interactive", "interactive": interactive}
    body = interactive["body"]["text"]
    message = steps.store(route, author, agent_id, "interactive", body, payload)
    return outbound._finish(route, message, steps.poster(route, message, payload))


def reply_interactive(client_id: int, conversation_id: int, user_id: int, data: dict) -> Message:
    """An agent's interactive message (validated first; the AI steps back, as for text)."""
    from clickpro.services.inbox import actions

    interactive = build(data)
    conv = actions.get_conversation(client_id, conversation_id)
    try:
        message = send_interactive(conv, interactive, author=Author.AGENT, agent_id=user_id)
    except outbound.SendFailed:
        actions._pause_ai_after_reply(client_id, conversation_id)
        raise
    actions._pause_ai_after_reply(client_id, conversation_id)
    return message
