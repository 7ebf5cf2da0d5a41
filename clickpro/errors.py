"""One error model for every refusal a service makes.

A service raises a :class:`ServiceError` subclass; each edge answers it in its own
shape, from the same four attributes, with one handler per kind of edge:

* HTML pages (``clickpro.web_errors``): the message as a form error on ``field`` (the
  page is re-rendered with what the user typed) or as a flash message;
* the inbox JSON endpoints and ``/api/v1``: ``{"error": {"code", "message", "details"}}``
  with ``http_status``.

``code`` is a stable machine string (clients branch on it, never on the text);
``message`` is already translated (gettext at the raise site) and safe to show;
``field`` names the form/JSON field at fault (None: the request as a whole).

Subclasses set ``code``/``http_status`` as class attributes and may keep their own
constructor signature (``CredentialError(field, message)``); several also derive from
``ValueError``/``LookupError`` so existing ``except ValueError`` callers keep working.
This module imports nothing of the app: models, services and edges may all use it.
"""

from __future__ import annotations

from typing import Any


def _restore(cls: type[ServiceError], args: tuple, state: dict) -> ServiceError:
    """Unpickle without calling a subclass ``__init__`` (signatures differ)."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ServiceError(Exception):
    """A refused service operation (bad input, wrong state, missing setup)."""

    code: str = "validation_error"
    http_status: int = 422
    field: str | None = None

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        field: str | None = None,
        http_status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        if field is not None:
            self.field = field
        if http_status is not None:
            self.http_status = http_status
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message

    def error_details(self) -> dict[str, Any]:
        """``details`` of the JSON error body: field → [messages], plus any extra data."""
        details = dict(getattr(self, "details", None) or {})
        if self.field and self.field not in details:
            details[self.field] = [self.message]
        return details

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable whatever the subclass signature (RQ jobs, multiprocessing).
        return (_restore, (type(self), self.args, self.__dict__))


class NotFoundError(ServiceError):
    """The row does not exist for this client: a 404, never a hint that it exists."""

    code = "not_found"
    http_status = 404


class ConflictError(ServiceError):
    """The request is valid but the current state refuses it (409)."""

    code = "conflict"
    http_status = 409


class UpstreamError(ServiceError):
    """Meta or OpenAI failed or could not be reached: nothing was decided (502)."""

    code = "upstream_error"
    http_status = 502
