"""The one error type of contact imports."""

from clickpro.errors import ServiceError


class ContactImportError(ServiceError, ValueError):
    """The upload or the import request is refused; the message is pt_BR."""
