"""Media fixtures: client A with a number on the sandbox, media kept in a temporary dir,
and ``inbound(...)``: a customer sends a media message through the signed webhook."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from media_helpers import PNID

from clickpro.models import Message, Role


@pytest.fixture
def shop(tenants, sandbox, create_whatsapp_credential, create_member, app, tmp_path):
    """Client A on the sandbox's default account; media stored under ``tmp_path``."""
    app.config["MEDIA_DIR"] = str(tmp_path / "media")
    app.extensions.pop("clickpro.media_store", None)
    tenants.number = create_whatsapp_credential(tenants.a)
    tenants.a_admin = create_member(tenants.a, Role.CLIENT_ADMIN)
    tenants.sandbox = sandbox
    tenants.media_dir = tmp_path / "media"
    return tenants


@pytest.fixture
def inbound(shop, db):
    """``inbound(kind, content, mime, **block)`` → the stored Message (webhook delivered)."""

    def _send(
        kind: str,
        content: bytes,
        mime: str,
        *,
        to: str = PNID,
        from_: str = "5511987654321",
        **block,
    ) -> Message:
        media_id = shop.sandbox.add_media(content, mime, block.get("filename"))
        sent = shop.sandbox.simulate_inbound(
            to, from_, message={"type": kind, kind: {"id": media_id, "mime_type": mime, **block}}
        )
        shop.sandbox.flush()
        db.session.expire_all()
        message = db.session.scalar(sa.select(Message).where(Message.wamid == sent["id"]))
        assert message is not None, "the webhook stored the message"
        message.sandbox_media_id = media_id  # type: ignore[attr-defined]
        return message

    return _send
