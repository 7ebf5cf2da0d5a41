"""Contact import benchmark: a 1,000,000-row CSV and a 100,000-row .xlsx through run_import.

Usage:  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/clickpro_bench_import \
        .venv/bin/python bench/import.py [--csv-rows N] [--xlsx-rows N] [--batch-size N]

Files are generated in a temp dir: realistic Brazilian numbers in mixed shapes, ~5 %
invalid, ~10 % repeats of an earlier number in another shape; Excel-BR CSV (``;``,
Windows-1252 accents). Each file is imported into a fresh client through the same
service the UI uses (create_import → set_mapping → run_import). One figure per line.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import figure, report_cpu_ms, require_figures  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NAMES = ["João", "Maria", "José", "Ana", "Antônio", "Francisca", "Conceição", "Luís", "Inês", "Zé"]
SURNAMES = ["Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Araújo", "Gonçalves"]
CITIES = ["São Paulo", "Rio de Janeiro", "Belo Horizonte", "Brasília", "Goiânia", "Maceió"]
PLANS = ["básico", "pró", "família"]
DDDS = [11, 12, 19, 21, 27, 31, 41, 47, 51, 61, 62, 71, 81, 85, 91, 98]
INVALID = ["123", "sem telefone", "(11) 1234", "00000", "+1 555", "", "9876-5432"]


def shapes(ddd: int, number: str) -> list[str]:
    """The same mobile (9 digits, starts with 9) written the ways spreadsheets do."""
    a, b = number[:5], number[5:]
    return [
        f"({ddd}) {a}-{b}",
        f"{ddd}{number}",
        f"+55 {ddd} {a}-{b}",
        f"055 {ddd} {a}-{b}",
        f"{ddd} {number[1:5]}-{b}",  # without the 9th digit
        f"55{ddd}{number}",
    ]


def phone_stream(rows: int, seed: int):
    """Yield phone cells: ~5 % invalid, ~10 % an earlier number in another shape."""
    rng = random.Random(seed)
    recent: list[tuple[int, str]] = []
    for _ in range(rows):
        r = rng.random()
        if r < 0.05:
            yield rng.choice(INVALID), False
            continue
        if r < 0.15 and recent:
            ddd, number = rng.choice(recent)
        else:
            ddd, number = rng.choice(DDDS), "9" + str(rng.randrange(60000000, 99999999))
            if len(recent) < 50000:
                recent.append((ddd, number))
            else:
                recent[rng.randrange(len(recent))] = (ddd, number)
        yield rng.choice(shapes(ddd, number)), True


def make_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(["Nome", "Telefone", "Cidade", "Plano"])
        for phone, _ in phone_stream(rows, 1):
            name = f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}"
            writer.writerow([name, phone, rng.choice(CITIES), rng.choice(PLANS)])


def make_xlsx(path: Path, rows: int) -> None:
    import openpyxl

    rng = random.Random(8)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Contatos")
    ws.append(["Nome", "Celular", "Cidade", "Plano"])
    for phone, valid in phone_stream(rows, 2):
        digits = "".join(ch for ch in phone if ch.isdigit())
        cell: object = phone
        if valid and rng.random() < 0.5 and not phone.startswith("0"):
            cell = float(digits)  # numbers typed in Excel are stored as floats
        name = f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}"
        ws.append([name, cell, rng.choice(CITIES), rng.choice(PLANS)])
    wb.save(path)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_pid(db) -> int | None:
    if db.engine.dialect.name != "postgresql":
        return None
    return db.session.scalar(sa.text("SELECT pg_backend_pid()"))


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds of the PostgreSQL backend serving us (same machine: /proc)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_sched(pid: int | None) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for one) of the backend, from
    /proc/<pid>/schedstat: on a shared machine the second is the load's share."""
    if pid is None:
        return 0.0, 0.0
    try:
        on_cpu, waiting, _slices = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(on_cpu) / 1e9, int(waiting) / 1e9


