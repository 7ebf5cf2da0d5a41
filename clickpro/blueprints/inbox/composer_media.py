"""The inbox pages may use the microphone (voice notes recorded in the composer).

The site-wide ``Permissions-Policy`` (clickpro/web.py) turns the microphone off
everywhere; only the inbox's own HTML pages, same origin, allow it.
"""

from __future__ import annotations

from flask import Response, request

from clickpro.blueprints.inbox.routes import bp

MIC_PAGES = frozenset({"inbox.index", "inbox.conversation_page"})
POLICY = "camera=(), microphone=(self), geolocation=()"


@bp.after_request
def allow_microphone(response: Response) -> Response:
    if request.endpoint in MIC_PAGES and response.mimetype == "text/html":
        response.headers["Permissions-Policy"] = POLICY
    return response
