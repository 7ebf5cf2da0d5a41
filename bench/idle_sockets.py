"""Idle sockets: 2,000 idle WebSocket connections must not slow webhook acks or /healthz.

Usage:  .venv/bin/python bench/idle_sockets.py [--sockets 2000] [--webhooks 1000] [--quick]
        [--gunicorn-config config/gunicorn.conf.py]

What it does (loopback only, bounded in count and time):
1. recreates the PostgreSQL database ``clickpro_h8_bench_idle`` (create_all), flushes the
   Redis bench db, seeds the client whose number receives the webhooks and, in another
   client, the member whose session holds the idle sockets;
2. starts the production web process exactly as README says
   (``gunicorn -c config/gunicorn.conf.py wsgi:app``, CLICKPRO_ENV=production) and one
   ``clickpro worker -q webhooks``;
3. logs in once and opens N idle WebSocket connections to ``/socket.io/`` with that
   session (Engine.IO handshake + ``/inbox`` namespace joined; a reader thread answers
   the server's pings so they stay open), and tries a few WITHOUT a session (these must
   be refused at once);
4. with all of them open, times ``/healthz`` and ``/login`` (fresh connections) and M
   signed webhook POSTs to ``/webhook`` (C keep-alive senders);
5. counts the idle sockets still open at the end.

``--gunicorn-config`` runs the same load against another config (e.g. the old gthread
one) to measure the "before". ``--quick`` uses small numbers (a few seconds) and checks
that every figure was produced. Prints one figure per line (``name value``).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import queue
import re
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

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

DB_NAME = "clickpro_h8_bench_idle"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
APP_SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "100000000000011"
WABA_ID = "100000000000001"
EMAIL = "idle@bench.test"
PASSWORD = "senha-bench-idle-1"
FIGURES = (
    "sockets_requested",
    "sockets_open",
    "sockets_failed",
    "anonymous_refused",
    "anonymous_refuse_ms_max",
    "healthz_ok",
    "healthz_p50_ms",
    "healthz_max_ms",
    "login_page_ok",
    "login_page_max_ms",
    "webhook_acks",
    "webhook_errors",
    "webhook_ack_p50_ms",
    "webhook_ack_p99_ms",
    "webhook_ack_max_ms",
    "sockets_still_open",
    "web_rss_mb",
)


# --------------------------------------------------------------------------- setup
def server_env(sockets: int) -> dict:
    return production_env(
        f"{PG_URL}/{DB_NAME}",
        REDIS_URL,
        APP_SECRET,
        META_GRAPH_URL="http://127.0.0.1:9/graph",  # nothing is sent to Meta here
        CLICKPRO_PLUGINS="",
        CLICKPRO_LOG_LEVEL="warning",
        # all the bench's sockets come from 127.0.0.1: lift the per-address cap for it
        CLICKPRO_SOCKETIO_MAX_PER_IP=str(sockets + 100),
    )


def prepare_database(env: dict) -> None:
    with fresh_app(env, PG_URL, DB_NAME):
        from clickpro.crypto import encrypt
        from clickpro.extensions import db
        from clickpro.models import Client, ClientMember, Role, User, WhatsAppCredential

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
        # The idle sockets belong to another client: they stay idle (an inbound message of
        # "Bench" is emitted to Bench's room only; 2,000 sockets in that room would be a
        # fan-out benchmark, not an idle one).
        idle = Client(name="Idle", slug="idle")
        db.session.add(idle)
        user = User(email=EMAIL, name="Idle")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        db.session.add(ClientMember(client_id=idle.id, user_id=user.id, role=Role.CLIENT_ADMIN))
        db.session.commit()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def start_web(env: dict, port: int, config: str) -> subprocess.Popen:
    """The README's production command, on loopback."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", config,
         "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def login(port: int) -> str:
    """Log in once; the Cookie header (production cookies are Secure: sent by hand)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    page = conn.getresponse()
    html = page.read().decode()
    jar = _cookies(page)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    form = f"email={EMAIL}&password={PASSWORD}&csrf_token={token.group(1) if token else ''}"
    conn.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)})  # fmt: skip
    response = conn.getresponse()
    response.read()
    if response.status not in (302, 303):
        raise SystemExit(f"login failed: HTTP {response.status}")
    jar.update(_cookies(response))
    conn.close()
    return _cookie_header(jar)


def _cookies(response) -> dict:
    jar = {}
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]
    return jar


def _cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


# --------------------------------------------------------------------------- raw WebSocket
def ws_frame(text: str, opcode: int = 0x1) -> bytes:
    """One masked client frame."""
    data = text.encode()
    mask = os.urandom(4)
    n = len(data)
    if n < 126:
        header = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        header = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def parse_frame(buf: bytearray) -> tuple[int, bytes] | None:
    """Pop one (unmasked, server) frame off ``buf``: (opcode, payload), or None if partial."""
    if len(buf) < 2:
        return None
    opcode, n = buf[0] & 0x0F, buf[1] & 0x7F
    offset = 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, offset = int.from_bytes(buf[2:4], "big"), 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, offset = int.from_bytes(buf[2:10], "big"), 10
    if len(buf) < offset + n:
        return None
    payload = bytes(buf[offset : offset + n])
    del buf[: offset + n]
    return opcode, payload


def ws_handshake(
    port: int, cookie: str | None, timeout: float
) -> tuple[int, socket.socket, bytearray]:
    """Open ``/socket.io/?EIO=4&transport=websocket``; (HTTP status, socket, leftover bytes)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d+)", head)
    return (int(match.group(1)) if match else 0), sock, bytearray(rest)


