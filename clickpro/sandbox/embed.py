"""Embedded mode's Meta and OpenAI: the sandbox, reached in-process with no port.

The app's Graph and OpenAI clients talk to the sandbox through ``httpx.WSGITransport``,
and the sandbox delivers its signed webhooks back into the app the same way, so the
demo works with nothing listening but the web port. The sandbox is also mounted at
``/_sandbox`` so a person can look at its control API (``/_sandbox/_control/sends``).
"""

from __future__ import annotations

import httpx
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

SANDBOX_HOST = "http://sandbox.clickpro.local"
APP_HOST = "http://app.clickpro.local"


def attach_sandbox(app: Flask) -> Flask:
    from clickpro.sandbox import create_sandbox_app

    sandbox = create_sandbox_app(
        {
            "webhook_url": f"{APP_HOST}/webhook",
            "webhook_transport": httpx.WSGITransport(app=app),
            "app_secret": app.config["META_APP_SECRET"],
            "reply_rate": 0.3,
        }
    )
    transport = httpx.WSGITransport(app=sandbox)
    app.config.update(
        META_GRAPH_URL=f"{SANDBOX_HOST}/graph",
        OPENAI_BASE_URL=f"{SANDBOX_HOST}/openai/v1",
        META_HTTP_TRANSPORT=transport,
        OPENAI_HTTP_TRANSPORT=transport,
    )
    app.extensions["clickpro.sandbox"] = sandbox
    # Flask's documented way to wrap the app in WSGI middleware (mypy sees a method).
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {"/_sandbox": sandbox}
    )
    return sandbox
