"""Fair queues: client A's heavy work never delays client B's inbound messages.

Usage:  .venv/bin/python bench/fairness.py [--csv-rows 1000000] [--recipients 100000]
        [--messages 120] [--rate 2] [--layout split|shared] [--quick]

What it does (loopback only, bounded in count and time):
1. recreates the PostgreSQL database ``clickpro_h8_bench_fair``, flushes the Redis bench
   db, starts the Meta sandbox; client A gets ``--recipients`` contacts in a list, an
   approved template and a DRAFT campaign; client B a credential of its own number;
2. starts the production processes as README lays them out: the web process
   (``gunicorn -c config/gunicorn.conf.py wsgi:app``) and real ``clickpro worker``
   processes: ``-q webhooks,ai``, ``-q campaigns`` ×2, ``-q imports``, ``-q outbound,periodic``;
3. client A uploads a ``--csv-rows`` CSV (queued import) and starts the campaign (timed:
   the start must answer at once, the materialization is a job);
4. while A's import and campaign run, B's customers send ``--messages`` signed inbound
   webhooks (``--rate`` per second); each one's latency is POST → B's inbox row visible
   in the database (polled every 20 ms);
5. prints B's latency p50/p99/max, how many never arrived, and how far A's import and
   campaign got during the window (proof they were running).

``--layout shared`` runs the same five workers each serving every queue (the "before").
``--quick`` uses small numbers (well under a minute) and checks every figure was produced.
"""

from __future__ import annotations

import argparse
import http.client
import importlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from _harness import (
    figure,
    free_port,
    fresh_app,
    production_env,
    require_figures,
    start_worker,
    stop_processes,
    wait_ready,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "clickpro_h8_bench_fair"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
APP_SECRET = "bench-app-secret"
B_PHONE_NUMBER_ID = "100000000000022"
B_WABA_ID = "100000000000002"
LAYOUTS = {
    # README's layout: one group of workers per kind of work
    "split": ("webhooks,ai", "campaigns", "campaigns", "imports", "outbound,periodic"),
    # the same number of workers, each serving every queue (the "before")
    "shared": ("", "", "", "", ""),
}
FIGURES = (
    "start_campaign_ms",
    "status_after_start",
    "b_messages",
    "b_inbox_p50_ms",
    "b_inbox_p99_ms",
    "b_inbox_max_ms",
    "b_lost",
    "b_ack_errors",
    "a_import_rows_during",
    "a_campaign_rows_during",
    "a_campaign_sent_during",
)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv-rows", type=int, default=1_000_000)
    p.add_argument("--recipients", type=int, default=100_000)
    p.add_argument("--messages", type=int, default=120, help="B's inbound messages")
    p.add_argument("--rate", type=float, default=2.0, help="B's messages per second")
    p.add_argument("--campaign-rate", type=float, default=50.0, help="A's sends per second")
    p.add_argument("--layout", choices=sorted(LAYOUTS), default="split")
    p.add_argument("--quick", action="store_true", help="small numbers, check the figures")
    args = p.parse_args()
    if args.quick:
        args.csv_rows, args.recipients, args.messages, args.rate = 20_000, 2_000, 20, 4.0
    return args


def server_env(graph_url: str) -> dict:
    return production_env(
        f"{PG_URL}/{DB_NAME}",
        REDIS_URL,
        APP_SECRET,
        META_GRAPH_URL=graph_url,
        CLICKPRO_PLUGINS="",
        CLICKPRO_LOG_LEVEL="warning",
    )


def seed_b() -> int:
    from clickpro.crypto import encrypt
    from clickpro.extensions import db
    from clickpro.models import Client, WhatsAppCredential

    client = Client(name="Cliente B", slug="cliente-b")
    db.session.add(client)
    db.session.flush()
    db.session.add(WhatsAppCredential(
        client_id=client.id, access_token_enc=encrypt("b-token"), waba_id=B_WABA_ID,
        phone_number_id=B_PHONE_NUMBER_ID, status="VALID"))  # fmt: skip
    db.session.commit()
    return client.id


def wait_workers(count: int, timeout: float = 90) -> None:
    import redis
    from rq import Worker

    conn = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=conn)) < count:
        if time.monotonic() > deadline:
            raise SystemExit("workers did not start")
        time.sleep(0.3)


def inbound_body(n: int) -> tuple[bytes, str]:
    wa_id = f"55219{n:08d}"
    wamid = f"wamid.FAIR{time.time_ns()}{n}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "552130000000", "phone_number_id": B_PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": f"Cliente {n}"}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": wamid, "type": "text",
                      "timestamp": str(int(time.time())), "text": {"body": f"oi {n}"}}],
    }  # fmt: skip
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": B_WABA_ID, "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload, separators=(",", ":")).encode(), wamid


class InboxWatcher(threading.Thread):
    """Polls B's inbound rows every 20 ms; records when each wamid first became visible."""

    def __init__(self, client_id: int) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}")
        self.client_id = client_id
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        q = sa.text("SELECT wamid FROM messages WHERE client_id = :c AND direction = 'IN'")
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                now = time.time()
                for (wamid,) in conn.execute(q, {"c": self.client_id}):
                    self.seen.setdefault(wamid, now)
                conn.commit()
                time.sleep(0.02)
        self.engine.dispose()


