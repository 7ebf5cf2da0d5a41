"""Real, decodable media files made in code, for the demo, the screenshots and tests.

A browser must be able to show and play what the sandbox serves as a customer's
photo or voice note, so these are genuine files (a PNG written by hand, an OGG/Opus
note encoded by PyAV's libopus), not byte patterns shaped like them. A voice note
carries the words the sandbox's fake transcriber "hears" after ``SAY:`` behind its
last Ogg page (demuxers and duration readers stop at the last ``OggS`` page).
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections.abc import Callable

from clickpro.sandbox.openai_api import SAY_MARKER

Pixel = Callable[[int, int], tuple[int, int, int]]


def png(width: int, height: int, pixel: Pixel) -> bytes:
    """An RGB PNG of ``width`` × ``height`` whose colour at (x, y) is ``pixel(x, y)``."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def voice_note(text: str, seconds: float = 2.0, *, hz: int = 440, volume: int = 8000) -> bytes:
    """A mono 48 kHz OGG/Opus note of a ``hz`` tone lasting ``seconds`` that says ``text``
    to the sandbox's transcriber."""
    import av  # lazy: only the demo's media and the tests need the encoder

    samples = int(seconds * 48000)
    pcm = b"".join(
        struct.pack("<h", int(math.sin(2 * math.pi * hz * k / 48000) * volume))
        for k in range(samples)
    )
    buf = io.BytesIO()
    with av.open(buf, "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48000, layout="mono")
        for at in range(0, samples, 960):
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            frame.planes[0].update(pcm[at * 2 : (at + 960) * 2].ljust(1920, b"\0"))
            frame.rate, frame.pts = 48000, at
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue() + SAY_MARKER + text.encode() + b"\0"
