"""The "Minha conta" page: my name and my password (any signed-in user, with or without a client)."""

from clickpro.blueprints.account.routes import bp

__all__ = ["bp"]
