"""Inbox latency: signed inbound webhook → ``message:new`` on N logged-in Socket.IO clients.

Production-like topology, all on loopback:
* web: gunicorn with README's config (one gevent worker, WebSocket through
  simple-websocket; ``--web gthread``: 1 gthread worker), Socket.IO queue on Redis;
* ``clickpro worker -q webhooks`` (RQ): processes the stored webhook events and emits
  through the Redis queue (the web process delivers to the sockets); and, as README lays
  workers out, ``clickpro worker -q followups`` for what each message sets off (service
  cycles, routing, outbound webhooks...; ``--no-followups``: the webhooks worker runs it);
* PostgreSQL bench database (recreated), Redis bench db (flushed).

Agents: ``--socketio-clients`` (10) are ``socketio.Client`` objects, the rest light agents
speaking the same protocol from one thread (``bench/_light_agents.py``: 200 library clients
cost the bench process more CPU than the server under test on 2 cores).

Set-up: every agent logs in first (a few at a time, with retries and timeouts), then
the sockets connect over a short ramp; ``clients_connected`` says how many did (the
figures count only those), ``clients_connected_at_end`` how many were still up.

Prints settings, then ``p50_ms``, ``p99_ms``, ``max_ms``, ``events_lost`` (one per line).
Latency = time the client received the event − time just before the webhook POST.

    .venv/bin/python bench/inbox_latency.py [--clients 200 --rate 20 --seconds 10]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import re
import resource
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
from _light_agents import LightAgents
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


def start_processes(
    port: int, web_mode: str, clients: int, followups: bool = False
) -> list[subprocess.Popen]:
    """The web process (``production``: README's ``gunicorn -c config/gunicorn.conf.py``,
    one gevent worker; ``gthread``: the old 1 worker x threads, one thread per socket)
    and one ``clickpro worker -q webhooks``; with ``followups``
    (``WEBHOOK_FOLLOWUPS_QUEUE`` on), a second one, ``clickpro worker -q followups``."""
    env = {**os.environ, **ENV, "CLICKPRO_BIND": f"127.0.0.1:{port}",
           "CLICKPRO_ACCESS_LOG": "/dev/null", "CLICKPRO_LOG_LEVEL": "warning",
           "CLICKPRO_WEBHOOK_FOLLOWUPS_QUEUE": "true" if followups else "false"}  # fmt: skip
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
    if not followups:
        return [web, worker]
    slow = subprocess.Popen(
        [str(bin_dir / "clickpro"), "worker", "-q", "followups"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return [web, worker, slow]


def wait_http(url: str, timeout: float = 240.0) -> None:
    """The login page answers (start-up imports the whole app twice: slow when loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/login", timeout=10).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("web server did not start")


LOGIN_ATTEMPTS = 5
DRAIN_CAP_S = 120.0  # the longest the bench waits for late events after the last webhook
LOGIN_TIMEOUT_S = 60.0  # one scrypt check per login: slow on a loaded machine, not dead


def login(url: str, email: str) -> str:
    """Log in; returns the Cookie header (production cookies are Secure: sent by hand).

    Retries a timed-out or refused attempt (a loaded machine) with a short backoff; only
    a wrong answer on every attempt stops the bench.
    """
    problem = ""
    for attempt in range(LOGIN_ATTEMPTS):
        try:
            with httpx.Client(base_url=url, timeout=LOGIN_TIMEOUT_S) as http:
                page = http.get("/login")
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
                jar = {k: v for k, v in page.cookies.items()}
                form = {"email": email, "password": PASSWORD,
                        "csrf_token": token.group(1) if token else ""}  # fmt: skip
                headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
                response = http.post("/login", data=form, headers=headers)
                if response.status_code in (302, 303):
                    jar.update(response.cookies.items())
                    return "; ".join(f"{k}={v}" for k, v in jar.items())
                problem = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        time.sleep(min(5.0, 0.5 * 2**attempt))
    raise SystemExit(f"login failed for {email} after {LOGIN_ATTEMPTS} attempts: {problem}")


def login_all(url: str, count: int, parallel: int = 4) -> list[str]:
    """Every agent's cookie, BEFORE any socket opens (a few logins at a time: each is a
    scrypt check in the web process; the sockets then only ever see a settled server)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(lambda n: login(url, f"agent{n}@bench.test"), range(count)))


def connect_one(url: str, n: int, cookie: str, received: queue.Queue) -> socketio.Client | None:
    """One agent's socket (a few tries); None if it could not connect."""
    for attempt in range(3):
        sio = socketio.Client(reconnection=False)

        def on_new(data, n=n):
            received.put((n, data["message"]["body"], time.time(), data.get("emitted_ms")))

        sio.on("message:new", on_new, namespace="/inbox")
        try:
            sio.connect(url, namespaces=["/inbox"], headers={"Cookie": cookie},
                        transports=["websocket"], wait_timeout=20)  # fmt: skip
            return sio
        except (socketio.exceptions.ConnectionError, OSError):
            with contextlib.suppress(Exception):
                sio.disconnect()
            time.sleep(0.5 * (attempt + 1))
    return None


def connect_clients(
    url: str,
    cookies: list[str],
    received: queue.Queue,
    ramp_s: float,
    library_clients: int,
    light: LightAgents,
) -> list:
    """Open the sockets over ``ramp_s`` seconds (not all in one burst); only the ones
    that connected are returned (the bench reports how many). The first
    ``library_clients`` are ``socketio.Client`` objects, the others light agents (same
    protocol, one thread for all: see ``_light_agents``)."""
    clients: list = []
    start = time.monotonic()
    for n, cookie in enumerate(cookies):
        delay = start + ramp_s * n / max(1, len(cookies)) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if n < library_clients:
            agent = connect_one(url, n, cookie, received)
        else:
            agent = next((a for _ in range(3) if (a := light.connect(n, cookie)) is not None), None)
        if agent is not None:
            clients.append(agent)
    return clients


def webhook_body(n: int, prefix: str = "bench") -> bytes:
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
                "text": {"body": f"{prefix}-{n}"},
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
        try:
            if http.post("/webhook", content=body, headers=headers).status_code != 200:
                bad += 1
        except httpx.HTTPError:  # counted, never a crash: a loaded machine times out
            bad += 1
    return bad


def warm_up(url: str, received: queue.Queue, count: int = 5, timeout: float = 60.0) -> None:
    """A few webhooks before measuring (to other contacts), until one reaches a socket:
    a fresh worker pays its first-use imports and statement compilation on its first
    events, which a running production worker has long paid. Then the queue is emptied."""
    http = httpx.Client(base_url=url, timeout=30)
    for n in range(count):
        body = webhook_body(1000 + n, prefix="warmup")
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(APP_SECRET, body),
        }
        with contextlib.suppress(httpx.HTTPError):
            http.post("/webhook", content=body, headers=headers)
    deadline = time.monotonic() + timeout
    seen = 0
    while seen < count and time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            received.get(timeout=0.2)
            seen += 1
    time.sleep(1.0)
    while True:
        try:
            received.get_nowait()
        except queue.Empty:
            break
    figure("warm_up_events_seen", f"{seen}")


