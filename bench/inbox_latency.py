"""Inbox latency: signed inbound webhook → ``message:new`` on N logged-in Socket.IO clients.

Production-like topology, all on loopback:
* web: gunicorn with README's config (one gevent worker, WebSocket through
  simple-websocket; ``--web gthread``: 1 gthread worker), Socket.IO queue on Redis;
* ``clickpro worker -q webhooks`` (RQ): processes the stored webhook events and emits
  through the Redis queue (the web process delivers to the sockets);
* PostgreSQL bench database (recreated), Redis bench db (flushed).

Prints settings, then ``p50_ms``, ``p99_ms``, ``max_ms``, ``events_lost`` (one per line).
Latency = time the client received the event − time just before the webhook POST.

    .venv/bin/python bench/inbox_latency.py [--clients 200 --rate 20 --seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import socketio
import sqlalchemy as sa
from _harness import CpuMeter, ensure_database, figure, free_port, report_cpu_ms, require_figures
from _pg_connections import PgConnectionSampler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clickpro.sandbox import sign  # noqa: E402

DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/clickpro_inbox_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
DB_NAME = sa.engine.make_url(DB_URL).database
APP_SECRET = "bench-app-secret"
PHONE_ID = "100000000000011"
PASSWORD = "senha-bench-inbox-1"
ENV = {
    "CLICKPRO_ENV": "production",
    "SECRET_KEY": "bench-secret-key-not-default",
    "CLICKPRO_ENCRYPTION_KEYS": "YmVuY2gtb25seS1jbGlja3Byby1rZXktMzItYnl0ZXM=",
    "DATABASE_URL": DB_URL,
    "REDIS_URL": REDIS_URL,
    "META_APP_SECRET": APP_SECRET,
    "META_VERIFY_TOKEN": "bench",
    "META_GRAPH_URL": "http://127.0.0.1:9/graph",  # nothing is sent to Meta here
    "CLICKPRO_PLUGINS": "",
    # Every agent signs in and connects from 127.0.0.1: lift the per-address caps that
    # would otherwise refuse the 51st login and socket (production keeps its defaults).
    "CLICKPRO_LOGIN_THROTTLE_PER_IP": "100000",
    "CLICKPRO_SOCKETIO_MAX_PER_IP": "100000",
}


def prepare_database(clients: int) -> int:
    """Fresh schema, one client with a credential and ``clients`` agents. Returns its id."""
    os.environ.update(ENV)
    from clickpro import create_app
    from clickpro.crypto import encrypt, last4
    from clickpro.extensions import db
    from clickpro.models import Client, ClientMember, Role, User, WhatsAppCredential

    ensure_database(DB_URL)
    app = create_app()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.drop_all()
        db.create_all()
        tenant = Client(name="Bench", slug="bench")
        db.session.add(tenant)
        db.session.flush()
        db.session.add(
            WhatsAppCredential(
                client_id=tenant.id,
                access_token_enc=encrypt("bench-token"),
                token_last4=last4("bench-token"),
                waba_id="100000000000001",
                phone_number_id=PHONE_ID,
                display_phone_number="+55 11 3000-0000",
                status="VALID",
                throughput_mps=80,
            )
        )
        template = User(email="x@bench.test", name="x")
        template.set_password(PASSWORD)  # hash once: 50 scrypt hashes would dominate setup
        for n in range(clients):
            user = User(email=f"agent{n}@bench.test", name=f"Agente {n}")
            user.password_hash = template.password_hash
            db.session.add(user)
            db.session.flush()
            db.session.add(
                ClientMember(client_id=tenant.id, user_id=user.id, role=Role.CLIENT_USER)
            )
        db.session.commit()
        client_id = tenant.id
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return client_id


def start_processes(port: int, web_mode: str, clients: int) -> list[subprocess.Popen]:
    """The web process (``production``: README's ``gunicorn -c config/gunicorn.conf.py``,
    one gevent worker; ``gthread``: the old 1 worker x threads, one thread per socket)
    and one ``clickpro worker -q webhooks``."""
    env = {**os.environ, **ENV, "CLICKPRO_BIND": f"127.0.0.1:{port}",
           "CLICKPRO_ACCESS_LOG": "/dev/null", "CLICKPRO_LOG_LEVEL": "warning"}  # fmt: skip
    bin_dir = ROOT / ".venv" / "bin"
    if web_mode == "production":
        args = ["-c", "config/gunicorn.conf.py"]
    else:  # every WebSocket holds a thread: more threads than agents, or logins stall
        args = ["-w", "1", "-k", "gthread", "--threads", str(max(100, clients + 50)),
                "-b", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip
    web = subprocess.Popen(
        [str(bin_dir / "gunicorn"), *args, "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [str(bin_dir / "clickpro"), "worker", "-q", "webhooks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return [web, worker]


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("web server did not start")


def login(url: str, email: str) -> str:
    """Log in; returns the Cookie header (production cookies are Secure: sent by hand)."""
    with httpx.Client(base_url=url) as http:
        page = http.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        jar = {k: v for k, v in page.cookies.items()}
        form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
        response = http.post("/login", data=form, headers=headers)
        if response.status_code not in (302, 303):
            raise SystemExit(f"login failed for {email}: {response.status_code}")
        jar.update(response.cookies.items())
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def connect_clients(url: str, count: int, received: queue.Queue) -> list[socketio.Client]:
    clients = []
    for n in range(count):
        cookie = login(url, f"agent{n}@bench.test")
        sio = socketio.Client(reconnection=False)

        def on_new(data, n=n):
            received.put((n, data["message"]["body"], time.time(), data.get("emitted_ms")))

        sio.on("message:new", on_new, namespace="/inbox")
        sio.connect(
            url, namespaces=["/inbox"], headers={"Cookie": cookie}, transports=["websocket"]
        )
        clients.append(sio)
    return clients


def webhook_body(n: int) -> bytes:
    phone = f"55119{n % 500:08d}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551130000000", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": f"Cliente {n % 500}"}, "wa_id": phone}],
        "messages": [
            {
                "from": phone,
                "id": f"wamid.bench.{time.time_ns()}.{n}",
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": f"bench-{n}"},
            }
        ],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "100000000000001", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload).encode()


def send_webhooks(url: str, rate: float, seconds: float, sent: dict) -> int:
    http = httpx.Client(base_url=url, timeout=10)
    total = int(rate * seconds)
    start = time.monotonic()
    bad = 0
    for n in range(total):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = webhook_body(n)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(APP_SECRET, body),
        }
        sent[f"bench-{n}"] = time.time()
        if http.post("/webhook", content=body, headers=headers).status_code != 200:
            bad += 1
    return bad


def stored_latencies(sent: dict[str, float]) -> list[float]:
    """POST → inbound row committed by the worker (splits ingest from socket fan-out)."""
    engine = sa.create_engine(DB_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT body, created_at FROM messages WHERE direction='IN'"))
        result = [(at.timestamp() - sent[body]) * 1000 for body, at in rows if body in sent]
    engine.dispose()
    return result


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--drain", type=float, default=10.0, help="wait for late events (s)")
    parser.add_argument("--web", choices=("production", "gthread"), default="production",
                        help="web process: README's gevent config, or gthread (one thread per socket)")  # fmt: skip
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds, tiny sizes, check figures"
    )
    args = parser.parse_args()
    if args.quick:
        args.clients, args.rate, args.seconds, args.drain = 5, 10.0, 2.0, 5.0
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(
        f"settings clients={args.clients} rate_per_s={args.rate} seconds={args.seconds} "
        f"web={args.web} worker=rq-webhooks db=postgresql queue=redis cpus={os.cpu_count()}"
    )
    prepare_database(args.clients)
    procs = start_processes(port, args.web, args.clients)
    try:
        wait_http(url)
        received: queue.Queue = queue.Queue()
        clients = connect_clients(url, args.clients, received)
        time.sleep(1.0)
        sent: dict[str, float] = {}
        meter = CpuMeter({"web": procs[0], "worker": procs[1]}, db_name=DB_NAME)
        cpu_before = meter.snapshot()
        sampler = PgConnectionSampler(DB_URL).__enter__()
        bad = send_webhooks(url, args.rate, args.seconds, sent)
        expected = len(sent) * args.clients
        latencies: list[float] = []
        fanout: list[float] = []  # worker emit → client (Redis queue + web process + socket)
        seen: set[tuple[int, str]] = set()
        deadline = time.monotonic() + args.drain
        while len(seen) < expected and time.monotonic() < deadline:
            try:
                n, body, at, emitted_ms = received.get(timeout=0.2)
            except queue.Empty:
                continue
            if body in sent and (n, body) not in seen:
                seen.add((n, body))
                latencies.append((at - sent[body]) * 1000)
                if emitted_ms:
                    fanout.append(at * 1000 - emitted_ms)
        sampler.__exit__()
        # Per inbound message: stored, processed and fanned out to every connected agent.
        report_cpu_ms("inbound", meter.ms_per_unit(cpu_before, meter.snapshot(), len(sent)))
        figure("pg_connections_max", sampler.max)
        figure("webhooks_sent", f"{len(sent)}")
        figure("webhooks_rejected", f"{bad}")
        figure("events_expected", f"{expected}")
        if latencies:
            figure("p50_ms", f"{statistics.median(latencies):.1f}")
            figure("p99_ms", f"{percentile(latencies, 99):.1f}")
            figure("max_ms", f"{max(latencies):.1f}")
        figure("events_lost", f"{expected - len(seen)}")
        if len(seen) < expected:
            per_client = {n: sum(1 for c, _ in seen if c == n) for n in range(args.clients)}
            never = [b for b in sent if not any(b == body for _, body in seen)]
            figure("clients_with_losses", f"{sum(1 for v in per_client.values() if v < len(sent))}")
            figure("webhooks_seen_by_nobody", f"{len(never)}")
            figure("clients_connected_at_end", f"{sum(1 for c in clients if c.connected)}")
        if fanout:
            figure("emit_to_client_p50_ms", f"{statistics.median(fanout):.1f}")
            figure("emit_to_client_p99_ms", f"{percentile(fanout, 99):.1f}")
        for sio in clients:
            sio.disconnect()
        stored = stored_latencies(sent)
        if stored:
            figure("stored_p50_ms", f"{statistics.median(stored):.1f}")
            figure("stored_p99_ms", f"{percentile(stored, 99):.1f}")
        figure("load_avg_1m", f"{os.getloadavg()[0]:.2f}")
        if args.quick:
            require_figures(("webhooks_sent", "events_expected", "p50_ms", "p99_ms", "events_lost",
                             "pg_connections_max", *(f"cpu_ms_per_inbound_{p}" for p in
                             ("web", "worker", "postgres", "redis"))))  # fmt: skip
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
