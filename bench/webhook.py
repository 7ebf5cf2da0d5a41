"""Webhook benchmark: the ack and the processing, each beside its floor, same run.

Usage:  .venv/bin/python bench/webhook.py [--deliveries N] [--concurrency C] [--quick]

What it does (loopback only, bounded in count and time):
1. recreates the PostgreSQL database ``clickpro_bench_h7`` (create_all), flushes Redis
   db 12, seeds one client with the sandbox's number, one contact per outbound message
   and the outbound messages the status webhooks refer to;
2. builds N signed deliveries: the ``sent``, ``delivered`` and ``read`` status of each
   outbound message in shuffled order (pricing on sent and delivered, the recipient's
   phone and BSUID on each), plus ``--inbound-share`` of inbound text messages;
3. **ack floor**: ``bench/webhook_floor.py`` (a bare WSGI app: HMAC check, one
   ``INSERT … ON CONFLICT`` per delivery) under the same gunicorn settings, loaded by
   the same client; then **the app's ack**: ``gunicorn wsgi:app`` (production settings)
   with the same deliveries; ``--rounds`` (2) times, alternating, so both see the same
   machine (a shared box's load moves between runs): the ratios are the medians. The
   webhooks worker is running but gets no job yet (the drain flags are held), so the
   web's CPU is the ack alone. Every 200 is checked to be stored;
4. **processing**: the drain jobs are released to the one ``clickpro worker -q
   webhooks``; timed until every event is processed; the outcome is checked (every
   message READ, nothing pending, no error);
5. **processing floor**: the same events reset and applied again from this process
   with, per batch of 100, one claim ``UPDATE … RETURNING body`` and one hand-written
   set-based ``UPDATE messages … FROM unnest(…)`` (monotonic rank, earliest
   timestamps);
6. prints figures (``name value``): rates, ratios to the floors, and CPU ms per ack and
   per event of each process (web, worker, PostgreSQL, Redis; the floors' too).

``--server granian``: the floor and the app under Granian instead (the app as
``clickpro webhook-server`` runs it: ``clickpro/webhook_ingress.py``, ``--threads`` 32).

``--quick``: tiny sizes, a few seconds, exits non-zero if a figure is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from _harness import (
    CpuMeter,
    _proc_stat,
    _spawn,
    figure,
    fresh_app,
    production_env,
    report_cpu_ms,
    require_figures,
    start_gunicorn,
    start_worker,
    stop_processes,
    wait_ready,
)
from _light_load import run_load

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "clickpro_bench_h7"
PG_URL = "postgresql://postgres@127.0.0.1:5432"
DSN = f"{PG_URL}/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/12"
APP_SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "100000000000011"
WABA_ID = "100000000000001"
FLOOR_TABLE = "webhook_events_floor"
DRAIN_JOBS = 2


# --------------------------------------------------------------------------- setup
def prepare_database(env: dict, outbound: int) -> list[str]:
    """Fresh schema, one client + number, ``outbound`` contacts and OUT messages; wamids."""
    import sqlalchemy as sa

    with fresh_app(env, PG_URL, DB_NAME):
        from clickpro.crypto import encrypt
        from clickpro.extensions import db
        from clickpro.models import Client, Contact, Message, WhatsAppCredential

        client = Client(name="Bench", slug="bench")
        db.session.add(client)
        db.session.flush()
        number = WhatsAppCredential(
            client_id=client.id,
            access_token_enc=encrypt("sandbox-token"),
            waba_id=WABA_ID,
            phone_number_id=PHONE_NUMBER_ID,
            status="VALID",
        )
        db.session.add(number)
        db.session.flush()
        contact_ids = db.session.scalars(
            sa.insert(Contact).returning(Contact.id),
            [
                {
                    "client_id": client.id,
                    "phone_e164": f"+55119{n:08d}",
                    "wa_id": f"55119{n:08d}",
                    "name": f"Bench {n}",
                }
                for n in range(outbound)
            ],
        ).all()
        wamids = [f"wamid.BENCH{n:09d}" for n in range(outbound)]
        db.session.execute(
            sa.insert(Message),
            [
                {
                    "client_id": client.id,
                    "contact_id": contact_id,
                    "number_id": number.id,
                    "direction": "OUT",
                    "author": "CAMPAIGN",
                    "body": "oferta",
                    "payload": {},
                    "status": "SENDING",
                    "wamid": w,
                }
                for contact_id, w in zip(contact_ids, wamids, strict=True)
            ],
        )
        db.session.execute(
            sa.text(f"CREATE TABLE {FLOOR_TABLE} (LIKE webhook_events INCLUDING ALL)")
        )
        db.session.commit()
        # A production database has statistics; a freshly seeded one has none until
        # autovacuum happens to visit it, and the planner then picks other plans (a seq
        # scan of messages per status batch) that no production server runs.
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        return wamids


@contextmanager
def app_context(env: dict) -> Iterator:
    """The app (production settings of the bench) in an app context, in this process."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from clickpro import create_app

        app = create_app()
        with app.app_context():
            yield app
    finally:
        os.environ.clear()
        os.environ.update(saved)


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL)


