"""Small facts about audio files that Meta's webhook does not give (the duration)."""

from __future__ import annotations

OPUS_RATE = 48_000  # Opus granule positions always count 48 kHz samples (RFC 7845)


def ogg_duration_s(content: bytes) -> float | None:
    """Duration of an OGG/Opus file (WhatsApp voice notes) from its last page's granule
    position, minus the pre-skip; None when it is not one."""
    if not content.startswith(b"OggS"):
        return None
    head = content.find(b"OpusHead")
    last = content.rfind(b"OggS")
    if head < 0 or last < 0 or len(content) < last + 14 or len(content) < head + 12:
        return None
    granule = int.from_bytes(content[last + 6 : last + 14], "little", signed=True)
    pre_skip = int.from_bytes(content[head + 10 : head + 12], "little")
    if granule <= 0:
        return None
    return round(max(0, granule - pre_skip) / OPUS_RATE, 2)
