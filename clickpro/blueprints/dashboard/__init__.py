"""The per-client dashboard."""

from clickpro.blueprints.dashboard.routes import bp

__all__ = ["bp"]
