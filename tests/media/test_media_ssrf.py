"""The media job goes through the integration layer's SSRF rules: a media URL off Meta's
hosts (a spoofed or compromised Graph answer) is never requested, not even once."""

from __future__ import annotations

import http.server
import threading

import pytest
from media_helpers import PNG, media_of

from clickpro.integrations.meta import GraphClient
from clickpro.models import MediaStatus


@pytest.fixture
def listener():
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secret")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.seen = seen  # type: ignore[attr-defined]
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


def test_media_url_off_metas_hosts_is_refused(shop, inbound, db, login_as, monkeypatch, listener):
    monkeypatch.setattr(
        GraphClient,
        "get_media",
        lambda self, mid: {"url": listener.url + "/internal", "mime_type": "image/png"},
    )
    message = inbound("image", PNG, "image/png")
    row = media_of(db, message)
    assert row.status == MediaStatus.FAILED
    assert "não é um servidor da Meta" in row.error
    response = login_as(shop.a_user, shop.a).get(f"/media/{message.id}")
    assert response.status_code == 502
    assert b"secret" not in response.data
    assert listener.seen == []  # no request, so the number's token never left
