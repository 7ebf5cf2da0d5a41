"""Business hours editor: /settings/hours (the client) and /teams/<id>/hours (a team)."""

from clickpro.blueprints.hours.routes import bp

__all__ = ["bp"]
