"""The acceptance process's dates and comparisons (docs/process.md) — pure Python.

- 公示 (public notice): how many working days, and which day it ends, by the official calendar
  (weekends, public holidays and the adjusted working days 调休) from `chinese-calendar`;
- schedules: when a recheck (复核) or a conditional decision's rectification (限期整改) falls due,
  and whether it is due soon or overdue;
- 自评 vs 市级验收: per indicator, the two scores side by side and the large differences.

The numbers are data (scoring/process.toml).
"""

from __future__ import annotations

import calendar
import datetime
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import chinese_calendar

PROCESS_FILE = Path(__file__).with_name("process.toml")


@cache
def settings() -> dict:
    with PROCESS_FILE.open("rb") as f:
        return tomllib.load(f)


# ---------------------------------------------------------------------------------------------
# Working days


def calendar_covers(day: datetime.date) -> bool:
    """Whether chinese-calendar knows the holidays of that year (it is updated each December,
    when the State Council publishes the next year's arrangement)."""
    holidays = chinese_calendar.constants.holidays
    return min(holidays).year <= day.year <= max(holidays).year


def is_working_day(day: datetime.date) -> bool:
    """A working day in mainland China. Outside the years the calendar covers, Monday to Friday
    (the caller can tell with calendar_covers and say so)."""
    if calendar_covers(day):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


@dataclass(frozen=True)
class NoticePeriod:
    starts_on: datetime.date
    working_days: int
    ends_on: datetime.date  # the last working day of the notice
    naming_from: datetime.date  # naming is allowed from the day after the notice ends
    # True when a day of the period lies in a year the holiday calendar does not cover yet, so
    # only weekends were skipped there: the page says so, and the date may move
    estimated: bool


def notice_period(starts_on: datetime.date, working_days: int | None = None) -> NoticePeriod:
    """The notice that starts on `starts_on` and lasts `working_days` working days.

    The start date counts as the first day when it is a working day: starting Monday
    2025-11-17 with 5 working days, the notice ends Friday 2025-11-21.
    """
    if working_days is None:
        working_days = int(settings()["publicity"]["working_days"])
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    day = starts_on
    estimated = False
    counted = 0
    while True:
        estimated = estimated or not calendar_covers(day)
        if is_working_day(day):
            counted += 1
            if counted == working_days:
                break
        if day == datetime.date.max:
            raise OverflowError("the notice would end after 9999-12-31")
        day += datetime.timedelta(days=1)
    naming_from = day + datetime.timedelta(days=1) if day < datetime.date.max else day
    return NoticePeriod(starts_on, working_days, day, naming_from, estimated)


# ---------------------------------------------------------------------------------------------
# Schedules


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it has no such day
    (2026-08-31 + 6 months = 2027-02-28); 9999-12-31 at the most."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if year > datetime.MAXYEAR:
        return datetime.date.max
    if year < datetime.MINYEAR:
        return datetime.date.min
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def recheck_due(named_on: datetime.date) -> datetime.date:
    """When a 市级幸福河湖 named on `named_on` is due for its recheck (复核)."""
    return add_months(named_on, 12 * int(settings()["schedules"]["recheck_years"]))


def rectification_due(decided_on: datetime.date) -> datetime.date:
    """The deadline of a conditional decision (限期整改后复核) made on `decided_on`."""
    return add_months(decided_on, int(settings()["schedules"]["rectification_months"]))


def due_status(due: datetime.date, today: datetime.date) -> str:
    """`overdue` (the day has passed), `due_soon` (within the window, today included) or
    `later`."""
    if due < today:
        return "overdue"
    if (due - today).days <= int(settings()["schedules"]["due_soon_days"]):
        return "due_soon"
    return "later"


# ---------------------------------------------------------------------------------------------
# 自评 vs 市级验收


@dataclass(frozen=True)
class IndicatorComparison:
    code: str
    name: str
    max: Decimal
    self_points: Decimal | None
    acceptance_points: Decimal | None
    difference: Decimal | None  # acceptance − self
    large: bool  # |difference| above the threshold share of the indicator's max


def compare(
    indicators: dict, self_points: dict[str, Decimal], acceptance_points: dict[str, Decimal]
) -> list[IndicatorComparison]:
    """Per indicator of the rubric (`indicators`: code → Indicator), the self-assessment's and
    the acceptance's points. A large difference hints at G6 (弄虚作假) for the reviewer to look
    at; it never decides anything by itself."""
    share = Decimal(str(settings()["compare"]["large_difference"]))
    rows = []
    for code, ind in indicators.items():
        mine = self_points.get(code)
        theirs = acceptance_points.get(code)
        difference = theirs - mine if mine is not None and theirs is not None else None
        large = difference is not None and abs(difference) > ind.max * share
        rows.append(IndicatorComparison(code, ind.name, ind.max, mine, theirs, difference, large))
    return rows