def open_idle_socket(port: int, cookie: str, timeout: float) -> socket.socket | None:
    """A WebSocket that joined ``/inbox`` and then stays quiet; None if refused."""
    try:
        status, sock, buf = ws_handshake(port, cookie, timeout)
        if status != 101:
            sock.close()
            return None
        joined = False
        while not joined:
            frame = parse_frame(buf)
            if frame is None:
                chunk = sock.recv(4096)
                if not chunk:
                    sock.close()
                    return None
                buf += chunk
                continue
            _, payload = frame
            if payload.startswith(b"0{"):  # Engine.IO open: join the namespace
                sock.sendall(ws_frame("40/inbox,"))
            elif payload.startswith(b"40/inbox,"):
                joined = True
            elif payload.startswith(b"44/inbox,"):
                sock.close()
                return None
            elif payload == b"2":
                sock.sendall(ws_frame("3"))
        sock.setblocking(False)
        return sock
    except OSError:
        return None


class Keeper(threading.Thread):
    """Answers every Engine.IO ping of the idle sockets; counts the ones the server closed."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.new: queue.SimpleQueue = queue.SimpleQueue()
        self.selector = selectors.DefaultSelector()
        self.closed = 0
        self.open = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            while True:
                try:
                    sock = self.new.get_nowait()
                except queue.Empty:
                    break
                self.selector.register(sock, selectors.EVENT_READ, bytearray())
                self.open += 1
            for key, _ in self.selector.select(timeout=0.2):
                self._read(key)

    def _read(self, key) -> None:
        sock, buf = key.fileobj, key.data
        try:
            chunk = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(sock)
            return
        buf += chunk
        while (frame := parse_frame(buf)) is not None:
            opcode, payload = frame
            try:
                if opcode == 0x8:
                    self._drop(sock)
                    return
                if opcode == 0x9:
                    sock.sendall(ws_frame(payload.decode(errors="replace"), 0xA))
                elif payload == b"2":
                    sock.sendall(ws_frame("3"))
            except OSError:
                self._drop(sock)
                return

    def _drop(self, sock) -> None:
        self.selector.unregister(sock)
        sock.close()
        self.open -= 1
        self.closed += 1

    def close_all(self) -> None:
        """Stop answering and close every socket still open (the server's graceful
        shutdown would otherwise wait for them: 15 s, then the harness's SIGKILL)."""
        self.stop.set()
        self.join(5)
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.fileobj.close()
        self.open = 0


def open_sockets(port: int, cookie: str, count: int, keeper: Keeper, threads: int = 8) -> int:
    """Open ``count`` idle sockets from ``threads`` openers; returns how many failed."""
    failed = [0]
    lock = threading.Lock()
    todo = iter(range(count))

    def opener():
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            sock = open_idle_socket(port, cookie, timeout=10)
            if sock is None:
                with lock:
                    failed[0] += 1
            else:
                keeper.new.put(sock)

    workers = [threading.Thread(target=opener) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return failed[0]


def anonymous_attempts(port: int, count: int) -> tuple[int, float]:
    """Handshakes without a session: (how many got a refusal status, slowest ms)."""
    refused, slowest = 0, 0.0
    for _ in range(count):
        t0 = time.perf_counter()
        try:
            status, sock, _ = ws_handshake(port, None, timeout=10)
            sock.close()
        except OSError:
            status = 0
        slowest = max(slowest, (time.perf_counter() - t0) * 1000)
        refused += status in (400, 401, 403)
    return refused, slowest


# --------------------------------------------------------------------------- probes
def timed_gets(port: int, path: str, count: int) -> tuple[int, list[float]]:
    """``count`` GETs, each on a fresh connection: (answered 200, latencies ms)."""
    ok, times = 0, []
    for _ in range(count):
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            ok += response.status == 200
            conn.close()
        except (OSError, http.client.HTTPException):
            pass
        times.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.02)
    return ok, times


def webhook_body(n: int) -> bytes:
    import json

    wa_id = f"55119{n % 1000:08d}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551130000000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": f"Cliente {n}"}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": f"wamid.IDLE{time.time_ns()}{n}", "type": "text",
                      "timestamp": str(int(time.time())), "text": {"body": f"idle {n}"}}],
    }  # fmt: skip
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def send_webhooks(port: int, total: int, concurrency: int) -> tuple[list[float], int]:
    """``total`` signed POSTs from ``concurrency`` keep-alive senders: (ack ms, errors)."""
    from clickpro.sandbox import sign

    work: queue.SimpleQueue = queue.SimpleQueue()
    for n in range(total):
        work.put(n)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def sender():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        while True:
            try:
                n = work.get_nowait()
            except queue.Empty:
                break
            body = webhook_body(n)
            headers = {"Content-Type": "application/json",
                       "X-Hub-Signature-256": sign(APP_SECRET, body)}  # fmt: skip
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/webhook", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            mine.append((time.perf_counter() - t0) * 1000)
            bad += status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=sender) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children (the gunicorn master and its worker)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return round(total / 2**20, 1)


