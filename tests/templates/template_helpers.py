"""Helpers for the templates tests (files and form payloads)."""

from __future__ import annotations

import io
import struct
import zlib


def tiny_png() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        raw = kind + data
        return struct.pack(">I", len(data)) + raw + struct.pack(">I", zlib.crc32(raw))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def form_data(**overrides) -> dict:
    """A valid creation form (one body variable); ``overrides`` replace or add fields."""
    data = {
        "name": "pedido_enviado",
        "language": "pt_BR",
        "category": "UTILITY",
        "header_format": "NONE",
        "body_text": "Olá {{1}}, seu pedido foi enviado hoje e chega em breve.",
        "body_example": ["Maria"],
        "footer_text": "Loja Exemplo",
    }
    data.update(overrides)
    return data


def upload(content: bytes, filename: str):
    return (io.BytesIO(content), filename)
