"""The notifications page and the bell's unread counter."""

from clickpro.blueprints.notifications.routes import bp

__all__ = ["bp"]
