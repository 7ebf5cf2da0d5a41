"""Imports cannot be used to exhaust a worker: hostile files are refused with a clear
error in bounded memory; uploads have a per-client quota and expire if never started.

Attacks (built in tmp): a 10 MB one-line CSV with 5 million commas (grew a worker to
8 GB), 300 columns, a 5,000-character cell, a 490 KB xlsx with 3 million shared
strings (cost 560 MB even in openpyxl's read-only mode).
"""

from __future__ import annotations

import os
import time
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import ContactImport, ImportStatus
from clickpro.models.base import utcnow
from clickpro.services.contacts.imports import reader, service, uploads
from clickpro.services.contacts.imports.service import ContactImportError

MB = 1024 * 1024


def _peak(func) -> tuple[int, BaseException | None]:
    """Peak traced memory (bytes) of ``func()`` and the exception it raised."""
    tracemalloc.start()
    error = None
    try:
        func()
    except BaseException as exc:  # noqa: BLE001 - returned to the test
        error = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, error


def test_one_line_of_five_million_commas_is_refused_in_bounded_memory(app, tmp_path):
    path = tmp_path / "virgulas.csv"
    with path.open("wb") as fh:
        fh.write(b"telefone" + b"," * (5_000_000 - 1) + b"\n")
        fh.write(b"11987654321" + b"," * (5_000_000 - 1) + b"\n")
    assert path.stat().st_size > 9 * MB
    peak, error = _peak(lambda: reader.preview(path))
    assert isinstance(error, reader.UnsupportedFile)
    assert "passa de" in str(error) and "caracteres" in str(error)
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB"


def test_too_many_columns_or_a_huge_cell_is_a_clear_error(app, tmp_path):
    wide = tmp_path / "largo.csv"
    wide.write_text(";".join(f"c{i}" for i in range(300)) + "\n" + ";".join("x" * 300) + "\n")
    with pytest.raises(reader.UnsupportedFile, match="300 colunas; o máximo é 200"):
        reader.preview(wide)
    long_cell = tmp_path / "celula.csv"
    long_cell.write_text("nome;telefone\n" + "A" * 5000 + ";11987654321\n")
    with pytest.raises(reader.UnsupportedFile, match="linha 2 passa de 4096 caracteres"):
        reader.preview(long_cell)
    app.config["IMPORT_MAX_CELL_CHARS"] = 10_000  # the limit is a setting
    assert reader.preview(long_cell)[2][0][0] == "A" * 5000


def test_the_upload_flow_answers_the_cap_as_a_form_error(app, create_client, tmp_path):
    tenant = create_client()
    path = tmp_path / "virgulas.csv"
    path.write_bytes(b"telefone" + b";" * 2_000_000 + b"\n")
    imp = service.create_import(
        tenant.id, tenant.admin.id, stream_or_path=path, filename="virgulas.csv"
    )
    with pytest.raises(ContactImportError, match="passa de"):
        service.preview_import(imp.id)


def _xlsx_with_shared_strings(path: Path, count: int) -> None:
    """A minimal workbook whose sharedStrings.xml holds ``count`` copies of "a"."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"/>',
        )
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with zf.open("xl/sharedStrings.xml", "w") as out:
            out.write(b'<?xml version="1.0"?><sst count="%d">' % count)
            block = b"<si><t>a</t></si>" * 10_000
            for _ in range(count // 10_000):
                out.write(block)
            out.write(b"</sst>")


def test_three_million_shared_strings_are_refused_before_openpyxl(app, tmp_path):
    path = tmp_path / "bomba.xlsx"
    _xlsx_with_shared_strings(path, 3_000_000)
    assert path.stat().st_size < 600 * 1024
    peak, error = _peak(lambda: reader.inspect(path))
    assert isinstance(error, reader.UnsupportedFile), error
    assert "textos demais" in str(error)
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB"


def test_repeated_shared_strings_under_the_count_limit_are_refused_too(app, tmp_path):
    path = tmp_path / "repetidos.xlsx"
    _xlsx_with_shared_strings(path, 500_000)  # under 2 M, but ~0.05 bytes per string
    with pytest.raises(reader.UnsupportedFile, match="suspeita"):
        reader.inspect(path)


def test_a_real_workbook_with_many_distinct_strings_passes(app, write_xlsx):
    rows = [["nome", "telefone"]] + [[f"Pessoa {i}", f"1198765{i:04d}"] for i in range(2000)]
    info, header, first = reader.preview(write_xlsx(rows))
    assert info.kind == "xlsx" and header == ["nome", "telefone"] and len(first) == 10


# --------------------------------------------------------------------------- quota, expiry


def test_each_client_has_an_upload_quota(app, create_client, write_csv):
    app.config["IMPORT_CLIENT_QUOTA_BYTES"] = 3000
    a, b = create_client("A"), create_client("B")
    path = write_csv([["telefone"]] + [[f"1198765{i:04d}"] for i in range(150)])  # ~2 KB
    service.create_import(a.id, a.admin.id, stream_or_path=path, filename="1.csv")
    with pytest.raises(ContactImportError, match="aguardando importação"):
        service.create_import(a.id, a.admin.id, stream_or_path=path, filename="2.csv")
    # The refused copy left nothing behind, and another client has its own quota.
    assert len(list(uploads.upload_dir(a.id).glob("*.upload"))) == 1
    service.create_import(b.id, b.admin.id, stream_or_path=path, filename="1.csv")


def test_uploads_never_started_are_swept(app, create_client, write_csv):
    tenant = create_client()
    path = write_csv([["telefone"], ["11987654321"]])
    forgotten = service.create_import(tenant.id, None, stream_or_path=path, filename="a.csv")
    started = service.create_import(tenant.id, None, stream_or_path=path, filename="b.csv")
    fresh = service.create_import(tenant.id, None, stream_or_path=path, filename="c.csv")
    started.options = {"queued_at": utcnow().isoformat()}  # what start_import records
    for imp in (forgotten, started):
        imp.created_at = utcnow() - timedelta(hours=7)
    db.session.commit()
    orphan = uploads.upload_dir(tenant.id) / "perdido.upload"
    orphan.write_bytes(b"x")
    old = time.time() - 8 * 3600
    os.utime(orphan, (old, old))
    assert uploads.sweep_unstarted() == {"expired": 1, "orphans": 1, "abandoned": 0}
    db.session.refresh(forgotten)
    assert forgotten.status == ImportStatus.FAILED and "expirou" in forgotten.error
    assert forgotten.stored_path == "" and not orphan.exists()
    for kept in (started, fresh):
        db.session.refresh(kept)
        assert kept.status == ImportStatus.QUEUED and Path(kept.stored_path).exists()
    assert uploads.sweep_unstarted() == {"expired": 0, "orphans": 0, "abandoned": 0}
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ContactImport))
    assert total == 3


def test_the_sweep_is_a_periodic_job(app):
    from clickpro.tasks.schedule import periodic_jobs

    jobs = {job.id: job.func for job in periodic_jobs(app)}
    assert jobs["imports.sweep_uploads"] == "clickpro.tasks.imports.sweep_uploads"
