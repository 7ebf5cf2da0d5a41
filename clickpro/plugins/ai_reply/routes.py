"""The AI activity page (``/ai/activity``): today's answers, tokens, failures, handoffs."""

from __future__ import annotations

from flask import Blueprint, render_template

from clickpro.guards import admin_required
from clickpro.services.ai.activity import activity as ai_activity
from clickpro.tenancy import require_client

bp = Blueprint("ai_reply", __name__, template_folder="templates", url_prefix="/ai")


@bp.get("/activity")
@admin_required
def activity():
    client = require_client()
    return render_template("ai_reply/activity.html", activity=ai_activity(client.id))
