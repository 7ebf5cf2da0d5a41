"""AI-reply benchmark: inbound message → AI answer sent, production-like, on loopback.

Usage:  .venv/bin/python bench/ai_reply.py [--samples N] [--conversations C] [--ai-workers W]

What runs (all on 127.0.0.1, bounded in count and time):
* the sandbox (``SandboxServer``, in this process): it posts signed inbound webhooks
  like Meta, answers ``/openai/v1/responses`` instantly (``openai_latency_ms`` 0) and
  records each WhatsApp send with its time;
* ``gunicorn`` (production settings) for ``/webhook``; one ``clickpro worker -q webhooks``
  (webhook processing → ``message_received``) and ``W`` ``clickpro worker -q ai``;
* PostgreSQL (database ``clickpro_bench_ai``, recreated) and Redis (db 13, flushed).

1. latency: ``N`` messages one after the other (each from its own contact), debounce 0;
   the figure is sandbox-receives-our-send minus sandbox-posts-the-webhook, i.e. our
   own overhead: webhook ack + processing + job + context + OpenAI call + send.
2. throughput: ``C`` contacts write at once; replies/s until the last answer is sent.
Then it checks that every inbound message got exactly one answer with ``ai_usage``.
Prints one figure per line (``name value``), settings first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

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

DB_NAME = "clickpro_bench_ai"
PG_URL = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/13"
APP_SECRET = "bench-app-secret"
PNID = "100000000000011"
API_KEY = "sk-bench-clickpro-0000000000000001"


def server_env(port: int, sandbox_url: str) -> dict:
    return production_env(
        f"{PG_URL}/{DB_NAME}",
        REDIS_URL,
        APP_SECRET,
        META_GRAPH_URL=f"{sandbox_url}/graph",
        OPENAI_BASE_URL=f"{sandbox_url}/openai/v1",
        CLICKPRO_AI_DEBOUNCE_S="0",
    )


def prepare_database(env: dict) -> None:
    """Fresh schema; one client with AI on, WhatsApp and OpenAI credentials (sandbox)."""

    with fresh_app(env, PG_URL, DB_NAME):
        from clickpro.crypto import encrypt
        from clickpro.extensions import db
        from clickpro.models import Client, OpenAICredential, WhatsAppCredential

        client = Client(name="Bench IA", slug="bench-ia", ai_enabled=True)
        db.session.add(client)
        db.session.flush()
        db.session.add(
            WhatsAppCredential(
                client_id=client.id,
                access_token_enc=encrypt("sandbox-token"),
                waba_id="100000000000001",
                phone_number_id=PNID,
                status="VALID",
                throughput_mps=1000,
            )
        )
        db.session.add(
            OpenAICredential(
                client_id=client.id,
                api_key_enc=encrypt(API_KEY),
                key_last4=API_KEY[-4:],
                assistant_id="cpa_bench",
                instructions="Você é o assistente da loja Bench. Responda curto.",
                status="VALID",
            )
        )
        db.session.commit()


def start_processes(env: dict, port: int, web_workers: int, ai_workers: int) -> list:
    procs = [start_gunicorn(env, port, web_workers, 8), start_worker(env, "webhooks")]
    for _ in range(ai_workers):
        procs.append(start_worker(env, "ai"))
    return procs


class Sends:
    """Wait for the sandbox to receive our send to a given number (scans new records)."""

    def __init__(self, state) -> None:
        self.state = state
        self.seen = 0
        self.by_to: dict[str, list[float]] = {}

    def _scan(self) -> None:
        sends = self.state.sends
        while self.seen < len(sends):
            record = sends[self.seen]
            self.by_to.setdefault(record["to"], []).append(record["ts"])
            self.seen += 1

    def wait(self, numbers: set[str], deadline: float) -> dict[str, float]:
        """First send time to each of ``numbers`` (missing ones when the deadline passes)."""
        while time.monotonic() < deadline:
            self._scan()
            if all(n in self.by_to for n in numbers):
                break
            time.sleep(0.0005)
        return {n: self.by_to[n][0] for n in numbers if n in self.by_to}


def latency_run(state, sends: Sends, samples: int, warmup: int) -> dict[str, tuple]:
    """number → (webhook posted, answer received by the sandbox), after the warm-up."""
    timings = {}
    for i in range(samples + warmup):
        number = f"5511970{i:06d}"
        started = time.time()
        state.simulate_inbound(PNID, number, text=f"Oi, vocês abrem amanhã? ({i})")
        got = sends.wait({number}, time.monotonic() + 10)
        if number in got and i >= warmup:
            timings[number] = (started, got[number])
    return timings


def stages(timings: dict[str, tuple]) -> dict[str, float]:
    """Median ms of each stage, from the rows' timestamps (all processes share the clock):
    webhook (posted → inbound row), queue (→ AI claim), openai (→ AI message row, i.e.
    context + OpenAI call), send (→ Meta got it)."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}")
    sql = sa.text(
        "SELECT c.wa_id, i.created_at, r.created_at, a.created_at FROM ai_reply_runs r"
        " JOIN contacts c ON c.id = r.contact_id"
        " JOIN messages i ON i.id = r.trigger_message_id"
        " JOIN messages a ON a.id = r.reply_message_id"
    )
    parts: dict[str, list[float]] = {"webhook": [], "queue": [], "openai": [], "send": []}
    with engine.connect() as conn:
        for wa_id, inbound_at, claimed_at, answer_at in conn.execute(sql):
            if wa_id not in timings:
                continue
            posted, received = timings[wa_id]
            points = [posted, inbound_at.timestamp(), claimed_at.timestamp(),
                      answer_at.timestamp(), received]  # fmt: skip
            for name, a, b in zip(parts, points, points[1:], strict=False):
                parts[name].append((b - a) * 1000)
    engine.dispose()
    return {k: round(statistics.median(v), 1) for k, v in parts.items() if v}


