"""The "Custos" page, the campaign cost partial's data, and the wizard's estimate."""

from clickpro.blueprints.costs.routes import bp

__all__ = ["bp"]
