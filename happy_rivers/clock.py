"""The one owner of time: what instant it is, how it is stored, how it is shown, which day it is.

- Stored: UTC, ISO 8601 with the offset ("2026-12-01T22:33:00+00:00"), from stamp(). Every
  stamp in the database has that one shape, so they sort and compare as text.
- Shown: Beijing time (UTC+8, no daylight saving) everywhere — pages and the report through the
  Jinja filter `beijing`, exports through beijing_datetime(), the API through beijing_iso().
- Today: the date in Beijing (today()). Between 16:00 and 24:00 UTC it is already tomorrow in
  Chongqing; a server clock in UTC would otherwise refuse a decision dated "today".

utc_now() is the only place that reads the system clock. Tests set the time by monkeypatching
it; demo data dates its history with at() (store/demo.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")
_EIGHT_HOURS = timedelta(hours=8)

_pinned: ContextVar[datetime | None] = ContextVar("pinned_now", default=None)


def utc_now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return _pinned.get() or datetime.now(UTC)


@contextmanager
def at(instant: datetime) -> Iterator[None]:
    """Within the block, it is `instant` (for this thread / context only): history written by
    the demo data gets the stamps it would have had, through the same store functions."""
    token = _pinned.set(instant.astimezone(UTC))
    try:
        yield
    finally:
        _pinned.reset(token)


def stamp(instant: datetime | None = None) -> str:
    """An instant (default: now) as stored: UTC, ISO 8601, whole seconds."""
    return (instant or utc_now()).astimezone(UTC).isoformat(timespec="seconds")


def today() -> date:
    """Today's date in Beijing: the day every "today" in the app means."""
    return utc_now().astimezone(BEIJING).date()


def parse_date(text) -> date:
    """A date as typed into a page or sent to the API: exactly YYYY-MM-DD in ASCII digits, and a
    real day; ValueError otherwise. The one reading of a date: the boards, exports, audit log,
    review form and API accept and refuse the same texts. (date.fromisoformat alone also takes
    20250107 and the week date 2025-W02-2; strptime takes 2025-1-7.)"""
    if isinstance(text, str) and len(text) == 10 and text[4] == text[7] == "-":
        digits = text[:4] + text[5:7] + text[8:]
        if digits.isascii() and digits.isdigit():
            return date.fromisoformat(text)  # ValueError for 2025-02-30
    raise ValueError(f"not a YYYY-MM-DD date: {str(text)[:20]!r}")


def parse(value: str | datetime | None) -> datetime | None:
    """A stored stamp as an aware datetime (a stamp without an offset is UTC); None if empty
    or unreadable, so one odd row never breaks a page."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def beijing_datetime(value: str | datetime | None) -> datetime | None:
    """A stored stamp as naive Beijing wall time (for Excel cells, which have no time zones)."""
    moment = parse(value)
    if moment is None:
        return None
    try:
        return moment.astimezone(BEIJING).replace(tzinfo=None)
    except OverflowError:  # 9999-12-31T23:00Z is in the year 10000 in Beijing
        return None


def beijing(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored stamp as Beijing time for people ("2026-12-02 06:33"); "—" when empty.

    The Jinja filter `beijing`: {{ row.at|beijing }}, {{ row.at|beijing('%Y-%m-%d') }}.
    """
    local = beijing_datetime(value)
    if local is None:
        return str(value) if value else "—"
    return local.strftime(fmt)


def beijing_date(value: str | datetime | None) -> date | None:
    """The date in Beijing of a stored stamp."""
    local = beijing_datetime(value)
    return local.date() if local else None


def beijing_iso(value: str | datetime | None) -> str | None:
    """A stored stamp as ISO 8601 in Beijing time, for the API ("2026-12-02T06:33:00+08:00")."""
    local = beijing_datetime(value)
    return local.replace(tzinfo=BEIJING).isoformat(timespec="seconds") if local else None


def utc_start_of(day: date) -> str:
    """The stored-stamp form of the instant a Beijing day begins (for "since" filters).

    Computed from midnight UTC so that no date a user can type overflows: 0001-01-01 begins
    before the first representable instant and is clamped to it (nothing is stored earlier).
    """
    midnight = datetime.combine(day, time(), UTC)
    if day == date.min:
        return stamp(midnight)
    return stamp(midnight - _EIGHT_HOURS)


def utc_end_of(day: date) -> str:
    """The stored-stamp form of the instant a Beijing day ends (exclusive, for "until")."""
    return stamp(datetime.combine(day, time(), UTC) + (timedelta(days=1) - _EIGHT_HOURS))
