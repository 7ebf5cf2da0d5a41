"""The "Relatórios" page (issue #22): charts, tables, exports and the monthly PDF."""

from clickpro.blueprints.reports.routes import bp

__all__ = ["bp"]
