"""What the inbox shows of interactive messages, added to the message JSON of the inbox
(REST, Socket.IO and catch-up; the /api/v1 shape is unchanged):

* ``interactive``: an outbound button/list message (header, body, footer, buttons or
  the list's button and sections), drawn WhatsApp-style;
* ``reply``: the option a customer chose (``interactive`` button_reply/list_reply, or a
  template's quick-reply ``button``): ``{kind, id, title, description}``;
* ``context``: the message a customer's message answers (its ``context.id``), looked up
  once per page: ``{id, wamid, body, type}`` (``id`` null when not stored here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Direction, Message

QUOTE_MAX = 160


def _reply_of(m: Message) -> dict[str, Any] | None:
    payload = m.payload if isinstance(m.payload, dict) else {}
    if m.type == "interactive":
        found = payload.get("interactive")
        inter: dict[str, Any] = found if isinstance(found, dict) else {}
        kind = inter.get("type")
        if kind in ("button_reply", "list_reply") and isinstance(inter.get(kind), dict):
            chosen = inter[kind]
            return {
                "kind": kind,
                "id": str(chosen.get("id") or "")[:256],
                "title": str(chosen.get("title") or "")[:200],
                "description": str(chosen.get("description") or "")[:200] or None,
            }
    if m.type == "button" and isinstance(payload.get("button"), dict):
        button = payload["button"]
        return {
            "kind": "button",
            "id": str(button.get("payload") or "")[:256],
            "title": str(button.get("text") or "")[:200],
            "description": None,
        }
    return None


def _outbound_interactive(m: Message) -> dict[str, Any] | None:
    payload = m.payload if isinstance(m.payload, dict) else {}
    inter = payload.get("interactive")
    if m.direction != Direction.OUT or m.type != "interactive" or not isinstance(inter, dict):
        return None
    found = inter.get("action")
    action: dict[str, Any] = found if isinstance(found, dict) else {}
    view: dict[str, Any] = {
        "type": inter.get("type"),
        "header": (inter.get("header") or {}).get("text"),
        "footer": (inter.get("footer") or {}).get("text"),
    }
    if inter.get("type") == "button":
        view["buttons"] = [
            str((b.get("reply") or {}).get("title") or "") for b in action.get("buttons") or []
        ]
    elif inter.get("type") == "list":
        view["button"] = action.get("button")
        view["sections"] = [
            {
                "title": s.get("title"),
                "rows": [
                    {"title": r.get("title"), "description": r.get("description")}
                    for r in s.get("rows") or []
                ],
            }
            for s in action.get("sections") or []
        ]
    return view


def extras(rows: Sequence[Message]) -> dict[int, dict[str, Any]]:
    """message id → the extra keys of that message (only messages that have some)."""
    wamids = {m.context_wamid for m in rows if m.context_wamid}
    quoted: dict[tuple[int, str], Message] = {}
    if wamids:
        client_ids = {m.client_id for m in rows}
        for row in db.session.scalars(
            sa.select(Message).where(
                Message.client_id.in_(client_ids), Message.wamid.in_(sorted(wamids))
            )
        ):
            quoted[(row.client_id, row.wamid or "")] = row
    out: dict[int, dict[str, Any]] = {}
    for m in rows:
        extra: dict[str, Any] = {}
        view = _outbound_interactive(m)
        if view:
            extra["interactive"] = view
        reply = _reply_of(m)
        if reply:
            extra["reply"] = reply
        if m.context_wamid:
            q = quoted.get((m.client_id, m.context_wamid))
            extra["context"] = {
                "wamid": m.context_wamid,
                "id": q.id if q else None,
                "body": (q.body or "")[:QUOTE_MAX] if q else None,
                "type": q.type if q else None,
            }
        if extra:
            out[m.id] = extra
    return out
