"""Unit tests for scoring.leaderboard; every expected figure is worked out by hand in a comment."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from happy_rivers.scoring.leaderboard import (
    RANKING_RULE,
    RANKING_RULE_EN,
    DistrictStanding,
    leaders_by_dimension,
    rank_districts,
    rank_waterbodies,
)
from happy_rivers.scoring.progress import AcceptanceSpan

D = Decimal
JAN7 = date(2025, 1, 7)

DISTRICTS = [
    ("500101", "万州区"),
    ("500102", "涪陵区"),
    ("500103", "渝中区"),
    ("500104", "大渡口区"),
    ("500105", "江北区"),
    ("500106", "沙坪坝区"),
]


def title(accepted_on: date, total: str, revoked_on: date | None = None) -> AcceptanceSpan:
    return AcceptanceSpan(accepted_on, revoked_on, D(total))


def rows_of(standings: list[DistrictStanding]) -> list[tuple]:
    return [(s.code, s.rank, s.accepted, s.mean_score, s.reached_at) for s in standings]


def test_rule_texts_are_printed_sentences():
    assert "竞争排名" in RANKING_RULE and "1、1、3" in RANKING_RULE
    assert "competition" in RANKING_RULE_EN and "1, 1, 3" in RANKING_RULE_EN


def test_ties_share_rank_1_1_3():
    titles = {
        # 2 held, mean (90.00 + 92.00) / 2 = 91.00, count reached on the 2nd acceptance 03-01
        "500105": [title(JAN7, "90.00"), title(date(2025, 3, 1), "92.00")],
        # 2 held, mean (91.00 + 91.00) / 2 = 91.00, reached 01-07 → before 500105, same rank
        "500103": [title(JAN7, "91.00"), title(JAN7, "91.00")],
        # 2 held, mean (88.00 + 89.00) / 2 = 88.50 → rank 3 (two rows above it)
        "500101": [title(JAN7, "88.00"), title(JAN7, "89.00")],
        # 1 held, mean 99.00: the higher mean does not beat a higher count → rank 4
        "500102": [title(JAN7, "99.00")],
    }
    standings = rank_districts(DISTRICTS, titles, {"500104": 3}, date(2025, 12, 31))
    assert rows_of(standings) == [
        ("500103", 1, 2, D("91.00"), JAN7),
        ("500105", 1, 2, D("91.00"), date(2025, 3, 1)),
        ("500101", 3, 2, D("88.50"), JAN7),
        ("500102", 4, 1, D("99.00"), JAN7),
        # zero districts are listed too, share rank 5 and are ordered by code
        ("500104", 5, 0, None, None),
        ("500106", 5, 0, None, None),
    ]
    assert [s.in_review for s in standings] == [0, 0, 0, 0, 3, 0]


def test_code_breaks_full_tie_without_splitting_rank():
    # 500106 and 500102: both 1 held, 90.00, reached 01-07 → code order, both rank 1.
    titles = {"500106": [title(JAN7, "90.00")], "500102": [title(JAN7, "90.00")]}
    standings = rank_districts(DISTRICTS, titles, {}, date(2025, 12, 31))
    assert rows_of(standings)[:3] == [
        ("500102", 1, 1, D("90.00"), JAN7),
        ("500106", 1, 1, D("90.00"), JAN7),
        ("500101", 3, 0, None, None),  # next different pair: index 2 + 1 = 3
    ]


def test_all_zero_districts_share_rank_1():
    standings = rank_districts(DISTRICTS, {}, {}, date(2025, 12, 31))
    assert [(s.code, s.rank) for s in standings] == [(code, 1) for code, _ in DISTRICTS]


WANZHOU = [
    title(JAN7, "90.00"),
    title(JAN7, "80.00", revoked_on=date(2025, 9, 1)),
    title(date(2025, 5, 1), "90.05"),
]


@pytest.mark.parametrize(
    ("as_of", "accepted", "mean", "reached_at"),
    [
        (date(2025, 1, 6), 0, None, None),  # nothing yet
        # 2 held: (90.00 + 80.00) / 2 = 85.00; count reached on 01-07
        (date(2025, 4, 30), 2, D("85.00"), JAN7),
        # 3 held: 260.05 / 3 = 86.6833… → 86.68; reached on the 3rd acceptance 05-01
        (date(2025, 8, 31), 3, D("86.68"), date(2025, 5, 1)),
        # revoked on 09-01: 2 held, (90.00 + 90.05) / 2 = 90.025 → 90.03 (half-up);
        # the revocation is the latest change, so reached_at moves to 09-01
        (date(2025, 9, 1), 2, D("90.03"), date(2025, 9, 1)),
        (date(2026, 1, 1), 2, D("90.03"), date(2025, 9, 1)),
    ],
)
def test_revocation_changes_count_mean_and_reached_at(as_of, accepted, mean, reached_at):
    standing = rank_districts([("500101", "万州区")], {"500101": WANZHOU}, {}, as_of)[0]
    assert (standing.accepted, standing.mean_score, standing.reached_at) == (
        accepted,
        mean,
        reached_at,
    )


@pytest.mark.parametrize(
    ("titles", "reached_at"),
    [
        # revoked 06-01 and re-accepted 10-01: count 1 → 0 → 1, last change 10-01
        (
            [title(JAN7, "90.00", date(2025, 6, 1)), title(date(2025, 10, 1), "95.00")],
            date(2025, 10, 1),
        ),
        # one revoked and another accepted the same day 07-01: the count stays 1 throughout,
        # so it was reached on 01-07
        ([title(JAN7, "90.00", date(2025, 7, 1)), title(date(2025, 7, 1), "94.00")], JAN7),
        # accepted after as_of: not counted, does not move the date
        ([title(JAN7, "90.00"), title(date(2026, 2, 1), "94.00")], JAN7),
    ],
)
def test_reached_at(titles, reached_at):
    standing = rank_districts([("500101", "万州区")], {"500101": titles}, {}, date(2025, 12, 31))
    assert standing[0].accepted == 1
    assert standing[0].reached_at == reached_at


def _reached_at_by_counting(titles, as_of):
    """The rule as written in docs/process.md, counted the slow way: the latest event day on or
    before as_of whose held count differs from the day before's (the implementation before
    issue 14 made it one pass)."""

    def count(day):
        return sum(1 for t in titles if t.held_on(day))

    days = {t.accepted_on for t in titles} | {t.revoked_on for t in titles if t.revoked_on}
    for day in sorted((d for d in days if d <= as_of), reverse=True):
        before = 0 if day == date.min else count(day - timedelta(days=1))
        if count(day) != before:
            return day
    return None


def test_reached_at_is_the_last_day_the_count_changed_on_random_histories():
    """Same-day acceptances and revocations, re-acceptances, spans revoked the day they were
    accepted, days after as_of and date.min: 3,000 random histories, compared with counting."""
    rng = random.Random(14)
    start = date(2024, 12, 1)
    for case in range(3000):
        titles = []
        for _ in range(rng.randrange(0, 9)):
            accepted = start + timedelta(days=rng.randrange(0, 40))
            if case % 50 == 0 and rng.random() < 0.3:
                accepted = date.min
            revoked = None
            if rng.random() < 0.5:
                revoked = accepted + timedelta(days=rng.randrange(0, 20))
            titles.append(title(accepted, "90.00", revoked))
        as_of = start + timedelta(days=rng.randrange(-5, 60))
        held = [t for t in titles if t.held_on(as_of)]
        standing = rank_districts([("500101", "万州区")], {"500101": titles}, {}, as_of)[0]
        expected = _reached_at_by_counting(titles, as_of) if held else None
        assert standing.reached_at == expected, (titles, as_of)


@pytest.mark.parametrize(
    ("totals", "mean"),
    [
        (["90.00", "90.05"], "90.03"),  # 180.05 / 2 = 90.025 → 90.03 (half-up)
        (["85.00", "85.01"], "85.01"),  # 170.01 / 2 = 85.005 → 85.01 (half-even would be 85.00)
        (["90.00", "90.01", "90.00"], "90.00"),  # 270.01 / 3 = 90.00333… → 90.00
        (["90.00", "90.00", "90.02"], "90.01"),  # 270.02 / 3 = 90.00666… → 90.01
        (["99.99"], "99.99"),
    ],
)
def test_mean_score_half_up(totals, mean):
    titles = {"500101": [title(JAN7, t) for t in totals]}
    standing = rank_districts([("500101", "万州区")], titles, {}, date(2025, 12, 31))[0]
    assert standing.mean_score == D(mean)
    assert standing.to_dict()["mean_score"] == mean


def test_district_to_dict():
    titles = {"500103": [title(JAN7, "91.00"), title(JAN7, "92.00")]}  # 183 / 2 = 91.50
    standings = rank_districts(DISTRICTS[2:4], titles, {"500104": 2}, date(2025, 12, 31))
    assert [s.to_dict() for s in standings] == [
        {
            "rank": 1,
            "district": "渝中区",
            "code": "500103",
            "accepted": 2,
            "mean_score": "91.50",
            "in_review": 0,
            "reached_at": "2025-01-07",
        },
        {
            "rank": 2,
            "district": "大渡口区",
            "code": "500104",
            "accepted": 0,
            "mean_score": None,
            "in_review": 2,
            "reached_at": None,
        },
    ]


def test_duplicate_district_code_rejected():
    with pytest.raises(ValueError):
        rank_districts([("500101", "万州区"), ("500101", "万州区")], {}, {}, JAN7)


def wb(id_: int, total: str, **dimensions: str) -> dict:
    return {
        "id": id_,
        "name": f"河{id_}",
        "district": "万州区",
        "total": D(total),
        "dimensions": {code: D(v) for code, v in dimensions.items()},
    }


def test_rank_waterbodies():
    rows = [wb(7, "95.00"), wb(2, "93.45"), wb(9, "80.10"), wb(5, "93.45"), wb(3, "95.00")]
    standings = rank_waterbodies(rows)
    # total desc then id asc; competition rank on total: 95, 95 → 1, 1; 93.45, 93.45 → 3, 3;
    # 80.10 → 5
    assert [(s.id, s.rank, s.total) for s in standings] == [
        (3, 1, D("95.00")),
        (7, 1, D("95.00")),
        (2, 3, D("93.45")),
        (5, 3, D("93.45")),
        (9, 5, D("80.10")),
    ]


def test_waterbody_to_dict():
    (standing,) = rank_waterbodies([wb(4, "93.45", safety="12", ecology="20.5")])
    assert standing.to_dict() == {
        "rank": 1,
        "id": 4,
        "name": "河4",
        "district": "万州区",
        "total": "93.45",
        "dimensions": {"safety": "12.00", "ecology": "20.50"},
    }


def row(district_code: str, district: str, **dimensions: str) -> dict:
    return {
        "district_code": district_code,
        "district": district,
        "dimensions": {code: D(v) for code, v in dimensions.items()},
    }


def test_leaders_by_dimension():
    rows = [
        row("500101", "万州区", safety="12.00", ecology="20.00"),
        row("500101", "万州区", safety="14.00", ecology="21.00"),
        row("500102", "涪陵区", safety="13.00", ecology="22.00"),
        row("500103", "渝中区", culture="9.00"),
        row("500105", "江北区", amenity="10.03"),
        row("500104", "大渡口区", amenity="10.00"),
        row("500104", "大渡口区", amenity="10.05"),
    ]
    leaders = leaders_by_dimension(rows, ["safety", "ecology", "culture", "amenity", "smart"])
    assert leaders == {
        # 万州 (12 + 14) / 2 = 13.00 ties 涪陵 13.00 → lower code 500101
        "safety": {"code": "500101", "district": "万州区", "mean": D("13.00")},
        # 万州 (20 + 21) / 2 = 20.50 < 涪陵 22.00
        "ecology": {"code": "500102", "district": "涪陵区", "mean": D("22.00")},
        # only 渝中 scores culture; rows without it are not counted as 0
        "culture": {"code": "500103", "district": "渝中区", "mean": D("9.00")},
        # 大渡口 (10.00 + 10.05) / 2 = 10.025 → 10.03 (half-up) ties 江北 10.03 as shown
        # → lower code 500104
        "amenity": {"code": "500104", "district": "大渡口区", "mean": D("10.03")},
        # "smart": no rows → omitted
    }
