"""Business hours: when a client (or one of its teams) is open.

A :class:`Schedule` is built from the ``business_hours`` row of the team, else the
client's default row (``team_id`` NULL); no row at all means always open. Weekly
intervals are local wall-clock times in the schedule's time zone (the row's, else the
client's ``clients.timezone``), several per day (a lunch break is two intervals), and
holidays close a whole local day. Every instant in and out is an aware UTC datetime;
local days are turned into UTC intervals with :mod:`zoneinfo`, so a DST change moves
the UTC instants, never the wall-clock hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import BusinessHours, Client
from clickpro.models.base import utcnow

DEFAULT_TZ = "America/Sao_Paulo"
# How far next_opening / add_business_seconds look ahead before giving up (a schedule
# with every day closed or every day a holiday).
HORIZON_DAYS = 400
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

WEEKDAYS = (
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
    "domingo",
)


def weekday_name(index: int) -> str:
    """pt_BR weekday, Monday = 0 (literal msgids, so the catalog extracts them)."""
    names = (
        _("segunda-feira"),
        _("terça-feira"),
        _("quarta-feira"),
        _("quinta-feira"),
        _("sexta-feira"),
        _("sábado"),
        _("domingo"),
    )
    return names[index]


def now() -> datetime:
    """The clock of this package (tests freeze it)."""
    return utcnow()


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _parse_hhmm(text: str) -> time | None:
    """``"08:00"`` → 08:00; ``"24:00"`` → None (end of the day)."""
    if text == "24:00":
        return None
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def clean_weekly(weekly: object) -> dict[str, list[list[str]]]:
    """Validate a weekly grid; raises ValueError (pt_BR) on a bad one.

    Intervals of a day are sorted and must not overlap; start < end; "24:00" closes the
    day at midnight.
    """
    if not isinstance(weekly, dict):
        raise ValueError(_("Horário semanal inválido."))
    out: dict[str, list[list[str]]] = {}
    for key, intervals in weekly.items():
        if str(key) not in {str(d) for d in range(7)}:
            raise ValueError(_("Dia da semana inválido: %(day)s.", day=key))
        if not isinstance(intervals, list):
            raise ValueError(_("Horário semanal inválido."))
        pairs: list[list[str]] = []
        for pair in intervals:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(p, str) and _HHMM.match(p) for p in pair)
            ):
                raise ValueError(_("Intervalo inválido: use HH:MM–HH:MM."))
            start, end = pair
            if start == "24:00" or (end != "24:00" and end <= start):
                raise ValueError(_("Intervalo inválido: %(start)s–%(end)s.", start=start, end=end))
            pairs.append([start, end])
        pairs.sort()
        for (_s1, e1), (s2, _e2) in zip(pairs, pairs[1:], strict=False):
            if s2 < e1:
                raise ValueError(_("Intervalos sobrepostos no mesmo dia."))
        if pairs:
            out[str(key)] = pairs
    return out


def clean_holidays(holidays: object) -> list[str]:
    if not isinstance(holidays, list):
        raise ValueError(_("Lista de feriados inválida."))
    out = set()
    for item in holidays:
        try:
            out.add(date.fromisoformat(str(item)).isoformat())
        except ValueError:
            raise ValueError(_("Feriado inválido: %(day)s (use AAAA-MM-DD).", day=item)) from None
    return sorted(out)


@dataclass(frozen=True)
class Schedule:
    tz: ZoneInfo
    weekly: dict[int, tuple[tuple[time, time | None], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False
    off_hours_enabled: bool = False
    off_hours_message: str | None = None
    row_id: int | None = None
    team_id: int | None = None  # the row's team (None: the client's default)

    @classmethod
    def build(
        cls,
        weekly: dict,
        holidays: list | tuple = (),
        tz: str | None = None,
        **extra,
    ) -> Schedule:
        grid: dict[int, tuple[tuple[time, time | None], ...]] = {}
        for key, intervals in (weekly or {}).items():
            pairs = []
            for start, end in intervals or []:
                begin = _parse_hhmm(start)
                if begin is None:
                    continue
                pairs.append((begin, _parse_hhmm(end)))
            grid[int(key)] = tuple(sorted(pairs))
        days = frozenset(date.fromisoformat(str(d)) for d in holidays or ())
        return cls(tz=zone(tz), weekly=grid, holidays=days, **extra)

    # ------------------------------------------------------------------ intervals
    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of a local day, as UTC instants (empty on a holiday)."""
        if self.always_open:
            start = datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
            return [(start, end.astimezone(UTC))]
        if day in self.holidays:
            return []
        out = []
        for begin, finish in self.weekly.get(day.weekday(), ()):
            start = datetime.combine(day, begin, tzinfo=self.tz).astimezone(UTC)
            if finish is None:
                end_local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
            else:
                end_local = datetime.combine(day, finish, tzinfo=self.tz)
            end = end_local.astimezone(UTC)
            if end > start:
                out.append((start, end))
        return out

    def _intervals_from(self, at: datetime, days: int = HORIZON_DAYS):
        """Open intervals ending after ``at``, in time order (from the day before, so an
        interval reaching past local midnight is never missed)."""
        day = self.local_day(at) - timedelta(days=1)
        for _i in range(days + 1):
            for start, end in self.intervals_on(day):
                if end > at:
                    yield start, end
            day += timedelta(days=1)

    # ------------------------------------------------------------------ queries
    def is_open(self, at: datetime | None = None) -> bool:
        at = at or now()
        if self.always_open:
            return True
        for start, end in self._intervals_from(at, days=2):
            if start <= at < end:
                return True
            if start > at:
                return False
        return False

    def next_opening(self, at: datetime | None = None) -> datetime | None:
        """``at`` itself when open, else the start of the next open interval (None:
        never opens within the horizon)."""
        at = at or now()
        if self.always_open:
            return at
        for start, _end in self._intervals_from(at):
            return max(start, at)
        return None

    def opening_phrase(self, opening: datetime, at: datetime | None = None) -> str:
        """pt_BR: "hoje às 13h", "amanhã às 8h30", "segunda-feira às 8h", "25/12 às 8h"."""
        at = at or now()
        local = opening.astimezone(self.tz)
        hour = f"{local.hour}h" + (f"{local.minute:02d}" if local.minute else "")
        delta = (local.date() - self.local_day(at)).days
        if delta <= 0:
            return _("hoje às %(hour)s", hour=hour)
        if delta == 1:
            return _("amanhã às %(hour)s", hour=hour)
        if delta < 7:
            return _("%(weekday)s às %(hour)s", weekday=weekday_name(local.weekday()), hour=hour)
        return _("%(day)s às %(hour)s", day=local.strftime("%d/%m"), hour=hour)

    def next_opening_phrase(self, at: datetime | None = None) -> str | None:
        at = at or now()
        opening = self.next_opening(at)
        return None if opening is None else self.opening_phrase(opening, at)

    def business_seconds(self, a: datetime, b: datetime) -> int:
        """Open seconds between instants ``a`` and ``b`` (0 when b <= a)."""
        if b <= a:
            return 0
        if self.always_open:
            return int((b - a).total_seconds())
        total = 0.0
        for start, end in self._intervals_from(a):
            if start >= b:
                break
            total += (min(end, b) - max(start, a)).total_seconds()
        return int(total)

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime | None:
        """The instant ``seconds`` of open time after ``start`` (None: beyond horizon)."""
        if self.always_open:
            return start + timedelta(seconds=seconds)
        left = float(seconds)
        for begin, end in self._intervals_from(start):
            begin = max(begin, start)
            span = (end - begin).total_seconds()
            if left <= span:
                return begin + timedelta(seconds=left)
            left -= span
        return None


