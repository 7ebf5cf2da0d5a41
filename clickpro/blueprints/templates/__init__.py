"""Message templates of the client in use: list, guided creation, detail, sync, delete."""

from clickpro.blueprints.templates.routes import bp

__all__ = ["bp"]
