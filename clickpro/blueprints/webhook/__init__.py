"""Meta's webhook endpoint (subscription handshake and signed deliveries)."""

from clickpro.blueprints.webhook.routes import bp

__all__ = ["bp"]