ALWAYS_OPEN = Schedule(tz=ZoneInfo(DEFAULT_TZ), always_open=True)


def _client_tz(client_id: int) -> str:
    return db.session.scalar(sa.select(Client.timezone).where(Client.id == client_id)) or DEFAULT_TZ


def hours_row(client_id: int, team_id: int | None) -> BusinessHours | None:
    """The row of exactly this team (None: the client's default row)."""
    cond = BusinessHours.team_id.is_(None) if team_id is None else BusinessHours.team_id == team_id
    return db.session.scalar(
        sa.select(BusinessHours).where(BusinessHours.client_id == client_id, cond)
    )


def schedule_from_row(row: BusinessHours, client_id: int) -> Schedule:
    return Schedule.build(
        row.weekly or {},
        row.holidays or [],
        row.timezone or _client_tz(client_id),
        off_hours_enabled=bool(row.off_hours_enabled),
        off_hours_message=row.off_hours_message,
        row_id=row.id,
        team_id=row.team_id,
    )


_cached: ContextVar[dict[tuple[int, int | None], Schedule] | None] = ContextVar(
    "clickpro_schedules", default=None
)


@contextmanager
def schedules_cached() -> Iterator[None]:
    """Inside the block :func:`schedule_for` reads each (client, team) once (two SQL
    statements saved per repeated look-up): the several checks one receiver makes for
    one message (SLA deadlines, then the off-hours reply). Keep the block short: an
    edit of the hours made inside it is not seen."""
    token = _cached.set({})
    try:
        yield
    finally:
        _cached.reset(token)


