"""Spreadsheet reader: type from content, CSV encoding/delimiter sniffing, xlsx cell text."""

from __future__ import annotations

import datetime as dt
import re
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from clickpro.services.contacts.imports.reader import (
    SheetInfo,
    SheetNotFound,
    UnsupportedFile,
    cell_text,
    count_rows,
    inspect,
    iter_rows,
    preview,
)
from clickpro.services.contacts.phones import normalize_phone


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def rows(path: Path, **kwargs: object) -> list[tuple[int, list[str]]]:
    return list(iter_rows(path, **kwargs))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- CSV


def test_excel_br_csv_semicolon_cp1252(tmp_path: Path) -> None:
    text = "Nome;Telefone;Cidade\r\nJosé Conceição;(11) 98765-4321;São Paulo\r\nAna Lúcia;11 8765-4321;Maringá\r\n"
    path = write(tmp_path, "contatos.csv", text, "cp1252")
    info = inspect(path)
    assert info == SheetInfo(kind="csv", encoding="cp1252", delimiter=";", sheet_names=[])
    info, header, first = preview(path)
    assert header == ["Nome", "Telefone", "Cidade"]
    assert first[0] == ["José Conceição", "(11) 98765-4321", "São Paulo"]
    assert rows(path) == [
        (2, ["José Conceição", "(11) 98765-4321", "São Paulo"]),
        (3, ["Ana Lúcia", "11 8765-4321", "Maringá"]),
    ]
    assert count_rows(path) == 2
    assert normalize_phone(rows(path)[1][1][1]) == "+5511987654321"


def test_cp1252_accent_only_far_in_the_file(tmp_path: Path) -> None:
    """UTF-8 validation must cover the whole file, not just a head sample."""
    lines = ["nome;telefone"] + [f"Contato {i};11987654{i % 1000:03d}" for i in range(60_000)]
    lines.append("João;11987654321")
    path = write(tmp_path, "late.csv", "\n".join(lines) + "\n", "cp1252")
    info = inspect(path)
    assert info.encoding == "cp1252"
    last = list(iter_rows(path, info=info))[-1]
    assert last == (60_002, ["João", "11987654321"])


def test_cp1252_undefined_bytes_fall_back_to_latin1(tmp_path: Path) -> None:
    path = write(tmp_path, "l1.csv", b"nome,obs\nJos\xe9,\x81\x8d\n")
    assert inspect(path).encoding == "latin-1"
    assert rows(path) == [(2, ["José", "\x81\x8d"])]


def test_utf8_bom_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", "\ufeffnome,telefone\nJosé Conceição,+55 11 98765-4321\n")
    info = inspect(path)
    assert (info.encoding, info.delimiter) == ("utf-8-sig", ",")
    _, header, _ = preview(path)
    assert header == ["nome", "telefone"]  # no BOM glued to the first column name
    assert rows(path) == [(2, ["José Conceição", "+55 11 98765-4321"])]


def test_utf8_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "u.csv", "nome;telefone\nConceição;11987654321\n")
    assert inspect(path).encoding == "utf-8"
    assert rows(path) == [(2, ["Conceição", "11987654321"])]


def test_tab_separated(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "nome\ttelefone\tobs\nAna\t11987654321\ta, b; c\n")
    assert inspect(path).delimiter == "\t"
    assert rows(path) == [(2, ["Ana", "11987654321", "a, b; c"])]


def test_pipe_separated(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "nome|telefone\nAna|11987654321\nBia|21987654321\n")
    assert inspect(path).delimiter == "|"


def test_utf16_excel_unicode_text(tmp_path: Path) -> None:
    path = write(tmp_path, "u16.txt", "nome\ttelefone\r\nJosé\t11987654321\r\n", "utf-16")
    info = inspect(path)
    assert (info.kind, info.encoding, info.delimiter) == ("csv", "utf-16", "\t")
    assert rows(path) == [(2, ["José", "11987654321"])]


