"""What the benchmarks share: figures, the bench database, and the gunicorn /
``clickpro worker`` subprocesses they start on loopback (and stop).

Imported by the scripts in this folder (``python bench/<name>.py`` puts it on the path).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


FIGURES: dict[str, object] = {}


def figure(name: str, value) -> None:
    FIGURES[name] = value
    print(f"{name} {value}", flush=True)


def require_figures(names: list[str] | tuple[str, ...]) -> None:
    """``--quick`` mode's check: every figure was printed and none is missing or ``nan``.

    The figures themselves are never asserted (a shared machine moves them); a bench
    that stopped producing one has rotted, and that fails CI.
    """
    missing = [n for n in names if n not in FIGURES]
    empty = [n for n in names if str(FIGURES.get(n, "")) in ("nan", "None", "")]
    if missing or empty:
        print(f"bench check FAILED: missing {missing} empty {empty}", flush=True)
        raise SystemExit(1)
    print(f"bench check ok: {len(names)} figures", flush=True)


def bench_secret_key() -> str:
    """A SECRET_KEY that production mode accepts (long and random, fresh each run)."""
    import secrets

    return secrets.token_urlsafe(48)


def production_env(database_url: str, redis_url: str, app_secret: str, **extra: str) -> dict:
    """The environment of a bench's gunicorn and workers: production mode on loopback.

    A fresh SECRET_KEY and encryption key each run (``BENCH_ENCRYPTION_KEY`` fixes the
    latter when a bench reuses a database); ``extra`` adds or overrides variables.
    """
    from clickpro.crypto import generate_key

    env = dict(os.environ)
    env.update(
        CLICKPRO_ENV="production",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=bench_secret_key(),
        CLICKPRO_ENCRYPTION_KEYS=os.environ.get("BENCH_ENCRYPTION_KEY") or generate_key(),
        META_APP_SECRET=app_secret,
        META_VERIFY_TOKEN="bench-verify",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(pg_url: str, db_name: str) -> None:
    """Drop (forcing out any connection) and create ``db_name`` on the server at ``pg_url``."""
    import sqlalchemy as sa

    admin = sa.create_engine(
        f"{pg_url.replace('postgresql://', 'postgresql+psycopg://')}/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()


@contextmanager
def fresh_app(env: dict, pg_url: str, db_name: str) -> Iterator:
    """The app on a recreated ``db_name`` (schema created, pg_trgm on), in its app context.

    ``env`` is put in ``os.environ`` for the block (import the app's modules inside it)
    and the previous environment restored afterwards.
    """
    import sqlalchemy as sa

    recreate_database(pg_url, db_name)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from clickpro import create_app
        from clickpro.extensions import db

        app = create_app()
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            db.create_all()
            yield app
    finally:
        os.environ.clear()
        os.environ.update(saved)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` where it does not exist yet."""
    import sqlalchemy as sa

    from clickpro.config import normalize_database_url

    target = sa.engine.make_url(normalize_database_url(url))
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname=:n"), {"n": target.database}
        ):
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _spawn(args: list[str], env: dict) -> subprocess.Popen:
    """A child in its own session (stopped as a group), output discarded."""
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def start_gunicorn(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    """``gunicorn wsgi:app`` (gthread workers) on 127.0.0.1:``port``."""
    return _spawn(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-w", str(workers),
            "--worker-class", "gthread",
            "--threads", str(threads),
            "-b", f"127.0.0.1:{port}",
            "--log-level", "warning",
            "wsgi:app",
        ],
        env,
    )  # fmt: skip


def start_worker(env: dict, queue: str) -> subprocess.Popen:
    """One ``clickpro worker -q <queue>``."""
    return _spawn([str(Path(sys.executable).parent / "clickpro"), "worker", "-q", queue], env)


