"""``GET /healthz``: database and Redis reachable."""

from clickpro.blueprints.health.routes import bp

__all__ = ["bp"]
