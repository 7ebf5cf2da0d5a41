"""Errors of the flows runtime (raised by :mod:`clickpro.services.flows.engine`).

Each carries a pt_BR message fit for the panel or the API; ``FlowInvalid`` also carries
the validator's problems (``graph.Problem``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _

if TYPE_CHECKING:
    from clickpro.services.flows.graph import Problem


class FlowError(Exception):
    """Base of every flows error. ``str(exc)`` is a pt_BR message."""

    code = "flow_error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message())

    def default_message(self) -> str:
        return _("Não foi possível executar o fluxo.")


class FlowNotFound(FlowError):
    code = "flow_not_found"

    def default_message(self) -> str:
        return _("Fluxo não encontrado.")


class RunNotFound(FlowError):
    code = "run_not_found"

    def default_message(self) -> str:
        return _("Execução do fluxo não encontrada.")


class FlowNotPublished(FlowError):
    code = "flow_not_published"

    def default_message(self) -> str:
        return _("O fluxo ainda não foi publicado.")


class ConversationBusy(FlowError):
    code = "conversation_busy"

    def default_message(self) -> str:
        return _("Esta conversa já está em um fluxo.")


class ConversationNotFound(FlowError):
    code = "conversation_not_found"

    def default_message(self) -> str:
        return _("Conversa não encontrada.")


class FlowInvalid(FlowError):
    code = "flow_invalid"

    def __init__(self, problems: list[Problem] | None = None, message: str | None = None):
        self.problems = list(problems or [])
        super().__init__(message)

    def default_message(self) -> str:
        errors = [p for p in self.problems if p.level == "error"]
        if errors:
            return _("O fluxo tem %(n)s erro(s): %(first)s", n=len(errors), first=errors[0].message)
        return _("O fluxo é inválido.")