def hold_drain_jobs(held: bool) -> None:
    """Hold (or release) the drain flags: while held, acks queue ids but start no job."""
    from clickpro.tasks.webhooks import FLAG_KEY

    r = redis_client()
    for shard in range(DRAIN_JOBS):
        if held:
            r.set(f"{FLAG_KEY}:{shard}", 1, ex=3600)
        else:
            r.delete(f"{FLAG_KEY}:{shard}")


def wait_worker_ready(timeout: float = 180) -> None:
    """Until the RQ worker has registered (its start-up CPU is then behind us)."""
    r = redis_client()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if r.scard("rq:workers"):
            time.sleep(0.5)
            return
        time.sleep(0.2)
    raise SystemExit("worker did not start")


# --------------------------------------------------------------------------- load
def build_deliveries(wamids: list[str], inbound: int, seed: int) -> list[bytes]:
    """Signed bodies: sent/delivered/read of each wamid, plus ``inbound`` messages."""
    rng = random.Random(seed)
    bodies = []
    for n, w in enumerate(wamids):
        phone = f"55119{n:08d}"
        for kind in ("sent", "delivered", "read"):
            status = {"id": w, "status": kind, "timestamp": str(1_800_000_000 + rng.randrange(100)),
                      "recipient_id": phone, "recipient_user_id": f"BR.{n:018d}"}  # fmt: skip
            if kind != "read":
                status["pricing"] = {"billable": True, "pricing_model": "PMP",
                                     "type": "regular", "category": "marketing"}  # fmt: skip
            bodies.append(_envelope({"statuses": [status]}))
    for i in range(inbound):
        wa_id = f"55118{rng.randrange(10**7, 10**8):08d}"
        msg = {"from": wa_id, "id": f"wamid.IN{seed}{i:09d}", "timestamp": str(1_800_000_000 + i),
               "type": "text", "text": {"body": f"mensagem {i}"}}  # fmt: skip
        value = {
            "contacts": [{"profile": {"name": f"Cliente {i}"}, "wa_id": wa_id}],
            "messages": [msg],
        }
        bodies.append(_envelope(value))
    rng.shuffle(bodies)
    return bodies


def _envelope(value: dict) -> bytes:
    payload = {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "551130000000", "phone_number_id": PHONE_NUMBER_ID},
        **value}}]}]}  # fmt: skip
    return json.dumps(payload, separators=(",", ":")).encode()


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def raw_requests(bodies: list[bytes], port: int) -> list[bytes]:
    """Each delivery as the bytes of one keep-alive HTTP/1.1 POST (built before timing)."""
    return [
        (
            f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nX-Hub-Signature-256: {_sign(b)}\r\n"
            f"Content-Length: {len(b)}\r\n\r\n"
        ).encode()
        + b
        for b in bodies
    ]


