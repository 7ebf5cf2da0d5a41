"""Shared fixtures of the browser tests: a live HTTP server and a Chromium page.

* ``live_app`` — the app to serve; by default the test ``app`` (built with ``make_app``,
  on the test database). Override it in a test module to serve another one.
* ``live_server`` — the base URL (``http://127.0.0.1:<free port>``) of ``live_app``
  served by a threaded werkzeug server in a background thread.
* ``live_sandbox`` — the Meta/OpenAI sandbox on its own port, posting signed webhooks
  to ``live_server`` (manual delivery) and answering the app's Graph and OpenAI calls;
  media is stored under the test's ``tmp_path``. Yields the ``SandboxServer``.
* ``browser_page`` — a Playwright page of Debian's headless Chromium (no
  ``playwright install``), in its own browser context of a browser shared by
  consecutive browser tests; the tests skip with a clear reason where it is missing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # media and the attention beep start without a click (the tests also click first)
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def live_app(app):
    return app


@pytest.fixture
def live_server(live_app) -> Iterator[str]:
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # keep the test output clean
            pass

    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def live_sandbox(app, live_server, tmp_path):
    from clickpro.sandbox import SandboxServer

    sandbox = SandboxServer(
        {
            "webhook_delivery": "manual",
            "webhook_url": f"{live_server}/webhook",
            "app_secret": app.config["META_APP_SECRET"],
        }
    ).start()
    app.config.update(
        META_GRAPH_URL=sandbox.graph_url,
        META_HTTP_TRANSPORT=None,
        OPENAI_BASE_URL=sandbox.openai_url,
        OPENAI_HTTP_TRANSPORT=None,
        MEDIA_DIR=str(tmp_path / "media"),
    )
    for key in ("clickpro.meta_http", "clickpro.openai_http", "clickpro.media_store"):
        app.extensions.pop(key, None)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def browser_page():
    """A page in a new browser context (the browser is shared: tests/shared_browser.py)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    import shared_browser

    browser = shared_browser.browser(CHROMIUM, CHROMIUM_ARGS)
    context = browser.new_context(locale="pt-BR", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()
