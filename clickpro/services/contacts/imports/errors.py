"""The one error type of contact imports."""


class ContactImportError(ValueError):
    """The upload or the import request is refused; the message is pt_BR."""