def stop_processes(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each process group, SIGKILL what has not exited 15 s later."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_ready(port: int, timeout: float = 60) -> None:
    """Until the webhook verification (token ``bench-verify``) on 127.0.0.1:``port`` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request(
                "GET", "/webhook?hub.mode=subscribe&hub.verify_token=bench-verify&hub.challenge=1"
            )
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not start")


# --------------------------------------------------------------------------- CPU per process
_CLK_TCK = os.sysconf("SC_CLK_TCK")
CPU_PARTS = ("web", "worker", "postgres", "redis")


def _proc_stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own CPU s, CPU s of reaped children) of a process, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    own = (int(fields[11]) + int(fields[12])) / _CLK_TCK
    reaped = (int(fields[13]) + int(fields[14])) / _CLK_TCK
    return int(fields[1]), own, reaped


def _proc_cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


class CpuMeter:
    """CPU seconds of each part of a bench: its own process trees, PostgreSQL and Redis.

    ``roots`` names process trees (``{"web": gunicorn.pid, "worker": worker.pid}``; a
    ``Popen`` is accepted too): a tree counts the root, its live descendants and the
    children they already reaped (so forked work horses are not lost). ``postgres`` sums
    the postmaster's children whose title names ``db_name`` (the bench database's
    backends; with ``db_name=None`` every child of the postmaster, background writers
    included) alive at the snapshot — ``postgres_exited`` adds what exited backends of
    *every* database used (an upper bound of a bench's churned connections, exact only on
    a quiet server); ``redis`` is the ``redis-server`` process(es) — shared with anything else
    using that server, so run benches on a quiet machine. ``loadgen`` is this process.

    Use::

        meter = CpuMeter({"web": web.pid, "worker": worker.pid}, db_name=DB_NAME)
        before = meter.snapshot()
        ...                                   # the measured work
        per = meter.ms_per_unit(before, meter.snapshot(), units=acked)
        report_cpu_ms("ack", per)             # figures cpu_ms_per_ack_web, ..._redis

    Reads /proc only (psutil is not a dependency); Linux only.
    """

    def __init__(self, roots: dict[str, object], db_name: str | None = None) -> None:
        self.roots = {name: getattr(p, "pid", p) for name, p in roots.items()}
        self.db_name = db_name

    def snapshot(self) -> dict[str, float]:
        """CPU seconds so far of every part (``roots`` names, postgres, redis, loadgen)."""
        stats: dict[int, tuple[int, float, float]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (st := _proc_stat(int(entry.name))):
                stats[int(entry.name)] = st
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in stats.items():
            children.setdefault(ppid, []).append(pid)

        def tree(pid: int) -> float:
            _, own, reaped = stats.get(pid, (0, 0.0, 0.0))
            return own + reaped + sum(tree(c) for c in children.get(pid, []))

        out = {name: tree(int(pid)) for name, pid in self.roots.items()}  # type: ignore[call-overload]
        postmasters = [
            pid
            for pid, (ppid, _, _) in stats.items()
            if _proc_cmdline(pid).split(" ", 1)[0].endswith("postgres")
            and not _proc_cmdline(ppid).split(" ", 1)[0].endswith("postgres")
        ]
        backends = [c for pm in postmasters for c in children.get(pm, [])]
        if self.db_name:
            backends = [b for b in backends if f" {self.db_name} " in _proc_cmdline(b)]
        out["postgres"] = sum(stats[b][1] for b in backends if b in stats)
        # Backends that exited (churned pool connections): only the postmaster's total
        # of reaped children knows them, for every database of the server.
        out["postgres_exited"] = sum(stats[pm][2] for pm in postmasters)
        out["redis"] = sum(
            own for pid, (_, own, _) in stats.items()
            if _proc_cmdline(pid).startswith("redis-server")
        )  # fmt: skip
        out["loadgen"] = time.process_time()
        return out

    @staticmethod
    def ms_per_unit(before: dict[str, float], after: dict[str, float], units: int) -> dict:
        """CPU milliseconds per unit of each part between two snapshots."""
        return {k: (after[k] - before[k]) * 1000 / max(units, 1) for k in before if k in after}


def report_cpu_ms(unit: str, per: dict[str, float], parts: tuple[str, ...] = CPU_PARTS) -> None:
    """Print ``cpu_ms_per_<unit>_<part>`` for each part (web, worker, postgres, redis)."""
    for part in parts:
        if part in per:
            figure(f"cpu_ms_per_{unit}_{part}", round(per[part], 3))
