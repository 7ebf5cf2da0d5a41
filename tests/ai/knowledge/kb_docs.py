"""Knowledge-base fixtures: documents made in memory (TXT, PDF with fpdf2, DOCX)."""

from __future__ import annotations

import io
import zipfile

PRICE_LIST = (
    "Tabela de preços da Loja IA\n"
    "Camiseta básica custa 49 reais.\n"
    "Prazo de entrega para Campinas: três dias úteis, frete grátis acima de 200 reais.\n"
    "Trocas em até trinta dias com a nota fiscal.\n"
)


def pdf_bytes(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in text.splitlines():
        pdf.cell(0, 8, line.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN",
                 new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())


def docx_bytes(text: str) -> bytes:
    paragraphs = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.splitlines())
    xml = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
           f'openxmlformats.org/wordprocessingml/2006/main"><w:body>{paragraphs}</w:body>'
           "</w:document>")  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()