def start_web(env: dict, args, target: str = "wsgi:app") -> subprocess.Popen:
    """gunicorn serving ``target``: the production config (gevent) or gthread workers.

    ``gevent`` is the worker settings of ``config/gunicorn.conf.py`` (production: gevent,
    10,000 connections, keep-alive 5 s) with ``-w`` processes and no access log;
    ``gthread`` is the harness's ``-w N --threads T``. The floor runs under exactly the
    same command.
    """
    if target != "wsgi:app":
        env = dict(env, FLOOR_DSN=DSN, FLOOR_TABLE=FLOOR_TABLE)
    if args.server == "granian":
        return _spawn(granian_command(args, target), env)
    if args.worker_class == "gthread" and target == "wsgi:app":
        return start_gunicorn(env, args.port, args.web_workers, args.threads)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    common = ["-w", str(args.web_workers), "-b", f"127.0.0.1:{args.port}"]
    if args.worker_class == "gthread":
        cmd = [gunicorn, *common, "--worker-class", "gthread", "--threads", str(args.threads),
               "--log-level", "warning"]  # fmt: skip
    else:  # config/gunicorn.conf.py's worker settings, without its access log
        cmd = [gunicorn, *common, "--worker-class", "gevent", "--worker-connections",
               "10000", "--keep-alive", "5", "--log-level", "warning"]  # fmt: skip
    if target != "wsgi:app":
        cmd += ["--pythonpath", str(ROOT / "bench")]
    return _spawn([*cmd, target], env)


def granian_command(args, target: str) -> list[str]:
    """Granian's WSGI server with ``-w`` processes of ``--threads`` blocking threads: for
    the app, exactly what ``clickpro webhook-server`` runs (its ingress factory); for the
    floor, the floor's app under the same settings."""
    granian = str(Path(sys.executable).parent / "granian")
    if target == "wsgi:app":
        target, where = "clickpro.webhook_ingress:create_ingress", ["--factory"]
    else:
        where = ["--working-dir", str(ROOT / "bench")]
    return [granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(args.port),
            "--workers", str(args.web_workers), "--blocking-threads", str(args.threads),
            "--runtime-mode", "st",
            "--no-access-log", "--log-level", "warning", *where, target]  # fmt: skip


def ack_phase(
    name: str, proc: subprocess.Popen, worker: subprocess.Popen, args, requests: list[bytes]
) -> dict:
    """Load one web server; figures ``<name>_acks_per_s`` and its CPU ms per ack.

    ``loadgen`` is this process (the load generator's CPU per ack, see ``_light_load``).
    """
    try:
        wait_ready(args.port, timeout=180)  # a loaded shared machine starts slowly
        meter = CpuMeter({"web": proc, "worker": worker}, db_name=DB_NAME)
        before = meter.snapshot()
        load = run_load(args.port, requests, args.concurrency, args.max_seconds)
        after = meter.snapshot()
    finally:
        stop_processes([proc])
    latencies = sorted(load.latencies)
    acked = len(latencies) - len(load.bad)
    rate = acked / load.seconds if load.seconds else 0.0
    figure(f"{name}_acks_per_s", round(rate))
    figure(f"{name}_ack_p50_ms", round(statistics.median(latencies) * 1000, 2))
    figure(f"{name}_ack_p99_ms", round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000, 2))
    figure(f"{name}_deliveries_not_200", len(load.bad))
    per = CpuMeter.ms_per_unit(before, after, acked)
    report_cpu_ms("ack" if name == "app" else "ack_floor", per)
    figure(f"{name}_cpu_ms_per_ack_loadgen", round(per["loadgen"], 3))
    acked_indexes = set(load.answered) - set(load.bad)
    return {"rate": rate, "acked": acked, "cpu": per, "acked_indexes": acked_indexes}


def reset_ack_tables() -> None:
    """Before another ack round: empty the floor's table and the app's events and queue."""
    import psycopg

    from clickpro.tasks.webhooks import PENDING_KEY

    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {FLOOR_TABLE}, webhook_events")
    redis_client().delete(PENDING_KEY)


