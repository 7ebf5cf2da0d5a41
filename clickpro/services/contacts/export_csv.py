"""The contacts list as a CSV that Excel pt-BR opens right (the current search and
filters, every page of it): BOM, ``;``, CRLF, moments in the client's zone, one column
per attribute (:class:`clickpro.csv_safe.ExcelCsv`, formula-safe).

Two passes over the matching contacts: the first only reads the attribute keys (the
columns), the second streams the rows 1,000 at a time through the keyset search.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.csv_safe import ExcelCsv
from clickpro.extensions import db
from clickpro.i18n import valid_zone
from clickpro.models import Client
from clickpro.services.contacts.service import ContactFilters, search_contacts

BATCH = 1000


def _pages(client_id: int, filters: ContactFilters) -> Iterator:
    cursor = None
    while True:
        page = search_contacts(client_id, filters, cursor=cursor, limit=BATCH)
        yield page
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def contacts_csv(client_id: int, filters: ContactFilters) -> Iterator[str]:
    """CSV chunks. The header (which settles the request's locale and zone) is built
    now, so the caller may stream the rest after its view returned."""
    keys: set[str] = set()
    for page in _pages(client_id, filters):
        for contact in page.items:
            keys.update((contact.attributes or {}).keys())
    columns = sorted(keys)
    zone = db.session.scalar(sa.select(Client.timezone).where(Client.id == client_id))
    sheet = ExcelCsv(ZoneInfo(valid_zone(zone)))
    header = sheet.header([
        _("Telefone"), _("BSUID"), _("Nome de usuário"), _("Nome"), _("Descadastrado"),
        _("Última mensagem"), _("Criado em"), *columns,
    ])  # fmt: skip
    yes, no = _("Sim"), _("Não")
    return _lines(client_id, filters, sheet, header, columns, (yes, no))


def _lines(client_id, filters, sheet: ExcelCsv, header: str, columns, yes_no) -> Iterator[str]:
    yield header
    for page in _pages(client_id, filters):
        chunk = []
        for c in page.items:
            attributes = c.attributes or {}
            opted_out = yes_no[0] if c.id in page.opted_out_ids else yes_no[1]
            chunk.append(
                sheet.line(
                    [
                        c.phone_e164 or "",
                        c.bsuid or "",
                        c.username or "",
                        c.name,
                        opted_out,
                        c.latest_message_at,
                        c.created_at,
                        *(attributes.get(key, "") for key in columns),
                    ]
                )  # fmt: skip
            )
        yield "".join(chunk)