def a_progress(client_a: int, campaign_id: int) -> tuple[int, int, int]:
    """(import rows done, campaign rows materialized, campaign rows sent) of client A."""
    from clickpro.extensions import db

    row = db.session.execute(sa.text(
        "SELECT (SELECT coalesce(sum(rows), 0) FROM contact_imports WHERE client_id = :a),"
        " (SELECT count(*) FROM messages WHERE campaign_id = :c),"
        " (SELECT count(*) FROM messages WHERE campaign_id = :c AND status <> 'QUEUED')"),
        {"a": client_a, "c": campaign_id}).one()  # fmt: skip
    db.session.commit()
    return int(row[0]), int(row[1]), int(row[2])


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def main() -> None:
    # killed (timeout, Ctrl-C): still stop the servers and workers this run started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    args = parse()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    campaign_bench = importlib.import_module("campaign")  # seed(): tenant, contacts, campaign
    import_bench = importlib.import_module("import")  # make_csv(): the realistic CSV
    from clickpro.sandbox import SandboxServer, sign

    server = SandboxServer({"status_mode": "off", "template_review_delay_s": 0.0}).start()
    account = server.state.create_account(throughput_mps=80, messaging_tier="TIER_100K")
    body, status = server.state.templates.create(account, {
        "name": "oferta", "language": "pt_BR", "category": "MARKETING",
        "components": campaign_bench.COMPONENTS})  # fmt: skip
    assert status == 200, body
    env = server_env(server.graph_url)
    figure("settings", f"csv_rows={args.csv_rows} recipients={args.recipients} "
           f"b_messages={args.messages} b_rate={args.rate}/s "
           f"workers={'+'.join(q or 'all' for q in LAYOUTS[args.layout])} "
           f"cpus={os.cpu_count()}")  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="bench-fair-"))
    csv_path = workdir / "clientes.csv"
    import_bench.make_csv(csv_path, args.csv_rows)
    port = free_port()
    procs = []
    with fresh_app(env, PG_URL, DB_NAME):
        import redis

        from clickpro.services.campaigns import service as svc
        from clickpro.services.contacts.imports import service as imports

        redis.Redis.from_url(REDIS_URL).flushdb()
        client_a, campaign_id = campaign_bench.seed(
            args.recipients, account, args.campaign_rate, 80
        )
        client_b = seed_b()
        web = subprocess_web(env, port)
        procs = [web] + [start_worker(env, queues) for queues in LAYOUTS[args.layout]]
        watcher = InboxWatcher(client_b)
        try:
            wait_ready(port)
            wait_workers(len(LAYOUTS[args.layout]))
            watcher.start()
            # client A: the big import, then the big campaign
            imp = imports.create_import(client_a, None, stream_or_path=csv_path,
                                        filename=csv_path.name)  # fmt: skip
            _, _, _, suggested = imports.preview_import(imp.id)
            imports.set_mapping(imp.id, suggested, {"mobile_only": False})
            imports.start_import(imp.id)
            t0 = time.perf_counter()
            started = svc.start_campaign(client_a, campaign_id)
            figure("start_campaign_ms", round((time.perf_counter() - t0) * 1000, 1))
            figure("status_after_start", started.status)
            time.sleep(1.0)  # let A's jobs get going
            before = a_progress(client_a, campaign_id)
            sent_at = send_inbound(port, args.messages, args.rate, sign)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not set(sent_at) <= set(watcher.seen):
                time.sleep(0.1)
            after = a_progress(client_a, campaign_id)
        finally:
            watcher.stop.set()
            stop_processes(procs)
            server.stop()
    latencies = [(watcher.seen[w] - t) * 1000 for w, t in sent_at.items() if w in watcher.seen]
    figure("b_messages", len(sent_at))
    figure("b_inbox_p50_ms", round(percentile(latencies, 50), 1))
    figure("b_inbox_p99_ms", round(percentile(latencies, 99), 1))
    figure("b_inbox_max_ms", round(max(latencies) if latencies else float("nan"), 1))
    figure("b_lost", len(sent_at) - len(latencies))
    figure("b_ack_errors", len(ACK_ERRORS))
    figure("a_import_rows_during", after[0] - before[0])
    figure("a_campaign_rows_during", after[1] - before[1])
    figure("a_campaign_sent_during", after[2] - before[2])
    figure("a_import_rows_total", after[0])
    if args.quick:
        require_figures(FIGURES)


def subprocess_web(env: dict, port: int):
    import subprocess

    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "config" /
         "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


ACK_ERRORS: list[int] = []


def send_inbound(port: int, count: int, rate: float, sign) -> dict[str, float]:
    """B's customers write: ``count`` signed deliveries at ``rate``/s; wamid → sent time."""
    sent: dict[str, float] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.monotonic()
    for n in range(count):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body, wamid = inbound_body(n)
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": sign(APP_SECRET, body)}  # fmt: skip
        sent[wamid] = time.time()
        try:
            conn.request("POST", "/webhook", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                ACK_ERRORS.append(response.status)
        except (OSError, http.client.HTTPException):
            ACK_ERRORS.append(0)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    return sent


if __name__ == "__main__":
    main()