def report_ack_rounds(rounds: list[tuple[dict, dict]]) -> None:
    """The ratios of every round, then the medians under the main figure names.

    ``ack_cores_per_1000_per_s_*`` is the CPU the whole ack takes per 1,000 acks/s
    (web + PostgreSQL + Redis, and the load generator apart): what a machine needs to
    sustain a rate, whatever the load of this one was.
    """
    ratios = [app["rate"] / floor["rate"] for floor, app in rounds]
    cpu = [app["cpu"]["web"] / floor["cpu"]["web"] for floor, app in rounds if floor["cpu"]["web"]]
    figure("ack_ratio_to_floor_rounds", ",".join(f"{r:.3f}" for r in ratios))
    figure("floor_acks_per_s", round(statistics.median(f["rate"] for f, _ in rounds)))
    figure("app_acks_per_s", round(statistics.median(a["rate"] for _, a in rounds)))
    for part in ("web", "postgres", "redis", "loadgen"):
        figure(f"cpu_ms_per_ack_floor_{part}", round(statistics.median(f["cpu"][part] for f, _ in rounds), 3))  # fmt: skip
        figure(f"cpu_ms_per_ack_{part}", round(statistics.median(a["cpu"][part] for _, a in rounds), 3))  # fmt: skip
    for name, index in (("floor", 0), ("app", 1)):
        server = statistics.median(
            sum(r[index]["cpu"][k] for k in ("web", "postgres", "redis")) for r in rounds
        )
        figure(f"ack_cores_per_1000_per_s_{name}", round(server, 3))
    figure("ack_ratio_to_floor", round(statistics.median(ratios), 3))
    figure("ack_cpu_ratio_to_floor_web", round(statistics.median(cpu), 3) if cpu else "nan")


# --------------------------------------------------------------------------- processing
def _engine():
    import sqlalchemy as sa

    return sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}")


def outcome_counts() -> dict:
    import sqlalchemy as sa

    engine = _engine()
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT count(*), count(processed_at), count(error),"
                " (SELECT count(*) FROM messages WHERE direction = 'OUT' AND status = 'READ'),"
                " (SELECT count(*) FROM messages WHERE direction = 'OUT'"
                "   AND pricing_category IS NOT NULL),"
                " (SELECT count(*) FROM contacts WHERE bsuid IS NOT NULL),"
                " (SELECT count(*) FROM pending_statuses) FROM webhook_events"
            )
        ).one()
    engine.dispose()
    keys = ("events", "processed", "errors", "read", "priced", "bsuids", "pending")
    return dict(zip(keys, row, strict=True))


def stored_digests() -> set[str]:
    import sqlalchemy as sa

    engine = _engine()
    with engine.connect() as conn:
        found = set(conn.scalars(sa.text("SELECT body_sha256 FROM webhook_events")))
    engine.dispose()
    return found


def processing_phase(env: dict, worker: subprocess.Popen, timeout: float) -> dict:
    """Release the drain jobs to the idle worker; time and meter it until all processed."""
    import psycopg

    from clickpro.tasks import QUEUE_WEBHOOKS
    from clickpro.tasks.webhooks import drain_pending

    meter = CpuMeter({"worker": worker}, db_name=DB_NAME)
    total = outcome_counts()["events"]
    poller = psycopg.connect(DSN, autocommit=True)  # one backend, metered apart
    poller_pid = poller.info.backend_pid
    poller_before = _backend_cpu_s(poller_pid)
    before = meter.snapshot()
    started = time.monotonic()
    with app_context(env):
        from clickpro.jobs import enqueue

        hold_drain_jobs(False)
        for shard in range(DRAIN_JOBS):
            enqueue(drain_pending, shard, queue=QUEUE_WEBHOOKS)
    deadline = started + timeout
    while time.monotonic() < deadline:
        done = poller.execute("SELECT count(processed_at) FROM webhook_events").fetchone()
        if done and done[0] >= total:
            break
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    after = meter.snapshot()
    # The poll is the bench's work, not the app's: its backend's CPU is taken out.
    after["postgres"] -= _backend_cpu_s(poller_pid) - poller_before
    poller.close()
    counts = outcome_counts()
    per = CpuMeter.ms_per_unit(before, after, counts["processed"])
    return {"rate": counts["processed"] / elapsed, "elapsed": elapsed, "cpu": per, **counts}


def _backend_cpu_s(pid: int) -> float:
    """CPU seconds so far of one PostgreSQL backend (0 when it is gone)."""
    stat = _proc_stat(pid)
    return stat[1] if stat else 0.0


