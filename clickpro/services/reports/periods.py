"""Report periods: presets and custom ranges as the client's local days.

A period is ``[start, end]`` in local days, inclusive; ``previous`` is the same number
of days right before it; a whole calendar month compares with the previous month, and
"este mês" (month to date) with the same days of the previous month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MAX_DAYS = 366
PRESETS = {
    "7d": _l("Últimos 7 dias"),
    "30d": _l("Últimos 30 dias"),
    "this_month": _l("Este mês"),
    "last_month": _l("Mês passado"),
    "custom": _l("Personalizado"),
}


class PeriodError(ValueError):
    """A bad range; ``str()`` is a pt_BR message."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    preset: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def previous(self) -> Period:
        if self.preset == "this_month" and not _is_whole_month(self):
            # month to date vs the same days of the previous month (1st–5th vs 1st–5th)
            last = self.start - timedelta(days=1)
            first = last.replace(day=1)
            return Period(first, min(last, first + timedelta(days=self.days - 1)), "custom")
        if self.preset in ("this_month", "last_month") or _is_whole_month(self):
            last = self.start - timedelta(days=1)
            return Period(last.replace(day=1), last, "custom")
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, "custom")

    def instants(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start 00:00 local, day after end 00:00 local) in UTC."""
        lo = datetime.combine(self.start, datetime.min.time(), tzinfo=tz)
        hi = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        return lo.astimezone(UTC), hi.astimezone(UTC)


def _is_whole_month(p: Period) -> bool:
    return (
        p.start.day == 1 and (p.end + timedelta(days=1)).day == 1 and p.start.month == p.end.month
    )


def month_after(month: date) -> date:
    """The first day of the month after ``month``'s."""
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, month_after(start) - timedelta(days=1), "custom")


def today_in(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(tz).date()


def _parse(value: str | None, label: str) -> date:
    try:
        return date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        raise PeriodError(_("Data inválida em %(campo)s: use AAAA-MM-DD.", campo=label)) from None


def resolve(preset: str | None, start: str | None, end: str | None, today: date) -> Period:
    """The period of the page's form; raises :class:`PeriodError` for a bad custom range."""
    preset = preset if preset in PRESETS else ("custom" if start or end else "30d")
    if preset == "7d":
        return Period(today - timedelta(days=6), today, preset)
    if preset == "30d":
        return Period(today - timedelta(days=29), today, preset)
    if preset == "this_month":
        return Period(today.replace(day=1), today, preset)
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last, preset)
    first = _parse(start, _("início"))
    last = _parse(end, _("fim")) if end else today
    if last < first:
        raise PeriodError(_("O fim do período vem antes do início."))
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(_("O período pode ter no máximo %(n)s dias.", n=MAX_DAYS))
    return Period(first, last, "custom")
