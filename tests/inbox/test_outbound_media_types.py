"""Outbound media in the inbox: only the file types WhatsApp accepts, by content and by
extension; anything else (an .exe, an .exe renamed .pdf) is refused with a message that
says what is accepted and the size limit, and nothing reaches Meta."""

from __future__ import annotations

import io
import zipfile

import pytest

from clickpro.extensions import db
from clickpro.models import Message
from clickpro.services.inbox.media import (
    ACCEPT_ATTRIBUTE,
    MediaRefused,
    check_outbound_media,
)

PHONE_ID = "100000000000011"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64
GP3 = b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x00" + b"\x00" * 64
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A isom" + b"\x00" * 64
OGG_OPUS = b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead\x01\x01" + b"\x00" * 32
OGG_VORBIS = b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis" + b"\x00" * 32
MP3 = b"ID3\x03\x00" + b"\x00" * 64
AAC = b"\xff\xf1\x50\x80" + b"\x00" * 64
AMR = b"#!AMR\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def _ooxml(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "filename", "mime", "kind"),
    [
        (PNG, "foto.PNG", "image/png", "image"),
        (JPEG, "foto.jpeg", "image/jpeg", "image"),
        (MP4, "video.mp4", "video/mp4", "video"),
        (GP3, "video.3gp", "video/3gpp", "video"),
        (M4A, "audio.m4a", "audio/mp4", "audio"),
        (OGG_OPUS, "voz.ogg", "audio/ogg", "audio"),
        (MP3, "musica.mp3", "audio/mpeg", "audio"),
        (AAC, "som.aac", "audio/aac", "audio"),
        (AMR, "som.amr", "audio/amr", "audio"),
        (PDF, "boleto.pdf", "application/pdf", "document"),
        ("Olá, lista de preços\n".encode(), "precos.txt", "text/plain", "document"),
        (OLE, "antigo.doc", "application/msword", "document"),
        (OLE, "planilha.xls", "application/vnd.ms-excel", "document"),
        (_ooxml("word/document.xml"), "contrato.docx", None, "document"),
        (_ooxml("xl/workbook.xml"), "tabela.xlsx", None, "document"),
        (_ooxml("ppt/presentation.xml"), "slides.pptx", None, "document"),
    ],
)
def test_accepted_types(app, content, filename, mime, kind):
    checked = check_outbound_media(content, filename)
    assert checked.kind == kind
    if mime:
        assert checked.mime_type == mime


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (EXE, "setup.exe", "programa executável"),
        (EXE, "boleto.pdf", "programa executável"),  # renamed: the content decides
        (b"\x00garbage" * 10, "boleto.pdf", "não é um arquivo .pdf"),
        (PNG, "foto.gif", "não aceita arquivos .gif"),
        (_ooxml("word/document.xml"), "pacote.zip", "não aceita arquivos .zip"),
        (_ooxml("other/x.xml"), "falso.docx", "não é um arquivo .docx"),
        (b"<html><script>x</script></html>", "pagina.html", "não aceita arquivos .html"),
        (b"MZ\x00\x01text", "leia.txt", "programa executável"),
        (OGG_VORBIS, "voz.ogg", "não é um arquivo .ogg"),
        (PNG, "semextensao", "não aceita arquivos"),
    ],
)
def test_refused_types_name_the_rule(app, content, filename, says):
    with pytest.raises(MediaRefused) as caught:
        check_outbound_media(content, filename)
    message = caught.value.message
    assert says in message
    assert "Aceitos:" in message and "JPG e PNG (até 5 MB)" in message
    assert "(até 100 MB)" in message


def test_size_limit_per_kind(app):
    big_image = PNG + b"\x00" * (5 * 1024 * 1024)
    with pytest.raises(MediaRefused, match="Imagem maior que 5 MB: o WhatsApp aceita até 5 MB."):
        check_outbound_media(big_image, "grande.png")
    # the same size is fine for a document
    assert check_outbound_media(PDF + b"\x00" * (5 * 1024 * 1024), "a.pdf").kind == "document"


def _upload(http, conversation_id, content, filename, mime="application/octet-stream"):
    return http.post(
        f"/inbox/api/conversations/{conversation_id}/media",
        data={"file": (io.BytesIO(content), filename, mime)},
        content_type="multipart/form-data",
    )


def test_an_exe_is_refused_and_never_sent(wired, conversation, login_as, sandbox):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    for content, name, mime in (
        (EXE, "fatura.exe", "application/x-msdownload"),
        (EXE, "fatura.pdf", "application/pdf"),  # the browser's claim is not believed
    ):
        response = _upload(http, conv.id, content, name, mime)
        assert response.status_code == 422, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] == "media_refused"
        assert "executável" in error["message"] and "Aceitos:" in error["message"]
    assert sandbox.list_sends(PHONE_ID) == []
    assert db.session.query(Message).filter_by(direction="OUT").count() == 0


def test_an_accepted_file_goes_out_with_the_detected_type(wired, conversation, login_as, sandbox):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = _upload(http, conv.id, PNG, "foto.png", "application/octet-stream")
    assert response.status_code == 201, response.get_json()
    sends = sandbox.list_sends(PHONE_ID)
    assert [s.get("type") for s in sends] == ["image"]
    uploaded = [m for m in sandbox.media.values() if m["content"] == PNG]
    assert uploaded and uploaded[0]["mime_type"] == "image/png"


def test_the_file_input_accepts_only_whatsapp_types(wired, login_as):
    page = login_as(wired.a_user, wired.a).get("/inbox/").get_data(as_text=True)
    assert f'accept="{ACCEPT_ATTRIBUTE}"' in page
    assert ".pdf" in ACCEPT_ATTRIBUTE and ".exe" not in ACCEPT_ATTRIBUTE
