"""Team members of the client in use (CLIENT_ADMIN only)."""

from clickpro.blueprints.members.routes import bp

__all__ = ["bp"]