def throughput_run(state, sends: Sends, conversations: int, rnd: int) -> tuple[int, float]:
    numbers = [f"5521980{rnd:02d}{i:04d}" for i in range(conversations)]
    started = time.time()
    for number in numbers:
        state.simulate_inbound(PNID, number, text="Qual o preço da entrega?")
    got = sends.wait(set(numbers), time.monotonic() + 120)
    last = max(got.values()) if got else time.time()
    return len(got), last - started


def check_database(env: dict) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}")
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE direction = 'IN'),"
                " count(*) FILTER (WHERE author = 'AI'),"
                " count(*) FILTER (WHERE author = 'AI' AND ai_usage IS NOT NULL),"
                " count(DISTINCT contact_id) FILTER (WHERE author = 'AI')"
                " FROM messages"
            )
        ).one()
    engine.dispose()
    return {"inbound": row[0], "ai": row[1], "ai_with_usage": row[2], "contacts": row[3]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    from clickpro.sandbox import SandboxServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ai-workers", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=5083)
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds, tiny sizes, check figures"
    )
    args = parser.parse_args()
    if args.quick:
        args.samples, args.warmup, args.conversations, args.rounds = 10, 2, 10, 1
        args.ai_workers = 1
    samples, conversations = min(args.samples, 5000), min(args.conversations, 1000)

    figure("setting_samples", samples)
    figure("setting_conversations", conversations)
    figure("setting_rounds", args.rounds)
    figure("setting_debounce_s", 0)
    figure("setting_openai_latency_ms", 0)
    figure("setting_runtime", f"gunicorn-gthread-{args.web_workers}x8+rq-webhooks-1"
           f"+rq-ai-{args.ai_workers}+postgresql+redis+sandbox-loopback")  # fmt: skip
    figure("setting_status_webhooks", "off")
    figure("setting_cpus", os.cpu_count())

    sandbox = SandboxServer(
        {
            "webhook_url": f"http://127.0.0.1:{args.port}/webhook",
            "app_secret": APP_SECRET,
            "status_mode": "off",
            "webhook_workers": 8,
            "openai_latency_ms": 0,
        }
    ).start()
    env = server_env(args.port, sandbox.url)
    prepare_database(env)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    procs = start_processes(env, args.port, args.web_workers, args.ai_workers)
    try:
        wait_ready(args.port)
        time.sleep(1.0)  # let the RQ workers register and block on their queues
        sends = Sends(sandbox.state)
        timings = latency_run(sandbox.state, sends, samples, args.warmup)
        latencies = [received - posted for posted, received in timings.values()]
        answered, seconds = 0, 0.0
        for rnd in range(args.rounds):
            got, elapsed = throughput_run(sandbox.state, sends, conversations, rnd)
            answered += got
            seconds += elapsed
        time.sleep(1.0)  # a duplicate answer would show up here
        sends._scan()
        checks = check_database(env)
        breakdown = stages(timings)
    finally:
        stop_processes(procs)
        sandbox.stop()

    figure("p50_ms", round(statistics.median(latencies) * 1000, 1) if latencies else "nan")
    figure("p99_ms", round(percentile(latencies, 0.99) * 1000, 1) if latencies else "nan")
    figure("max_ms", round(max(latencies) * 1000, 1) if latencies else "nan")
    figure("latency_answered", f"{len(latencies)}/{samples}")
    for name, value in breakdown.items():
        figure(f"stage_{name}_p50_ms", value)
    figure("replies_per_s", round(answered / seconds, 1) if seconds else "nan")
    figure("throughput_answered", f"{answered}/{conversations * args.rounds}")
    figure("inbound_stored", checks["inbound"])
    figure("ai_messages", checks["ai"])
    figure("ai_messages_with_usage", checks["ai_with_usage"])
    figure("duplicate_answers", sum(len(v) - 1 for v in sends.by_to.values()))
    figure("contacts_answered", checks["contacts"])
    if args.quick:
        require_figures(("p50_ms", "p99_ms", "replies_per_s", "inbound_stored", "ai_messages",
                         "duplicate_answers", "contacts_answered"))  # fmt: skip


if __name__ == "__main__":
    main()
