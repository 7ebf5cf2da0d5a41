"""Where a notification leads: built here, in the web layer, with ``url_for``.

A notification stores its ``kind`` and the ids it is about (contact, template, campaign);
services never spell a URL. The most specific target wins: a conversation, then a
campaign, then a template, then the page of the kind (``KIND_PAGES``), else none.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from werkzeug.routing import BuildError

from clickpro.models import Notification

KIND_PAGES = {
    "credentials": "credentials.index",
    "ai_error": "credentials.index",  # without a conversation: the OpenAI key was refused
    "templates_imported": "templates.index",
    "template_status": "templates.index",
}


def _url(endpoint: str, **values: Any) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:  # that feature is not installed in this app
        return None


def notification_link(note: Notification) -> str | None:
    if note.conversation_id:
        return _url("inbox.conversation_page", conversation_id=note.conversation_id)
    if note.contact_id:
        return _url("inbox.index", contact=note.contact_id)
    if note.campaign_id:
        return _url("campaigns.detail", campaign_id=note.campaign_id)
    if note.template_id:
        return _url("templates.detail", template_id=note.template_id)
    endpoint = KIND_PAGES.get(note.kind)
    return _url(endpoint) if endpoint else None
