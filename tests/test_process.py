"""The acceptance process: 公示 working days, schedules, self vs acceptance."""

from datetime import date
from decimal import Decimal

import chinese_calendar
import pytest

from happy_rivers import scoring
from happy_rivers.scoring import process


@pytest.mark.parametrize(
    ("starts_on", "working_days", "ends_on"),
    [
        # DESIGN.md's example: Monday 2025-11-17, 5 working days → Friday 2025-11-21
        (date(2025, 11, 17), 5, date(2025, 11, 21)),
        # a weekend start does not count: Saturday → Monday is the first day
        (date(2025, 11, 22), 5, date(2025, 11, 28)),
        (date(2025, 11, 17), 1, date(2025, 11, 17)),
        # the first batch's notice before naming on 2025-01-07
        (date(2024, 12, 23), 5, date(2024, 12, 27)),
        # across the 2024 New Year's Day holiday (Monday 2024-01-01 is a holiday)
        (date(2023, 12, 28), 3, date(2024, 1, 2)),
        # across the Spring Festival 2026: Thu 12, Fri 13, Sat 14 (调休, a working day), the
        # holiday 15–23, then Tue 24 and Wed 25
        (date(2026, 2, 12), 5, date(2026, 2, 25)),
        # the adjusted Saturday 2026-02-28 is a working day: it counts
        (date(2026, 2, 27), 2, date(2026, 2, 28)),
        # National Day 2025 (1–8 October) and its adjusted Saturday 2025-10-11
        (date(2025, 9, 30), 3, date(2025, 10, 10)),
        (date(2025, 9, 30), 4, date(2025, 10, 11)),
    ],
)
def test_notice_period_counts_official_working_days(starts_on, working_days, ends_on):
    period = process.notice_period(starts_on, working_days)
    assert period.ends_on == ends_on
    assert (period.naming_from - period.ends_on).days == 1
    assert period.estimated is False


def test_the_calendar_data_is_the_packages():
    # the cases above rest on these facts of the package's data, not on our own table
    assert chinese_calendar.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert chinese_calendar.is_workday(date(2026, 2, 28))  # Saturday, 调休
    assert not chinese_calendar.is_workday(date(2026, 2, 17))  # 春节
    assert not chinese_calendar.is_workday(date(2025, 10, 8))  # 国庆中秋
    assert chinese_calendar.is_workday(date(2025, 10, 11))  # Saturday, 调休


def test_default_working_days_come_from_data():
    assert process.settings()["publicity"]["working_days"] == 5
    assert process.notice_period(date(2025, 11, 17)).ends_on == date(2025, 11, 21)


def test_years_the_calendar_does_not_cover_yet_skip_weekends_and_say_so():
    last_year = max(chinese_calendar.constants.holidays).year
    monday = date(last_year + 1, 1, 4)
    while monday.weekday() != 0:
        monday = date(monday.year, monday.month, monday.day + 1)
    period = process.notice_period(monday, 5)
    assert period.ends_on == date(monday.year, monday.month, monday.day + 4)
    assert period.estimated is True


@pytest.mark.parametrize("bad", [0, -1])
def test_working_days_must_be_positive(bad):
    with pytest.raises(ValueError):
        process.notice_period(date(2025, 11, 17), bad)


def test_a_notice_at_the_end_of_time_does_not_crash():
    period = process.notice_period(date(9999, 12, 31), 1)
    assert period.ends_on == date(9999, 12, 31)
    assert period.naming_from == date(9999, 12, 31)
    with pytest.raises(OverflowError):
        process.notice_period(date(9999, 12, 31), 2)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 7), 36, date(2028, 1, 7)),
        (date(2024, 2, 29), 36, date(2027, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 12, 15), 6, date(2027, 6, 15)),
        (date(9999, 12, 31), 6, date.max),
        (date(1, 1, 1), 6, date(1, 7, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert process.add_months(day, months) == expected


def test_schedules_from_data():
    assert process.recheck_due(date(2025, 1, 7)) == date(2028, 1, 7)
    assert process.rectification_due(date(2026, 8, 31)) == date(2027, 2, 28)
    assert process.recheck_due(date(9999, 1, 1)) == date.max


@pytest.mark.parametrize(
    ("due", "status"),
    [
        (date(2026, 12, 3), "overdue"),
        (date(2026, 12, 4), "due_soon"),
        (date(2027, 3, 4), "due_soon"),  # 90 days ahead
        (date(2027, 3, 5), "later"),
    ],
)
def test_due_status(due, status):
    assert process.due_status(due, today=date(2026, 12, 4)) == status


def test_self_vs_acceptance_highlights_differences_above_a_fifth_of_the_max():
    rubric = scoring.load_rubric("cq-river")
    D = Decimal
    self_points = {"A14": D("5.00"), "A15": D("4.00"), "A20": D("10.00"), "A1": D("8.00")}
    acceptance = {"A14": D("4.00"), "A15": D("2.50"), "A20": D("7.99")}
    rows = {r.code: r for r in process.compare(rubric.indicators, self_points, acceptance)}
    assert list(rows) == list(rubric.indicators)
    assert rows["A14"].difference == D("-1.00") and rows["A14"].large is False  # = 20 % of 5
    assert rows["A15"].difference == D("-1.50") and rows["A15"].large is True
    assert rows["A20"].difference == D("-2.01") and rows["A20"].large is True  # > 2 of 10
    assert rows["A1"].acceptance_points is None and rows["A1"].difference is None
    assert rows["A1"].large is False
