"""Fair queues: every kind of background work has its own queue, and workers name them."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from clickpro import jobs
from clickpro.cli import parse_queues
from clickpro.tasks.schedule import CORE_PERIODIC_JOBS

ROOT = Path(__file__).resolve().parents[2] / "clickpro"


def test_worker_queue_lists_are_comma_separated_or_repeated():
    known = jobs.ALL_QUEUES
    assert parse_queues(("webhooks,ai", "imports"), known) == ("webhooks", "ai", "imports")
    assert parse_queues(("outbound, periodic", "outbound"), known) == ("outbound", "periodic")
    assert parse_queues((), known) == ()
    with pytest.raises(click.BadParameter, match="webhook"):
        parse_queues(("webhook",), known)  # a typo never leaves a worker idle


def test_each_kind_of_work_has_its_own_queue():
    names = [jobs.QUEUE_WEBHOOKS, jobs.QUEUE_CAMPAIGNS, jobs.QUEUE_IMPORTS,
             jobs.QUEUE_OUTBOUND, jobs.QUEUE_PERIODIC]  # fmt: skip
    assert len(set(names)) == len(names) and set(names) <= set(jobs.ALL_QUEUES)
    assert all(job.queue == jobs.QUEUE_PERIODIC for job in CORE_PERIODIC_JOBS)


def _enqueue_calls() -> dict[str, list[str]]:
    """job name → the ``queue=`` constants its ``enqueue(...)`` calls use, across clickpro/."""
    found: dict[str, list[str]] = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "enqueue"):
                continue
            first = node.args[0] if node.args else None
            name = first.value if isinstance(first, ast.Constant) else getattr(first, "id", "?")
            queue = next((k.value for k in node.keywords if k.arg == "queue"), None)
            found.setdefault(str(name), []).append(getattr(queue, "id", repr(queue)))
    return found


def test_every_enqueue_names_the_queue_of_its_kind():
    calls = _enqueue_calls()
    expected = {
        "campaigns.dispatch": "QUEUE_CAMPAIGNS",
        "campaigns.prepare": "QUEUE_CAMPAIGNS",
        "campaigns.start_scheduled": "QUEUE_CAMPAIGNS",
        "imports.run_import_job": "QUEUE_IMPORTS",
        "outbound_webhooks.deliver_webhook": "QUEUE_OUTBOUND",
        "sync_client_templates": "QUEUE_PERIODIC",
        "drain_pending": "QUEUE_WEBHOOKS",
    }
    for name, queue in expected.items():
        assert calls.get(name) and set(calls[name]) == {queue}, (name, calls.get(name))
    assert all(q != "None" for qs in calls.values() for q in qs), calls  # never implicit