def test_quoted_fields_with_newlines_use_record_start_line(tmp_path: Path) -> None:
    text = (
        "nome;telefone;observação\n"
        'Ana;11987654321;"linha 1\nlinha 2\nlinha 3"\n'
        'Bia;"21987654321";"tem ; dentro"\n'
        '"Carlos\nSilva";31987654321;\n'
        "Duda;41987654321;ok\n"
    )
    path = write(tmp_path, "multi.csv", text)
    assert inspect(path).delimiter == ";"
    assert rows(path) == [
        (2, ["Ana", "11987654321", "linha 1\nlinha 2\nlinha 3"]),
        (5, ["Bia", "21987654321", "tem ; dentro"]),
        (6, ["Carlos\nSilva", "31987654321", ""]),
        (8, ["Duda", "41987654321", "ok"]),
    ]
    assert count_rows(path) >= 4  # an estimate: physical lines


def test_comma_delimiter_with_quoted_commas_and_crlf(tmp_path: Path) -> None:
    text = 'nome,telefone\r\n"Silva, José",11987654321\r\n"Souza, Ana",21987654321\r\n'
    path = write(tmp_path, "c.csv", text)
    assert inspect(path).delimiter == ","
    assert [r[1][0] for r in rows(path)] == ["Silva, José", "Souza, Ana"]


def test_single_column_header(tmp_path: Path) -> None:
    path = write(tmp_path, "one.csv", "telefone\n11987654321\n(21) 98765-4321\n")
    info = inspect(path)
    assert info.delimiter == ","
    assert rows(path) == [(2, ["11987654321"]), (3, ["(21) 98765-4321"])]


def test_single_column_semicolon_names_with_commas(tmp_path: Path) -> None:
    path = write(tmp_path, "one.csv", "nome;telefone\nSilva, José;11987654321\n")
    assert inspect(path).delimiter == ";"


@pytest.mark.parametrize("data", [b"", b"\n\n\r\n  \n", b"\xef\xbb\xbf", b" " * 10_000])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "vazio.csv", data)
    with pytest.raises(UnsupportedFile, match="Arquivo vazio"):
        inspect(path)
    with pytest.raises(UnsupportedFile, match="Arquivo vazio"):
        rows(path)


def test_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "nome;telefone\n")
    assert rows(path) == []
    assert count_rows(path) == 0
    info, header, first = preview(path)
    assert (header, first) == (["nome", "telefone"], [])


def test_header_only_without_newline(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "nome;telefone")
    assert rows(path) == [] and count_rows(path) == 0


def test_trailing_and_inner_empty_lines(tmp_path: Path) -> None:
    text = "nome;telefone\nAna;11987654321\n\n;;\nBia;21987654321\n\n\n;\n\n"
    path = write(tmp_path, "e.csv", text)
    assert rows(path) == [(2, ["Ana", "11987654321"]), (5, ["Bia", "21987654321"])]
    assert count_rows(path) == 7  # estimate: counts the inner blank lines, not trailing ones


def test_short_rows_padded_long_rows_kept(tmp_path: Path) -> None:
    text = (
        "nome;telefone;cidade\nAna;11987654321\nBia;21987654321;Rio;extra\nCaio;31987654321;BH;;;\n"
    )
    path = write(tmp_path, "w.csv", text)
    assert rows(path) == [
        (2, ["Ana", "11987654321", ""]),
        (3, ["Bia", "21987654321", "Rio", "extra"]),
        (4, ["Caio", "31987654321", "BH"]),  # Excel's trailing ";;;" dropped
    ]


def test_twenty_columns(tmp_path: Path) -> None:
    header = [f"col{i}" for i in range(20)]
    body = [[f"v{r}_{c}" for c in range(20)] for r in range(5)]
    text = "\n".join(";".join(line) for line in [header, *body]) + "\n"
    path = write(tmp_path, "20.csv", text)
    info, got_header, first = preview(path, rows=3)
    assert info.delimiter == ";"
    assert got_header == header
    assert first == body[:3]
    assert [cells for _, cells in rows(path)] == body


def test_cells_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", " nome ; telefone \n  José  ; 11987654321 \n")
    _, header, first = preview(path)
    assert header == ["nome", "telefone"]
    assert first == [["José", "11987654321"]]


