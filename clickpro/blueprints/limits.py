"""Length limits of form fields and JSON bodies, taken from the model columns.

``ColumnLength(Contact.name)`` is a WTForms ``Length`` whose ``max`` is the column's
``String(n)``, and ``column_max(Contact.name)`` is the number for a pydantic
``Field(max_length=…)``: the form, the API body and the database cannot drift apart.
``tests/foundation/test_length_limits.py`` walks every form and input model and fails when
a text field has no limit or a limit above its column.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import Length

from clickpro.services.accounts.validation import column_length

column_max = column_length  # the pydantic side: Field(max_length=column_max(Model.attr))


def too_long_message():
    return _l("Use no máximo %(max)d caracteres (você escreveu %(length)d).")


def between_message():
    return _l("Use de %(min)d a %(max)d caracteres (você escreveu %(length)d).")


class ColumnLength(Length):
    """``Length(max=<the column's length>)``; ``column`` is kept for the limits test."""

    def __init__(self, attribute, *, min: int = -1, message=None) -> None:  # noqa: A002
        self.column = attribute
        high = column_length(attribute)
        if message is None:
            message = between_message() if min > 0 else too_long_message()
        super().__init__(min=min, max=high, message=message)


class MaxLength(Length):
    """A limit for a field that is not stored in one column (a secret, a search box),
    with the same clear message as ``ColumnLength``."""

    def __init__(self, max: int, *, min: int = -1, message=None) -> None:  # noqa: A002
        if message is None:
            message = between_message() if min > 0 else too_long_message()
        super().__init__(min=min, max=max, message=message)
