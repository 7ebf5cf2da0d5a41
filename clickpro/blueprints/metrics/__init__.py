"""``GET /metrics``: Prometheus text format, behind ``Authorization: Bearer <METRICS_TOKEN>``."""

from clickpro.blueprints.metrics.routes import bp

__all__ = ["bp"]
