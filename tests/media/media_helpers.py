"""Helpers of the media tests (a PNG, an OGG/Opus voice note, the row of a message)."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import Message, MessageMedia

PNID = "100000000000011"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def opus_note(text: str, seconds: float = 3.0, pre_skip: int = 312) -> bytes:
    """A tiny OGG/Opus-shaped file: two pages (head, audio) whose last granule position
    gives ``seconds``, and the words the sandbox's fake transcriber "hears" (``SAY:``)."""
    head = (
        b"OggS\x00\x02"
        + (0).to_bytes(8, "little")
        + b"\x00" * 13
        + b"OpusHead\x01\x01"
        + pre_skip.to_bytes(2, "little")
        + (48000).to_bytes(4, "little")
        + b"\x00\x00\x00"
    )
    granule = int(seconds * 48000) + pre_skip
    audio = b"OggS\x00\x04" + granule.to_bytes(8, "little") + b"\x00" * 13 + b"\x11" * 40
    return head + audio + b"SAY:" + text.encode()


def media_of(db, message: Message) -> MessageMedia | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(MessageMedia).where(MessageMedia.message_id == message.id))