def test_info_reuse_skips_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "a;b\n1;2\n")
    info = inspect(path)
    assert rows(path, info=info) == [(2, ["1", "2"])]
    assert count_rows(path, info=info) == 1


def test_iter_rows_is_lazy_and_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("nome;telefone\n")
        for i in range(200_000):
            fh.write(f"Contato número {i};119{i:08d}\n")
    info = inspect(path)
    tracemalloc.start()
    try:
        n = 0
        for n, (line, _cells) in enumerate(iter_rows(path, info=info), start=1):
            assert line == n + 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 200_000
    assert peak < 5_000_000  # the file is ~6 MB; nothing accumulates
    assert count_rows(path, info=info) == 200_000


# --------------------------------------------------------------------------- XLSX


def make_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Contatos"
    ws.append(["Nome", "Telefone", "Nascimento", "Pontos", "Saldo", "VIP"])
    ws.append(["José Conceição", 5.511987654321e12, dt.datetime(1990, 5, 17), 42, 19.9, True])
    ws.append(["Ana", "(21) 98765-4321", dt.date(2001, 1, 2), 7.0, None, False])
    ws.append([None, None, None, None, None, None])  # empty row: skipped, numbering kept
    ws.append(["Bia", 11987654321, dt.datetime(2024, 3, 4, 13, 45), 1e-7, -3.5])
    other = wb.create_sheet("Outra")
    other.append(["telefone"])
    other.append(["11 8765-4321"])
    wb.save(path)
    return path


def test_xlsx_floats_and_text(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "contatos.xlsx")
    info = inspect(path)
    assert info == SheetInfo(
        kind="xlsx",
        encoding=None,
        delimiter=None,
        sheet_names=["Contatos", "Outra"],
        sheet="Contatos",
    )
    # dates as the client writes them (issue 15): dd/mm/aaaa, the time only when there is one
    assert rows(path) == [
        (2, ["José Conceição", "5511987654321", "17/05/1990", "42", "19.9", "VERDADEIRO"]),
        (3, ["Ana", "(21) 98765-4321", "02/01/2001", "7", "", "FALSO"]),
        (5, ["Bia", "11987654321", "04/03/2024 13:45", "0.0000001", "-3.5", ""]),
    ]
    assert [normalize_phone(cells[1]) for _, cells in rows(path)] == [
        "+5511987654321",
        "+5521987654321",
        "+5511987654321",
    ]
    assert count_rows(path) == 4  # dimension based: includes the empty row


def test_xlsx_chosen_sheet(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "c.xlsx")
    info, header, first = preview(path, sheet="Outra")
    assert info.sheet == "Outra"
    assert header == ["telefone"]
    assert first == [["11 8765-4321"]]
    assert rows(path, sheet="Outra") == [(2, ["11 8765-4321"])]
    with pytest.raises(SheetNotFound, match="Aba “Nada” não encontrada"):
        inspect(path, sheet="Nada")


def test_xlsx_detected_from_content_not_extension(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "x.xlsx")
    renamed = path.rename(tmp_path / "contatos.csv")
    assert inspect(renamed).kind == "xlsx"
    assert rows(renamed)[0][1][1] == "5511987654321"


