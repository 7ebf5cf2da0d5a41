"""Temporary stand-in for ``clickpro.services.flows.errors`` (removed once it lands)."""

from __future__ import annotations

from clickpro.errors import NotFoundError, ServiceError


class FlowError(ServiceError, ValueError):
    """A flow operation refused (422)."""


class FlowNotFound(NotFoundError, FlowError):
    code = "not_found"
    http_status = 404


class FlowInvalid(FlowError):
    code = "flow_invalid"

    def __init__(self, problems: list, message: str = "") -> None:
        self.problems = list(problems)
        super().__init__(
            message or "O fluxo tem erros.",
            details={"problems": [p.as_dict() for p in self.problems]},
        )
