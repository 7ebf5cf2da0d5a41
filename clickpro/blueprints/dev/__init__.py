"""``/_dev/mail``: the mails the embedded mode wrote to ``MAIL_DIR`` (the demo's outbox)."""

from clickpro.blueprints.dev.routes import bp

__all__ = ["bp"]