_RANK_SQL = (
    "CASE {col} WHEN 'SENT' THEN 1 WHEN 'FAILED' THEN 2 WHEN 'DELIVERED' THEN 3"
    " WHEN 'READ' THEN 4 ELSE 0 END"
)
_FLOOR_CLAIM = (
    "UPDATE webhook_events SET processed_at = now() WHERE id = ANY(%s)"
    " AND processed_at IS NULL RETURNING body"
)
_FLOOR_APPLY = (
    "UPDATE messages AS m SET"
    " status = CASE WHEN " + _RANK_SQL.format(col="m.status") + " < v.rank"
    " THEN v.status ELSE m.status END,"
    " sent_at = LEAST(m.sent_at, v.sent_at), delivered_at = LEAST(m.delivered_at,"
    " v.delivered_at), read_at = LEAST(m.read_at, v.read_at), updated_at = now()"
    " FROM unnest(%s::text[], %s::text[], %s::int[], %s::timestamptz[], %s::timestamptz[],"
    " %s::timestamptz[]) AS v(wamid, status, rank, sent_at, delivered_at, read_at)"
    " WHERE m.wamid = v.wamid AND m.direction = 'OUT'"
)
_RANK = {"SENT": 1, "FAILED": 2, "DELIVERED": 3, "READ": 4}
_FILLS = {"SENT": (0,), "DELIVERED": (0, 1), "READ": (0, 1, 2)}


