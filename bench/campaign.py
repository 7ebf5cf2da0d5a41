"""Campaign throughput benchmark: N recipients, W real `clickpro worker` processes,
PostgreSQL + Redis, the sandbox (Meta fake) on a loopback port.

    .venv/bin/python bench/campaign.py --n 20000 --workers 2 --rate 1000 --throughput 1000
    .venv/bin/python bench/campaign.py --n 2000 --workers 1 --rate 80 --throughput 80

Prints one figure per line: the settings, then ``sent_per_s`` (sends / active seconds,
the pause excluded), ``max_1s_window`` (most sends Meta saw in any 1 s), ``throttled_130429``
(the sandbox's own count), ``duplicates`` (must be 0), ``pause_latency_ms`` (pause call →
last send Meta saw) and ``materialize_s``.

The **floor** runs first, in the same run against the same sandbox: ``--workers``
processes that each POST the same template sends through the same pooled HTTP client
at the same concurrency as a dispatcher, with no database and no limiter
(``floor_sends_per_s``, ``floor_cpu_ms_per_send``). ``send_ratio_to_floor`` is
``sent_per_s / floor_sends_per_s`` (a campaign rate under the floor caps it: use
``--rate`` above the floor to see the dispatcher's own ceiling) and
``cpu_ratio_to_floor`` is ``floor CPU / worker CPU`` per send. ``cpu_ms_per_send_<part>``
are the CPU ms per send of the workers (their forked work horses included), the bench
database's PostgreSQL backends and redis-server, counted from the start call to
completion; ``pg_connections_max`` is the most connections to the bench database seen.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _harness import (
    FIGURES,
    CpuMeter,
    bench_secret_key,
    ensure_database,
    figure,
    report_cpu_ms,
    require_figures,
)
from _pg_connections import PgConnectionSampler
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KEY = "YmVuY2gtb25seS1jbGlja3Byby1rZXktMzItYnl0ZSE="
VARS = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}
COMPONENTS = [
    {
        "type": "BODY",
        "text": "Olá {{1}}, seu cupom é {{2}}!",
        "example": {"body_text": [["Maria", "X1"]]},
    },
]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10_000, help="recipients")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rate", type=float, default=1000, help="campaign rate (msg/s)")
    p.add_argument("--throughput", type=int, default=1000, help="the number's Meta throughput")
    p.add_argument(
        "--pause-at", type=float, default=0.4, help="pause when this share was sent (0 = never)"
    )
    p.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/clickpro_camp_bench"))  # fmt: skip
    p.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    p.add_argument("--quick", action="store_true", help="a few seconds, tiny sizes, check figures")
    p.add_argument(
        "--worker-database-url",
        default=os.environ.get("BENCH_WORKER_DATABASE_URL"),
        help="the workers' DATABASE_URL (e.g. through PgBouncer; same database)",
    )
    p.add_argument("--floor-child", nargs=4, metavar=("URL", "TOKEN", "N", "THREADS"),
                   help=argparse.SUPPRESS)  # fmt: skip
    args = p.parse_args()
    if args.quick:
        args.n, args.workers, args.rate, args.throughput = 300, 1, 150, 150
    return args


FIGURE_NAMES = (
    "recipients",
    "workers",
    "rate_mps",
    "number_throughput_mps",
    "sent",
    "materialize_s",
    "sent_per_s",
    "max_1s_window",
    "throttled_130429",
    "duplicates",
    "pause_latency_ms",
    "pause_gap_s",
    "worker_cpu_ms_per_send",
    "floor_sends_per_s",
    "floor_cpu_ms_per_send",
    "send_ratio_to_floor",
    "cpu_ratio_to_floor",
    "cpu_ms_per_send_worker",
    "cpu_ms_per_send_postgres",
    "cpu_ms_per_send_redis",
    "pg_connections_max",
    "load_average",
)


def send_threads(rate: float) -> int:
    """A dispatcher's send threads for ``rate`` (dispatch.Dispatcher._run's rule)."""
    import math

    from clickpro.config import SETTINGS

    cap = int(next(x.default for x in SETTINGS if x.name == "CAMPAIGN_SEND_THREADS"))
    return min(cap, max(2, math.ceil(rate * 0.96 * 0.05)))


def floor_child(url: str, token: str, n: int, threads: int) -> None:
    """The floor's sender: ``n`` template sends on ``threads`` threads, one pooled client;
    prints ``<cpu seconds> <first send> <last send>`` (epoch) on stdout."""
    import itertools
    import resource
    from concurrent.futures import ThreadPoolExecutor

    from clickpro.integrations.meta.lean_http import LeanHTTP

    http = LeanHTTP(max_connections=threads)
    headers = {"Authorization": f"Bearer {token}"}
    counter = itertools.count()
    done: list[float] = []

    def one(_: int) -> None:
        i = next(counter)
        body = {"messaging_product": "whatsapp", "recipient_type": "individual",
                "to": f"55118{i:08d}", "type": "template",
                "template": {"name": "oferta", "language": {"code": "pt_BR"}, "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": f"Pessoa {i}"},
                                                    {"type": "text", "text": f"C{i}"}]}]},
                "biz_opaque_callback_data": f"floor:{i}"}  # fmt: skip
        response = http.post_json(url, body, headers=headers, timeout=15)
        if response.status_code != 200:
            raise SystemExit(f"floor send refused: {response.status_code} {response.text}")
        done.append(time.time())

    start = time.time()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(n)))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(usage.ru_utime + usage.ru_stime, start, max(done, default=start), flush=True)


def run_floor(server, args, n: int) -> tuple[float, float]:
    """The floor (see the module docstring): sends per second and CPU ms per send."""
    account = server.state.create_account(throughput_mps=1_000_000, messaging_tier="TIER_UNLIMITED")
    body, status = server.state.templates.create(
        account,
        {"name": "oferta", "language": "pt_BR", "category": "MARKETING", "components": COMPONENTS},
    )
    assert status == 200, body
    url = f"{server.graph_url}/v23.0/{account.phone_number_id}/messages"
    threads = send_threads(args.rate)
    per = max(1, n // args.workers)
    # Start-up (imports) is measured separately and taken off: the floor is the sends.
    idle = subprocess.run([sys.executable, __file__, "--floor-child", url, account.access_token, "0",
                           str(threads)], capture_output=True, text=True, check=True)  # fmt: skip
    idle_cpu = float(idle.stdout.split()[0])
    procs = [subprocess.Popen([sys.executable, __file__, "--floor-child", url, account.access_token,
                               str(per), str(threads)], stdout=subprocess.PIPE, text=True)
             for _ in range(args.workers)]  # fmt: skip
    results = [p.communicate()[0].split() for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit("floor sender failed")
    cpu = sum(float(r[0]) - idle_cpu for r in results)
    first, last = min(float(r[1]) for r in results), max(float(r[2]) for r in results)
    total = per * args.workers
    return total / max(last - first, 1e-9), 1000 * cpu / total


def max_window(ts: list[float]) -> int:
    ts = sorted(ts)
    best = j = 0
    for i, t in enumerate(ts):
        while ts[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def seed(n: int, account, rate: float, throughput: int) -> tuple[int, int]:
    """Tenant, credential, template, n contacts in one list, the DRAFT campaign."""
    from clickpro.crypto import encrypt
    from clickpro.extensions import db
    from clickpro.models import (
        Client,
        Contact,
        ContactList,
        ContactListMember,
        Template,
        WhatsAppCredential,
    )
    from clickpro.services.campaigns import service as svc

    tenant = Client(name="Bench", slug="bench")
    db.session.add(tenant)
    db.session.flush()
    db.session.add(WhatsAppCredential(
        client_id=tenant.id, access_token_enc=encrypt(account.access_token), waba_id=account.waba_id,
        phone_number_id=account.phone_number_id, status="VALID", throughput_mps=throughput,
        messaging_tier="TIER_100K"))  # fmt: skip
    template = Template(client_id=tenant.id, name="oferta", language="pt_BR", category="MARKETING",
                        components=COMPONENTS, status="APPROVED")  # fmt: skip
    lst = ContactList(client_id=tenant.id, name="Bench")
    db.session.add_all([template, lst])
    db.session.commit()
    for start in range(0, n, 5000):
        db.session.execute(db.insert(Contact), [
            {"client_id": tenant.id, "phone_e164": f"+55119{i:08d}", "wa_id": f"55119{i:08d}",
             "name": f"Pessoa {i}", "attributes": {"cupom": f"C{i}"}}
            for i in range(start, min(n, start + 5000))])  # fmt: skip
    db.session.execute(sa_text("INSERT INTO contact_list_members (list_id, contact_id, created_at) "
                               "SELECT :l, id, now() FROM contacts WHERE client_id = :c"),
                       {"l": lst.id, "c": tenant.id})  # fmt: skip
    db.session.commit()
    campaign = svc.save_campaign(tenant.id, {"name": "Bench", "template_id": template.id, "list_ids": [lst.id],
                                             "variables": VARS, "rate_mps": rate})  # fmt: skip
    assert ContactListMember
    return tenant.id, campaign.id


def sa_text(sql: str):
    import sqlalchemy as sa

    return sa.text(sql)


def start_workers(count: int, env: dict, log_dir: str) -> list[subprocess.Popen]:
    exe = str(Path(sys.executable).with_name("clickpro"))
    procs = []
    for i in range(count):
        log = open(Path(log_dir) / f"worker{i}.log", "wb")  # noqa: SIM115
        procs.append(subprocess.Popen([exe, "worker", "-q", "campaigns"], env=env, cwd=ROOT,
                                      stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
    return procs


def main() -> None:
    args = parse()
    if args.floor_child:
        url, token, n, threads = args.floor_child
        floor_child(url, token, int(n), int(threads))
        return
    from rq import Queue, Worker

    from clickpro import create_app
    from clickpro.extensions import db
    from clickpro.sandbox import SandboxServer
    from clickpro.services.campaigns import service as svc
    from clickpro.tasks import redis_connection

    ensure_database(args.database_url)
    server = SandboxServer({"status_mode": "off", "template_review_delay_s": 0.0}).start()
    account = server.state.create_account(
        throughput_mps=args.throughput, messaging_tier="TIER_100K"
    )
    body, status = server.state.templates.create(
        account,
        {"name": "oferta", "language": "pt_BR", "category": "MARKETING", "components": COMPONENTS},
    )
    assert status == 200, body
    from clickpro.config import normalize_database_url

    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": normalize_database_url(args.database_url),
                      "REDIS_URL": args.redis_url, "EMBEDDED": True, "RQ_ASYNC": True, "SECRET_KEY": "bench",
                      "CLICKPRO_ENCRYPTION_KEYS": KEY, "META_GRAPH_URL": server.graph_url})  # fmt: skip
    env = dict(os.environ, CLICKPRO_ENV="production", DATABASE_URL=args.worker_database_url or args.database_url, REDIS_URL=args.redis_url,
               META_GRAPH_URL=server.graph_url, SECRET_KEY=bench_secret_key(), CLICKPRO_ENCRYPTION_KEYS=KEY,
               CLICKPRO_PLUGINS="")  # fmt: skip
    procs: list[subprocess.Popen] = []
    load_average = Path("/proc/loadavg").read_text().split()[0]
    floor_per_s, floor_cpu_ms = run_floor(server, args, min(args.n, 10_000))
    db_name = make_url(normalize_database_url(args.database_url)).database
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as pg:
            pg.execute(sa_text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.create_all()
        conn = redis_connection(app)
        conn.flushdb()
        tenant_id, campaign_id = seed(args.n, account, args.rate, args.throughput)
        procs = start_workers(args.workers, env, tempfile.mkdtemp(prefix="bench-campaign-"))
        try:
            queue = Queue("campaigns", connection=conn)
            deadline = time.monotonic() + 60
            while len(Worker.all(connection=conn, queue=queue)) < args.workers:
                if time.monotonic() > deadline:
                    raise SystemExit("workers did not start")
                time.sleep(0.2)
            meter = CpuMeter({f"worker{i}": p for i, p in enumerate(procs)}, db_name=db_name)
            cpu_before = meter.snapshot()
            t0 = time.monotonic()
            with PgConnectionSampler(args.database_url) as sampler:
                svc.start_campaign(tenant_id, campaign_id)
                materialize_s = time.monotonic() - t0
                pause_latency_ms, paused_s = run_until_done(
                    args, server, account, tenant_id, campaign_id
                )
            cpu_after = meter.snapshot()
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(15)
    sends = server.state.list_sends(account.phone_number_id)
    per = meter.ms_per_unit(cpu_before, cpu_after, max(1, len(sends)))
    per["worker"] = sum(v for k, v in per.items() if k.startswith("worker"))
    ts = [s["ts"] for s in sends]
    ids = Counter(s["callback_data"] for s in sends)
    ordered = sorted(ts)
    gap = (
        max((b - a for a, b in zip(ordered, ordered[1:], strict=False)), default=0.0)
        if paused_s
        else 0.0
    )
    active = (ordered[-1] - ordered[0]) - gap if ts else 0  # the pause's gap excluded
    for key, value in (("recipients", args.n), ("workers", args.workers), ("rate_mps", args.rate),
                       ("number_throughput_mps", args.throughput), ("sent", len(sends)),
                       ("materialize_s", round(materialize_s, 2)),
                       ("sent_per_s", round(len(sends) / active, 1) if active > 0 else 0),
                       ("max_1s_window", max_window(ts)),
                       ("throttled_130429", server.state.stats()["throttled_by_number"][account.phone_number_id]),
                       ("duplicates", sum(c - 1 for c in ids.values())),
                       ("pause_latency_ms", pause_latency_ms),
                       ("pause_gap_s", round(gap, 2)),
                       ("worker_cpu_ms_per_send", round(per["worker"], 3))):  # fmt: skip
        figure(key, value)
    sent_per_s = FIGURES["sent_per_s"]
    assert isinstance(sent_per_s, float | int)
    figure("floor_sends_per_s", round(floor_per_s, 1))
    figure("floor_cpu_ms_per_send", round(floor_cpu_ms, 3))
    figure("send_ratio_to_floor", round(sent_per_s / floor_per_s, 2))
    figure("cpu_ratio_to_floor", round(floor_cpu_ms / max(per["worker"], 1e-9), 2))
    report_cpu_ms("send", per, ("worker", "postgres", "redis"))
    figure("pg_connections_max", sampler.max)
    figure("load_average", load_average)
    server.stop()
    if args.quick:
        require_figures(FIGURE_NAMES)


def run_until_done(
    args, server, account, tenant_id: int, campaign_id: int
) -> tuple[float | str, float]:
    """Wait for completion; pause once at ``--pause-at`` and resume 1.5 s later."""
    from clickpro.extensions import db
    from clickpro.models import Campaign
    from clickpro.services.campaigns import service as svc

    pause_latency: float | str = "n/a"
    paused_s = 0.0
    deadline = time.monotonic() + max(120, 4 * args.n / args.rate)
    while time.monotonic() < deadline:
        sent = account.accepted  # cheap: copying the send log would stall the sandbox's threads
        if pause_latency == "n/a" and args.pause_at and sent >= args.pause_at * args.n:
            paused_at = time.time()
            svc.pause_campaign(tenant_id, campaign_id)
            time.sleep(1.5)
            last = max(s["ts"] for s in server.state.list_sends(account.phone_number_id))
            pause_latency = round(max(0.0, last - paused_at) * 1000)
            svc.resume_campaign(tenant_id, campaign_id)
            paused_s = time.time() - paused_at
        db.session.commit()
        if db.session.get(Campaign, campaign_id).status == "COMPLETED":
            break
        db.session.expire_all()
        time.sleep(0.1)
    return pause_latency, paused_s


if __name__ == "__main__":
    main()
