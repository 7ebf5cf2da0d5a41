"""Business hours (pure): lunch break, holidays, next opening phrase, business seconds —
on a fixed clock in America/Sao_Paulo (no DST since 2019) and in a DST zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from clickpro.services.teams.hours import Schedule, clean_holidays, clean_weekly

SP = ZoneInfo("America/Sao_Paulo")
WEEKDAYS = {str(d): [["08:00", "12:00"], ["13:00", "18:00"]] for d in range(5)}


def sp(*args) -> datetime:
    return datetime(*args, tzinfo=SP)


@pytest.fixture
def shop() -> Schedule:
    # Mon-Fri 8-12 / 13-18, closed weekends; 2026-03-03 (Tuesday) is a holiday.
    return Schedule.build(WEEKDAYS, ["2026-03-03"], "America/Sao_Paulo")


def test_lunch_break_and_open_hours(shop):
    assert shop.is_open(sp(2026, 3, 2, 8, 0))  # Monday 08:00
    assert shop.is_open(sp(2026, 3, 2, 11, 59))
    assert not shop.is_open(sp(2026, 3, 2, 12, 0))  # lunch
    assert not shop.is_open(sp(2026, 3, 2, 12, 30))
    assert shop.is_open(sp(2026, 3, 2, 13, 0))
    assert not shop.is_open(sp(2026, 3, 2, 18, 0))
    assert not shop.is_open(sp(2026, 3, 2, 7, 59))


def test_next_opening_and_phrase(shop):
    lunch = sp(2026, 3, 2, 12, 30)
    assert shop.next_opening(lunch) == sp(2026, 3, 2, 13, 0)
    assert shop.next_opening_phrase(lunch) == "hoje às 13h"
    # Monday night → Tuesday is a holiday → Wednesday 8h.
    night = sp(2026, 3, 2, 20, 0)
    assert shop.next_opening(night) == sp(2026, 3, 4, 8, 0)
    assert shop.next_opening_phrase(night) == "quarta-feira às 8h"
    # Wednesday night → tomorrow 8h; Friday night → Monday 8h.
    assert shop.next_opening_phrase(sp(2026, 3, 4, 19, 0)) == "amanhã às 8h"
    assert shop.next_opening_phrase(sp(2026, 3, 6, 19, 0)) == "segunda-feira às 8h"
    assert shop.next_opening(sp(2026, 3, 6, 19, 0)) == sp(2026, 3, 9, 8, 0)
    # Early morning: today.
    assert shop.next_opening_phrase(sp(2026, 3, 4, 6, 0)) == "hoje às 8h"
    # Open: now.
    at = sp(2026, 3, 4, 9, 15)
    assert shop.next_opening(at) == at


def test_holiday_is_closed_all_day(shop):
    assert not shop.is_open(sp(2026, 3, 3, 10, 0))
    assert shop.business_seconds(sp(2026, 3, 3, 0, 0), sp(2026, 3, 4, 0, 0)) == 0


def test_business_seconds_skip_lunch_nights_weekends_and_holidays(shop):
    # Monday 11:00 → 14:00 = 1 h before lunch + 1 h after.
    assert shop.business_seconds(sp(2026, 3, 2, 11), sp(2026, 3, 2, 14)) == 2 * 3600
    # Monday 17:00 → Wednesday 09:00 = 1 h Monday + (holiday) + 1 h Wednesday.
    assert shop.business_seconds(sp(2026, 3, 2, 17), sp(2026, 3, 4, 9)) == 2 * 3600
    # Friday 17:30 → Monday 8:30 = 30 + 30 min.
    assert shop.business_seconds(sp(2026, 3, 6, 17, 30), sp(2026, 3, 9, 8, 30)) == 3600
    assert shop.business_seconds(sp(2026, 3, 9, 9), sp(2026, 3, 9, 8)) == 0


def test_add_business_seconds(shop):
    # 30 business minutes from Monday 11:45 → 12:00 then 13:15.
    assert shop.add_business_seconds(sp(2026, 3, 2, 11, 45), 30 * 60) == sp(2026, 3, 2, 13, 15)
    # 2 h from Monday 17:00: 1 h on Monday, Tuesday is a holiday → Wednesday 09:00.
    assert shop.add_business_seconds(sp(2026, 3, 2, 17), 2 * 3600) == sp(2026, 3, 4, 9)
    # From a closed instant: counts from the next opening.
    assert shop.add_business_seconds(sp(2026, 3, 7, 10), 60) == sp(2026, 3, 9, 8, 1)
    start = sp(2026, 3, 2, 9)
    due = shop.add_business_seconds(start, 5 * 3600)
    assert shop.business_seconds(start, due) == 5 * 3600


def test_results_are_utc_instants(shop):
    opening = shop.next_opening(datetime(2026, 3, 2, 23, 0, tzinfo=UTC))  # 20:00 in SP
    assert opening == datetime(2026, 3, 4, 11, 0, tzinfo=UTC)  # 08:00 -03:00


def test_dst_zone_keeps_wall_clock_hours():
    # New York springs forward on 2026-03-08 (Sunday): 9-17 stays 9-17 local.
    ny = ZoneInfo("America/New_York")
    week = {str(d): [["09:00", "17:00"]] for d in range(7)}
    sched = Schedule.build(week, [], "America/New_York")
    before = sched.next_opening(datetime(2026, 3, 7, 20, 0, tzinfo=ny))
    after = sched.next_opening(datetime(2026, 3, 8, 20, 0, tzinfo=ny))
    assert before == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 09:00 EDT (-4)
    assert after == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert sched.next_opening(datetime(2026, 3, 6, 20, 0, tzinfo=ny)) == datetime(
        2026, 3, 7, 14, 0, tzinfo=UTC
    )  # 09:00 EST (-5)
    # Across the change: Saturday 16:00 → Sunday 10:00 = 1 h + 1 h of business time,
    # though 17 h of wall clock and 17 h of real time (23 h day).
    assert (
        sched.business_seconds(
            datetime(2026, 3, 7, 16, tzinfo=ny), datetime(2026, 3, 8, 10, tzinfo=ny)
        )
        == 2 * 3600
    )
    # An interval that contains the gap (02:00 → 03:00 does not exist) is one hour short.
    night = Schedule.build({"6": [["00:00", "06:00"]]}, [], "America/New_York")
    assert (
        night.business_seconds(
            datetime(2026, 3, 8, 0, tzinfo=ny), datetime(2026, 3, 8, 7, tzinfo=ny)
        )
        == 5 * 3600
    )


def test_always_open_and_until_midnight():
    sched = Schedule.build({"0": [["20:00", "24:00"]]}, [], "America/Sao_Paulo")
    assert sched.is_open(sp(2026, 3, 2, 23, 59))
    assert not sched.is_open(sp(2026, 3, 3, 0, 0))
    assert sched.business_seconds(sp(2026, 3, 2, 19), sp(2026, 3, 3, 1)) == 4 * 3600
    closed = Schedule.build({}, [], "America/Sao_Paulo")
    assert closed.next_opening(sp(2026, 3, 2, 10)) is None
    assert closed.add_business_seconds(sp(2026, 3, 2, 10), 60) is None


def test_validation():
    assert clean_weekly({"0": [["13:00", "18:00"], ["08:00", "12:00"]]}) == {
        "0": [["08:00", "12:00"], ["13:00", "18:00"]]
    }
    for bad in (
        {"7": [["08:00", "12:00"]]},
        {"0": [["12:00", "08:00"]]},
        {"0": [["08:00", "12:00"], ["11:00", "13:00"]]},
        {"0": [["8h", "12:00"]]},
        [],
    ):
        with pytest.raises(ValueError):
            clean_weekly(bad)
    assert clean_holidays(["2026-12-25", "2026-01-01", "2026-12-25"]) == [
        "2026-01-01",
        "2026-12-25",
    ]
    with pytest.raises(ValueError):
        clean_holidays(["25/12/2026"])
