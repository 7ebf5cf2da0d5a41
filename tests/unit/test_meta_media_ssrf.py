"""Attack: server-side request forgery through an inbound media id or Meta's media URL.

A webhook body decides the media ``id``; before the fix an absolute URL there was fetched
with the tenant's access token, and whatever ``url`` came back was downloaded too. A real
listener on loopback proves that no request (and no token) ever reaches it now.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest

from clickpro.integrations.meta import GraphClient, GraphError, UnsafeMediaURL, is_meta_id

TOKEN = "EAAGsecretTOKENforSSRFtest123456"
GRAPH = "https://graph.test"


class Listener:
    """A real HTTP server on 127.0.0.1 that records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's API
                listener.requests.append((self.path, dict(self.headers)))
                body = b'{"url": "http://127.0.0.1/again", "mime_type": "image/png"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    # The listener is reachable: a plain request does land (the test can fail).
    assert httpx.get(server.url + "/probe").status_code == 200
    server.requests.clear()
    yield server
    server.close()


class MetaOrNetwork(httpx.BaseTransport):
    """Meta's hosts answered in process; every other host over the real network."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = routes
        self.seen: list[httpx.Request] = []
        self.network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        key = f"{request.url.scheme}://{request.url.host}{request.url.path}"
        if request.url.host in {"graph.test", "lookaside.fbsbx.com"} or request.url.host.endswith(
            (".fbcdn.net", ".whatsapp.net")
        ):
            return self.routes.get(key, httpx.Response(404, json={"error": {"code": 100}}))
        return self.network.handle_request(request)


def _client(routes: dict[str, httpx.Response]) -> tuple[GraphClient, MetaOrNetwork]:
    transport = MetaOrNetwork(routes)
    client = GraphClient(
        TOKEN, base_url=GRAPH, api_version="v23.0", http=httpx.Client(transport=transport)
    )
    client.retry_backoff_s = 0
    return client, transport


def _media_info(url: str) -> httpx.Response:
    return httpx.Response(200, json={"url": url, "mime_type": "image/png", "id": "123"})


@pytest.mark.parametrize(
    "media_id",
    [
        "{url}/steal",
        "//127.0.0.1/steal",
        "123/../../x",
        "123?fields=x",
        "123@127.0.0.1",
        "",
        " 123",
        "１２３",  # full-width digits are not ASCII digits
    ],
)
def test_media_id_that_is_not_digits_never_leaves(listener, media_id):
    client, transport = _client({})
    with pytest.raises(UnsafeMediaURL):
        client.get_media(media_id.format(url=listener.url))
    assert listener.requests == [] and transport.seen == []


@pytest.mark.parametrize(
    "url",
    [
        "{url}/media.png",
        "http://lookaside.fbsbx.com/x",  # right host, no TLS
        "https://lookaside.fbsbx.com@127.0.0.1:{port}/x",
        "https://127.0.0.1:{port}/#.fbcdn.net",
        "https://fbcdn.net.127.0.0.1.nip.io/x",
        "https://lookaside.fbsbx.com:{port}/x",
        "https://evilfbcdn.net/x",
        "file:///etc/passwd",
        "https://graph.test.evil/x",
    ],
)
def test_media_url_off_metas_hosts_is_refused_without_a_request(listener, url):
    port = listener.url.rsplit(":", 1)[1]
    target = url.format(url=listener.url, port=port)
    client, transport = _client({f"{GRAPH}/v23.0/123": _media_info(target)})
    info = client.get_media("123")
    with pytest.raises(UnsafeMediaURL):
        client.download_media(info["url"])
    assert listener.requests == []
    assert [str(r.url) for r in transport.seen] == [f"{GRAPH}/v23.0/123"]


def test_redirect_off_metas_hosts_is_not_followed(listener):
    client, transport = _client(
        {
            f"{GRAPH}/v23.0/123": _media_info("https://lookaside.fbsbx.com/m/123"),
            "https://lookaside.fbsbx.com/m/123": httpx.Response(
                302, headers={"Location": listener.url + "/stolen"}
            ),
        }
    )
    info = client.get_media("123")
    with pytest.raises(UnsafeMediaURL):
        client.download_media(info["url"])
    assert listener.requests == []
    assert all(r.url.host != "127.0.0.1" for r in transport.seen)


def test_download_from_meta_with_a_redirect_on_metas_cdn():
    client, transport = _client(
        {
            f"{GRAPH}/v23.0/123": _media_info("https://lookaside.fbsbx.com/m/123"),
            "https://lookaside.fbsbx.com/m/123": httpx.Response(
                302, headers={"Location": "https://scontent.xx.fbcdn.net/v/t1/123.png"}
            ),
            "https://scontent.xx.fbcdn.net/v/t1/123.png": httpx.Response(200, content=b"PNG"),
        }
    )
    assert client.download_media(client.get_media("123")["url"]) == b"PNG"
    assert [r.headers["authorization"] for r in transport.seen] == [f"Bearer {TOKEN}"] * 3


def test_media_body_is_capped():
    client, _ = _client(
        {"https://lookaside.fbsbx.com/m/1": httpx.Response(200, content=b"x" * 5000)}
    )
    client.max_media_bytes = 1000
    with pytest.raises(UnsafeMediaURL):
        client.download_media("https://lookaside.fbsbx.com/m/1")


def test_graph_paths_never_take_an_absolute_url(listener):
    client, transport = _client({})
    for path in (listener.url + "/x", "/etc", "https://127.0.0.1/x"):
        with pytest.raises(GraphError):
            client._get(path)
    assert listener.requests == [] and transport.seen == []


def test_graph_base_host_is_allowed_with_its_own_scheme():
    """The sandbox serves media from the Graph base host over plain http."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"ok"))
    client = GraphClient(
        TOKEN,
        base_url="http://sandbox.test/graph",
        api_version="v23.0",
        http=httpx.Client(transport=transport),
    )
    assert client.download_media("http://sandbox.test/graph/_media/9?mid=9") == b"ok"
    assert not client.media_url_allowed("http://sandbox.test:8080/graph/_media/9")
    assert not client.media_url_allowed("https://sandbox.test/graph/_media/9")


def test_is_meta_id():
    assert is_meta_id("1234567890123456")
    assert not is_meta_id("12a") and not is_meta_id(123) and not is_meta_id("1" * 41)
