"""Inbound media served from ClickPro's own store to the members of its client."""

from clickpro.blueprints.media.routes import bp

__all__ = ["bp"]