def schedule_for(client_id: int, team_id: int | None = None) -> Schedule:
    """The team's hours, else the client's default hours, else always open."""
    cache = _cached.get()
    if cache is None:
        return _read_schedule(client_id, team_id)
    key = (client_id, team_id)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _read_schedule(client_id, team_id)
    return found


def _read_schedule(client_id: int, team_id: int | None) -> Schedule:
    row = hours_row(client_id, team_id) if team_id is not None else None
    if row is None:
        row = hours_row(client_id, None)
    if row is None:
        return Schedule(tz=zone(_client_tz(client_id)), always_open=True)
    return schedule_from_row(row, client_id)


def is_team_open(client_id: int, team_id: int | None, at: datetime | None = None) -> bool:
    """For the AI and flows: is the team (else the client) open at ``at`` (default now)?"""
    return schedule_for(client_id, team_id).is_open(at or now())


def availability_note(client_id: int, team_id: int | None, at: datetime | None = None) -> str:
    """One line for the AI's instructions: whether people are answering now, and when
    they are back ("" when the client keeps no hours: always open says nothing new).

    It is model input in the client's language (pt_BR), like the instructions it joins.
    """
    schedule = schedule_for(client_id, team_id)
    if schedule.always_open:
        return ""
    at = at or now()
    if schedule.is_open(at):
        return "A equipe de atendimento humano está disponível agora."
    back = schedule.next_opening_phrase(at)
    when = f" e volta {back}" if back else ""
    return (
        f"A equipe de atendimento humano está fora do horário agora{when}. "
        "Se o cliente pedir uma pessoa, diga quando ela volta."
    )


# --------------------------------------------------------------------------- editing
class HoursError(ServiceError):
    """Invalid business hours (422)."""


def _team_of(client_id: int, team_id: int | None) -> None:
    if team_id is None:
        return
    from clickpro.services.teams.teams import get_team

    get_team(client_id, team_id)  # TeamNotFound (404) for another client's team


def hours_state(client_id: int, team_id: int | None = None) -> dict:
    """What the editor and the API show: the stored row (or defaults: none stored)."""
    _team_of(client_id, team_id)
    row = hours_row(client_id, team_id)
    schedule = schedule_for(client_id, team_id)
    at = now()
    return {
        "team_id": team_id,
        "configured": row is not None,
        "inherited": row is None and team_id is not None and hours_row(client_id, None) is not None,
        "timezone": row.timezone if row else None,
        "effective_timezone": schedule.tz.key,
        "weekly": (row.weekly if row else {}) or {},
        "holidays": (row.holidays if row else []) or [],
        "off_hours_enabled": bool(row.off_hours_enabled) if row else False,
        "off_hours_message": row.off_hours_message if row else None,
        "open_now": schedule.is_open(at),
        "next_opening": schedule.next_opening(at),
        "next_opening_phrase": schedule.next_opening_phrase(at),
    }


def save_hours(client_id: int, team_id: int | None, data: dict) -> dict:
    """Create or replace the row of the client (``team_id`` None) or of the team."""
    _team_of(client_id, team_id)
    try:
        weekly = clean_weekly(data.get("weekly") or {})
        holidays = clean_holidays(data.get("holidays") or [])
    except ValueError as exc:
        raise HoursError(str(exc)) from None
    tz = (data.get("timezone") or "").strip() or None
    if tz is not None and not valid_zone(tz):
        raise HoursError(_("Fuso horário desconhecido: %(tz)s.", tz=tz))
    message = (data.get("off_hours_message") or "").strip() or None
    if message and len(message) > 1000:
        raise HoursError(_("A mensagem fora do horário passa de 1000 caracteres."))
    row = hours_row(client_id, team_id)
    if row is None:
        row = BusinessHours(client_id=client_id, team_id=team_id)
        db.session.add(row)
    row.weekly = weekly
    row.holidays = holidays
    row.timezone = tz
    row.off_hours_enabled = bool(data.get("off_hours_enabled"))
    row.off_hours_message = message
    db.session.commit()
    return hours_state(client_id, team_id)


def delete_hours(client_id: int, team_id: int) -> None:
    """A team goes back to the client's hours."""
    _team_of(client_id, team_id)
    row = hours_row(client_id, team_id)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
