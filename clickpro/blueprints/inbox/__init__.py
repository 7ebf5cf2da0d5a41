from clickpro.blueprints.inbox import actions as _actions  # noqa: F401 (registers routes)
from clickpro.blueprints.inbox import attention as _attention  # noqa: F401 (registers routes)
from clickpro.blueprints.inbox import composer_media as _composer_media  # noqa: F401 (mic policy)
from clickpro.blueprints.inbox import flows as _flows  # noqa: F401 (registers routes)
from clickpro.blueprints.inbox import newconv as _newconv  # noqa: F401 (registers routes)
from clickpro.blueprints.inbox import transfer as _transfer  # noqa: F401 (registers routes)
from clickpro.blueprints.inbox.routes import bp

__all__ = ["bp"]
