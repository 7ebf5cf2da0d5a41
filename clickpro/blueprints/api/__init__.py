"""The public REST API (/api/v1) and its panel pages (API tokens, outbound webhooks)."""

from clickpro.blueprints.api.routes import bp

__all__ = ["bp"]
