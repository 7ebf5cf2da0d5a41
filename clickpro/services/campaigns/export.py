"""The per-recipient results of a campaign as a CSV that Excel pt-BR opens right.

``;``-separated, UTF-8 with BOM, CRLF, moments in the client's zone (dd/mm/aaaa HH:MM),
statuses and Meta's errors in the user's language (Meta's own English text only as the
detail column) — see :class:`clickpro.csv_safe.ExcelCsv`. Streamed 1,000 rows at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.csv_safe import ExcelCsv
from clickpro.extensions import db
from clickpro.labels import label, meta_error
from clickpro.models import Campaign, Contact, Message
from clickpro.services.campaigns.form import client_zone


def export_header() -> list[str]:
    return [
        _("Telefone"), _("Nome"), _("Situação"), "wamid", _("Código do erro"), _("Erro"),
        _("O que fazer"), _("Detalhe da Meta"), _("Enviada em"), _("Entregue em"),
        _("Lida em"), _("Falhou em"), _("BSUID"), _("Nome de usuário"),
    ]  # fmt: skip


def export_rows(campaign: Campaign) -> Iterator[str]:
    """CSV text chunks: the header line (with the BOM), then one line per recipient.

    The ids, the zone and the header (which settles the request's locale) are read now:
    the response streams after the view returned and its session objects expired."""
    sheet = ExcelCsv(client_zone(campaign.client_id))
    return _rows(campaign.id, campaign.client_id, sheet, sheet.header(export_header()))


def _rows(campaign_id: int, client_id: int, sheet: ExcelCsv, header: str) -> Iterator[str]:
    stmt = (
        sa.select(Contact.phone_e164, Contact.bsuid, Contact.username, Contact.name, Message.status, Message.wamid, Message.error_code,
                  Message.error_title, Message.sent_at, Message.delivered_at, Message.read_at,
                  Message.failed_at)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Message.campaign_id == campaign_id, Message.client_id == client_id)
        .order_by(Message.id)
        .execution_options(yield_per=1000)
    )  # fmt: skip
    chunk = [header]
    for row in db.session.execute(stmt):
        phone, bsuid, username, name, status, wamid, code, title, sent, delivered, read, failed = (
            row
        )
        error = meta_error(code, title) if (code is not None or title) else None
        chunk.append(
            sheet.line([
                phone or "", name, label("message", status), wamid, code,
                error.explanation if error else "", error.next_step if error else "",
                error.detail if error else "", sent, delivered, read, failed,
                bsuid or "", username or "",
            ])
        )  # fmt: skip
        if len(chunk) >= 1000:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)
