"""Message media: upload, look up by id, download — without server-side request forgery.

An inbound media ``id`` comes from a webhook body, and the download ``url`` from Meta's
answer: neither is trusted. Only a well-formed Meta id (digits) becomes a Graph path, and a
URL is fetched only when it points at the Graph base host or at one of Meta's media hosts
(``lookaside.fbsbx.com``, ``*.fbcdn.net``, ``*.whatsapp.net``) over https. The access token
therefore never travels to another host, and a redirect is followed (a few hops at most)
only while it stays on those hosts. The body is read with a size cap.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx

from clickpro.integrations.meta.errors import GraphError, GraphErrorKind
from clickpro.integrations.meta.transport import GraphTransport, log

# Meta's media CDN hosts (see /work/shared/reference/whatsapp-cloud-api.md: the media ``url``
# is downloaded with the token). Exact host, or a subdomain of a suffix.
MEDIA_HOSTS = frozenset({"lookaside.fbsbx.com"})
MEDIA_HOST_SUFFIXES = (".fbcdn.net", ".whatsapp.net")
MAX_MEDIA_REDIRECTS = 3
DEFAULT_MAX_MEDIA_BYTES = 100 * 1024 * 1024  # WhatsApp's largest media (documents)

_META_ID = re.compile(r"[0-9]{1,40}")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def is_meta_id(value: object) -> bool:
    """True for a Graph node id as Meta issues them for media, numbers and WABAs: digits."""
    return isinstance(value, str) and _META_ID.fullmatch(value) is not None


class UnsafeMediaURL(GraphError):
    """A media id or URL ClickPro refuses to fetch (it would leave Meta's hosts)."""

    def __init__(self, title: str) -> None:
        super().__init__(
            status_code=None, code=None, title=title, kind=GraphErrorKind.INVALID_PARAMETER
        )


class MediaAPI(GraphTransport):
    """``/{phone_number_id}/media``, ``/{media_id}`` and the media download."""

    max_media_bytes = DEFAULT_MAX_MEDIA_BYTES

    def upload_message_media(
        self, phone_number_id: str, content: bytes, mime_type: str, file_name: str
    ) -> str:
        body = self._post(
            f"{phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (file_name, content, mime_type)},
        )
        return str(body["id"])

    def get_media(self, media_id: str) -> dict:
        """The media's metadata (``url``, ``mime_type``…); ``media_id`` must be digits."""
        if not is_meta_id(media_id):
            raise UnsafeMediaURL("Invalid media id")
        return self._get(media_id)

    # ------------------------------------------------------------------ download
    def media_url_allowed(self, url: str) -> bool:
        """Whether ``url`` may be fetched with the token (Graph host or Meta media host)."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower().rstrip(".")
            port = parts.port
        except ValueError:
            return False
        if parts.username is not None or parts.password is not None or not host:
            return False
        graph = urlsplit(self._root)
        graph_host = (graph.hostname or "").lower()
        if host == graph_host and parts.scheme == graph.scheme and port == graph.port:
            return True  # the configured Graph base (the sandbox's host when it is in use)
        if parts.scheme != "https" or port not in (None, 443):
            return False
        return host in MEDIA_HOSTS or host.endswith(MEDIA_HOST_SUFFIXES)

    def download_media(self, url: str) -> bytes:
        """The bytes at Meta's media ``url``; refused off Meta's hosts, redirects included."""
        for _ in range(MAX_MEDIA_REDIRECTS + 1):
            if not isinstance(url, str) or not self.media_url_allowed(url):
                log.warning("media download refused: host not allowed (%s)", _host_of(url))
                raise UnsafeMediaURL("Media URL not on a Meta host")
            location, content = self._fetch_capped(url)
            if location is None:
                return content
            url = urljoin(url, location)
        raise UnsafeMediaURL("Too many redirects for the media URL")

    def _fetch_capped(self, url: str) -> tuple[str | None, bytes]:
        """GET ``url`` with the token, no redirect following, body capped in size.

        Returns ``(location, b"")`` for a redirect, ``(None, content)`` otherwise.
        """
        request = self._http.build_request(
            "GET",
            url,
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=self._timeout,
        )
        try:
            response = self._http.send(request, stream=True, follow_redirects=False)
        except httpx.TransportError as exc:
            raise GraphError.from_exception(exc) from None
        try:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                return location, b""
            if response.status_code >= 400:
                response.read()
                raise GraphError.from_response(response).scrub(self._token)
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_media_bytes:
                raise UnsafeMediaURL("Media larger than allowed")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_media_bytes:
                    raise UnsafeMediaURL("Media larger than allowed")
                chunks.append(chunk)
            return None, b"".join(chunks)
        except httpx.TransportError as exc:
            raise GraphError.from_exception(exc) from None
        finally:
            response.close()


def _host_of(url: object) -> str:
    try:
        return urlsplit(str(url)).hostname or "?"
    except ValueError:
        return "?"
