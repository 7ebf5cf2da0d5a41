"""Webhook ingestion benchmark: signed deliveries against gunicorn + PostgreSQL + Redis + RQ.

Usage:  .venv/bin/python bench/webhook.py [--deliveries N] [--concurrency C] [--client raw|httpx]

What it does (loopback only, bounded in count and time):
1. recreates the PostgreSQL database ``clickpro_bench_hook`` (create_all), flushes Redis
   db 12, seeds one client with the sandbox's phone number and the outbound messages the
   status webhooks refer to;
2. starts ``gunicorn -w 2 --worker-class gthread --threads 8 wsgi:app`` (production
   settings) and one ``clickpro worker -q webhooks``;
3. posts N signed deliveries (25 % inbound messages, 75 % single statuses: sent,
   delivered and read of each outbound message in shuffled order) from C concurrent
   client threads with keep-alive connections, timing each acknowledgement;
4. waits for the worker to drain, then compares what was sent with what was processed.

Prints one figure per line (``name value``), settings first.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import queue
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from _harness import (
    figure,
    fresh_app,
    production_env,
    require_figures,
    start_gunicorn,
    start_worker,
    stop_processes,
    wait_ready,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "clickpro_bench_hook"
PG_URL = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/12"
APP_SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "100000000000011"
WABA_ID = "100000000000001"


# --------------------------------------------------------------------------- setup
def server_env(port: int) -> dict:
    return production_env(f"{PG_URL}/{DB_NAME}", REDIS_URL, APP_SECRET)


def prepare_database(env: dict, outbound: int) -> list[str]:
    """Fresh schema, one client + credential, ``outbound`` OUT messages; returns wamids."""
    import sqlalchemy as sa

    with fresh_app(env, PG_URL, DB_NAME):
        from clickpro.crypto import encrypt
        from clickpro.extensions import db
        from clickpro.models import Client, Contact, Message, WhatsAppCredential

        client = Client(name="Bench", slug="bench")
        db.session.add(client)
        db.session.flush()
        db.session.add(
            WhatsAppCredential(
                client_id=client.id,
                access_token_enc=encrypt("sandbox-token"),
                waba_id=WABA_ID,
                phone_number_id=PHONE_NUMBER_ID,
                status="VALID",
            )
        )
        contact = Contact(
            client_id=client.id,
            phone_e164="+5511900000000",
            wa_id="5511900000000",
            name="Bench",
        )
        db.session.add(contact)
        db.session.flush()
        wamids = [f"wamid.BENCH{n:09d}" for n in range(outbound)]
        db.session.execute(
            sa.insert(Message),
            [
                {
                    "client_id": client.id,
                    "contact_id": contact.id,
                    "direction": "OUT",
                    "author": "CAMPAIGN",
                    "body": "oferta",
                    "payload": {},
                    "status": "SENDING",
                    "wamid": w,
                }
                for w in wamids
            ],
        )
        db.session.commit()
        return wamids


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def start_processes(env: dict, port: int, workers: int, threads: int) -> list[subprocess.Popen]:
    return [start_gunicorn(env, port, workers, threads), start_worker(env, "webhooks")]


# --------------------------------------------------------------------------- load
def build_deliveries(n: int, wamids: list[str], seed: int) -> list[tuple[bytes, str, str]]:
    """(body, signature, kind) for n deliveries: 1/4 inbound, 3/4 statuses."""
    rng = random.Random(seed)
    statuses = [(w, s) for w in wamids for s in ("sent", "delivered", "read")]
    rng.shuffle(statuses)
    out = []
    n_status = len(statuses)
    for w, s in statuses:
        value = {"statuses": [{"id": w, "status": s, "timestamp": str(1_800_000_000 + rng.randrange(100)),
                               "recipient_id": "5511900000000", "pricing": {"billable": True, "category": "marketing"}}]}  # fmt: skip
        out.append((_envelope(value), "status"))
    for i in range(n - n_status):
        wa_id = f"55119{rng.randrange(10**7, 10**8):08d}"
        msg = {"from": wa_id, "id": f"wamid.IN{seed}{i:09d}", "timestamp": str(1_800_000_000 + i),
               "type": "text", "text": {"body": f"mensagem {i}"}}  # fmt: skip
        value = {
            "contacts": [{"profile": {"name": f"Cliente {i}"}, "wa_id": wa_id}],
            "messages": [msg],
        }
        out.append((_envelope(value), "inbound"))
    rng.shuffle(out)
    return [(body, _sign(body), kind) for body, kind in out]


def _envelope(value: dict) -> bytes:
    payload = {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "551130000000", "phone_number_id": PHONE_NUMBER_ID},
        **value}}]}]}  # fmt: skip
    return json.dumps(payload, separators=(",", ":")).encode()


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def run_load(base: str, items, concurrency: int, max_seconds: float, client_kind: str):
    work: queue.SimpleQueue = queue.SimpleQueue()
    for item in items:
        work.put(item)
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    parts = urlsplit(base)

    def raw_sender():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, bad = [], []
        while time.monotonic() < deadline:
            try:
                body, sig, _ = work.get_nowait()
            except queue.Empty:
                break
            t0 = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    "/webhook",
                    body=body,
                    headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig},
                )
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                status = 0
            mine.append(time.perf_counter() - t0)
            if status != 200:
                bad.append(status)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    def httpx_sender():
        import httpx

        mine, bad = [], []
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.monotonic() < deadline:
                try:
                    body, sig, _ = work.get_nowait()
                except queue.Empty:
                    break
                t0 = time.perf_counter()
                try:
                    status = http.post(
                        "/webhook",
                        content=body,
                        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig},
                    ).status_code
                except httpx.HTTPError:
                    status = 0
                mine.append(time.perf_counter() - t0)
                if status != 200:
                    bad.append(status)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    target = raw_sender if client_kind == "raw" else httpx_sender
    threads = [threading.Thread(target=target) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, errors


# --------------------------------------------------------------------------- CPU accounting
_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def cpu_snapshot(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each process tree in ``roots``, our PG backends and Redis."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st:
                stats[int(entry.name)] = st
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)

    def tree(pid: int) -> float:
        return stats.get(pid, (0, 0.0))[1] + sum(tree(c) for c in children.get(pid, []))

    out = {name: tree(pid) for name, pid in roots.items()}
    out["postgres"] = sum(
        cpu
        for pid, (_, cpu) in stats.items()
        if DB_NAME in _cmdline(pid) and _cmdline(pid).startswith("postgres:")
    )
    out["redis"] = sum(
        cpu for pid, (_, cpu) in stats.items() if _cmdline(pid).startswith("redis-server")
    )
    out["loadgen"] = time.process_time()
    return out


def wait_drained(env: dict, sent: int, timeout: float) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}")
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    q = sa.text(
        "SELECT count(*), count(processed_at), count(error), "
        "(SELECT count(*) FROM messages WHERE direction = 'IN'), "
        "(SELECT count(*) FROM messages WHERE direction = 'OUT' AND status = 'READ'), "
        "(SELECT count(*) FROM pending_statuses) FROM webhook_events"
    )
    while True:
        with engine.connect() as conn:
            events, processed, errors, inbound, read, pending = conn.execute(q).one()
        if processed >= events or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    engine.dispose()
    return {
        "events": events,
        "processed": processed,
        "errors": errors,
        "inbound": inbound,
        "read": read,
        "pending": pending,
        "drain_s": time.monotonic() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds, tiny sizes, check figures"
    )
    args = parser.parse_args()
    if args.quick:
        args.deliveries, args.web_workers, args.max_seconds, args.drain_timeout = 400, 1, 10, 60
    n = min(args.deliveries, 200_000)

    env = server_env(args.port)
    outbound = (n - n // 4) // 3
    figure("setting_deliveries", n)
    figure("setting_concurrency", args.concurrency)
    figure("setting_client", args.client)
    figure("setting_gunicorn", f"-w{args.web_workers}_gthread_threads{args.threads}")
    figure("setting_rq_workers", 1)
    figure("setting_cpus", os.cpu_count())
    figure("setting_mix", "25%_inbound_75%_status")
    wamids = prepare_database(env, outbound)
    flush_redis()
    items = build_deliveries(n, wamids, seed=42)
    base = f"http://127.0.0.1:{args.port}"
    procs = start_processes(env, args.port, args.web_workers, args.threads)
    try:
        wait_ready(args.port)
        roots = {"web": procs[0].pid, "worker": procs[1].pid}
        before = cpu_snapshot(roots)
        elapsed, latencies, errors = run_load(
            base, items, args.concurrency, args.max_seconds, args.client
        )
        acked = len(latencies) - len(errors)
        after_load = cpu_snapshot(roots)
        drained = wait_drained(env, acked, args.drain_timeout)
        after = cpu_snapshot(roots)
    finally:
        stop_processes(procs)
    latencies.sort()
    figure("webhook_events_per_s", round(acked / elapsed))
    figure("ack_p50_ms", round(statistics.median(latencies) * 1000, 2) if latencies else "nan")
    figure(
        "ack_p99_ms",
        round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2) if latencies else "nan",
    )
    figure("ack_max_ms", round(latencies[-1] * 1000, 2) if latencies else "nan")
    figure("deliveries_sent", len(latencies))
    figure("deliveries_not_200", len(errors))
    figure("send_seconds", round(elapsed, 2))
    figure("events_stored", drained["events"])
    figure("events_processed", drained["processed"])
    figure("events_with_error", drained["errors"])
    figure("events_lost", acked - drained["processed"])
    figure("inbound_messages_stored", drained["inbound"])
    figure("outbound_read", drained["read"])
    figure("outbound_expected_read", outbound)
    figure("pending_statuses", drained["pending"])
    figure("drain_seconds_after_load", round(drained["drain_s"], 2))
    figure("processing_events_per_s", round(drained["processed"] / (elapsed + drained["drain_s"])))
    report_cpu(before, after_load, after, max(acked, 1))
    figure("load_average_1m", os.getloadavg()[0])
    if args.quick:
        require_figures(QUICK_FIGURES)


QUICK_FIGURES = (
    "webhook_events_per_s",
    "ack_p50_ms",
    "ack_p99_ms",
    "events_stored",
    "events_processed",
    "events_lost",
    "processing_events_per_s",
    "cpu_ms_per_ack_web",
    "cpu_ms_per_event_worker",
)


def report_cpu(before: dict, after_load: dict, after: dict, events: int) -> None:
    """CPU ms per event of each part, and what that means for an otherwise idle box."""
    per = {k: (after[k] - before[k]) * 1000 / events for k in before}
    for name in ("web", "worker", "postgres", "redis", "loadgen"):
        figure(f"cpu_ms_per_event_{name}", round(per[name], 3))
    ack_side = (after_load["web"] - before["web"]) * 1000 / events
    figure("cpu_ms_per_ack_web", round(ack_side, 3))
    server = per["web"] + per["worker"] + per["postgres"] + per["redis"]
    cpus = os.cpu_count() or 1
    figure("estimated_idle_capacity_events_per_s", round(cpus * 1000 / server) if server else "nan")
    ack_only = ack_side + per["redis"] + per["postgres"] / 2
    figure(
        "estimated_idle_ack_capacity_events_per_s",
        round(cpus * 1000 / ack_only) if ack_only else "nan",
    )


if __name__ == "__main__":
    main()
