"""The WhatsApp Business Accounts (WABAs) a client's templates belong to.

Templates live in a WABA on Meta's side: a client whose numbers sit on two WABAs has two
template lists, and a template can only be sent from a number of its own WABA. The WABAs
of a client are the distinct ``waba_id`` of its active (not archived) numbers, the first
number's WABA first; each is reached with the token of one of its own numbers.

Rows stored before templates carried a WABA (``waba_id = ""``) belong to the client's
first number's WABA, the same rule as a campaign without a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.integrations.meta import GraphClient
from clickpro.models import CredentialStatus, Template, WhatsAppCredential
from clickpro.services.conversations import active_numbers
from clickpro.services.credentials import NoCredentials
from clickpro.services.credentials.whatsapp import usable

__all__ = [
    "Waba",
    "client_wabas",
    "default_waba_id",
    "graph_for_waba",
    "number_label",
    "template_waba_id",
    "waba_clause",
]


def number_label(number: WhatsAppCredential) -> str:
    """How a number is named on the pages: its display name, else its phone."""
    return (
        (number.display_name or "").strip()
        or number.display_phone_number
        or number.verified_name
        or number.phone_number_id
    )


@dataclass(frozen=True)
class Waba:
    """One WABA of a client and the client's active numbers on it (first number first)."""

    waba_id: str
    numbers: tuple[WhatsAppCredential, ...]

    @property
    def label(self) -> str:
        """ "Vendas, Suporte" — the numbers using it (a WABA id says nothing to a user)."""
        return ", ".join(number_label(n) for n in self.numbers) or self.waba_id


def client_wabas(client_id: int) -> list[Waba]:
    """The distinct WABAs among the client's active numbers, the first number's first."""
    grouped: dict[str, list[WhatsAppCredential]] = {}
    for number in active_numbers(client_id):
        grouped.setdefault(number.waba_id, []).append(number)
    return [Waba(waba_id, tuple(numbers)) for waba_id, numbers in grouped.items()]


def default_waba_id(client_id: int) -> str | None:
    """The first number's WABA (None when the client has no active number)."""
    wabas = client_wabas(client_id)
    return wabas[0].waba_id if wabas else None


def template_waba_id(template: Template, default: str | None) -> str | None:
    """The WABA ``template`` belongs to (``default``: the client's first WABA, for rows
    stored before templates carried one)."""
    return template.waba_id or default


def waba_clause(waba_id: str, default: str | None) -> sa.ColumnElement[bool]:
    """SQL: the template belongs to ``waba_id`` (legacy rows count for the default WABA)."""
    if waba_id and waba_id == default:
        return Template.waba_id.in_((waba_id, ""))
    return Template.waba_id == waba_id


def graph_for_waba(client_id: int, waba_id: str) -> tuple[WhatsAppCredential, GraphClient]:
    """A number of the client on ``waba_id`` that Meta has not refused, and a Graph client
    with its token; ``NoCredentials`` when there is none."""
    numbers = [n for n in active_numbers(client_id) if n.waba_id == waba_id]
    if not numbers:
        raise NoCredentials(
            _("Nenhum número ativo deste cliente está nesta conta do WhatsApp (WABA).")
        )
    valid = [n for n in numbers if n.status != CredentialStatus.INVALID]
    return usable(valid[0] if valid else numbers[0])