def stored_latencies(sent: dict[str, float]) -> list[float]:
    """POST → inbound row committed by the worker (splits ingest from socket fan-out)."""
    engine = sa.create_engine(DB_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT body, created_at FROM messages WHERE direction='IN'"))
        result = [(at.timestamp() - sent[body]) * 1000 for body, at in rows if body in sent]
    engine.dispose()
    return result


def wait_worker_idle(
    meter: CpuMeter,
    names: tuple[str, ...] = ("worker",),
    quiet_ms: float = 5.0,
    cap_s: float = 60.0,
) -> float:
    """Seconds until the workers' CPU stops growing (< ``quiet_ms`` in 0.5 s): their slow
    receivers (service cycles, routing, ...) may still run after the last emit reached
    the agents, and their CPU belongs to the inbound messages."""
    started = time.monotonic()

    def total() -> float:
        snapshot = meter.snapshot()
        return sum(snapshot[name] for name in names)

    last = total()
    while time.monotonic() - started < cap_s:
        time.sleep(0.5)
        now = total()
        if (now - last) * 1000 < quiet_ms:
            break
        last = now
    return time.monotonic() - started


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--drain", type=float, default=10.0,
                        help="stop waiting for late events after this long without one (s)")  # fmt: skip
    parser.add_argument("--socketio-clients", type=int, default=10,
                        help="agents that are socketio.Client objects; the rest are light "
                             "agents on one thread (bench/_light_agents.py)")  # fmt: skip
    parser.add_argument("--web", choices=("production", "gthread"), default="production",
                        help="web process: README's gevent config, or gthread (one thread per socket)")  # fmt: skip
    parser.add_argument("--followups", action=argparse.BooleanOptionalAction, default=True,
                        help="README's layout: the slow receivers run in a second worker "
                             "(clickpro worker -q followups); --no-followups: in the "
                             "webhooks worker (WEBHOOK_FOLLOWUPS_QUEUE off)")  # fmt: skip
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds, tiny sizes, check figures"
    )
    args = parser.parse_args()
    if args.quick:
        args.clients, args.rate, args.seconds, args.drain = 5, 10.0, 2.0, 5.0
        args.socketio_clients = min(args.socketio_clients, 2)  # both kinds of agent
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(
        f"settings clients={args.clients} rate_per_s={args.rate} seconds={args.seconds} "
        f"web={args.web} worker=rq-webhooks followups_worker={args.followups} db=postgresql queue=redis cpus={os.cpu_count()} "
        f"socketio_clients={min(args.socketio_clients, args.clients)}"
    )
    # A stopped bench (timeout, Ctrl-C) still stops its gunicorn and worker (``finally``).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    prepare_database(args.clients)
    procs = start_processes(port, args.web, args.clients, args.followups)
    try:
        wait_http(url)
        received: queue.Queue = queue.Queue()
        started = time.monotonic()
        cookies = login_all(url, args.clients)
        figure("login_all_s", f"{time.monotonic() - started:.1f}")
        light = LightAgents(url, received)
        clients = connect_clients(url, cookies, received, ramp_s=min(10.0, args.clients / 40),
                                  library_clients=args.socketio_clients, light=light)  # fmt: skip
        time.sleep(1.0)
        figure("clients_connected", f"{sum(1 for c in clients if c.connected)}")
        clients = [c for c in clients if c.connected]
        if not clients:
            raise SystemExit("no agent socket connected")
        warm_up(url, received)
        sent: dict[str, float] = {}
        workers = ("worker", "followups")[: len(procs) - 1]
        meter = CpuMeter(dict(zip(("web", *workers), procs, strict=True)), db_name=DB_NAME)
        cpu_before = meter.snapshot()
        own_before = _own_cpu_s()
        sampler = PgConnectionSampler(DB_URL).__enter__()
        bad = send_webhooks(url, args.rate, args.seconds, sent)
        expected = len(sent) * len(clients)
        latencies: list[float] = []
        fanout: list[float] = []  # worker emit → client (Redis queue + web process + socket)
        seen: set[tuple[int, str]] = set()
        # Wait until every event arrived, or none arrived for ``--drain`` seconds (a loaded
        # machine is late, not lost), at most DRAIN_CAP_S.
        cap = time.monotonic() + DRAIN_CAP_S
        deadline = time.monotonic() + args.drain
        while len(seen) < expected and time.monotonic() < min(deadline, cap):
            try:
                n, body, at, emitted_ms = received.get(timeout=0.2)
            except queue.Empty:
                continue
            if body in sent and (n, body) not in seen:
                deadline = time.monotonic() + args.drain
                seen.add((n, body))
                latencies.append((at - sent[body]) * 1000)
                if emitted_ms:
                    fanout.append(at * 1000 - emitted_ms)
        sampler.__exit__()
        # Per inbound message: stored, processed (every receiver, including those the
        # worker runs after the emits) and fanned out to every connected agent.
        figure("worker_settle_s", f"{wait_worker_idle(meter, workers):.1f}")
        report_cpu_ms("inbound", meter.ms_per_unit(cpu_before, meter.snapshot(), len(sent)),
                      parts=("web", *workers, "postgres", "redis"))  # fmt: skip
        # The agents live in this process: their CPU competes with the server's on a
        # small machine, and it is counted here.
        own = (_own_cpu_s() - own_before) * 1000 / max(1, len(sent))
        figure("cpu_ms_per_inbound_bench_clients", f"{own:.2f}")
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
            per_client: dict[int, int] = {}
            for c, _ in seen:
                per_client[c] = per_client.get(c, 0) + 1
            seen_bodies = {body for _, body in seen}
            short = len(clients) - sum(1 for v in per_client.values() if v >= len(sent))
            figure("clients_with_losses", f"{short}")
            figure("webhooks_seen_by_nobody", f"{sum(1 for b in sent if b not in seen_bodies)}")
        figure("clients_connected_at_end", f"{sum(1 for c in clients if c.connected)}")
        if fanout:
            figure("emit_to_client_p50_ms", f"{statistics.median(fanout):.1f}")
            figure("emit_to_client_p99_ms", f"{percentile(fanout, 99):.1f}")
        for sio in clients:
            with contextlib.suppress(Exception):
                sio.disconnect()
        light.close()
        stored = stored_latencies(sent)
        if stored:
            figure("stored_p50_ms", f"{statistics.median(stored):.1f}")
            figure("stored_p99_ms", f"{percentile(stored, 99):.1f}")
        figure("load_avg_1m", f"{os.getloadavg()[0]:.2f}")
        replay_slow_rounds()
        if args.quick:
            require_figures(("clients_connected", "webhooks_sent", "events_expected", "p50_ms", "p99_ms", "events_lost",
                             "pg_connections_max", "slow_round_statements_per_inbound",
                             "slow_round_cpu_ms_per_inbound", *(f"cpu_ms_per_inbound_{p}" for p in
                             ("web", *workers, "postgres", "redis"))))  # fmt: skip
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def replay_slow_rounds(limit: int = 200, passes: int = 3) -> None:
    """The slow round of ``message_received`` (AI, flows, media, service cycles, outbound
    webhooks) sent again in this process for the run's stored inbound messages, once to
    warm up, then ``passes`` times: SQL statements and CPU ms per message (median pass).
    Steadier than the followups worker's CPU under load; the agents are idle by now."""
    os.environ.update(ENV)
    from clickpro import create_app, events
    from clickpro.extensions import db

    app = create_app()
    statements = [0]

    def count(*_) -> None:
        statements[0] += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        rows = db.session.execute(sa.text(
            "SELECT id, client_id, conversation_id, contact_id, number_id FROM messages "
            "WHERE direction = 'IN' ORDER BY id LIMIT :n"), {"n": limit}).all()  # fmt: skip
        db.session.remove()
        if not rows:
            return

        def one_pass() -> tuple[float, float]:
            statements[0] = 0
            cpu = time.process_time()
            for mid, cid, conv, contact, number in rows:
                events.send_round(events.message_received, False, client_id=cid, message_id=mid,
                                  contact_id=contact, conversation_id=conv, number_id=number)  # fmt: skip
                db.session.remove()
            return (time.process_time() - cpu) * 1000 / len(rows), statements[0] / len(rows)

        one_pass()
        results = sorted(one_pass() for _ in range(passes))
        cpu_ms, per_message = results[len(results) // 2]
    figure("slow_round_statements_per_inbound", f"{per_message:.1f}")
    figure("slow_round_cpu_ms_per_inbound", f"{cpu_ms:.2f}")


if __name__ == "__main__":
    main()
