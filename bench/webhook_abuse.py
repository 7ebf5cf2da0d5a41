"""Webhook abuse against a real gunicorn: what one attacker's request costs the server.

Starts gunicorn (production config, PostgreSQL + Redis) on loopback and sends:

* a chunked 50 MB body with a bad signature (no Content-Length: the size cap must hold
  while reading the stream) — prints the status and the worker's RSS growth;
* a signed body nested 100,000 deep — prints the status (refused before storage);
* a forged 4 MB body of brackets — prints how long the ack took;

then checks that a normal signed delivery is still acknowledged. Figures printed::

    chunked_50mb_status 413
    chunked_50mb_rss_growth_mb …
    deep_signed_status 400
    forged_4mb_brackets_ms …
    normal_ack_after_status 200

Run: ``python bench/webhook_abuse.py`` (``BENCH_PG_URL``/``BENCH_REDIS_URL`` to override;
``--quick`` checks the figures exist).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import time

from _harness import (
    figure,
    free_port,
    fresh_app,
    production_env,
    require_figures,
    start_gunicorn,
    stop_processes,
    wait_ready,
)

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB_NAME", "clickpro_h5_bench_abuse")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
APP_SECRET = "bench-abuse-secret"
MB = 1024 * 1024


def _env(port: int) -> dict:
    return production_env(f"{PG_URL}/{DB_NAME}", REDIS_URL, APP_SECRET)


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _worker_pids(master: int) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == master:
                        pids.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return pids or [master]


def _post(port: int, body: bytes, signature: str, *, chunked: bool = False) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    try:
        if chunked:
            conn.putrequest("POST", "/webhook")
            for key, value in {**headers, "Transfer-Encoding": "chunked"}.items():
                conn.putheader(key, value)
            conn.endheaders()
            chunk = b"[" * (256 * 1024)
            try:
                for _ in range(len(body) // len(chunk)):
                    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                conn.send(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed before the end: that is the point
        else:
            conn.request("POST", "/webhook", body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    port = free_port()
    env = _env(port)
    with fresh_app(env, PG_URL, DB_NAME):
        pass
    procs = [start_gunicorn(env, port, 1, 8)]
    try:
        wait_ready(port)
        workers = _worker_pids(procs[0].pid)
        before = sum(_rss_mb(p) for p in workers)
        status = _post(port, b" " * (50 * MB), "sha256=" + "0" * 64, chunked=True)
        figure("chunked_50mb_status", status)
        figure("chunked_50mb_rss_growth_mb", round(sum(_rss_mb(p) for p in workers) - before, 1))

        deep = b'{"entry":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        figure("deep_signed_status", _post(port, deep, _sign(deep)))

        forged = (b"[" * 32 + b"]" * 32) * (4 * MB // 64 - 1)
        started = time.perf_counter()
        _post(port, forged, "sha256=" + "0" * 64)
        figure("forged_4mb_brackets_ms", round((time.perf_counter() - started) * 1000))

        normal = json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()
        figure("normal_ack_after_status", _post(port, normal, _sign(normal)))
    finally:
        stop_processes(procs)
    if args.quick:
        require_figures(
            [
                "chunked_50mb_status",
                "chunked_50mb_rss_growth_mb",
                "deep_signed_status",
                "forged_4mb_brackets_ms",
                "normal_ack_after_status",
            ]
        )


if __name__ == "__main__":
    main()
