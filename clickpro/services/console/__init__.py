"""The agency console: every client's health on one page, for the super admin.

:func:`build_console` gathers it (a fixed number of queries whatever the number of
clients, see :mod:`.clients`; Redis for queues and workers, see :mod:`.platform`) and
sorts/filters the rows as the page asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clickpro.models.base import utcnow
from clickpro.services.console.clients import (
    ClientRow,
    NumberRow,
    client_rows,
    month_start,
    unrouted_dead_letters,
)
from clickpro.services.console.platform import Platform, QueueRow, WorkerRow, platform_status

__all__ = [
    "SORTS",
    "ClientRow",
    "Console",
    "NumberRow",
    "Platform",
    "QueueRow",
    "WorkerRow",
    "build_console",
]

# sort key → how a row sorts (ascending); the page's column headers name these keys.
SORTS: dict[str, Callable[[ClientRow], Any]] = {
    "name": lambda r: (r.name.casefold(), r.id),
    "problems": lambda r: r.problems,
    "quality": lambda r: r.bad_quality,
    "templates": lambda r: r.template_problems,
    "credentials": lambda r: r.failing_credentials,
    "webhooks": lambda r: (r.failing_endpoints, r.failed_deliveries),
    "dead_letters": lambda r: r.dead_letters,
    "ai_spend": lambda r: r.ai_spend,
    "whatsapp_spend": lambda r: r.whatsapp_total,
}
DEFAULT_SORT = "problems"
DEFAULT_DESC = {"problems", "quality", "templates", "credentials", "webhooks",
                "dead_letters", "ai_spend", "whatsapp_spend"}  # fmt: skip


@dataclass
class Console:
    clients: list[ClientRow]
    total_clients: int
    with_problems: int
    unrouted_dead_letters: int
    platform: Platform
    sort: str
    desc: bool
    only_problems: bool
    month_start: datetime
    now: datetime


def parse_sort(sort: str | None, direction: str | None) -> tuple[str, bool]:
    key = sort if sort in SORTS else DEFAULT_SORT
    if direction in ("asc", "desc"):
        return key, direction == "desc"
    return key, key in DEFAULT_DESC


def build_console(
    *,
    sort: str | None = None,
    direction: str | None = None,
    only_problems: bool = False,
    now: datetime | None = None,
) -> Console:
    now = now or utcnow()
    key, desc = parse_sort(sort, direction)
    rows = client_rows(now)
    with_problems = sum(1 for r in rows if r.problems)
    shown = [r for r in rows if r.problems] if only_problems else rows
    # Rows come ordered by name; the sort is stable (reverse too), so ties keep that order.
    shown.sort(key=SORTS[key], reverse=desc)
    return Console(
        clients=shown,
        total_clients=len(rows),
        with_problems=with_problems,
        unrouted_dead_letters=unrouted_dead_letters(),
        platform=platform_status(),
        sort=key,
        desc=desc,
        only_problems=only_problems,
        month_start=month_start(now),
        now=now,
    )
