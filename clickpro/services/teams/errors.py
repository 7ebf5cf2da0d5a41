"""Refusals of the teams services (pt_BR messages, see ``clickpro.errors``)."""

from __future__ import annotations

from clickpro.errors import NotFoundError, ServiceError


class TeamError(ServiceError, ValueError):
    """A team or assignment operation refused (422)."""


class TeamNotFound(NotFoundError, TeamError):
    """The team (or conversation) does not exist for this client (404)."""

    code = "not_found"
    http_status = 404
