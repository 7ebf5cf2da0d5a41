"""Refusals of the flow editing services (versions, library), for every edge.

They are the runtime's errors (:mod:`clickpro.services.flows.errors`: a caller catching
``FlowNotFound`` or ``FlowInvalid`` catches these too) *and* ``ServiceError`` s, so the
HTML pages, the inbox JSON and ``/api/v1`` answer them without a mapping of their own:
``FlowMissing`` → 404, ``FlowRejected`` → 422 with ``details.problems``,
``FlowChangeRefused`` → 422 (or 409 for a taken name / an archived flow).
"""

from __future__ import annotations

from clickpro.errors import NotFoundError, ServiceError
from clickpro.services.flows.errors import FlowError, FlowInvalid, FlowNotFound


class FlowChangeRefused(ServiceError, FlowError):
    """A change refused: a bad name, number, document... (``field`` names it)."""


class FlowMissing(NotFoundError, FlowNotFound):
    """The flow (or version) does not exist for this client: 404, never a hint."""


class FlowRejected(ServiceError, FlowInvalid):
    """The graph has errors (structure, or the validator's): nothing was stored."""

    code = "flow_invalid"
    http_status = 422

    def __init__(self, problems: list) -> None:
        # Not through the cooperative __init__ chain: FlowInvalid's and ServiceError's
        # signatures differ. Set what each of the two bases reads.
        self.problems = list(problems)
        message = FlowInvalid.default_message(self)
        Exception.__init__(self, message)
        self.message = message
        self.details = {"problems": [p.as_dict() for p in self.problems]}
