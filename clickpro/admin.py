"""Flask-Admin for SUPER_ADMIN (completed by the foundation work; see init_admin)."""

from __future__ import annotations

from flask import Flask


def init_admin(app: Flask) -> None:
    """Placeholder until the admin views land: /admin/ is not mounted."""
