"""Unit tests for scoring.progress; every expected figure is worked out by hand in a comment.

Day counts used below: 2025-01-07 → 2025-12-31 is 358 days (365 − 7); 2026 and 2027 have 365
days each; 2028 and 2032 are the leap years up to 2035.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from happy_rivers.scoring.progress import (
    AcceptanceSpan,
    Target,
    accepted_count,
    cumulative_series,
    load_targets,
    pace_per_year,
    progress,
    required_pace_line,
)

Span = AcceptanceSpan

# The first 16 市级幸福河湖 passed acceptance on 2025-01-07.
FIRST_16 = [Span(date(2025, 1, 7))] * 16
# ... of which one lost its title on 2026-03-01 and was re-accepted on 2026-06-01.
REVOKED = [Span(date(2025, 1, 7))] * 15 + [Span(date(2025, 1, 7), date(2026, 3, 1))]
REACCEPTED = REVOKED + [Span(date(2026, 6, 1))]

T2027 = Target(2027, 100, date(2027, 12, 31), "2027年建成100条市级幸福河湖")
T2035 = Target(2035, 1000, date(2035, 12, 31), "2035年建成1000条以上市级幸福河湖")


def test_load_targets_default_file():
    assert load_targets() == [
        replace(T2027, label_en="100 city-level happy rivers by 2027"),
        replace(T2035, label_en="1,000 or more city-level happy rivers by 2035"),
    ]


def test_load_targets_custom_path(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[[targets]]\nyear = 2030\ngoal = 5\ndeadline = 2030-06-30\nlabel = "x"\n')
    assert load_targets(path) == [Target(2030, 5, date(2030, 6, 30), "x")]


def test_load_targets_rejects_non_date_deadline(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[[targets]]\nyear = 2030\ngoal = 5\ndeadline = "2030-06-30"\nlabel = "x"\n')
    with pytest.raises(ValueError):
        load_targets(path)


def test_span_revoked_before_accepted_is_rejected():
    with pytest.raises(ValueError):
        Span(date(2025, 5, 1), date(2025, 4, 30))


@pytest.mark.parametrize(
    ("spans", "as_of", "expected"),
    [
        (FIRST_16, date(2025, 1, 6), 0),  # the day before the first acceptance
        (FIRST_16, date(2025, 1, 7), 16),  # acceptance counts on its own date
        (REVOKED, date(2026, 2, 28), 16),  # revocation does not count before its date
        (REVOKED, date(2026, 3, 1), 15),  # ... and lowers the count from its date on
        (REVOKED, date(2026, 3, 2), 15),
        (REACCEPTED, date(2026, 5, 31), 15),  # second span not yet started
        (REACCEPTED, date(2026, 6, 1), 16),  # 15 + the re-accepted one
        ([Span(date(2025, 5, 1), date(2025, 5, 1))], date(2025, 5, 1), 0),  # revoked same day
        ([], date(2025, 5, 1), 0),
    ],
)
def test_accepted_count(spans, as_of, expected):
    assert accepted_count(spans, as_of) == expected


@pytest.mark.parametrize(
    ("accepted_on", "as_of", "expected"),
    [
        # 2025-01-07 + 365 days = 2026-01-07 (2025 is not a leap year): exactly 365 days before
        # as_of is outside the window as_of − 365 < date ≤ as_of.
        (date(2025, 1, 7), date(2026, 1, 7), 0),
        (date(2025, 1, 8), date(2026, 1, 7), 1),  # 364 days before: inside
        (date(2026, 1, 7), date(2026, 1, 7), 1),  # as_of itself: inside
        (date(2026, 1, 8), date(2026, 1, 7), 0),  # after as_of: outside
        # 2024 is a leap year: 2024-12-31 − 365 days = 2024-01-01, so the window is
        # 2024-01-02 … 2024-12-31 — 365 days, not a calendar year.
        (date(2024, 1, 1), date(2024, 12, 31), 0),
        (date(2024, 1, 2), date(2024, 12, 31), 1),
    ],
)
def test_pace_window_boundaries(accepted_on, as_of, expected):
    assert pace_per_year([Span(accepted_on)], as_of) == expected


def test_pace_counts_acceptances_revoked_later():
    # accepted 2025-06-01 and revoked 2025-09-01: held count 0 on 2025-12-31, pace still 1
    spans = [Span(date(2025, 6, 1), date(2025, 9, 1))]
    assert accepted_count(spans, date(2025, 12, 31)) == 0
    assert pace_per_year(spans, date(2025, 12, 31)) == 1


def test_progress_first_16_full_shape():
    # as_of 2025-01-07, accepted 16, pace 16 (all 16 on as_of itself).
    # 2027: days_left = 358 + 365 + 365 = 1088; remaining = 100 − 16 = 84;
    #   required = 84 × 365.25 / 1088 = 30681 / 1088 = 28.1994… → 28.20;
    #   projected = 16 + 16 × 1088 / 365.25 = 16 + 17408 / 365.25 = 16 + 47.6605… → 63.66;
    #   63.66 < 100 → behind.
    # 2035: days_left = 358 + 10 × 365 + 2 (2028, 2032) = 4010; remaining = 1000 − 16 = 984;
    #   required = 984 × 365.25 / 4010 = 359406 / 4010 = 89.6274… → 89.63;
    #   projected = 16 + 16 × 4010 / 365.25 = 16 + 64160 / 365.25 = 16 + 175.6605… → 191.66; behind.
    assert progress(FIRST_16, date(2025, 1, 7)) == {
        "as_of": "2025-01-07",
        "accepted": 16,
        "targets": [
            {
                "year": 2027,
                "goal": 100,
                "deadline": "2027-12-31",
                "label": "2027年建成100条市级幸福河湖",
                "remaining": 84,
                "days_left": 1088,
                "required_per_year": 28.20,
                "pace_per_year": 16,
                "projected": 63.66,
                "status": "behind",
            },
            {
                "year": 2035,
                "goal": 1000,
                "deadline": "2035-12-31",
                "label": "2035年建成1000条以上市级幸福河湖",
                "remaining": 984,
                "days_left": 4010,
                "required_per_year": 89.63,
                "pace_per_year": 16,
                "projected": 191.66,
                "status": "behind",
            },
        ],
    }


def test_progress_value_types():
    result = progress(FIRST_16, date(2025, 1, 7))
    assert type(result["accepted"]) is int
    for row in result["targets"]:
        for key in ("remaining", "days_left", "pace_per_year", "year", "goal"):
            assert type(row[key]) is int, key
        for key in ("required_per_year", "projected"):
            assert type(row[key]) is float, key


def _keys(row: dict) -> tuple:
    return (
        row["remaining"],
        row["days_left"],
        row["required_per_year"],
        row["pace_per_year"],
        row["projected"],
        row["status"],
    )


# Expected: (remaining, days_left, required_per_year, pace_per_year, projected, status)
@pytest.mark.parametrize(
    ("spans", "as_of", "target", "expected"),
    [
        pytest.param(
            # Before any acceptance: accepted 0, pace 0.
            # days_left 2024-12-31 → 2027-12-31 = 365 × 3 = 1095;
            # required = 100 × 365.25 / 1095 = 36525 / 1095 = 33.3561… → 33.36;
            # projected = 0 + 0 = 0 < 100 → behind.
            FIRST_16,
            date(2024, 12, 31),
            T2027,
            (100, 1095, 33.36, 0, 0.0, "behind"),
            id="before-any-acceptance-2027",
        ),
        pytest.param(
            # days_left = 365 (2025) + 10 × 365 + 2 = 4017;
            # required = 1000 × 365.25 / 4017 = 365250 / 4017 = 90.9260… → 90.93.
            FIRST_16,
            date(2024, 12, 31),
            T2035,
            (1000, 4017, 90.93, 0, 0.0, "behind"),
            id="before-any-acceptance-2035",
        ),
        pytest.param(
            # 16 + 40 accepted by 2025-12-31, all within 2024-12-31 < d ≤ 2025-12-31: pace 56.
            # days_left = 365 + 365 = 730; remaining = 100 − 56 = 44;
            # required = 44 × 365.25 / 730 = 16071 / 730 = 22.0150… → 22.02;
            # projected = 56 + 56 × 730 / 365.25 = 56 + 40880 / 365.25 = 56 + 111.9233… → 167.92;
            # 167.92 ≥ 100 → on_track.
            FIRST_16 + [Span(date(2025, 12, 31))] * 40,
            date(2025, 12, 31),
            T2027,
            (44, 730, 22.02, 56, 167.92, "on_track"),
            id="on-track",
        ),
        pytest.param(
            # Same pace against 2035: days_left = 730 + 8 × 365 + 2 = 3652; remaining 944;
            # required = 944 × 365.25 / 3652 = 344796 / 3652 = 94.4129… → 94.41;
            # projected = 56 + 56 × 3652 / 365.25 = 56 + 204512 / 365.25 = 56 + 559.9233… → 615.92;
            # 615.92 < 1000 → behind.
            FIRST_16 + [Span(date(2025, 12, 31))] * 40,
            date(2025, 12, 31),
            T2035,
            (944, 3652, 94.41, 56, 615.92, "behind"),
            id="behind",
        ),
        pytest.param(
            # Half-up: 2025-01-07 → 2033-01-07 = 8 × 365 + 2 = 2922 days = 8 × 365.25.
            # required = 1 × 365.25 / 2922 = 0.125 → 0.13 (half-even or float round() give 0.12);
            # projected = 16 + 16 × 2922 / 365.25 = 16 + 128 = 144 ≥ 17 → on_track.
            FIRST_16,
            date(2025, 1, 7),
            Target(2033, 17, date(2033, 1, 7), "t"),
            (1, 2922, 0.13, 16, 144.0, "on_track"),
            id="half-up-0.125",
        ),
        pytest.param(
            # remaining 5: required = 5 × 365.25 / 2922 = 5 / 8 = 0.625 → 0.63 (half-even: 0.62).
            FIRST_16,
            date(2025, 1, 7),
            Target(2033, 21, date(2033, 1, 7), "t"),
            (5, 2922, 0.63, 16, 144.0, "on_track"),
            id="half-up-0.625",
        ),
        pytest.param(
            # 1 accepted on as_of, pace 1, 365 days left, goal 2:
            # projected = 1 + 1 × 365 / 365.25 = 1.99931… shows 2.00 but is < 2 → behind;
            # required = 1 × 365.25 / 365 = 1.00068… → 1.00.
            [Span(date(2025, 6, 30))],
            date(2025, 6, 30),
            Target(2026, 2, date(2026, 6, 30), "t"),
            (1, 365, 1.0, 1, 2.0, "behind"),
            id="projected-rounds-to-goal-but-behind",
        ),
        pytest.param(
            # 2025-06-30 → 2029-06-30 = 4 × 365 + 1 (2028-02-29) = 1461 days = 4 × 365.25.
            # projected = 1 + 1 × 1461 / 365.25 = 1 + 4 = 5 = goal → on_track (≥);
            # required = 4 × 365.25 / 1461 = 1.00.
            [Span(date(2025, 6, 30))],
            date(2025, 6, 30),
            Target(2029, 5, date(2029, 6, 30), "t"),
            (4, 1461, 1.0, 1, 5.0, "on_track"),
            id="projected-equals-goal",
        ),
        pytest.param(
            # as_of = deadline: days_left 0 → required None; 16 < 100 → missed;
            # pace window 2026-12-31 < d ≤ 2027-12-31 holds none → pace 0; projected = 16 + 0.
            FIRST_16,
            date(2027, 12, 31),
            T2027,
            (84, 0, None, 0, 16.0, "missed"),
            id="deadline-day-missed",
        ),
        pytest.param(
            # as_of = deadline with 16 + 84 = 100 accepted → achieved; remaining 0;
            # pace = the 84 of 2027-06-01; projected = 100 + 84 × 0 / 365.25 = 100.
            FIRST_16 + [Span(date(2027, 6, 1))] * 84,
            date(2027, 12, 31),
            T2027,
            (0, 0, None, 84, 100.0, "achieved"),
            id="deadline-day-achieved",
        ),
        pytest.param(
            # One day after the deadline: days_left −1, required None; max(−1, 0) = 0 so
            # projected = accepted = 16 → missed.
            FIRST_16,
            date(2028, 1, 1),
            T2027,
            (84, -1, None, 0, 16.0, "missed"),
            id="after-deadline-missed",
        ),
        pytest.param(
            # After the deadline with 100 → achieved wins over missed.
            FIRST_16 + [Span(date(2027, 6, 1))] * 84,
            date(2028, 1, 1),
            T2027,
            (0, -1, None, 84, 100.0, "achieved"),
            id="after-deadline-achieved",
        ),
        pytest.param(
            # Achieved early: 100 accepted on 2026-01-01; days_left 2026-01-01 → 2027-12-31 =
            # 364 + 365 = 729; required = 0 × … = 0.00;
            # projected = 100 + 100 × 729 / 365.25 = 100 + 199.5893… → 299.59.
            [Span(date(2026, 1, 1))] * 100,
            date(2026, 1, 1),
            T2027,
            (0, 729, 0.0, 100, 299.59, "achieved"),
            id="achieved-early",
        ),
    ],
)
def test_progress_target_rows(spans, as_of, target, expected):
    result = progress(spans, as_of, [target])
    assert _keys(result["targets"][0]) == expected


@pytest.mark.parametrize(
    ("as_of", "accepted", "remaining"),
    [
        (date(2026, 2, 28), 16, 84),  # the day before the revocation: still 16
        (date(2026, 3, 1), 15, 85),  # from the revocation date on: 15, so 100 − 15 = 85 left
    ],
)
def test_progress_revocation(as_of, accepted, remaining):
    result = progress(REVOKED, as_of, [T2027])
    assert result["accepted"] == accepted
    assert result["targets"][0]["remaining"] == remaining


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            date(2024, 12, 1),
            date(2026, 12, 31),
            [
                (date(2024, 12, 1), 0),
                (date(2025, 1, 7), 16),  # the first 16
                (date(2026, 3, 1), 15),  # one revoked
                (date(2026, 6, 1), 16),  # ... and re-accepted
                (date(2026, 9, 15), 17),  # one more
                (date(2026, 12, 31), 17),
            ],
        ),
        (
            # events outside [start, end] are not points of their own
            date(2025, 6, 1),
            date(2026, 4, 1),
            [(date(2025, 6, 1), 16), (date(2026, 3, 1), 15), (date(2026, 4, 1), 15)],
        ),
        # start = end = an event date: one point, not three
        (date(2025, 1, 7), date(2025, 1, 7), [(date(2025, 1, 7), 16)]),
    ],
)
def test_cumulative_series(start, end, expected):
    spans = REACCEPTED + [Span(date(2026, 9, 15))]
    assert cumulative_series(spans, start, end) == expected


def test_cumulative_series_rejects_reversed_range():
    with pytest.raises(ValueError):
        cumulative_series(FIRST_16, date(2026, 1, 1), date(2025, 1, 1))


def test_required_pace_line():
    assert required_pace_line(T2027, date(2025, 1, 7), 16) == [
        (date(2025, 1, 7), 16.0),
        (date(2027, 12, 31), 100.0),
    ]