def run_one(app, path: Path, label: str, batch_size: int) -> tuple[float, object]:
    from clickpro.extensions import db
    from clickpro.models import Client
    from clickpro.services.contacts.imports import service

    with app.app_context():
        stamp = f"{label}-{time.time_ns()}"
        client = Client(name=f"Bench {stamp}", slug=f"bench-{stamp}")
        db.session.add(client)
        db.session.commit()
        imp = service.create_import(client.id, None, stream_or_path=path, filename=path.name)
        _, _, _, suggested = service.preview_import(imp.id)
        service.set_mapping(imp.id, suggested, {"mobile_only": False})
        backend = _backend_pid(db)
        pg_before, py_before = _backend_cpu(backend), _own_cpu()
        sched_before = _backend_sched(backend)
        started = time.perf_counter()
        result = service.run_import(imp.id, batch_size=batch_size)
        seconds = time.perf_counter() - started
        sched_after = _backend_sched(backend)
        totals = {
            k: getattr(result, k) for k in ("rows", "imported", "updated", "duplicates", "rejected")
        }
        # CPU seconds do not depend on what else runs on the machine (wall time does).
        totals["python_cpu_s"] = round(_own_cpu() - py_before, 1)
        if backend is not None and _backend_pid(db) == backend:
            totals["postgres_cpu_s"] = round(_backend_cpu(backend) - pg_before, 1)
            # Where the backend's wall time went: on a CPU, waiting for one (the load),
            # or idle, i.e. waiting for the import's Python side (the pipeline's gaps).
            on_cpu = sched_after[0] - sched_before[0]
            waiting = sched_after[1] - sched_before[1]
            totals["postgres_runqueue_wait_s"] = round(waiting, 1)
            totals["postgres_idle_s"] = round(max(0.0, seconds - on_cpu - waiting), 1)
        service.delete_upload(result)
        totals["client_id"] = client.id
        return seconds, totals


