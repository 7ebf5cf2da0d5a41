"""``report_service_days``: conversations, AI containment, CSAT and AI runs rolled up by
the job (hand-computed on ``conftest.world``), kept right by incremental passes, and a
``/reports`` page that reads only rollups."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import AIReplyRun, ConversationCycle, CsatSurvey
from clickpro.models.base import utcnow
from clickpro.models.reports import ReportServiceDay
from clickpro.services.reports import rollups
from clickpro.services.reports.periods import Period
from clickpro.services.reports.queries import Filters, Report

NOV9, NOV10 = date(2026, 11, 9), date(2026, 11, 10)


@pytest.fixture(autouse=True)
def no_overlap(monkeypatch):
    monkeypatch.setattr(rollups, "OVERLAP", timedelta(0))


def _rows(world) -> dict:
    v = ReportServiceDay
    rows = db.session.execute(
        sa.select(v.day, v.team_id, v.agent_user_id, v.opened, v.resolved, v.ai_resolved,
                  v.ai_contained).where(v.client_id == world.tenant.id, v.opened + v.resolved > 0)
    ).all()  # fmt: skip
    return {(d, t, a): (o, r, ai, c) for d, t, a, o, r, ai, c in rows}


def test_the_rollup_rows_by_day_team_and_agent(world):
    rollups.run()
    team, ana = world.team.id, world.ana.id
    # opened (local): 9th cycles 0, 1 (Ana) and 2 (nobody); 10th cycles 3 (Ana), 4 (nobody)
    # resolved 10th: cycles 0, 1, 3 (Ana) and 4 (nobody); AI inside 0 and 4, contained: 4
    assert _rows(world) == {
        (NOV9, team, ana): (2, 0, 0, 0),
        (NOV9, team, 0): (1, 0, 0, 0),
        (NOV10, team, ana): (1, 3, 1, 0),
        (NOV10, team, 0): (1, 1, 1, 1),
    }
    v = ReportServiceDay
    csat = db.session.execute(
        sa.select(sa.func.sum(v.csat_asked), sa.func.sum(v.csat_5), sa.func.sum(v.csat_2)).where(
            v.client_id == world.tenant.id
        )
    ).one()
    assert tuple(csat) == (5, 2, 1)
    runs = db.session.execute(
        sa.select(v.day, v.number_id, v.ai_runs, v.ai_answers, v.ai_handoffs, v.ai_intent_cost)
        .where(v.client_id == world.tenant.id, v.ai_runs > 0)
        .order_by(v.day)
    ).all()
    # 4 runs on the 9th (conversation on n1: 3 answered, 1 handoff, 0.001 of intent), 1 on
    # the 10th (conversation on n2, answered)
    assert [tuple(r[:5]) for r in runs] == [
        (NOV9, world.n1.id, 4, 3, 1),
        (NOV10, world.n2.id, 1, 1, 0),
    ]
    assert float(runs[0][5]) == pytest.approx(0.001)


def test_filters_on_the_rolled_up_figures(world):
    rollups.run()
    by_n2 = Report(world.tenant, Period(NOV9, NOV10), Filters(number_id=world.n2.id))
    ai = by_n2.ai()
    assert (ai["runs"], ai["answers"], ai["with_ai"], ai["contained"]) == (1, 1, 1, 1)
    # one survey (the 5th, score 2) is of cycle 4, on n2 (its conversation's number)
    assert (by_n2.csat()["asked"], by_n2.csat()["average"]) == (1, 2.0)
    other_team = Report(world.tenant, Period(NOV9, NOV10), Filters(team_id=world.team.id + 999))
    assert other_team.csat()["asked"] == 0
    assert other_team.conversations_per_day().rows == [[NOV9, 0, 0], [NOV10, 0, 0]]
    # the team filter never applies to AI runs (they have no team); containment is cycles
    assert (other_team.ai()["runs"], other_team.ai()["with_ai"]) == (5, 0)


def test_a_late_resolution_csat_score_and_ai_run_fold_in_once(world):
    rollups.run()
    today = utcnow()
    period = Period(NOV9, today.date() + timedelta(days=1))
    before = Report(world.tenant, period)
    assert (before.ai()["with_ai"], before.ai()["contained"], before.ai()["runs"]) == (2, 1, 5)
    # cycle 2 (opened on the 9th, no agent) is resolved now, after an AI answer inside it
    cycle = db.session.scalar(
        sa.select(ConversationCycle).where(
            ConversationCycle.client_id == world.tenant.id,
            ConversationCycle.resolved_at.is_(None),
        )
    )
    db.session.add(AIReplyRun(client_id=world.tenant.id, contact_id=world.contacts[2].id,
                              conversation_id=cycle.conversation_id, trigger_message_id=987654,
                              after_message_id=0, status="DONE", outcome="answered",
                              created_at=today - timedelta(minutes=1)))  # fmt: skip
    cycle.resolved_at = today
    cycle.resolution_seconds = 900
    # the unanswered survey (asked on the 10th) gets a 3 now
    survey = db.session.scalar(
        sa.select(CsatSurvey).where(
            CsatSurvey.client_id == world.tenant.id, CsatSurvey.score.is_(None)
        )
    )
    survey.score, survey.status = 3, "RATED"
    db.session.commit()
    rollups.run()
    after = Report(world.tenant, period)
    ai = after.ai()
    assert (ai["runs"], ai["answers"], ai["with_ai"], ai["contained"]) == (6, 5, 3, 2)
    conv = {row[0]: row[1:] for row in after.conversations_per_day().rows}
    assert conv[NOV9] == [3, 0]
    assert sum(r[1] for day, r in conv.items() if day > NOV10) == 1  # resolved today
    csat = after.csat()
    assert (csat["asked"], csat["answered"], csat["average"]) == (5, 5, 3.8)  # 19 / 5
    # another pass (and a full one) rebuilds the same buckets: never double counted
    rollups.run()
    rollups.run(full=True)
    again = Report(world.tenant, period)
    assert again.ai() == ai and again.csat() == csat


def test_the_page_reads_rollups_and_computes_each_figure_once(world, login_as):
    rollups.run()
    client = login_as(world.tenant.admin, world.tenant)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get("/reports", query_string={"preset": "custom", "start": "2026-11-09",
                                                    "end": "2026-11-10"})  # fmt: skip
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert page.status_code == 200
    assert not [s for s in statements if "FROM messages" in s]
    assert not [s for s in statements if "FROM csat_surveys" in s or "FROM ai_reply_runs" in s]
    # the percentiles read the rollup's histograms (h1, #22), never the cycles: one read
    # for this period (both metrics, every group), one for the previous period's medians
    assert not [s for s in statements if "FROM conversation_cycles" in s]
    buckets = [s for s in statements if "FROM report_cycle_time_buckets" in s]
    assert len(buckets) == 2, buckets
    # the totals once for this period and once for the previous one (cards + AI spend)
    totals = [
        s for s in statements if "sum(report_message_days.msgs_in)" in s and "GROUP BY" not in s
    ]
    assert len(totals) == 2, totals