def processing_floor(batch: int = 100) -> dict:
    """The same events applied again by hand: per batch one claim and one set UPDATE."""
    import psycopg

    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(
            "UPDATE messages SET status = 'SENDING', sent_at = NULL, delivered_at = NULL,"
            " read_at = NULL WHERE direction = 'OUT'"
        )
        conn.execute("UPDATE webhook_events SET processed_at = NULL")
        ids = [r[0] for r in conn.execute("SELECT id FROM webhook_events ORDER BY id")]
    meter = CpuMeter({}, db_name=DB_NAME)
    with psycopg.connect(DSN) as conn:
        conn.execute("SELECT 1").fetchone()  # its backend exists at the first snapshot
        before = meter.snapshot()
        started = time.monotonic()
        for start in range(0, len(ids), batch):
            bodies = conn.execute(_FLOOR_CLAIM, (ids[start : start + batch],)).fetchall()
            rows: dict[str, list] = {}
            for (body,) in bodies:
                for entry in json.loads(body)["entry"]:
                    for change in entry["changes"]:
                        for st in change["value"].get("statuses") or ():
                            kind = st["status"].upper()
                            if kind not in _FILLS:
                                continue
                            at = datetime.fromtimestamp(int(st["timestamp"]), UTC)
                            row = rows.setdefault(st["id"], [st["id"], kind, 0, None, None, None])
                            if _RANK[kind] > row[2]:
                                row[1], row[2] = kind, _RANK[kind]
                            for i in _FILLS[kind]:
                                row[3 + i] = at if row[3 + i] is None else min(row[3 + i], at)
            if rows:
                conn.execute(_FLOOR_APPLY, [list(c) for c in zip(*rows.values(), strict=True)])
            conn.commit()
        elapsed = time.monotonic() - started
        after = meter.snapshot()
    per = CpuMeter.ms_per_unit(before, after, len(ids))
    per["worker"] = per.pop("loadgen")  # this process did the floor's processing
    return {"rate": len(ids) / elapsed if elapsed else 0.0, "cpu": per, "events": len(ids)}


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=15000)
    parser.add_argument("--inbound-share", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=None, help="gthread: 8; granian: 32 (webhook-server's)"
    )
    parser.add_argument("--worker-class", choices=("gevent", "gthread"), default="gevent")
    parser.add_argument(
        "--server",
        choices=("gunicorn", "granian"),
        default="gunicorn",
        help="the HTTP server of the floor and the app (granian: `clickpro webhook-server`)",
    )
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--rounds", type=int, default=2, help="alternating floor/app ack runs")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument(
        "--ack-only", action="store_true", help="the ack rounds only, no processing phase"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds, tiny sizes, check figures"
    )
    args = parser.parse_args()
    if args.threads is None:
        args.threads = 32 if args.server == "granian" else 8
    if args.quick:
        args.deliveries, args.web_workers, args.max_seconds, args.drain_timeout = 300, 1, 10, 60
        args.rounds, args.ack_only = 1, False
    n = min(args.deliveries, 300_000)
    inbound = int(n * args.inbound_share)
    outbound = max(1, (n - inbound) // 3)

    env = production_env(DSN, REDIS_URL, APP_SECRET, WEBHOOK_DRAIN_JOBS=str(DRAIN_JOBS))
    figure("setting_deliveries", outbound * 3 + inbound)
    figure("setting_concurrency", args.concurrency)
    if args.server == "granian":
        figure("setting_server", f"granian_wsgi_-w{args.web_workers}_threads{args.threads}")
    else:
        figure(
            "setting_gunicorn",
            f"-w{args.web_workers}_gthread_threads{args.threads}"
            if args.worker_class == "gthread"
            else f"-w{args.web_workers}_gevent_(config/gunicorn.conf.py_settings)",
        )
    figure("setting_rq_workers", 1)
    figure("setting_ack_rounds", args.rounds)
    figure("setting_cpus", os.cpu_count())
    figure("setting_mix", f"{round(args.inbound_share * 100)}%_inbound_rest_status")
    figure("load_average_1m_at_start", os.getloadavg()[0])
    wamids = prepare_database(env, outbound)
    redis_client().flushdb()
    bodies = build_deliveries(wamids, inbound, seed=42)
    requests = raw_requests(bodies, args.port)
    worker = start_worker(env, "webhooks")
    try:
        hold_drain_jobs(True)
        wait_worker_ready()
        rounds: list[tuple[dict, dict]] = []
        for number in range(args.rounds):  # floor and app alternate: same load around both
            if number:
                reset_ack_tables()
            floor = ack_phase("floor", start_web(env, args, "webhook_floor:app"), worker, args, requests)  # fmt: skip
            app = ack_phase("app", start_web(env, args), worker, args, requests)
            rounds.append((floor, app))
        stored = stored_digests()
        unstored = sum(
            1 for i in app["acked_indexes"] if hashlib.sha256(bodies[i]).hexdigest() not in stored
        )
        figure("acked_not_stored", unstored)  # must be 0: a 200 means stored
        report_ack_rounds(rounds)
        if args.ack_only:
            figure("load_average_1m", os.getloadavg()[0])
            return
        processed = processing_phase(env, worker, args.drain_timeout)
    finally:
        stop_processes([worker])
    figure("processing_events_per_s", round(processed["rate"]))
    figure("processing_seconds", round(processed["elapsed"], 2))
    figure("events_stored", processed["events"])
    figure("events_processed", processed["processed"])
    figure("events_with_error", processed["errors"])
    figure("outbound_read", processed["read"])
    figure("outbound_expected_read", outbound)
    figure("outbound_priced", processed["priced"])
    figure("contacts_with_bsuid", processed["bsuids"])
    figure("pending_statuses", processed["pending"])
    report_cpu_ms("event", processed["cpu"], ("worker", "postgres", "redis"))
    total = sum(app["cpu"][k] for k in ("web", "postgres", "redis")) + sum(
        processed["cpu"][k] for k in ("worker", "postgres", "redis")
    )
    figure("cpu_ms_per_delivery_total", round(total, 3))
    floor_proc = processing_floor()
    figure("floor_processing_events_per_s", round(floor_proc["rate"]))
    report_cpu_ms("event_floor", floor_proc["cpu"], ("worker", "postgres"))
    figure("processing_ratio_to_floor", round(processed["rate"] / floor_proc["rate"], 3))
    figure(
        "processing_cpu_ratio_to_floor_worker",
        round(processed["cpu"]["worker"] / floor_proc["cpu"]["worker"], 3),
    )
    figure("load_average_1m", os.getloadavg()[0])
    if args.quick:
        require_figures(QUICK_FIGURES)
        if processed["errors"] or processed["processed"] < processed["events"]:
            raise SystemExit("bench check FAILED: events not processed")


QUICK_FIGURES = (
    "floor_acks_per_s",
    "app_acks_per_s",
    "ack_ratio_to_floor",
    "acked_not_stored",
    "cpu_ms_per_ack_web",
    "cpu_ms_per_ack_postgres",
    "cpu_ms_per_ack_redis",
    "cpu_ms_per_ack_floor_web",
    "cpu_ms_per_ack_loadgen",
    "ack_cores_per_1000_per_s_app",
    "processing_events_per_s",
    "floor_processing_events_per_s",
    "processing_ratio_to_floor",
    "cpu_ms_per_delivery_total",
    "cpu_ms_per_event_worker",
    "cpu_ms_per_event_postgres",
    "cpu_ms_per_event_redis",
    "cpu_ms_per_event_floor_worker",
    "cpu_ms_per_event_floor_postgres",
)


if __name__ == "__main__":
    main()
