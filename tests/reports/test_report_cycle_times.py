"""First response / resolution percentiles from the rollup's histograms (h1, #22).

A seeded set of 361 cycles over 25/09–05/11/2026 (client in America/Sao_Paulo, UTC−3):
the report's medians / p90 — whole period, per team, per agent, with the number and team
filters — must be within the documented bound (less than 2 % of the value) of the exact
``percentile_cont`` computed here in plain Python; counts exact; a late first response,
a late resolution and a team / agent change before it re-roll the right days.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import ConversationCycle, Team
from clickpro.models.base import utcnow
from clickpro.models.reports import ReportCycleTimeBucket
from clickpro.services.reports import cycle_times, rollups
from clickpro.services.reports.periods import Period
from clickpro.services.reports.queries import Filters, Report

FIRST = date(2026, 9, 25)
LOCAL = timedelta(hours=-3)  # America/Sao_Paulo, no DST in 2026


def exact(values: list[int], q: float) -> float | None:
    """``percentile_cont(q)``: linear interpolation between the order statistics."""
    ordered = sorted(values)
    if not ordered:
        return None
    r = q * (len(ordered) - 1)
    k = math.floor(r)
    if k + 1 == len(ordered):
        return float(ordered[k])
    return ordered[k] + (r - k) * (ordered[k + 1] - ordered[k])


def within(got: float | None, want: float | None) -> bool:
    if want is None:
        return got is None
    return got is not None and abs(got - want) < 0.02 * want + 1e-9


@pytest.fixture
def cycles(create_client, create_whatsapp_credential, create_contact, create_conversation,
           create_member):  # fmt: skip
    tenant = create_client("Loja Tempos", timezone="America/Sao_Paulo")
    n1 = create_whatsapp_credential(tenant, display_name="Vendas")
    n2 = create_whatsapp_credential(
        tenant,
        account={"access_token": "t2", "waba_id": "100000000000001",
                 "phone_number_id": "100000000000098", "app_id": "100000000000021"},
        display_name="Suporte",
    )  # fmt: skip
    teams = [Team(client_id=tenant.id, name=name) for name in ("Vendas", "Suporte")]
    db.session.add_all(teams)
    db.session.commit()
    ana, bia = create_member(tenant, name="Ana"), create_member(tenant, name="Bia")
    contact = create_contact(tenant, "+5511990001000")
    conv = create_conversation(tenant, contact, n1)
    rows = []
    for i in range(360):
        opened = datetime.combine(FIRST + timedelta(days=i % 42), datetime.min.time(), UTC)
        opened += timedelta(hours=15, minutes=i % 50)  # 12:xx local, same day
        frt = None if i % 11 == 0 else (i * 7919) % 5000  # 0..4999 s: some below 60 s
        rows.append(
            dict(number_id=(n1, n2)[(i // 2) % 2].id, team_id=teams[i % 2].id,
                 agent_user_id=(ana.id, bia.id, None)[i % 3], opened_at=opened,
                 first_response_at=None if frt is None else opened, first_response_seconds=frt,
                 resolved_at=opened + timedelta(hours=2),
                 resolution_seconds=600 + (i * 104729) % 40000)
        )  # fmt: skip
    # 23:30 local on 30/09 is 02:30 UTC on 01/10: September's, not October's
    late = datetime(2026, 10, 1, 2, 30, tzinfo=UTC)
    rows.append(dict(number_id=n1.id, team_id=teams[0].id, agent_user_id=ana.id, opened_at=late,
                     first_response_at=late, first_response_seconds=77,
                     resolved_at=late + timedelta(minutes=10), resolution_seconds=999))  # fmt: skip
    db.session.add_all(
        ConversationCycle(client_id=tenant.id, conversation_id=conv.id, **row) for row in rows
    )
    db.session.commit()
    return tenant, rows, (n1, n2), teams, (ana, bia), contact


def _local_day(instant: datetime) -> date:
    return (instant + LOCAL).date()


def _expected(rows, period: Period, metric: str, keep=lambda row: True) -> dict:
    """Exact count / median / p90 for the whole period, per team and per agent."""
    value, when = (
        ("first_response_seconds", "opened_at")
        if metric == "frt"
        else ("resolution_seconds", "resolved_at")
    )
    picked = [
        r
        for r in rows
        if keep(r)
        and r[value] is not None
        and r[when] is not None
        and period.start <= _local_day(r[when]) <= period.end
    ]

    def figures(group):
        values = [r[value] for r in group]
        return len(values), exact(values, 0.5), exact(values, 0.9)

    out = {"all": figures(picked), "team": {}, "agent": {}}
    for by, key in (("team", "team_id"), ("agent", "agent_user_id")):
        for k in {r[key] for r in picked}:
            out[by][k] = figures([r for r in picked if r[key] == k])
    return out


def _check(report: Report, rows, keep=lambda row: True) -> None:
    for metric in ("frt", "res"):
        want = _expected(rows, report.period, metric, keep)
        got = report._percentiles(metric)
        assert got["all"][0] == want["all"][0] > 0
        assert all(within(g, w) for g, w in zip(got["all"][1:], want["all"][1:], strict=True))
        for by in ("team", "agent"):
            assert set(got[by]) == set(want[by]), (metric, by)
            for key, (n, median, p90) in want[by].items():
                g = got[by][key]
                assert g[0] == n, (metric, by, key)
                assert within(g[1], median) and within(g[2], p90), (metric, by, key, g, median)


@pytest.mark.parametrize(
    "start,end",
    [
        (date(2026, 9, 25), date(2026, 11, 5)),  # edges as days, October as a month row
        (date(2026, 10, 1), date(2026, 10, 31)),  # exactly the month
        (date(2026, 10, 10), date(2026, 10, 20)),  # days only
        (date(2026, 9, 30), date(2026, 9, 30)),  # the 23:30-local cycle's day
    ],
)
def test_bucketed_percentiles_within_two_percent_of_exact(cycles, start, end):
    tenant, rows, *_ = cycles
    rollups.run()
    _check(Report(tenant, Period(start, end)), rows)


def test_month_rows_sum_the_day_rows_and_the_page_reads_them(cycles):
    tenant = cycles[0]
    rollups.run()
    b = ReportCycleTimeBucket

    def total(*where):
        stmt = sa.select(sa.func.sum(b.cycles)).where(b.client_id == tenant.id, *where)
        return db.session.scalar(stmt)

    october = (b.day >= date(2026, 10, 1), b.day < date(2026, 11, 1))
    assert total(b.span == 1, *october) == total(b.span == 0, *october) > 0
    assert total(b.span == 1, b.day == date(2026, 9, 1)) == total(
        b.span == 0, b.day >= date(2026, 9, 1), b.day < date(2026, 10, 1)
    )
    # the 23:30-local cycle (77 s, 02:30 UTC on 01/10) is September's
    sept30 = Report(tenant, Period(date(2026, 9, 30), date(2026, 9, 30)))
    assert sept30._percentiles("frt")["all"][0] == 1 + sum(
        1
        for r in cycles[1][:360]
        if r["opened_at"].date() == date(2026, 9, 30) and r["first_response_seconds"] is not None
    )
    # a re-run and a full pass rebuild, never add
    rollups.run()
    rollups.run(full=True)
    assert total(b.span == 1, *october) == total(b.span == 0, *october)
    assert total(b.metric == 1, b.span == 0) == sum(
        1 for r in cycles[1] if r["first_response_seconds"] is not None
    )


def test_number_and_team_filters(cycles):
    tenant, rows, numbers, teams, _agents, _contact = cycles
    rollups.run()
    period = Period(date(2026, 9, 25), date(2026, 11, 5))
    n2 = numbers[1].id
    _check(Report(tenant, period, Filters(number_id=n2)), rows, lambda r: r["number_id"] == n2)
    t1 = teams[1].id
    _check(Report(tenant, period, Filters(team_id=t1)), rows, lambda r: r["team_id"] == t1)
    both = Filters(number_id=n2, team_id=t1)
    _check(
        Report(tenant, period, both),
        rows,
        lambda r: r["number_id"] == n2 and r["team_id"] == t1,
    )


def test_late_first_response_resolution_and_reassignment_re_roll(cycles, create_conversation):
    tenant, rows, numbers, teams, (ana, bia), contact = cycles
    rollups.run()
    october = Period(date(2026, 10, 1), date(2026, 10, 31))
    before = Report(tenant, october)._percentiles("frt")
    # an open cycle of 15/10 (team 0, nobody), not answered yet: no first response
    conv = create_conversation(tenant, contact, numbers[1])
    opened = datetime(2026, 10, 15, 15, tzinfo=UTC)
    cycle = ConversationCycle(client_id=tenant.id, conversation_id=conv.id,
                              number_id=numbers[1].id, team_id=teams[0].id, opened_at=opened)  # fmt: skip
    db.session.add(cycle)
    db.session.commit()
    rollups.run()
    assert Report(tenant, october)._percentiles("frt")["all"][0] == before["all"][0]
    # answered now (45 s of business time): the opening day re-rolls
    now = utcnow()
    cycle.first_response_at, cycle.first_response_seconds = now, 45
    db.session.commit()
    rollups.run()
    answered = Report(tenant, october)._percentiles("frt")
    assert answered["all"][0] == before["all"][0] + 1
    assert answered["team"][teams[0].id][0] == before["team"][teams[0].id][0] + 1
    # transferred to the other team and Bia, then resolved now: the opening day moves
    # the first response to the new team / agent, and the resolution counts today
    cycle.team_id, cycle.agent_user_id = teams[1].id, bia.id
    cycle.resolved_at, cycle.resolution_seconds = utcnow(), 5000
    db.session.commit()
    rollups.run()
    moved = Report(tenant, october)._percentiles("frt")
    assert moved["team"][teams[0].id][0] == before["team"][teams[0].id][0]
    assert moved["team"][teams[1].id][0] == before["team"][teams[1].id][0] + 1
    assert moved["agent"][bia.id][0] == before["agent"][bia.id][0] + 1
    today = _local_day(utcnow())
    res = Report(tenant, Period(today, today))._percentiles("res")
    assert res["all"][0] == 1 and within(res["all"][1], 5000.0) and res["agent"][bia.id][0] == 1
    # what the report gives equals the exact figures of the changed rows
    changed = [*rows, dict(number_id=numbers[1].id, team_id=teams[1].id, agent_user_id=bia.id,
                           opened_at=opened, first_response_seconds=45,
                           resolved_at=cycle.resolved_at, resolution_seconds=5000)]  # fmt: skip
    _check(Report(tenant, october), changed)


def test_python_and_sql_buckets_agree_and_hold_their_values(cycles):
    values = [*range(0, 200), *range(200, 200_000, 97), 2_592_000]
    sql = f"SELECT v, {cycle_times.bucket_sql('v')} FROM unnest(CAST(:vs AS integer[])) v"
    buckets = dict(db.session.execute(sa.text(sql), {"vs": values}).all())
    for v in values:
        b = cycle_times.bucket_of(v)
        lo, hi = cycle_times.bounds(b)
        assert buckets[v] == b
        assert (lo == hi == v) if v < 60 else (lo <= v < hi and hi - lo < 0.02 * v + 1e-9)
    assert cycle_times.bucket_of(86_400) == 427 and cycle_times.bucket_of(2_592_000) == 598
