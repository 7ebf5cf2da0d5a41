"""Periodic SLA breach check (:mod:`clickpro.services.teams.sla`); runs in the worker's
app context like every job."""

from __future__ import annotations


def check_breaches() -> int:
    from clickpro.services.teams.sla import check_breaches as run

    return run()
