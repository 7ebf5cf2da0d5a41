"""The client's audit log (client admins) and its two-factor policy."""

from clickpro.blueprints.audit.routes import bp

__all__ = ["bp"]
