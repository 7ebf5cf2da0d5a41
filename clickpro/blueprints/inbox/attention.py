"""Inbox attention endpoints: snooze a conversation (presets in the client's time zone
or a custom time), bring it back, and the typing indicator. Same ``inbox`` blueprint."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from clickpro.blueprints.errors import parse_json_body
from clickpro.blueprints.inbox.routes import bp
from clickpro.blueprints.inbox.schemas import Strict
from clickpro.guards import client_required
from clickpro.services.inbox import attention
from clickpro.services.inbox import serialize as ser
from clickpro.tenancy import require_client


class SnoozeIn(Strict):
    preset: str | None = Field(default=None, max_length=20, description="1h, tomorrow_9, monday_9.")
    until: str | None = Field(
        default=None, max_length=40, description="ISO date-time; without offset: client time."
    )


@bp.get("/api/snooze/presets")
@client_required
def snooze_presets():
    return jsonify(items=attention.presets(require_client().id))


@bp.post("/api/conversations/<int:conversation_id>/snooze")
@client_required
def snooze(conversation_id: int):
    data: SnoozeIn = parse_json_body(SnoozeIn)
    row = attention.snooze(
        require_client().id, conversation_id, current_user.id, preset=data.preset, until=data.until
    )
    return jsonify(conversation=ser.conversation(row))


@bp.post("/api/conversations/<int:conversation_id>/unsnooze")
@client_required
def unsnooze(conversation_id: int):
    row = attention.unsnooze(require_client().id, conversation_id, current_user.id)
    return jsonify(conversation=ser.conversation(row))


@bp.post("/api/conversations/<int:conversation_id>/typing")
@client_required
def typing(conversation_id: int):
    return jsonify(attention.typing(require_client().id, conversation_id))
