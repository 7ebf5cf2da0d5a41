"""Login, logout, switching the client in use, language."""

from clickpro.blueprints.auth.routes import bp

__all__ = ["bp"]
