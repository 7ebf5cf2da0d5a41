"""Test-only: compile each Jinja template once per process, not once per app.

Every test builds a fresh app, so every app's Jinja environment compiled the templates
its requests render again: the first ``GET /login`` of an app spent ~45 ms of its ~57 ms
in ``Environment.compile`` (the layout, its includes, the page). Jinja's bytecode cache
hook keeps the compiled code of a template keyed by its name and file and checked
against the source's checksum (an edited file compiles again); the code also depends on
the environment's syntax settings and extensions, so those are part of the key. Code
objects are immutable; each environment still builds its own ``Template`` from it.
"""

from __future__ import annotations

from types import CodeType

from flask import Flask
from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache

_original = Flask.create_jinja_environment
_codes: dict[tuple, tuple[str, CodeType]] = {}


def _compile_settings(environment: Environment) -> tuple:
    """What, besides the source, the generated code of a template depends on."""
    autoescape = environment.autoescape
    return (
        type(environment),
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        tuple(sorted(environment.extensions)),
        environment.optimized,
        environment.finalize,
        environment.is_async,
        getattr(autoescape, "__func__", autoescape),  # Flask's: a method of each app
    )


class SharedCodeCache(BytecodeCache):
    """Compiled template code shared by every environment of the process."""

    def load_bytecode(self, bucket: Bucket) -> None:
        hit = _codes.get((_compile_settings(bucket.environment), bucket.key))
        if hit is not None and hit[0] == bucket.checksum:
            bucket.code = hit[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            key = (_compile_settings(bucket.environment), bucket.key)
            _codes[key] = (bucket.checksum, bucket.code)


_shared = SharedCodeCache()


def _create_jinja_environment(self: Flask):
    environment = _original(self)
    if environment.bytecode_cache is None:
        environment.bytecode_cache = _shared
    return environment


def install() -> None:
    Flask.create_jinja_environment = _create_jinja_environment  # type: ignore[method-assign]
