"""Password rules, applied wherever a password is set (invitation accept, reset, "Minha
conta", the CLI, Flask-Admin): at least ``PASSWORD_MIN_LENGTH`` characters and not one
of the 10,000 most common passwords.

The list (``clickpro/data/common_passwords.txt``) is the first 10,000 lines of the list
Django ships (Royce Williams's, lowercased), so the check is case-insensitive; it is read
once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[2] / "data" / "common_passwords.txt"
MAX_LENGTH = 256  # forms cap it too; hashing megabytes is a denial of service


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The list, without its leading ``#`` header (a password may start with ``#`` too)."""
    entries: set[str] = set()
    header = True
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as handle:
        for line in handle:
            if header and line.startswith("#"):
                continue
            header = False
            if line.strip():
                entries.add(line.strip())
    return frozenset(entries)


def min_length() -> int:
    return int(current_app.config["PASSWORD_MIN_LENGTH"])


def password_problem(password: str) -> str | None:
    """Why ``password`` is refused (a translated sentence), or None if it is fine."""
    password = password or ""
    if len(password) < min_length():
        return _("A senha precisa ter pelo menos %(min)s caracteres.", min=min_length())
    if len(password) > MAX_LENGTH:
        return _("A senha pode ter no máximo %(max)s caracteres.", max=MAX_LENGTH)
    if password.strip().lower() in common_passwords():
        return _("Esta senha está entre as mais usadas e é fácil de adivinhar. Escolha outra.")
    return None
