"""Voice notes recorded in the browser, turned into what WhatsApp plays as a voice message.

WhatsApp voice messages must be OGG files with the Opus codec (Meta, "Audio messages").
Chromium's MediaRecorder gives WebM with Opus inside (``audio/webm;codecs=opus``), Firefox
gives OGG/Opus already: the Opus packets are only moved into an OGG container (a remux with
PyAV, no re-encoding, so no quality loss and almost no CPU). Only a recording in another
codec (Safari's MP4/AAC) is re-encoded to Opus.
"""

from __future__ import annotations

import io

import av
from flask_babel import gettext as _

from clickpro.services.inbox.media import MB, MediaRefused, MediaTooLarge, too_large_text

VOICE_MAX = 16 * MB  # WhatsApp's audio limit
VOICE_FILENAME = "nota-de-voz.ogg"


def _is_ogg_opus(content: bytes) -> bool:
    return content.startswith(b"OggS") and b"OpusHead" in content[:512]


def to_ogg_opus(content: bytes) -> bytes:
    """``content`` (a browser recording) as OGG/Opus; ``MediaRefused`` when it is not audio."""
    if not content:
        raise MediaRefused(_("A gravação está vazia."))
    if len(content) > VOICE_MAX:
        raise MediaTooLarge(too_large_text("audio"))
    if _is_ogg_opus(content):
        return content
    try:
        with av.open(io.BytesIO(content)) as source:
            if not source.streams.audio:
                raise MediaRefused(_("A gravação não tem áudio."))
            stream = source.streams.audio[0]
            if stream.codec_context.name == "opus":
                result = _remux(source, stream)
            else:
                result = _reencode(source, stream)
    except av.error.FFmpegError:
        raise MediaRefused(_("Não foi possível ler a gravação de voz.")) from None
    if not _is_ogg_opus(result):
        raise MediaRefused(_("Não foi possível converter a gravação de voz."))
    return result


def _remux(source, stream) -> bytes:
    out_buf = io.BytesIO()
    with av.open(out_buf, "w", format="ogg") as out:
        target = out.add_stream_from_template(stream)
        for packet in source.demux(stream):
            if packet.dts is None:  # the demuxer's flush packet
                continue
            packet.stream = target
            out.mux(packet)
    return out_buf.getvalue()


def _reencode(source, stream) -> bytes:
    out_buf = io.BytesIO()
    with av.open(out_buf, "w", format="ogg") as out:
        target = out.add_stream("libopus", rate=48000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for frame in source.decode(stream):
            for piece in resampler.resample(frame):
                piece.pts = None
                out.mux(target.encode(piece))
        for piece in resampler.resample(None):
            piece.pts = None
            out.mux(target.encode(piece))
        out.mux(target.encode(None))
    return out_buf.getvalue()
