"""Test-only: share werkzeug's compiled URL builders between the apps of a session.

Every test builds a fresh app (``create_app``), and werkzeug compiles two small Python
functions per URL rule (``Rule._compile_builder``: an AST, then ``compile()``): with ~370
rules (the Flask-Admin views included) that was ~0.4 s of CPU per test, about 70 % of
``create_app``. The generated function depends only on the rule's parsed trace (its
static text and argument names, which ``_trace`` holds whole), its defaults and the flag;
converters are looked up at call time (``.self._converters[name]``) on the rule it is
bound to. So for a rule without defaults the function of an identical earlier rule is
the same code and is reused; rules with defaults are compiled as before.
"""

from __future__ import annotations

from werkzeug.routing.rules import Rule

_original = Rule._compile_builder  # noqa: SLF001
_builders: dict[tuple, object] = {}


def _compile_builder(self: Rule, append_unknown: bool = True):
    if self.defaults:
        return _original(self, append_unknown)
    key = (append_unknown, self.rule, tuple(self._trace))  # noqa: SLF001
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _original(self, append_unknown)
    return builder


def install() -> None:
    Rule._compile_builder = _compile_builder  # type: ignore[method-assign]  # noqa: SLF001