def test_xlsx_header_only_and_leading_gap(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "telefone"
    wb.save(tmp_path / "h.xlsx")
    assert rows(tmp_path / "h.xlsx") == []
    assert count_rows(tmp_path / "h.xlsx") == 0

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "nome", "telefone"
    ws["A4"], ws["B4"] = "Ana", "11987654321"
    ws["F10"] = None
    wb.save(tmp_path / "gap.xlsx")
    assert rows(tmp_path / "gap.xlsx") == [(4, ["Ana", "11987654321"])]


def test_xlsx_workbook_closed_when_generator_abandoned(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "c.xlsx")
    gen = iter_rows(path)
    next(gen)
    gen.close()  # runs the finally: wb.close()
    path.unlink()  # would fail on Windows if the handle leaked; here just sanity


def test_cell_text() -> None:
    assert cell_text(5.511987654321e12) == "5511987654321"
    assert cell_text(1e20) == "100000000000000000000"
    assert cell_text(0.1) == "0.1"
    assert cell_text(float("nan")) == ""
    assert cell_text(dt.time(8, 30)) == "08:30"
    assert cell_text(dt.time(8, 30, 15)) == "08:30:15"
    assert cell_text(dt.datetime(2026, 1, 5, 14, 30, 5)) == "05/01/2026 14:30:05"
    assert cell_text(dt.date(2026, 1, 5)) == "05/01/2026"
    assert cell_text("  x ") == "x"


# --------------------------------------------------------------------------- rejected


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("contatos.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "executável"),
        ("contatos.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        ("contatos.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        ("contatos.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        ("contatos.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        ("contatos.csv", b"\x01\x02\x00\x03binary\x00", "binário"),
    ],
)
def test_binaries_rejected(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(UnsupportedFile, match=message) as exc:
        inspect(path)
    assert "Salve a planilha como .xlsx ou CSV" in str(exc.value)
    with pytest.raises(UnsupportedFile):
        rows(path)
    with pytest.raises(UnsupportedFile):
        count_rows(path)


def test_zip_that_is_not_xlsx(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "a.xlsx", "w") as zf:
        zf.writestr("foto.png", b"x")
    with pytest.raises(UnsupportedFile, match=r"\.zip"):
        inspect(tmp_path / "a.xlsx")
    with zipfile.ZipFile(tmp_path / "b.ods", "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<x/>")
    with pytest.raises(UnsupportedFile, match=r"\.ods"):
        inspect(tmp_path / "b.ods")


def test_corrupt_xlsx(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as zf:
        zf.writestr("[Content_Types].xml", "<nope")
        zf.writestr("xl/workbook.xml", "<nope")
    with pytest.raises(UnsupportedFile, match="corrompido"):
        inspect(tmp_path / "bad.xlsx")
    write(tmp_path, "trunc.xlsx", b"PK\x03\x04" + b"\x00" * 50)
    with pytest.raises(UnsupportedFile, match="corrompido"):
        inspect(tmp_path / "trunc.xlsx")


def _rewrite_member(path: Path, member: str, edit: Callable[[bytes], bytes]) -> None:
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            zf.writestr(info, edit(data) if info.filename == member else data)


@pytest.mark.parametrize("dimension", [b'<dimension ref="A1"/>', b""])
def test_xlsx_wrong_or_missing_dimension(tmp_path: Path, dimension: bytes) -> None:
    """Some generators write <dimension ref="A1"/> (or none): no row may be lost."""
    path = tmp_path / "dim.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["nome", "telefone", "cidade"])
    for i in range(5):
        ws.append([f"N{i}", f"1198765432{i}", "Recife"])
    wb.save(path)
    _rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb"<dimension [^>]*/>", dimension, xml),
    )
    got = rows(path)
    assert len(got) == 5
    assert got[-1] == (6, ["N4", "11987654324", "Recife"])
    assert count_rows(path) == 5


def test_csv_unterminated_quote_field_too_big_is_unsupported(tmp_path: Path) -> None:
    """A stray quote swallows the rest of the file into one field: a clear error, not a hang."""
    body = "Ana;11987654321\n" * 20_000
    path = write(tmp_path, "q.csv", 'nome;telefone\n"Bia;21987654321\n' + body)
    with pytest.raises(UnsupportedFile, match="CSV malformado perto da linha"):
        rows(path)


@pytest.mark.parametrize("chunk", [5, 7, 64])
def test_xlsx_row_count_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    from clickpro.services.contacts.imports import xlsx_source

    path = tmp_path / "n.xlsx"
    wb = openpyxl.Workbook(write_only=True)  # writes no <dimension>
    ws = wb.create_sheet("Contatos")
    ws.append(["telefone"])
    for i in range(37):
        ws.append([f"1198765{i:04d}"])
    wb.save(path)
    monkeypatch.setattr(xlsx_source, "CHUNK", chunk)
    assert count_rows(path) == 37
    assert len(rows(path)) == 37
