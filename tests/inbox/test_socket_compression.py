"""Socket.IO WebSockets are not compressed, whatever the browser offers (#24).

Each socket of a client's room compressed the same event frame with its own zlib context
(``permessage-deflate``, offered by every browser): more web CPU per agent than sending
the frame itself. The handshake's offer is dropped under the Socket.IO path.
"""

from __future__ import annotations

import base64
import os
import socket
from urllib.parse import urlsplit

from live_helpers import PASSWORD, ServerThread, login


def _handshake(url: str, cookie: str) -> tuple[str, bytes]:
    """A browser-like WebSocket upgrade to Engine.IO; the 101 head and what followed."""
    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        if len(rest) < 2:  # the Engine.IO open packet follows the 101
            rest += sock.recv(4096)
    return head.decode("latin-1"), rest


def test_a_browser_offer_of_permessage_deflate_is_not_taken(make_app, tenants):
    server_app = make_app()
    with ServerThread(server_app) as server:
        http = login(server.url, tenants.a_user.email, PASSWORD)
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        head, rest = _handshake(server.url, cookie)
    assert head.startswith("HTTP/1.1 101"), head
    assert "sec-websocket-extensions" not in head.lower(), head
    # an uncompressed text frame (RSV1 clear) carrying the Engine.IO open packet "0{…}"
    assert rest[0] == 0x81, rest[:4]
    assert rest[2:3] == b"0" or rest[4:5] == b"0", rest[:8]


def test_other_paths_keep_their_headers(app):
    from clickpro.realtime import WithoutWebSocketCompression

    seen: list[dict] = []
    middleware = WithoutWebSocketCompression(lambda environ, start: seen.append(environ))
    offer = "permessage-deflate"
    middleware({"PATH_INFO": "/other", "HTTP_SEC_WEBSOCKET_EXTENSIONS": offer}, None)
    middleware({"PATH_INFO": "/socket.io/", "HTTP_SEC_WEBSOCKET_EXTENSIONS": offer}, None)
    assert seen[0]["HTTP_SEC_WEBSOCKET_EXTENSIONS"] == offer
    assert "HTTP_SEC_WEBSOCKET_EXTENSIONS" not in seen[1]
