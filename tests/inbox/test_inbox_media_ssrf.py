"""Attack: an inbound media message whose ``id`` (or Meta's returned ``url``) points at the
platform's own network. Before the fix, opening the media in the inbox fetched that URL
with the tenant's access token and showed the full answer to the agent.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading

import pytest

from clickpro.integrations.meta import GraphClient
from clickpro.models import MediaStatus, Message
from clickpro.services.media.fetch import MediaFetchError, fetch_and_store


class Listener:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                seen.append((self.path, dict(self.headers)))
                self.send_response(200)
                self.send_header("Content-Length", "6")
                self.end_headers()
                self.wfile.write(b"secret")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _signed_image(client, app, media_id: str) -> None:
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "100000000000001",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": "100000000000011"},
                                "contacts": [{"profile": {"name": "X"}, "wa_id": "5511987654321"}],
                                "messages": [
                                    {
                                        "from": "5511987654321",
                                        "id": "wamid.SSRF"
                                        + hashlib.md5(media_id.encode()).hexdigest(),
                                        "timestamp": "1732400000",
                                        "type": "image",
                                        "image": {"id": media_id, "mime_type": "image/png"},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    secret = app.config["META_APP_SECRET"].encode()
    signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    assert (
        client.post("/webhook", data=body, headers={"X-Hub-Signature-256": signature}).status_code
        == 200
    )


def test_url_as_media_id_is_never_fetched(wired, app, client, login_as, listener):
    _signed_image(client, app, listener.url + "/internal/admin")
    message = Message.query.filter_by(client_id=wired.a.id, type="image").one()
    # The fetch job (inline here) is what asks Meta now; the old address only redirects.
    with pytest.raises(MediaFetchError):
        fetch_and_store(wired.a.id, message.id)
    http = login_as(wired.a_user, wired.a)
    response = http.get(f"/inbox/media/{message.id}", follow_redirects=True)
    assert response.status_code != 200
    assert listener.requests == []


def test_metas_answer_pointing_inside_is_never_downloaded(
    wired, app, client, login_as, listener, monkeypatch, sandbox
):
    media_id = sandbox.add_media(b"\x89PNG", "image/png")
    # A compromised or spoofed Graph answer: the media ``url`` is on the loopback listener.
    monkeypatch.setattr(
        GraphClient,
        "get_media",
        lambda self, mid: {"url": listener.url + "/x", "mime_type": "image/png"},
    )
    _signed_image(client, app, media_id)  # the fetch job runs inline, and is refused
    message = Message.query.filter_by(client_id=wired.a.id, type="image").one()
    try:
        row = fetch_and_store(wired.a.id, message.id)
    except MediaFetchError:
        row = None
    assert row is None or row.status != MediaStatus.STORED
    http = login_as(wired.a_user, wired.a)
    response = http.get(f"/inbox/media/{message.id}", follow_redirects=True)
    assert response.status_code != 200
    assert "secret" not in response.get_data(as_text=True)
    assert listener.requests == []  # no request, so no token either
