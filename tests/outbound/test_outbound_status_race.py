"""A status webhook that lands while our POST is still returning is never downgraded."""

from __future__ import annotations

import httpx

from clickpro.models import Author, MessageStatus
from clickpro.services.messaging.delivery import apply_status
from clickpro.services.messaging.outbound import send_text


class ReadBeforeReturn(httpx.BaseTransport):
    """The sandbox; when a send returns, Meta's READ for it is applied before we see it."""

    def __init__(self, inner: httpx.BaseTransport, client_id: int) -> None:
        self.inner = inner
        self.client_id = client_id

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/messages"):
            response.read()
            wamid = response.json()["messages"][0]["id"]
            body = request.read().decode()
            marker = body.split('"biz_opaque_callback_data":')[1].split('"')[1]
            apply_status(self.client_id, wamid, "read", "1732400005", callback_data=marker)
        return response


def test_read_applied_during_send_survives(app, db, shop, wire_transport):
    wire_transport(lambda inner: ReadBeforeReturn(inner, shop.tenant.id))
    message = send_text(shop.conversation, "Oi!", author=Author.AGENT)
    db.session.expire_all()
    assert message.status == MessageStatus.READ
    assert message.wamid and message.sent_at is not None and message.read_at is not None
