"""What a knowledge document is (by its content, not its name) and the text in it.

Used when a document is uploaded (type and corruption checks, before anything goes to
OpenAI) and by the sandbox's fake vector store (its retrieval reads the same text).
"""

from __future__ import annotations

import html
import io
import re
import zipfile

KINDS = {"pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "txt": "text/plain", "md": "text/markdown", "csv": "text/csv"}  # fmt: skip
TEXT_KINDS = ("txt", "md", "csv")
MAX_TEXT_CHARS = 2_000_000  # extracted text kept per document (a big PDF stops there)
MAX_DOCX_XML = 30 * 1024 * 1024  # the unzipped document.xml (zip bombs)


class DocumentError(ValueError):
    """The file is not what it claims, is corrupt or has no text (message in pt_BR)."""


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def sniff(content: bytes, filename: str) -> str:
    """The document kind (``pdf``, ``docx``, ``txt``, ``md``, ``csv``) from its bytes;
    the extension must agree. Raises :class:`DocumentError` with a pt_BR message."""
    from flask_babel import gettext as _

    ext = extension(filename)
    if ext not in KINDS:
        raise DocumentError(_("Tipo de arquivo não aceito: envie PDF, DOCX, TXT, MD ou CSV."))
    if content.startswith(b"%PDF-"):
        kind = "pdf"
    elif content.startswith(b"PK\x03\x04"):
        kind = "docx" if _is_docx(content) else "zip"
    elif _is_text(content):
        kind = ext if ext in TEXT_KINDS else "text"
    else:
        kind = "binary"
    if kind != ext:
        raise DocumentError(_("O conteúdo do arquivo não é um %(ext)s válido.", ext=ext.upper()))
    return kind


def _is_docx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _is_text(content: bytes) -> bool:
    if b"\x00" in content[:65536]:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        try:
            content.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


def decode_text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", "replace")


def extract_text(content: bytes, kind: str) -> str:
    """All the text of a document (raises :class:`DocumentError` when it cannot be read)."""
    from flask_babel import gettext as _

    try:
        if kind == "pdf":
            text = _pdf_text(content)
        elif kind == "docx":
            text = _docx_text(content)
        else:
            text = decode_text(content)
    except DocumentError:
        raise
    except Exception:  # pypdf / zipfile raise many kinds on broken files
        raise DocumentError(
            _("O arquivo está corrompido ou protegido e não pôde ser lido.")
        ) from None
    return text[:MAX_TEXT_CHARS]


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    if reader.is_encrypted:
        raise ValueError("encrypted")
    parts: list[str] = []
    size = 0
    for page in reader.pages:
        piece = page.extract_text() or ""
        parts.append(piece)
        size += len(piece)
        if size > MAX_TEXT_CHARS:
            break
    return "\n".join(parts)


def _docx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("word/document.xml")
        if info.file_size > MAX_DOCX_XML:
            raise ValueError("document.xml too big")
        xml = archive.read(info).decode("utf-8", "replace")
    xml = re.sub(r"</w:p>|<w:br[^>]*/>|<w:tab[^>]*/>", "\n", xml)
    return html.unescape(re.sub(r"<[^>]+>", "", xml))