def copy_floor(app, source_client_id: int) -> tuple[float, int, float]:
    """The floor: ``COPY`` of the rows the import wrote (already normalized) into a fresh
    client's ``contacts``, same indexes. (seconds, rows, PostgreSQL backend CPU seconds).

    The rows are first copied out to a file (not timed), then streamed back in with one
    ``COPY ... FROM STDIN`` in one transaction."""
    from clickpro.extensions import db
    from clickpro.models import Client

    with app.app_context():
        floor = Client(name=f"Floor {time.time_ns()}", slug=f"floor-{time.time_ns()}")
        db.session.add(floor)
        db.session.commit()
        columns = list(db.session.scalars(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'contacts' "
            "AND table_schema = current_schema() AND column_name NOT IN ('id') "
            "ORDER BY ordinal_position")))  # fmt: skip
        select = ", ".join(str(floor.id) if c == "client_id" else f'"{c}"' for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        raw = db.session.connection().connection.driver_connection
        path = Path(tempfile.mkstemp(prefix="clickpro-floor-", suffix=".copy")[1])
        try:
            with (
                raw.cursor() as cur,
                path.open("wb") as out,
                cur.copy(
                    f"COPY (SELECT {select} FROM contacts WHERE client_id = {int(source_client_id)}) "
                    "TO STDOUT"
                ) as copy,
            ):
                for block in copy:
                    out.write(block)
            db.session.commit()
            backend = _backend_pid(db)
            pg_before = _backend_cpu(backend)
            started = time.perf_counter()
            with raw.cursor() as cur, path.open("rb") as src:
                with cur.copy(f"COPY contacts ({names}) FROM STDIN") as copy:
                    while block := src.read(1 << 20):
                        copy.write(block)
                rows = cur.rowcount
            db.session.commit()
            seconds = time.perf_counter() - started
            return seconds, rows, _backend_cpu(backend) - pg_before
        finally:
            path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--no-prefetch", action="store_true", help="read and write in turn")
    parser.add_argument(
        "--drop-trgm-indexes",
        action="store_true",
        help="drop the inbox's pg_trgm GIN indexes on contacts (measures what they cost)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds, tiny sizes, check figures"
    )
    args = parser.parse_args()
    if args.quick:
        args.csv_rows, args.xlsx_rows = 5000, 1000
    url = os.environ.get(
        "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/clickpro_bench_import"
    )

    from clickpro import create_app
    from clickpro.config import normalize_database_url
    from clickpro.extensions import db

    url = normalize_database_url(url)
    if "bench" not in sa.engine.make_url(url).database:
        sys.exit("refusing to run: the bench empties its database; use a *bench* database name")
    if url.startswith("postgresql"):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from conftest import ensure_postgres_database

        ensure_postgres_database(url)
    tmp = Path(tempfile.mkdtemp(prefix="clickpro-bench-import-"))
    csv_path, xlsx_path = tmp / "contatos.csv", tmp / "contatos.xlsx"
    # Generated in a child process: the 1M-row generator's memory (and openpyxl's
    # writer) would otherwise be this process's peak RSS, not the import's.
    ctx = multiprocessing.get_context("fork")
    for target, path, rows in ((make_csv, csv_path, args.csv_rows),
                               (make_xlsx, xlsx_path, args.xlsx_rows)):  # fmt: skip
        child = ctx.Process(target=target, args=(path, rows))
        child.start()
        child.join()
        if child.exitcode != 0:
            sys.exit(f"generating {path.name} failed")
    app = create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "RQ_ASYNC": False,
            "SECRET_KEY": "bench",
            "IMPORT_MAX_BYTES": 1 << 30,
            "IMPORT_PREFETCH": not args.no_prefetch,
            # One connection, so one PostgreSQL backend to measure.
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0},
        }
    )
    app.instance_path = str(tmp / "instance")
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.drop_all()  # a dedicated bench database: every run starts from empty tables
        db.create_all()
        if args.drop_trgm_indexes:
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP INDEX IF EXISTS ix_contacts_name_trgm"))
                conn.execute(sa.text("DROP INDEX IF EXISTS ix_contacts_phone_trgm"))
    figure("setting_database", f"{url.split('@')[-1]}")
    figure("setting_csv_rows", f"{args.csv_rows}")
    figure("setting_xlsx_rows", f"{args.xlsx_rows}")
    figure("setting_batch_size", f"{args.batch_size}")
    figure("setting_prefetch", f"{not args.no_prefetch}")
    figure("setting_trgm_indexes", f"{not args.drop_trgm_indexes}")
    figure("setting_load_average", f"{os.getloadavg()[0]:.1f}")
    figure("setting_csv_mb", f"{csv_path.stat().st_size / 1e6:.1f}")
    figure("setting_xlsx_mb", f"{xlsx_path.stat().st_size / 1e6:.1f}")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        csv_seconds, csv_totals = run_one(app, csv_path, "csv", args.batch_size)
        csv_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        xlsx_seconds, xlsx_totals = run_one(app, xlsx_path, "xlsx", args.batch_size)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the imports' peak
    figure("setting_load_average_after", f"{os.getloadavg()[0]:.1f}")
    floor_seconds, floor_rows, floor_pg_cpu = copy_floor(app, int(csv_totals.pop("client_id")))
    xlsx_totals.pop("client_id")
    figure("csv_rows_per_s", f"{args.csv_rows / csv_seconds:.0f}")
    figure("xlsx_rows_per_s", f"{args.xlsx_rows / xlsx_seconds:.0f}")
    figure("peak_rss_mb", f"{peak:.0f}")
    figure("peak_rss_mb_after_csv", f"{csv_peak:.0f}")
    figure("rss_before_import_mb", f"{rss_before:.0f}")
    figure("csv_seconds", f"{csv_seconds:.1f}")
    figure("xlsx_seconds", f"{xlsx_seconds:.1f}")
    for label, totals in (("csv", csv_totals), ("xlsx", xlsx_totals)):
        for key, value in totals.items():
            figure(f"{label}_{key}", value)
    # The floor COPYs the contacts the CSV import stored: compare per stored contact.
    stored = max(1, int(csv_totals["imported"]) + int(csv_totals["updated"]))
    import_per_s = stored / csv_seconds
    floor_per_s = floor_rows / max(floor_seconds, 1e-9)
    figure("csv_contacts_per_s", f"{import_per_s:.0f}")
    figure("floor_copy_rows", floor_rows)
    figure("floor_copy_rows_per_s", f"{floor_per_s:.0f}")
    figure("import_ratio_to_floor", f"{import_per_s / floor_per_s:.2f}")
    # CPU ms per input row (one process does the import: the worker; no web, no Redis).
    rows = max(1, int(csv_totals["rows"]))
    report_cpu_ms("row", {"worker": 1000 * float(csv_totals["python_cpu_s"]) / rows,
                          "postgres": 1000 * float(csv_totals.get("postgres_cpu_s", 0)) / rows},
                  ("worker", "postgres"))  # fmt: skip
    figure("floor_cpu_ms_per_row_postgres", round(1000 * floor_pg_cpu / max(1, floor_rows), 4))
    figure("pg_connections_max", 1)  # pool_size=1, max_overflow=0: one backend
    if args.quick:
        require_figures(("csv_rows_per_s", "xlsx_rows_per_s", "peak_rss_mb", "csv_seconds",
                         "xlsx_seconds", "floor_copy_rows_per_s", "import_ratio_to_floor",
                         "cpu_ms_per_row_worker", "cpu_ms_per_row_postgres",
                         "floor_cpu_ms_per_row_postgres", "pg_connections_max"))  # fmt: skip


if __name__ == "__main__":
    main()
