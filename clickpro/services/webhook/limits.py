"""Limits a webhook body must pass before any secret is looked up or any JSON is parsed.

* Size: the body is read from the WSGI stream in chunks and reading stops one byte past
  the cap, whether the request has a Content-Length or is chunked — memory stays bounded
  by the cap, never by what the client sends.
* Nesting depth: checked without recursion and without parsing (strings are blanked, the
  brackets kept, one linear regex match of balanced groups at most N deep), so a
  1,000-deep body never reaches ``json.loads`` nor a worker.
"""

from __future__ import annotations

import functools
import re
from typing import IO

DEFAULT_MAX_BODY = 4 * 1024 * 1024  # Meta's deliveries are a few KB
DEFAULT_MAX_DEPTH = 32  # Meta's deepest payloads nest ~8 levels
_CHUNK = 64 * 1024

# A JSON string (escapes included), unrolled so it never backtracks.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
# Keep only the brackets, as "(" and ")" (C-speed ``bytes.translate``).
_PARENS = bytes.maketrans(b"[]{}", b"()()")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


class BodyTooLarge(Exception):
    """The body is larger than the cap (answered with 413)."""


def read_capped(stream: IO[bytes], limit: int, length: int | None = None) -> bytes:
    """Read at most ``limit`` bytes of ``stream``; :class:`BodyTooLarge` past that.

    ``length`` (the Content-Length, when known) bounds the reads so a server that does
    not terminate the input stream is never read past the body.
    """
    if length is not None and length > limit:
        raise BodyTooLarge
    remaining = length if length is not None else limit + 1
    parts: list[bytes] = []
    size = 0
    while remaining > 0:
        chunk = stream.read(min(_CHUNK, remaining))
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


@functools.lru_cache(maxsize=8)
def _balanced(limit: int) -> re.Pattern[bytes]:
    """A sequence of balanced ``()`` groups nested at most ``limit`` deep.

    Built level by level (``G1 = ()``, ``Gn = \\((?:Gn-1)*+\\)``) with possessive
    quantifiers: bracket groups parse one way only, so the match never backtracks and
    one anchored ``fullmatch`` is linear in the text.
    """
    group = rb"\(\)"
    for _ in range(limit - 1):
        group = rb"\((?:" + group + rb")*+\)"
    return re.compile(rb"(?:" + group + rb")*+")


def json_depth_ok(raw: bytes, limit: int = DEFAULT_MAX_DEPTH) -> bool:
    """True if the JSON text nests at most ``limit`` arrays/objects (and brackets balance).

    No recursion, no parse: strings are blanked, the brackets kept, and one linear regex
    match checks the nesting. A text with unbalanced brackets (outside strings) is
    refused too: it is not JSON Meta sends.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return True  # cannot be deeper than it has openers
    if limit < 1:
        return False
    brackets = _STRING.sub(b"", raw).translate(_PARENS, _NOT_BRACKETS)
    return _balanced(limit).fullmatch(brackets) is not None