def raise_fd_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------- main
def main() -> None:
    # killed (timeout, Ctrl-C): still stop the servers and workers this run started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--probes", type=int, default=50, help="/healthz and /login GETs")
    parser.add_argument("--anonymous", type=int, default=50)
    parser.add_argument("--gunicorn-config", default=str(ROOT / "config" / "gunicorn.conf.py"))
    parser.add_argument("--quick", action="store_true", help="a few seconds, small numbers")
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.webhooks, args.probes, args.anonymous = 60, 60, 10, 5
    fd_limit = raise_fd_limit(2 * args.sockets + 1024)
    port = free_port()
    env = server_env(args.sockets)
    figure("settings", f"sockets={args.sockets} webhooks={args.webhooks} "
           f"concurrency={args.concurrency} config={Path(args.gunicorn_config).name} "
           f"fd_limit={fd_limit} cpus={os.cpu_count()}")  # fmt: skip
    prepare_database(env)
    procs = [start_web(env, port, args.gunicorn_config), start_worker(env, "webhooks")]
    keeper = Keeper()
    try:
        wait_ready(port)
        cookie = login(port)
        keeper.start()
        t0 = time.monotonic()
        failed = open_sockets(port, cookie, args.sockets, keeper)
        time.sleep(1.0)
        figure("sockets_requested", args.sockets)
        figure("sockets_open", keeper.open)
        figure("sockets_failed", failed)
        figure("sockets_open_s", round(time.monotonic() - t0, 1))
        refused, slowest = anonymous_attempts(port, args.anonymous)
        figure("anonymous_refused", f"{refused}/{args.anonymous}")
        figure("anonymous_refuse_ms_max", round(slowest, 1))
        ok, times = timed_gets(port, "/healthz", args.probes)
        figure("healthz_ok", f"{ok}/{args.probes}")
        figure("healthz_p50_ms", round(statistics.median(times), 1))
        figure("healthz_max_ms", round(max(times), 1))
        ok, times = timed_gets(port, "/login", args.probes)
        figure("login_page_ok", f"{ok}/{args.probes}")
        figure("login_page_max_ms", round(max(times), 1))
        acks, errors = send_webhooks(port, args.webhooks, args.concurrency)
        figure("webhook_acks", len(acks) - errors)
        figure("webhook_errors", errors)
        figure("webhook_ack_p50_ms", round(percentile(acks, 50), 1))
        figure("webhook_ack_p99_ms", round(percentile(acks, 99), 1))
        figure("webhook_ack_max_ms", round(max(acks) if acks else float("nan"), 1))
        figure("sockets_still_open", keeper.open)
        figure("web_rss_mb", tree_rss_mb(procs[0].pid))
    finally:
        keeper.close_all()
        stop_processes(procs)
    if args.quick:
        require_figures(FIGURES)


if __name__ == "__main__":
    main()
