"""Contacts, lists, opt-outs and spreadsheet imports (CLIENT_ADMIN and CLIENT_USER).

``routes`` defines ``bp``; the other view modules register on it and are imported here,
so every URL of the area is wired in one visible place.
"""

from clickpro.blueprints.contacts import routes_imports, routes_lists, routes_optouts  # noqa: F401
from clickpro.blueprints.contacts.routes import bp

__all__ = ["bp"]
