"""The one-page monthly summary an agency sends to its client (fpdf2, A4, pt_BR).

Client name, month, the key numbers with their Δ against the previous month, bars of
the messages per day and the campaign funnel. DejaVu Sans is used when the system has
it (any client name prints); otherwise Helvetica with the text reduced to Latin-1.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF

from clickpro.services.reports import formatting as fmt
from clickpro.services.reports.queries import Report, compare, key_label

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
GREEN = (25, 135, 84)
GREY = (108, 117, 125)
LIGHT = (233, 236, 239)
BLUE = (13, 110, 253)
RED = (220, 53, 69)
KEYS = (
    "msgs_in",
    "msgs_out",
    "delivered",
    "read",
    "opened",
    "resolved",
    "frt_median",
    "res_median",
    "csat",
    "containment",
    "cost",
    "ai_spend",
)


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.unicode = False
        for folder in FONT_DIRS:
            regular = os.path.join(folder, "DejaVuSans.ttf")
            bold = os.path.join(folder, "DejaVuSans-Bold.ttf")
            if os.path.exists(regular) and os.path.exists(bold):
                self.add_font("body", "", regular)
                self.add_font("body", "B", bold)
                self.unicode = True
                break
        self.family_name = "body" if self.unicode else "helvetica"
        self.set_auto_page_break(False)
        self.set_margins(14, 14, 14)

    def t(self, text: Any) -> str:
        text = str(text)
        if self.unicode:
            return text
        return text.replace("−", "-").encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, color=(33, 37, 41)) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)
        self.set_text_color(*color)


def render_month(report: Report, previous: Report) -> bytes:
    """The PDF bytes of ``report`` (a calendar month) compared with ``previous``."""
    numbers = report.key_numbers()
    deltas = compare(numbers, previous.key_numbers())
    doc = _Doc()
    doc.add_page()
    # header band
    doc.set_fill_color(*GREEN)
    doc.rect(0, 0, 210, 30, style="F")
    doc.set_xy(14, 8)
    doc.font(11, True, (255, 255, 255))
    doc.cell(0, 6, doc.t(_("Relatório mensal de atendimento no WhatsApp")))
    doc.set_xy(14, 15)
    doc.font(20, True, (255, 255, 255))
    doc.cell(0, 10, doc.t(report.client.name[:60]))
    month = format_date(report.period.start, "MMMM 'de' y").capitalize()
    doc.set_xy(14, 34)
    doc.font(15, True)
    doc.cell(0, 8, doc.t(month))
    doc.set_xy(14, 42)
    doc.font(9, False, GREY)
    doc.cell(0, 5, doc.t(_("Comparado com o mês anterior. Dias no fuso %(tz)s.", tz=report.tz)))
    # key numbers: 3 columns × 4 rows
    width, height, gap, top = 58, 21, 4, 50
    for index, key in enumerate(KEYS):
        col, row = index % 3, index // 3
        x, y = 14 + col * (width + gap), top + row * (height + gap)
        doc.set_fill_color(248, 249, 250)
        doc.set_draw_color(*LIGHT)
        doc.rect(x, y, width, height, style="DF")
        doc.set_xy(x + 3, y + 2)
        doc.font(8, False, GREY)
        doc.cell(width - 6, 4, doc.t(key_label(key)))
        doc.set_xy(x + 3, y + 7)
        doc.font(14, True)
        currency = report.ai_currency if key == "ai_spend" else report.cost_currency
        doc.cell(width - 6, 7, doc.t(fmt.key_value(key, numbers[key], currency)))
        d = deltas.get(key)
        good = d is not None and ((d < 0) if key in fmt.LOWER_IS_BETTER else (d > 0))
        color = GREY if not d else (GREEN if good else RED)
        doc.set_xy(x + 3, y + 15)
        doc.font(8, True, color)
        text = (
            _("sem dados do mês anterior")
            if d is None
            else _("%(delta)s vs mês anterior", delta=fmt.delta(d))
        )
        doc.cell(width - 6, 4, doc.t(text))
    # messages per day
    y0 = top + 4 * (height + gap) + 4
    doc.set_xy(14, y0)
    doc.font(11, True)
    doc.cell(0, 6, doc.t(_("Mensagens por dia")))
    rows = report.messages_per_day().rows
    _bars(doc, rows, 14, y0 + 12, 182, 44)
    doc.set_xy(14, y0 + 59)
    doc.font(8, False, GREY)
    doc.set_fill_color(*GREEN)
    doc.rect(14, y0 + 60, 3, 3, style="F")
    doc.set_xy(18, y0 + 59)
    doc.cell(30, 5, doc.t(_("Recebidas")))
    doc.set_fill_color(*BLUE)
    doc.rect(44, y0 + 60, 3, 3, style="F")
    doc.set_xy(48, y0 + 59)
    doc.cell(30, 5, doc.t(_("Enviadas")))
    # campaign funnel
    y1 = y0 + 70
    doc.set_xy(14, y1)
    doc.font(11, True)
    doc.cell(0, 6, doc.t(_("Funil de campanhas")))
    funnel = report.funnel().rows
    biggest = max((r[1] for r in funnel), default=0) or 1
    for i, (label, n, pct) in enumerate(funnel):
        y = y1 + 9 + i * 7
        doc.set_xy(14, y)
        doc.font(9)
        doc.cell(34, 5, doc.t(label))
        doc.set_fill_color(*LIGHT)
        doc.rect(50, y + 0.5, 110, 4, style="F")
        doc.set_fill_color(*(RED if i == len(funnel) - 1 else GREEN))
        doc.rect(50, y + 0.5, max(0.3, 110 * n / biggest), 4, style="F")
        doc.set_xy(162, y)
        doc.font(9, True)
        doc.cell(34, 5, doc.t(f"{fmt.count(n)} ({fmt.percent(pct)})"), align="R")
    # footer
    doc.set_xy(14, 285)
    doc.font(7, False, GREY)
    generated = format_date(datetime.now(UTC).date(), "dd/MM/y")
    doc.cell(0, 4, doc.t(_("Gerado pelo ClickPro em %(data)s.", data=generated)))
    return bytes(doc.output())


def _bars(doc: _Doc, rows: list[list], x: float, y: float, w: float, h: float) -> None:
    """Pairs of bars (in, out) per day, with the day number under every few bars."""
    doc.set_draw_color(*LIGHT)
    doc.line(x, y + h, x + w, y + h)
    top = max((max(r[1], r[2]) for r in rows), default=0) or 1
    slot = w / max(1, len(rows))
    bar = max(0.4, slot * 0.38)
    doc.font(6, False, GREY)
    doc.set_xy(x, y - 4)
    doc.cell(40, 3, doc.t(_("máx. %(n)s", n=fmt.count(top))))
    for i, (day, inbound, outbound) in enumerate(rows):
        left = x + i * slot + slot * 0.1
        for offset, value, color in ((0, inbound, GREEN), (bar, outbound, BLUE)):
            height = h * value / top
            if height > 0:
                doc.set_fill_color(*color)
                doc.rect(left + offset, y + h - height, bar, height, style="F")
        if len(rows) <= 31 and (i % 5 == 0 or i == len(rows) - 1):
            doc.set_xy(left - 1, y + h + 0.5)
            doc.cell(slot + 2, 3, doc.t(day.strftime("%d")), align="C")
