from clickpro.blueprints.inbox import actions as _actions  # noqa: F401 (registers routes)
from clickpro.blueprints.inbox.routes import bp

__all__ = ["bp"]
