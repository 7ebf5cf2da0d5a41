"""Periodic report rollup (:mod:`clickpro.services.reports.rollups`); runs in the
worker's app context like every job. Re-running it is always safe."""

from __future__ import annotations


def rollup() -> int:
    from clickpro.services.reports.rollups import run

    return run()
