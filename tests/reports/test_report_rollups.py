"""The rollup job: idempotent, incremental, and right about late status updates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from report_seed import add_message, at

from clickpro.extensions import db
from clickpro.models import Message, ReportMessageDay
from clickpro.models.base import utcnow
from clickpro.services.reports import rollups
from clickpro.services.reports.periods import Period
from clickpro.services.reports.queries import Report

PERIOD = Period(date(2026, 11, 9), date(2026, 11, 10))


@pytest.fixture(autouse=True)
def no_overlap(monkeypatch):
    """Count exactly what each run rebuilds (the real overlap re-reads the last minutes)."""
    monkeypatch.setattr(rollups, "OVERLAP", timedelta(0))


def _funnel(world) -> dict:
    return {r[0]: r[1] for r in Report(world.tenant, PERIOD).funnel().rows}


def test_rerunning_never_double_counts(world, monkeypatch):
    rollups.run()
    first = Report(world.tenant, PERIOD).totals()
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(ReportMessageDay))
    assert rollups.run() == 0  # nothing changed since the mark
    monkeypatch.setattr(rollups, "OVERLAP", timedelta(days=1))
    assert rollups.run() == 2  # the overlap re-reads every recent change: same figures
    assert rollups.run(full=True) == 2  # everything rebuilt
    assert Report(world.tenant, PERIOD).totals() == first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportMessageDay)) == rows


def test_late_status_update_rebuilds_the_day_of_the_message(world):
    rollups.run()
    assert _funnel(world)["Lidas"] == 1
    # the "read" of a campaign message sent on the 9th arrives now
    db.session.execute(
        sa.update(Message).where(Message.id == world.m4.id).values(status="READ", read_at=utcnow())
    )
    db.session.commit()
    assert rollups.run() == 1  # only the 9th
    assert _funnel(world)["Lidas"] == 2
    assert _funnel(world)["Enviadas"] == 2


def test_new_messages_fold_in_and_a_late_reply_counts_for_the_campaign_day(world):
    rollups.run()
    c3 = world.contacts[2]
    # c3's campaign message had failed; c1 (no campaign) writes again on the 10th
    add_message(world.tenant, world.contacts[0], world.n1, created_at=at(10, 15))
    assert rollups.run() == 1
    assert Report(world.tenant, PERIOD).messages_per_day().rows[1][1] == 2
    # c4 (delivered campaign message, 9th) replies on the 11th: the 9th is rebuilt
    add_message(world.tenant, world.contacts[3], world.n1, created_at=at(11, 15))
    assert rollups.run() == 2  # the 11th (new message) and the 9th (campaign day)
    assert _funnel(world)["Respondidas"] == 2
    assert c3.id  # c3 never replied: still 2


def test_a_partial_run_does_not_move_the_mark(world, create_client):
    rollups.run(client_ids=[world.tenant.id])
    assert rollups.rollup_state().high_water is None
    rollups.run()
    assert rollups.rollup_state().high_water is not None


def test_cli_rollup_full(world, app):
    result = app.test_cli_runner().invoke(args=["reports", "rollup", "--full"])
    assert result.exit_code == 0, result.output
    assert "2 day(s) rebuilt" in result.output


def test_the_rollup_is_a_periodic_job(world):
    from importlib import import_module

    from clickpro.tasks.schedule import CORE_PERIODIC_JOBS

    (job,) = [j for j in CORE_PERIODIC_JOBS if j.id == "reports.rollup"]
    module, name = job.func.rsplit(".", 1)
    assert getattr(import_module(module), name)() == 2  # the job function runs the pass
