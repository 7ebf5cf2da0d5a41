"""Login, logout, switching the client in use, language; e-mailed links (password reset,
invitations) in ``email_links``."""

from clickpro.blueprints.auth import email_links  # noqa: F401 - registers its views on bp
from clickpro.blueprints.auth.routes import bp

__all__ = ["bp"]
