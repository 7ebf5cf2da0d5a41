"""Period presets, custom ranges and the previous period they compare with."""

from __future__ import annotations

from datetime import date

import pytest

from clickpro.services.reports.periods import Period, PeriodError, month_period, resolve

TODAY = date(2026, 3, 5)


@pytest.mark.parametrize(
    ("preset", "period", "previous"),
    [
        ("7d", (date(2026, 2, 27), TODAY), (date(2026, 2, 20), date(2026, 2, 26))),
        ("30d", (date(2026, 2, 4), TODAY), (date(2026, 1, 5), date(2026, 2, 3))),
        ("this_month", (date(2026, 3, 1), TODAY), (date(2026, 2, 1), date(2026, 2, 5))),
        (
            "last_month",
            (date(2026, 2, 1), date(2026, 2, 28)),
            (date(2026, 1, 1), date(2026, 1, 31)),
        ),
    ],
)
def test_presets_and_their_previous_period(app, preset, period, previous):
    with app.test_request_context():
        p = resolve(preset, None, None, TODAY)
    assert (p.start, p.end) == period
    assert (p.previous().start, p.previous().end) == previous


def test_custom_range_errors_are_pt_br(app):
    with app.test_request_context():
        assert resolve("custom", "2026-01-10", "2026-01-20", TODAY).days == 11
        with pytest.raises(PeriodError, match="vem antes do início"):
            resolve("custom", "2026-01-20", "2026-01-10", TODAY)
        with pytest.raises(PeriodError, match="no máximo 366 dias"):
            resolve("custom", "2024-01-01", "2026-01-10", TODAY)
        with pytest.raises(PeriodError, match="Data inválida"):
            resolve("custom", "ontem", None, TODAY)


def test_month_period_and_its_previous_month():
    march = month_period(2026, 3)
    assert (march.start, march.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert march.previous() == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert month_period(2026, 12).end == date(2026, 12, 31)
