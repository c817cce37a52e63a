"""The scoring engine against shared/RUBRIC.md, to the cent.

Every expected figure is worked out by hand in a comment next to it. The base answers
(tests/answers.py) score exactly 100.00; each case changes only what it names, so the expected
total is 100 minus the points the change takes away.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal

import pytest
from answers import full_reservoir_answers, full_river_answers

from happy_rivers import scoring

RIVER = scoring.load_rubric("cq-river")
RESERVOIR = scoring.load_rubric("cq-reservoir")
RUBRICS = {"cq-river": RIVER, "cq-reservoir": RESERVOIR}
FULL = {"cq-river": full_river_answers, "cq-reservoir": full_reservoir_answers}
CJK = re.compile(r"[\u4e00-\u9fff]")
TWO_PLACES = re.compile(r"^-?\d+\.\d{2}$")


def D(text: str) -> Decimal:
    return Decimal(text)


def answers_with(rubric_id: str, **changes) -> dict:
    """The full-marks answers of a rubric with some indicators (or gates) replaced."""
    answers = FULL[rubric_id]()
    answers.update(changes)
    return answers


def score(rubric_id: str, **changes) -> scoring.Result:
    return scoring.score(RUBRICS[rubric_id], answers_with(rubric_id, **changes))


def points(rubric_id: str, code: str, value) -> Decimal:
    return score(rubric_id, **{code: value}).indicators[code].points


def errors(rubric_id: str, answers: dict) -> dict[str, str]:
    with pytest.raises(scoring.InvalidAnswers) as info:
        scoring.score(RUBRICS[rubric_id], answers)
    return info.value.errors


def error_keys(rubric_id: str, **changes) -> set[str]:
    return set(errors(rubric_id, answers_with(rubric_id, **changes)))


# ------------------------------------------------------------------------------- rubric data

RIVER_TABLE = [
    # code, dimension, max, kind — the river table of RUBRIC.md
    ("A1", "safety", "8", "linear"),
    ("A2", "safety", "7", "deduction"),
    ("A3", "ecology", "7", "water_class"),
    ("A4", "ecology", "3", "linear"),
    ("A5", "ecology", "4", "linear"),
    ("A6", "ecology", "4", "linear"),
    ("A7", "ecology", "4", "linear"),
    ("A8", "ecology", "3", "linear"),
    ("A9", "amenity", "4", "deduction"),
    ("A10", "amenity", "5", "checklist"),
    ("A11", "amenity", "3", "linear"),
    ("A12", "amenity", "3", "choice"),
    ("A13", "smart", "8", "checklist"),
    ("A14", "culture", "5", "judged"),
    ("A15", "culture", "5", "judged"),
    ("A16", "prosperity", "4", "checklist"),
    ("A17", "prosperity", "5", "judged"),
    ("A18", "prosperity", "3", "income_gap"),
    ("A19", "satisfaction", "5", "linear"),
    ("A20", "satisfaction", "10", "survey"),
]
RESERVOIR_TABLE = [
    ("B1", "safety", "6", "choice"),
    ("B2", "safety", "5", "checklist"),
    ("B3", "safety", "4", "deduction"),
    ("B4", "ecology", "7", "water_class"),
    ("B5", "ecology", "5", "linear"),
    ("B6", "ecology", "5", "linear"),
    ("B7", "ecology", "4", "linear"),
    ("B8", "ecology", "4", "linear"),
    ("B9", "amenity", "4", "deduction"),
    ("B10", "amenity", "4", "checklist"),
    ("B11", "amenity", "4", "checklist"),
    ("B12", "amenity", "3", "linear"),
    *RIVER_TABLE[12:],  # A13–A20 are the river's
]
DIMENSION_MAX = {
    "safety": "15",
    "ecology": "25",
    "amenity": "15",
    "smart": "8",
    "culture": "10",
    "prosperity": "12",
    "satisfaction": "15",
}


@pytest.mark.parametrize(
    "rubric_id, table", [("cq-river", RIVER_TABLE), ("cq-reservoir", RESERVOIR_TABLE)]
)
def test_rubric_indicators_match_the_contract(rubric_id, table):
    rubric = scoring.load_rubric(rubric_id)
    assert (rubric.id, rubric.version) == (rubric_id, "2025.1")
    got = [(i.code, i.dimension, i.max, i.kind) for i in rubric.indicators.values()]
    assert sorted(got) == sorted((c, d, D(m), k) for c, d, m, k in table)
    assert {d.code: d.max for d in rubric.dimensions} == {k: D(v) for k, v in DIMENSION_MAX.items()}
    assert rubric.max_total == D("100")  # 15 + 25 + 15 + 8 + 10 + 12 + 15


@pytest.mark.parametrize("rubric_id", ["cq-river", "cq-reservoir"])
def test_full_answers_score_exactly_100(rubric_id):
    result = score(rubric_id)
    assert result.total == D("100.00")
    assert str(result.total) == "100.00"
    assert result.decision == "accepted"
    assert result.grade == "很幸福"
    assert result.gates == []
    for code, dim in result.dimensions.items():
        assert dim.score == dim.max == D(DIMENSION_MAX[code])
        assert dim.floor_met is True
    for ind in result.indicators.values():
        assert ind.points == ind.max
        assert CJK.search(ind.explain)
    assert result.reasons and all(CJK.search(r) for r in result.reasons)


def test_full_answers_are_fresh_dicts():
    a, b = full_river_answers(), full_river_answers()
    a["A3"]["tp"] = 1
    a["A10"].append("x")
    assert b["A3"]["tp"] == 0.09
    assert "x" not in full_river_answers()["A10"]


# ------------------------------------------------------------------------------------ linear

LINEAR_CASES = [
    # A1 max 8, full 100, zero 75: 8 × (x − 75)/25
    ("cq-river", "A1", 100, "8.00"),
    ("cq-river", "A1", 99.99, "8.00"),  # 8 × 24.99/25 = 7.9968
    ("cq-river", "A1", 99.9, "7.97"),  # 8 × 24.9/25 = 7.968
    ("cq-river", "A1", 96.5, "6.88"),  # 8 × 21.5/25
    ("cq-river", "A1", 87.5, "4.00"),  # 8 × 12.5/25
    ("cq-river", "A1", 75.1, "0.03"),  # 8 × 0.1/25 = 0.032
    ("cq-river", "A1", 75.01, "0.00"),  # 0.0032
    ("cq-river", "A1", 75.015625, "0.01"),  # 8 × 0.015625/25 = 0.005 → half-up 0.01
    ("cq-river", "A1", 75, "0.00"),
    ("cq-river", "A1", 74.99, "0.00"),  # clamped
    ("cq-river", "A1", 0, "0.00"),
    # A4 max 3, full 95, zero 80: 3 × (x − 80)/15 = (x − 80)/5
    ("cq-river", "A4", 100, "3.00"),  # above full: clamped
    ("cq-river", "A4", 95.01, "3.00"),
    ("cq-river", "A4", 95, "3.00"),
    ("cq-river", "A4", 94.99, "3.00"),  # 14.99/5 = 2.998
    ("cq-river", "A4", 94.9, "2.98"),  # 14.9/5
    ("cq-river", "A4", 82.075, "0.42"),  # 2.075/5 = 0.415 exactly → 0.42
    ("cq-river", "A4", 80.575, "0.12"),  # 0.575/5 = 0.115 → 0.12
    ("cq-river", "A4", 80.025, "0.01"),  # 0.005 → 0.01
    ("cq-river", "A4", 80.01, "0.00"),  # 0.002
    ("cq-river", "A4", 80, "0.00"),
    ("cq-river", "A4", 79.99, "0.00"),
    # A5 max 4, full 90, zero 60: 4 × (x − 60)/30
    ("cq-river", "A5", 90, "4.00"),
    ("cq-river", "A5", 89.99, "4.00"),  # 4 × 29.99/30 = 3.99866…
    ("cq-river", "A5", 89.9, "3.99"),  # 4 × 29.9/30 = 3.98666…
    ("cq-river", "A5", 75, "2.00"),  # 4 × 15/30
    ("cq-river", "A5", 60.0375, "0.01"),  # 4 × 0.0375/30 = 0.005 → 0.01
    ("cq-river", "A5", 60.1, "0.01"),  # 0.01333…
    ("cq-river", "A5", 60, "0.00"),
    ("cq-river", "A5", 59.99, "0.00"),
    # A6 max 4, full 80, zero 40: 4 × (x − 40)/40 = (x − 40)/10
    ("cq-river", "A6", 80, "4.00"),
    ("cq-river", "A6", 80.01, "4.00"),
    ("cq-river", "A6", 79.99, "4.00"),  # 3.999
    ("cq-river", "A6", 79.9, "3.99"),
    ("cq-river", "A6", 71.5, "3.15"),
    ("cq-river", "A6", 41.25, "0.13"),  # 1.25/10 = 0.125 → half-up 0.13 (half-even: 0.12)
    ("cq-river", "A6", 40.05, "0.01"),  # 0.005
    ("cq-river", "A6", 40.01, "0.00"),  # 0.001
    ("cq-river", "A6", 40, "0.00"),
    ("cq-river", "A6", 39.99, "0.00"),
    # A7 max 4, full 90, zero 50: (x − 50)/10
    ("cq-river", "A7", 90, "4.00"),
    ("cq-river", "A7", 89.95, "4.00"),  # 3.995 → 4.00
    ("cq-river", "A7", 89.94, "3.99"),  # 3.994
    ("cq-river", "A7", 88, "3.80"),
    ("cq-river", "A7", 50.05, "0.01"),  # 0.005
    ("cq-river", "A7", 50, "0.00"),
    ("cq-river", "A7", 49.99, "0.00"),
    # A8 max 3, full 100, zero 80: 3 × (x − 80)/20
    ("cq-river", "A8", 100, "3.00"),
    ("cq-river", "A8", 99.99, "3.00"),  # 3 × 19.99/20 = 2.9985
    ("cq-river", "A8", 99.9, "2.99"),  # 3 × 19.9/20 = 2.985 → half-up 2.99 (half-even: 2.98)
    ("cq-river", "A8", 90, "1.50"),
    ("cq-river", "A8", 80.01, "0.00"),  # 0.0015
    ("cq-river", "A8", 80, "0.00"),
    ("cq-river", "A8", 79.99, "0.00"),
    # A11 max 3, full 95, zero 80: (x − 80)/5
    ("cq-river", "A11", 95, "3.00"),
    ("cq-river", "A11", 94.99, "3.00"),
    ("cq-river", "A11", 94.95, "2.99"),  # 14.95/5
    ("cq-river", "A11", 87.5, "1.50"),
    ("cq-river", "A11", 82.075, "0.42"),  # 0.415
    ("cq-river", "A11", 80, "0.00"),
    ("cq-river", "A11", 79.99, "0.00"),
    # A19 max 5, full 100, zero 60: 5 × (x − 60)/40 = (x − 60)/8
    ("cq-river", "A19", 100, "5.00"),
    ("cq-river", "A19", 99.99, "5.00"),  # 39.99/8 = 4.99875
    ("cq-river", "A19", 99.92, "4.99"),  # 39.92/8
    ("cq-river", "A19", 99.9, "4.99"),  # 39.9/8 = 4.9875
    ("cq-river", "A19", 92, "4.00"),
    ("cq-river", "A19", 60.04, "0.01"),  # 0.005
    ("cq-river", "A19", 60, "0.00"),
    ("cq-river", "A19", 59.99, "0.00"),
    # B5 max 5, full 50, zero 70 (lower TLI is better): 5 × (x − 70)/(50 − 70) = (70 − x)/4
    ("cq-reservoir", "B5", 0, "5.00"),
    ("cq-reservoir", "B5", 49.99, "5.00"),  # clamped
    ("cq-reservoir", "B5", 50, "5.00"),
    ("cq-reservoir", "B5", 50.01, "5.00"),  # 19.99/4 = 4.9975
    ("cq-reservoir", "B5", 50.02, "5.00"),  # 19.98/4 = 4.995 → half-up 5.00
    ("cq-reservoir", "B5", 50.06, "4.99"),  # 19.94/4 = 4.985 → half-up 4.99 (half-even: 4.98)
    ("cq-reservoir", "B5", 60, "2.50"),
    ("cq-reservoir", "B5", 69.98, "0.01"),  # 0.02/4 = 0.005
    ("cq-reservoir", "B5", 69.99, "0.00"),  # 0.0025
    ("cq-reservoir", "B5", 70, "0.00"),
    ("cq-reservoir", "B5", 70.01, "0.00"),  # clamped
    ("cq-reservoir", "B5", 100, "0.00"),
    # B6 max 5, full 90, zero 60: (x − 60)/6
    ("cq-reservoir", "B6", 90, "5.00"),
    ("cq-reservoir", "B6", 89.99, "5.00"),  # 29.99/6 = 4.99833…
    ("cq-reservoir", "B6", 89.9, "4.98"),  # 29.9/6 = 4.98333…
    ("cq-reservoir", "B6", 75, "2.50"),
    ("cq-reservoir", "B6", 60.03, "0.01"),  # 0.005
    ("cq-reservoir", "B6", 60, "0.00"),
    ("cq-reservoir", "B6", 59.99, "0.00"),
    # B7 max 4, full 90, zero 50: (x − 50)/10
    ("cq-reservoir", "B7", 90, "4.00"),
    ("cq-reservoir", "B7", 89.95, "4.00"),
    ("cq-reservoir", "B7", 54, "0.40"),
    ("cq-reservoir", "B7", 50, "0.00"),
    ("cq-reservoir", "B7", 49.99, "0.00"),
    # B8 max 4, full 200, zero 5000 (lower density is better): 4 × (5000 − x)/4800
    ("cq-reservoir", "B8", 0, "4.00"),
    ("cq-reservoir", "B8", 199, "4.00"),  # clamped
    ("cq-reservoir", "B8", 200, "4.00"),
    ("cq-reservoir", "B8", 201, "4.00"),  # 4799/1200 = 3.99916…
    ("cq-reservoir", "B8", 206, "4.00"),  # 4794/1200 = 3.995 → half-up 4.00
    ("cq-reservoir", "B8", 207, "3.99"),  # 4793/1200 = 3.99416…
    ("cq-reservoir", "B8", 2600, "2.00"),  # 2400/1200
    ("cq-reservoir", "B8", 4994, "0.01"),  # 6/1200 = 0.005
    ("cq-reservoir", "B8", 4999, "0.00"),  # 1/1200
    ("cq-reservoir", "B8", 5000, "0.00"),
    ("cq-reservoir", "B8", 5001, "0.00"),
    ("cq-reservoir", "B8", 100000, "0.00"),
    # B12 max 3, full 95, zero 80: (x − 80)/5
    ("cq-reservoir", "B12", 95, "3.00"),
    ("cq-reservoir", "B12", 94.95, "2.99"),
    ("cq-reservoir", "B12", 82.075, "0.42"),
    ("cq-reservoir", "B12", 80, "0.00"),
    ("cq-reservoir", "B12", 79.99, "0.00"),
    # A19 and A1 on the reservoir rubric are the river's (A19 inherited)
    ("cq-reservoir", "A19", 99.9, "4.99"),
]


@pytest.mark.parametrize("rubric_id, code, value, expected", LINEAR_CASES)
def test_linear(rubric_id, code, value, expected):
    assert points(rubric_id, code, value) == D(expected)


@pytest.mark.parametrize(
    "value, expected",
    [
        (Decimal("82.075"), "0.42"),  # Decimal input: 0.415 → 0.42
        (82, "0.40"),  # int input: 2/5
        ("", None),  # blank is missing
    ],
)
def test_linear_input_types(value, expected):
    if expected is None:
        assert error_keys("cq-river", A4=value) == {"A4"}
    else:
        assert points("cq-river", "A4", value) == D(expected)


@pytest.mark.parametrize(
    "rubric_id, code, value",
    [
        ("cq-river", "A1", 100.01),  # percentages lie in [0, 100]
        ("cq-river", "A1", -0.01),
        ("cq-river", "A4", 101),
        ("cq-river", "A6", -5),
        ("cq-river", "A19", 150),
        ("cq-reservoir", "B5", -1),  # TLI is 0–100
        ("cq-reservoir", "B5", 100.01),
        ("cq-reservoir", "B6", 100.5),
        ("cq-reservoir", "B8", -0.01),  # a density cannot be negative
        ("cq-reservoir", "B12", -1),
    ],
)
def test_linear_out_of_range(rubric_id, code, value):
    errs = errors(rubric_id, answers_with(rubric_id, **{code: value}))
    assert set(errs) == {code}
    assert CJK.search(errs[code])


# --------------------------------------------------------------------------------- deduction

DEDUCTION_CASES = [
    # A2 max 7, 2 per item: max(0, 7 − 2n)
    ("cq-river", "A2", 0, "7.00"),
    ("cq-river", "A2", 1, "5.00"),
    ("cq-river", "A2", 3, "1.00"),
    ("cq-river", "A2", 4, "0.00"),  # 7 − 8 = −1 → 0
    ("cq-river", "A2", 50, "0.00"),
    ("cq-river", "A2", 2.0, "3.00"),  # a whole float is a whole number
    # A9 max 4, 1 per defect
    ("cq-river", "A9", 0, "4.00"),
    ("cq-river", "A9", 3, "1.00"),
    ("cq-river", "A9", 4, "0.00"),  # exactly reaches 0
    ("cq-river", "A9", 5, "0.00"),  # beyond
    # B3 max 4, 2 per spot
    ("cq-reservoir", "B3", 0, "4.00"),
    ("cq-reservoir", "B3", 1, "2.00"),
    ("cq-reservoir", "B3", 2, "0.00"),  # exactly reaches 0
    ("cq-reservoir", "B3", 3, "0.00"),
    # B9 max 4, 1 per defect
    ("cq-reservoir", "B9", 1, "3.00"),
    ("cq-reservoir", "B9", 4, "0.00"),
    ("cq-reservoir", "B9", 9, "0.00"),
]


@pytest.mark.parametrize("rubric_id, code, value, expected", DEDUCTION_CASES)
def test_deduction(rubric_id, code, value, expected):
    assert points(rubric_id, code, value) == D(expected)


@pytest.mark.parametrize("value", [-1, 1.5, 0.5, "1", True, False, [1], {"n": 1}, math.nan])
def test_deduction_refuses(value):
    assert error_keys("cq-river", A2=value) == {"A2"}


# --------------------------------------------------------------------------------- checklist

CHECKLIST_CASES = [
    ("cq-river", "A10", [], "0.00"),
    ("cq-river", "A10", ["trail"], "2.00"),
    ("cq-river", "A10", ["nodes"], "1.00"),
    ("cq-river", "A10", ["barrier_free"], "1.00"),
    ("cq-river", "A10", ["trail", "nodes", "safety"], "4.00"),  # 2 + 1 + 1
    ("cq-river", "A10", ["barrier_free", "safety", "nodes", "trail"], "5.00"),  # order free
    ("cq-river", "A13", [], "0.00"),
    ("cq-river", "A13", ["online_monitoring", "platform"], "4.00"),  # 2 + 2
    ("cq-river", "A13", ["ai_patrol", "digital_twin", "platform"], "6.00"),
    ("cq-river", "A16", ["dual_control"], "2.00"),
    ("cq-river", "A16", ["allocation"], "2.00"),
    ("cq-river", "A16", [], "0.00"),
    ("cq-reservoir", "B2", [], "0.00"),
    ("cq-reservoir", "B2", ["dispatch_plan", "flood_duty", "monitoring"], "3.00"),
    ("cq-reservoir", "B10", ["signage"], "1.00"),
    ("cq-reservoir", "B10", ["office", "road", "lighting_cctv"], "3.00"),
    ("cq-reservoir", "B11", ["trail", "nodes"], "3.00"),  # 2 + 1
    ("cq-reservoir", "B11", ["safety"], "1.00"),
    ("cq-reservoir", "A13", ["digital_twin"], "2.00"),
]


@pytest.mark.parametrize("rubric_id, code, value, expected", CHECKLIST_CASES)
def test_checklist(rubric_id, code, value, expected):
    assert points(rubric_id, code, value) == D(expected)


@pytest.mark.parametrize(
    "rubric_id, code, value",
    [
        ("cq-river", "A10", ["trail", "pool"]),  # unknown item
        ("cq-river", "A10", ["Trail"]),  # codes are exact
        ("cq-river", "A10", ["trail", "trail"]),  # repeated item
        ("cq-river", "A10", "trail"),  # not a list
        ("cq-river", "A10", [1]),
        ("cq-river", "A10", {"trail": True}),
        ("cq-river", "A13", ["online_monitoring", "drone"]),
        ("cq-river", "A16", ["dual_control", "online_monitoring"]),  # another indicator's item
        ("cq-reservoir", "B11", ["trail", "barrier_free"]),  # barrier_free is a river item
        ("cq-reservoir", "B2", ["dispatch_plan", None]),
    ],
)
def test_checklist_refuses(rubric_id, code, value):
    assert error_keys(rubric_id, **{code: value}) == {code}


# ------------------------------------------------------------------------------------ judged

NOTE = "现场核查并查阅资料"


@pytest.mark.parametrize(
    "code, given, expected",
    [
        ("A14", 0, "0.00"),
        ("A14", 0.5, "0.50"),
        ("A14", 2.5, "2.50"),
        ("A14", 3.0, "3.00"),
        ("A14", 4.5, "4.50"),
        ("A14", 5, "5.00"),
        ("A14", Decimal("1.5"), "1.50"),
        ("A15", 3.5, "3.50"),
        ("A17", 0, "0.00"),
        ("A17", 4.5, "4.50"),
    ],
)
def test_judged(code, given, expected):
    result = score("cq-river", **{code: {"points": given, "note": NOTE}})
    assert result.indicators[code].points == D(expected)
    assert NOTE in result.indicators[code].explain


@pytest.mark.parametrize(
    "value, keys",
    [
        ({"points": 0.25, "note": NOTE}, {"A14.points"}),  # off the 0.5 step
        ({"points": 4.75, "note": NOTE}, {"A14.points"}),
        ({"points": 4.9, "note": NOTE}, {"A14.points"}),
        ({"points": 5.5, "note": NOTE}, {"A14.points"}),  # above max
        ({"points": 6, "note": NOTE}, {"A14.points"}),
        ({"points": -0.5, "note": NOTE}, {"A14.points"}),  # below 0
        ({"points": "4", "note": NOTE}, {"A14.points"}),  # string
        ({"points": True, "note": NOTE}, {"A14.points"}),  # bool
        ({"points": math.nan, "note": NOTE}, {"A14.points"}),
        ({"points": math.inf, "note": NOTE}, {"A14.points"}),
        ({"note": NOTE}, {"A14.points"}),  # no points
        ({"points": 4, "note": ""}, {"A14.note"}),  # blank note
        ({"points": 4, "note": "   "}, {"A14.note"}),
        ({"points": 4, "note": None}, {"A14.note"}),
        ({"points": 4, "note": 4}, {"A14.note"}),
        ({"points": 4}, {"A14.note"}),  # no note
        ({"points": 0.25, "note": " "}, {"A14.points", "A14.note"}),  # both reported
        ({"points": 4, "note": NOTE, "score": 4}, {"A14.score"}),  # unknown field
        (4, {"A14"}),  # not an object
        ([4, NOTE], {"A14"}),
    ],
)
def test_judged_refuses(value, keys):
    assert error_keys("cq-river", A14=value) == keys


# ------------------------------------------------------------------------------------ choice


@pytest.mark.parametrize(
    "rubric_id, code, option, expected",
    [
        ("cq-river", "A12", "compliant", "3.00"),  # 3 × 1.0
        ("cq-river", "A12", "not_applicable", "3.00"),  # 3 × 1.0
        ("cq-river", "A12", "non_compliant", "0.00"),  # 3 × 0 (and G3)
        ("cq-reservoir", "B1", "class1", "6.00"),  # 6 × 1.0
        ("cq-reservoir", "B1", "class2", "3.00"),  # 6 × 0.5
        ("cq-reservoir", "B1", "class3", "0.00"),  # 6 × 0 (and G4)
    ],
)
def test_choice(rubric_id, code, option, expected):
    assert points(rubric_id, code, option) == D(expected)


@pytest.mark.parametrize(
    "rubric_id, code, value",
    [
        ("cq-river", "A12", "yes"),
        ("cq-river", "A12", "Compliant"),
        ("cq-river", "A12", 1),
        ("cq-river", "A12", True),
        ("cq-river", "A12", ["compliant"]),
        ("cq-reservoir", "B1", "class4"),
        ("cq-reservoir", "B1", "一类坝"),  # the label is not the code
    ],
)
def test_choice_refuses(rubric_id, code, value):
    assert error_keys(rubric_id, **{code: value}) == {code}


# -------------------------------------------------------------------------------- income_gap


@pytest.mark.parametrize(
    "riverside, district, expected",
    [
        # A18 max 3, linear on gap g = r − d: full 0, zero −2 → 3 × (g + 2)/2
        (6.1, 5.8, "3.00"),  # g = +0.3 → clamped
        (9, 5, "3.00"),  # g = +4
        (5, 5, "3.00"),  # g = 0
        (5, 5.01, "2.99"),  # g = −0.01: 3 × 1.99/2 = 2.985 → half-up 2.99
        (5, 5.5, "2.25"),  # g = −0.5: 3 × 1.5/2
        (5, 6, "1.50"),  # g = −1: 3 × 1/2
        (5, 6.99, "0.02"),  # g = −1.99: 3 × 0.01/2 = 0.015 → 0.02
        (5, 7, "0.00"),  # g = −2
        (5, 8, "0.00"),  # g = −3: clamped
        (-3, -1, "0.00"),  # negative growth rates are rates too: g = −2
        (-1, -1.5, "3.00"),  # g = +0.5
        (0, 0, "3.00"),
    ],
)
def test_income_gap(riverside, district, expected):
    assert points("cq-river", "A18", {"riverside": riverside, "district": district}) == D(expected)


@pytest.mark.parametrize(
    "value, keys",
    [
        ({"riverside": 5}, {"A18.district"}),
        ({"district": 5}, {"A18.riverside"}),
        ({"riverside": "5", "district": 5}, {"A18.riverside"}),
        ({"riverside": 5, "district": math.nan}, {"A18.district"}),
        ({"riverside": math.inf, "district": 5}, {"A18.riverside"}),
        ({"riverside": 5, "district": False}, {"A18.district"}),
        ({"riverside": 5, "district": 5, "gap": 0}, {"A18.gap"}),
        ({"riverside": 101, "district": 5}, {"A18.riverside"}),  # beyond ±100 %
        (0.3, {"A18"}),
    ],
)
def test_income_gap_refuses(value, keys):
    assert error_keys("cq-river", A18=value) == keys


# ------------------------------------------------------------------------------------ survey


@pytest.mark.parametrize(
    "rate, sample_size, expected",
    [
        # A20 max 10, full 95, zero 70: 10 × (x − 70)/25 = 0.4 × (x − 70)
        (100, 400, "10.00"),
        (95, 400, "10.00"),
        (94.99, 400, "10.00"),  # 0.4 × 24.99 = 9.996
        (94.9, 400, "9.96"),
        (93.2, 400, "9.28"),
        (82.5, 100, "5.00"),  # sample exactly 100 is enough
        (82.475, 100, "4.99"),  # 0.4 × 12.475
        (70.0125, 1000, "0.01"),  # 0.4 × 0.0125 = 0.005 → half-up 0.01
        (70.01, 400, "0.00"),  # 0.004
        (70, 400, "0.00"),
        (69.99, 400, "0.00"),
        (0, 400, "0.00"),
        (90, 100.0, "8.00"),  # a whole float sample size
    ],
)
def test_survey(rate, sample_size, expected):
    got = points("cq-river", "A20", {"rate": rate, "sample_size": sample_size})
    assert got == D(expected)


@pytest.mark.parametrize(
    "value, keys",
    [
        ({"rate": 90, "sample_size": 99}, {"A20.sample_size"}),  # fewer than 100
        ({"rate": 90, "sample_size": 0}, {"A20.sample_size"}),
        ({"rate": 90, "sample_size": 100.5}, {"A20.sample_size"}),
        ({"rate": 90, "sample_size": -100}, {"A20.sample_size"}),
        ({"rate": 90, "sample_size": "400"}, {"A20.sample_size"}),
        ({"rate": 90}, {"A20.sample_size"}),
        ({"sample_size": 400}, {"A20.rate"}),
        ({"rate": 100.01, "sample_size": 400}, {"A20.rate"}),  # percentages ≤ 100
        ({"rate": -1, "sample_size": 400}, {"A20.rate"}),
        ({"rate": math.nan, "sample_size": 400}, {"A20.rate"}),
        ({"rate": "90%", "sample_size": 400}, {"A20.rate"}),
        ({"rate": 101, "sample_size": 99}, {"A20.rate", "A20.sample_size"}),
        ({"rate": 90, "sample_size": 400, "n": 1}, {"A20.n"}),
        (90, {"A20"}),
    ],
)
def test_survey_refuses(value, keys):
    assert error_keys("cq-river", A20=value) == keys


# ------------------------------------------------------------------------------- water_class

CLASS3_RIVER = {"do": 6.8, "codmn": 3.2, "cod": 14, "bod5": 2.6, "nh3n": 0.42, "tp": 0.15}


@pytest.mark.parametrize(
    "rubric_id, code, changes, label, expected",
    [
        # max 7 × class fraction (Ⅰ 1.0, Ⅱ 1.0, Ⅲ 0.8, Ⅳ 0.5, Ⅴ 0.2, 劣Ⅴ 0)
        ("cq-river", "A3", {"do": 8, "codmn": 2, "nh3n": 0.15, "tp": 0.02}, "Ⅰ", "7.00"),
        ("cq-river", "A3", {}, "Ⅱ", "7.00"),
        ("cq-river", "A3", {"tp": 0.2}, "Ⅲ", "5.60"),  # 7 × 0.8
        ("cq-river", "A3", {"tp": 0.3}, "Ⅳ", "3.50"),  # 7 × 0.5
        ("cq-river", "A3", {"tp": 0.4}, "Ⅴ", "1.40"),  # 7 × 0.2
        ("cq-river", "A3", {"tp": 0.41}, "劣Ⅴ", "0.00"),
        ("cq-river", "A3", {"ph": 9.5}, "劣Ⅴ", "0.00"),
        ("cq-river", "A3", {"tn": 5}, "Ⅱ", "7.00"),  # rivers: tn is not assessed
        ("cq-reservoir", "B4", {}, "Ⅱ", "7.00"),
        ("cq-reservoir", "B4", {"tn": 1.0}, "Ⅲ", "5.60"),
        ("cq-reservoir", "B4", {"tp": 0.1}, "Ⅳ", "3.50"),  # 0.1 is river class Ⅱ
        ("cq-reservoir", "B4", {"do": 2}, "Ⅴ", "1.40"),
        ("cq-reservoir", "B4", {"tn": 2.01}, "劣Ⅴ", "0.00"),
    ],
)
def test_water_class(rubric_id, code, changes, label, expected):
    water = FULL[rubric_id]()[code] | changes
    result = score(rubric_id, **{code: water})
    assert result.indicators[code].points == D(expected)
    assert result.indicators[code].water_quality.label == label
    assert result.water_quality.label == label
    assert label in result.indicators[code].explain
    assert ("G7" in result.gates) == (label == "劣Ⅴ")


@pytest.mark.parametrize(
    "rubric_id, code, value, keys",
    [
        ("cq-river", "A3", {k: v for k, v in CLASS3_RIVER.items() if k != "tp"}, {"A3.tp"}),
        ("cq-river", "A3", {}, {"A3.do", "A3.codmn", "A3.cod", "A3.bod5", "A3.nh3n", "A3.tp"}),
        ("cq-river", "A3", CLASS3_RIVER | {"tp": None}, {"A3.tp"}),
        ("cq-river", "A3", CLASS3_RIVER | {"tp": -0.01}, {"A3.tp"}),
        ("cq-river", "A3", CLASS3_RIVER | {"tp": "0.1"}, {"A3.tp"}),
        ("cq-river", "A3", CLASS3_RIVER | {"tp": math.inf}, {"A3.tp"}),
        ("cq-river", "A3", CLASS3_RIVER | {"do": math.nan}, {"A3.do"}),
        ("cq-river", "A3", CLASS3_RIVER | {"cod": True}, {"A3.cod"}),
        ("cq-river", "A3", CLASS3_RIVER | {"ph": 14.5}, {"A3.ph"}),
        ("cq-river", "A3", CLASS3_RIVER | {"ph": -1}, {"A3.ph"}),
        ("cq-river", "A3", CLASS3_RIVER | {"ph": "7"}, {"A3.ph"}),
        ("cq-river", "A3", CLASS3_RIVER | {"tn": math.nan}, {"A3.tn"}),  # given, so checked
        ("cq-river", "A3", CLASS3_RIVER | {"tn": "high"}, {"A3.tn"}),
        ("cq-river", "A3", CLASS3_RIVER | {"cl": 1}, {"A3.cl"}),  # unknown parameter
        ("cq-river", "A3", 2, {"A3"}),
        ("cq-river", "A3", [6.8, 3.2], {"A3"}),
        ("cq-reservoir", "B4", CLASS3_RIVER, {"B4.tn"}),  # tn is required for reservoirs
        ("cq-reservoir", "B4", CLASS3_RIVER | {"tn": None}, {"B4.tn"}),
        ("cq-reservoir", "B4", CLASS3_RIVER | {"tn": -1}, {"B4.tn"}),
    ],
)
def test_water_class_refuses(rubric_id, code, value, keys):
    assert error_keys(rubric_id, **{code: value}) == keys


# ----------------------------------------------------------------------- rounding and sums


def test_dimension_and_total_are_sums_of_rounded_points():
    # A6 = 41.25 → 0.125 → 0.13 and A7 = 50.05 → 0.005 → 0.01: the unrounded sum 0.13 would
    # also round to 0.13, but A4 = 80.025 → 0.005 → 0.01 and A5 = 60.0375 → 0.005 → 0.01 make
    # the exact ecology sum 7 + 0.005 + 0.005 + 0.125 + 0.005 + 3 = 10.14, while the rounded
    # points give 7 + 0.01 + 0.01 + 0.13 + 0.01 + 3 = 10.16.
    result = score("cq-river", A4=80.025, A5=60.0375, A6=41.25, A7=50.05)
    assert [result.indicators[c].points for c in ("A4", "A5", "A6", "A7")] == [
        D("0.01"),
        D("0.01"),
        D("0.13"),
        D("0.01"),
    ]
    assert result.dimensions["ecology"].score == D("10.16")
    # total: 100 − 25 + 10.16 = 85.16
    assert result.total == D("85.16")
    assert str(result.total) == "85.16"
    assert result.dimensions["ecology"].floor_met is False  # 10.16 < 15
    assert result.decision == "rejected"


def test_rubric_example_answers():
    """The example answers of RUBRIC.md, scored by hand.

    safety 6.88 (A1 8 × 21.5/25) + 5 (A2 7 − 2) = 11.88
    ecology 7 (Ⅱ) + 3 + 4 + 3.15 (A6 31.5/10) + 3.80 (A7 38/10) + 3 = 23.95
    amenity 4 + 4 (trail 2, nodes 1, safety 1) + 3 + 3 = 14
    smart 4 (online_monitoring 2, platform 2) — below 60 % of 8 = 4.8
    culture 4 + 3.5 = 7.5; prosperity 4 + 4 + 3 (gap 0.3) = 11
    satisfaction 4 (A19 32/8) + 9.28 (A20 0.4 × 23.2) = 13.28
    total 11.88 + 23.95 + 14 + 4 + 7.5 + 11 + 13.28 = 85.61
    """
    example = {
        "A1": 96.5,
        "A2": 1,
        "A3": {"do": 6.8, "codmn": 3.2, "cod": 14, "bod5": 2.6, "nh3n": 0.42, "tp": 0.09},
        "A4": 97,
        "A5": 92,
        "A6": 71.5,
        "A7": 88,
        "A8": 100,
        "A9": 0,
        "A10": ["trail", "nodes", "safety"],
        "A11": 99,
        "A12": "compliant",
        "A13": ["online_monitoring", "platform"],
        "A14": {"points": 4, "note": "…"},
        "A15": {"points": 3.5, "note": "…"},
        "A16": ["dual_control", "allocation"],
        "A17": {"points": 4, "note": "…"},
        "A18": {"riverside": 6.1, "district": 5.8},
        "A19": 92,
        "A20": {"rate": 93.2, "sample_size": 400},
        "gates": {"G2": "…note…"},
    }
    result = scoring.score(RIVER, example)
    expected_dims = {
        "safety": "11.88",
        "ecology": "23.95",
        "amenity": "14.00",
        "smart": "4.00",
        "culture": "7.50",
        "prosperity": "11.00",
        "satisfaction": "13.28",
    }
    assert {c: d.score for c, d in result.dimensions.items()} == {
        c: D(v) for c, v in expected_dims.items()
    }
    assert result.total == D("85.61")
    assert result.grade == "幸福"
    assert result.gates == ["G2"]
    assert result.decision == "rejected"
    # rule 1 comes first: the reasons are the gates
    assert len(result.reasons) == 1 and "G2" in result.reasons[0]
    assert result.dimensions["smart"].floor_met is False

    # without the gate, rule 2 rejects for 智慧赋能 alone
    example["gates"] = {}
    result = scoring.score(RIVER, example)
    assert result.gates == []
    assert result.decision == "rejected"
    assert len(result.reasons) == 1 and "智慧赋能" in result.reasons[0]


# ------------------------------------------------------------------------- dimension floors

FLOOR_CASES = [
    # rubric, dimension, changes, expected dimension score, floor met
    # safety 15 → floor 9.00. A1 81.25: 8 × 6.25/25 = 2.00; + A2 7 = 9.00
    ("cq-river", "safety", {"A1": 81.25}, "9.00", True),
    # A1 81.21875: 8 × 6.21875/25 = 1.99; + 7 = 8.99
    ("cq-river", "safety", {"A1": 81.21875}, "8.99", False),
    # ecology 25 → 15.00. A3 class Ⅲ 5.6 + A4 0 + A5 0 + A6 64 → 2.4 + A7 4 + A8 3 = 15.0
    ("cq-river", "ecology", {"A3": CLASS3_RIVER, "A4": 80, "A5": 60, "A6": 64}, "15.00", True),
    # A6 63.9 → 2.39: 14.99
    ("cq-river", "ecology", {"A3": CLASS3_RIVER, "A4": 80, "A5": 60, "A6": 63.9}, "14.99", False),
    # amenity 15 → 9.00. A9 1 defect → 3, A10 [] → 0, A11 3, A12 3 = 9
    ("cq-river", "amenity", {"A9": 1, "A10": []}, "9.00", True),
    # A11 94.95 → 14.95/5 = 2.99: 8.99
    ("cq-river", "amenity", {"A9": 1, "A10": [], "A11": 94.95}, "8.99", False),
    # smart 8 → 4.80; A13 moves in steps of 2, so 6 is the least that meets it and 4 fails
    ("cq-river", "smart", {"A13": ["ai_patrol", "platform", "digital_twin"]}, "6.00", True),
    ("cq-river", "smart", {"A13": ["ai_patrol", "platform"]}, "4.00", False),
    # culture 10 → 6.00; judged steps of 0.5: 3 + 3 = 6 meets, 3 + 2.5 fails
    (
        "cq-river",
        "culture",
        {"A14": {"points": 3, "note": NOTE}, "A15": {"points": 3, "note": NOTE}},
        "6.00",
        True,
    ),
    (
        "cq-river",
        "culture",
        {"A14": {"points": 3, "note": NOTE}, "A15": {"points": 2.5, "note": NOTE}},
        "5.50",
        False,
    ),
    # prosperity 12 → 7.20. A16 [] 0 + A17 4.5 + A18 gap −0.2: 3 × 1.8/2 = 2.7 → 7.2
    (
        "cq-river",
        "prosperity",
        {
            "A16": [],
            "A17": {"points": 4.5, "note": NOTE},
            "A18": {"riverside": 5.6, "district": 5.8},
        },
        "7.20",
        True,
    ),
    # gap −0.2066: 3 × 1.7934/2 = 2.6901 → 2.69; 0 + 4.5 + 2.69 = 7.19
    (
        "cq-river",
        "prosperity",
        {
            "A16": [],
            "A17": {"points": 4.5, "note": NOTE},
            "A18": {"riverside": 5.5934, "district": 5.8},
        },
        "7.19",
        False,
    ),
    # satisfaction 15 → 9.00. A19 5 + A20 rate 80: 0.4 × 10 = 4 → 9
    ("cq-river", "satisfaction", {"A20": {"rate": 80, "sample_size": 400}}, "9.00", True),
    # rate 79.975: 0.4 × 9.975 = 3.99 → 8.99
    ("cq-river", "satisfaction", {"A20": {"rate": 79.975, "sample_size": 400}}, "8.99", False),
    # reservoir safety 15 → 9: B1 class2 3 + B2 4 items 4 + B3 1 spot 2 = 9 (whole points only)
    (
        "cq-reservoir",
        "safety",
        {
            "B1": "class2",
            "B2": ["dispatch_plan", "emergency_plan", "monitoring", "flood_duty"],
            "B3": 1,
        },
        "9.00",  # 3 + 4 + 2
        True,
    ),
    (
        "cq-reservoir",
        "safety",
        {"B1": "class2", "B2": ["dispatch_plan", "emergency_plan", "monitoring"], "B3": 1},
        "8.00",  # 3 + 3 + 2
        False,
    ),
    # reservoir ecology 25 → 15: B4 Ⅲ 5.6 + B5 5 + B6 0 + B7 54 → 0.4 + B8 4 = 15.0
    (
        "cq-reservoir",
        "ecology",
        {"B4": full_reservoir_answers()["B4"] | {"tn": 1.0}, "B6": 60, "B7": 54},
        "15.00",
        True,
    ),
    # B7 53.9 → 0.39: 14.99
    (
        "cq-reservoir",
        "ecology",
        {"B4": full_reservoir_answers()["B4"] | {"tn": 1.0}, "B6": 60, "B7": 53.9},
        "14.99",
        False,
    ),
    # reservoir amenity 15 → 9: B9 2 defects → 2, B10 ["office"] 1, B11 trail+safety 3, B12 3
    (
        "cq-reservoir",
        "amenity",
        {"B9": 2, "B10": ["office"], "B11": ["trail", "safety"]},
        "9.00",
        True,
    ),
    # B12 94.95 → 2.99: 8.99
    (
        "cq-reservoir",
        "amenity",
        {"B9": 2, "B10": ["office"], "B11": ["trail", "safety"], "B12": 94.95},
        "8.99",
        False,
    ),
]


@pytest.mark.parametrize("rubric_id, dimension, changes, expected, met", FLOOR_CASES)
def test_dimension_floor(rubric_id, dimension, changes, expected, met):
    result = score(rubric_id, **changes)
    dim = result.dimensions[dimension]
    assert dim.score == D(expected)
    assert dim.floor_met is met
    assert dim.max == D(DIMENSION_MAX[dimension])
    others = [d for c, d in result.dimensions.items() if c != dimension]
    assert all(d.floor_met for d in others)
    if met:
        assert result.decision in ("accepted", "conditional")
    else:
        assert result.decision == "rejected"
        assert len(result.reasons) == 1
        assert dim.name in result.reasons[0]


# ------------------------------------------------------------------------ decision and grade

# total 90.00: A1 84.375 → 8 × 9.375/25 = 3.00 (−5); A20 rate 82.5 → 0.4 × 12.5 = 5.00 (−5).
# safety 3 + 7 = 10 ≥ 9, satisfaction 5 + 5 = 10 ≥ 9.
AT_90 = {"A1": 84.375, "A20": {"rate": 82.5, "sample_size": 400}}
# total 89.99: A20 rate 82.475 → 0.4 × 12.475 = 4.99 (−5.01)
AT_89_99 = {"A1": 84.375, "A20": {"rate": 82.475, "sample_size": 400}}
# a further −5 with every floor met: A13 three items 6 (−2, smart 6 ≥ 4.8), A14 2.5 (−2.5,
# culture 7.5 ≥ 6), A17 4.5 (−0.5, prosperity 11.5 ≥ 7.2)
MINUS_5 = {
    "A13": ["online_monitoring", "ai_patrol", "platform"],
    "A14": {"points": 2.5, "note": NOTE},
    "A17": {"points": 4.5, "note": NOTE},
}
AT_85 = AT_90 | MINUS_5  # 90 − 5 = 85.00
AT_84_99 = AT_89_99 | MINUS_5  # 89.99 − 5 = 84.99
# total 95.00 / 94.99: only A20 (−5 / −5.01); satisfaction 10 / 9.99 ≥ 9
AT_95 = {"A20": {"rate": 82.5, "sample_size": 400}}
AT_94_99 = {"A20": {"rate": 82.475, "sample_size": 400}}
# total 60.00: A1 75 → 0 (−8), A2 4 → 0 (−7), A20 rate 70 → 0 (−10), A14 0 and A15 0 (−10),
# A13 two items → 4 (−4), A17 4 (−1): 100 − 40 = 60
AT_60 = {
    "A1": 75,
    "A2": 4,
    "A20": {"rate": 70, "sample_size": 400},
    "A14": {"points": 0, "note": NOTE},
    "A15": {"points": 0, "note": NOTE},
    "A13": ["online_monitoring", "ai_patrol"],
    "A17": {"points": 4, "note": NOTE},
}
# total 59.99: A19 99.92 → 39.92/8 = 4.99 (−0.01)
AT_59_99 = AT_60 | {"A19": 99.92}

# reservoir: B1 class2 → 3 (−3), B3 1 spot → 2 (−2): safety 10 ≥ 9; plus A20 as above
R_AT_90 = {"B1": "class2", "B3": 1, "A20": {"rate": 82.5, "sample_size": 400}}
R_AT_89_99 = R_AT_90 | {"A20": {"rate": 82.475, "sample_size": 400}}


@pytest.mark.parametrize(
    "rubric_id, changes, total, decision, grade",
    [
        ("cq-river", {}, "100.00", "accepted", "很幸福"),
        ("cq-river", AT_95, "95.00", "accepted", "很幸福"),
        ("cq-river", AT_94_99, "94.99", "accepted", "幸福"),
        ("cq-river", AT_90, "90.00", "accepted", "幸福"),
        ("cq-river", AT_89_99, "89.99", "conditional", "幸福"),
        ("cq-river", AT_85, "85.00", "conditional", "幸福"),
        ("cq-river", AT_84_99, "84.99", "rejected", "一般"),
        ("cq-reservoir", R_AT_90, "90.00", "accepted", "幸福"),
        ("cq-reservoir", R_AT_89_99, "89.99", "conditional", "幸福"),
        ("cq-reservoir", R_AT_89_99 | MINUS_5, "84.99", "rejected", "一般"),
    ],
)
def test_decision_thresholds(rubric_id, changes, total, decision, grade):
    result = score(rubric_id, **changes)
    assert result.total == D(total)
    assert str(result.total) == total
    assert all(d.floor_met for d in result.dimensions.values())
    assert result.gates == []
    assert result.decision == decision
    assert result.grade == grade
    assert len(result.reasons) == 1 and CJK.search(result.reasons[0])
    if decision == "rejected":
        assert "85" in result.reasons[0]  # total below 85


@pytest.mark.parametrize(
    "changes, total, grade",
    [
        (AT_95, "95.00", "很幸福"),
        (AT_94_99, "94.99", "幸福"),
        (AT_85, "85.00", "幸福"),
        (AT_84_99, "84.99", "一般"),
        (AT_60, "60.00", "一般"),
        (AT_59_99, "59.99", "不幸福"),
    ],
)
def test_grade_bands(changes, total, grade):
    result = score("cq-river", **changes)
    assert result.total == D(total)
    assert result.grade == grade


def test_grade_is_independent_of_the_decision():
    result = score("cq-river", **AT_60)
    # safety 0 + 0 < 9, culture 0 < 6, satisfaction 5 + 0 < 9, smart 4 < 4.8 → rejected by floors
    assert result.decision == "rejected"
    assert result.grade == "一般"
    low = {c for c, d in result.dimensions.items() if not d.floor_met}
    assert low == {"safety", "smart", "culture", "satisfaction"}
    assert len(result.reasons) == 4


def test_everything_at_zero():
    answers = full_river_answers() | {
        "A1": 0,
        "A2": 10,
        "A3": CLASS3_RIVER | {"tp": 1},  # 劣Ⅴ → G7
        "A4": 0,
        "A5": 0,
        "A6": 0,
        "A7": 0,
        "A8": 0,
        "A9": 10,
        "A10": [],
        "A11": 0,
        "A12": "non_compliant",  # → G3
        "A13": [],
        "A14": {"points": 0, "note": NOTE},
        "A15": {"points": 0, "note": NOTE},
        "A16": [],
        "A17": {"points": 0, "note": NOTE},
        "A18": {"riverside": -10, "district": 10},
        "A19": 0,
        "A20": {"rate": 0, "sample_size": 100},
    }
    result = scoring.score(RIVER, answers)
    assert result.total == D("0.00")
    assert str(result.total) == "0.00"
    assert result.grade == "不幸福"
    assert result.decision == "rejected"
    assert result.gates == ["G3", "G7"]
    assert all(not d.floor_met for d in result.dimensions.values())
    assert all(p.points == D("0.00") for p in result.indicators.values())


@pytest.mark.parametrize(
    "rubric_id, code, value",
    [
        ("cq-reservoir", "B5", 70),  # lower is better: 0 × 5 / (50 − 70) is −0
        ("cq-reservoir", "B8", 5000),
        ("cq-river", "A14", {"points": -0.0, "note": NOTE}),  # a JSON -0.0
    ],
)
def test_zero_points_are_never_shown_as_minus_zero(rubric_id, code, value):
    """The form and the result page print points as str(Decimal): "-0.00" looks like a
    deduction that never happened."""
    rubric = scoring.load_rubric(rubric_id)
    preview = scoring.preview(rubric, {code: value}).to_dict()
    assert preview["indicators"][code]["points"] == "0.00"
    full = (full_river_answers if rubric_id == "cq-river" else full_reservoir_answers)()
    result = scoring.score(rubric, full | {code: value}).to_dict()
    assert result["indicators"][code]["points"] == "0.00"


# ------------------------------------------------------------------------------------- gates


@pytest.mark.parametrize("rubric_id", ["cq-river", "cq-reservoir"])
@pytest.mark.parametrize("gate", ["G1", "G2", "G4", "G5", "G6"])
def test_manual_gate_with_note_rejects(rubric_id, gate):
    result = score(rubric_id, gates={gate: "  督察交办问题尚未整改  "})
    assert result.gates == [gate]
    assert result.total == D("100.00")  # the score stands …
    assert result.grade == "很幸福"
    assert result.decision == "rejected"  # … but the gate decides
    assert len(result.reasons) == 1 and gate in result.reasons[0]
    assert "督察交办问题尚未整改" in result.reasons[0]
    detail = result.to_dict()["gate_details"]
    assert [(g["code"], g["source"], g["note"]) for g in detail] == [
        (gate, "manual", "督察交办问题尚未整改")
    ]


@pytest.mark.parametrize("rubric_id", ["cq-river", "cq-reservoir"])
@pytest.mark.parametrize("gate", ["G1", "G2", "G4", "G5", "G6"])
@pytest.mark.parametrize("note", ["", "   ", None, 1, True, ["说明"]])
def test_manual_gate_without_note_is_an_error(rubric_id, gate, note):
    errs = errors(rubric_id, answers_with(rubric_id, gates={gate: note}))
    assert set(errs) == {f"gates.{gate}"}
    assert CJK.search(errs[f"gates.{gate}"])


@pytest.mark.parametrize(
    "rubric_id, gate",
    [
        ("cq-river", "G3"),  # computed from A12
        ("cq-river", "G7"),  # computed from A3
        ("cq-reservoir", "G3"),  # computed from A12, which a reservoir has not
        ("cq-reservoir", "G7"),  # computed from B4
        ("cq-river", "G9"),  # unknown
        ("cq-river", "G0"),
        ("cq-river", "g1"),  # codes are exact
        ("cq-reservoir", "G8"),
    ],
)
def test_gate_that_cannot_be_ticked(rubric_id, gate):
    assert error_keys(rubric_id, gates={gate: "说明"}) == {f"gates.{gate}"}


@pytest.mark.parametrize("gates", [["G1"], "G1", 1, True])
def test_gates_must_be_an_object(gates):
    assert error_keys("cq-river", gates=gates) == {"gates"}


def test_g3_computed_from_a12():
    result = score("cq-river", A12="non_compliant")
    assert result.gates == ["G3"]
    assert result.indicators["A12"].points == D("0.00")
    assert result.total == D("97.00")  # 100 − 3
    assert result.decision == "rejected"
    assert len(result.reasons) == 1 and "G3" in result.reasons[0]
    assert result.to_dict()["gate_details"][0]["source"] == "computed"


@pytest.mark.parametrize("option", ["compliant", "not_applicable"])
def test_g3_does_not_hold_otherwise(option):
    assert score("cq-river", A12=option).gates == []


def test_g4_computed_for_reservoirs_from_a_class3_dam():
    result = score("cq-reservoir", B1="class3")
    assert result.gates == ["G4"]
    assert result.total == D("94.00")  # 100 − 6; safety 0 + 5 + 4 = 9 meets the floor
    assert result.dimensions["safety"].floor_met is True
    assert result.decision == "rejected"
    assert "G4" in result.reasons[0]
    # ticked by hand as well: still one gate, the inspector's note kept
    result = score("cq-reservoir", B1="class3", gates={"G4": "溢洪道未加固"})
    assert result.gates == ["G4"]
    assert "溢洪道未加固" in result.reasons[0]


@pytest.mark.parametrize("option", ["class1", "class2"])
def test_g4_not_computed_for_better_dams(option):
    assert score("cq-reservoir", B1=option).gates == []


@pytest.mark.parametrize(
    "rubric_id, code, changes, limiting",
    [
        ("cq-river", "A3", {"tp": 0.41}, ["tp"]),
        ("cq-river", "A3", {"do": 1.9}, ["do"]),
        ("cq-river", "A3", {"ph": 5.5}, ["ph"]),
        ("cq-reservoir", "B4", {"tn": 2.5}, ["tn"]),
        ("cq-reservoir", "B4", {"tp": 0.21, "nh3n": 2.1}, ["nh3n", "tp"]),
    ],
)
def test_g7_computed_from_worse_than_class_v(rubric_id, code, changes, limiting):
    water = FULL[rubric_id]()[code] | changes
    result = score(rubric_id, **{code: water})
    assert result.gates == ["G7"]
    assert result.indicators[code].water_quality.limiting == limiting
    assert result.total == D("93.00")  # 100 − 7
    assert result.decision == "rejected"
    assert "G7" in result.reasons[0]


def test_gates_are_sorted_and_all_given_as_reasons():
    result = score(
        "cq-river",
        A12="non_compliant",
        A3=CLASS3_RIVER | {"nh3n": 2.5},
        gates={"G6": "资料造假", "G2": "四乱未整改"},
    )
    assert result.gates == ["G2", "G3", "G6", "G7"]
    assert len(result.reasons) == 4
    for gate, reason in zip(result.gates, result.reasons, strict=True):
        assert gate in reason


def test_reservoir_gates_all_at_once():
    result = score(
        "cq-reservoir",
        B1="class3",
        B4=full_reservoir_answers()["B4"] | {"do": 1},
        gates={"G1": "黑臭反弹", "G5": "责任事故"},
    )
    assert result.gates == ["G1", "G4", "G5", "G7"]


def test_gates_rule_comes_before_dimension_floors():
    result = score("cq-river", A12="non_compliant", A1=75, A2=4)  # safety 0 as well
    assert result.dimensions["safety"].floor_met is False
    assert result.decision == "rejected"
    assert len(result.reasons) == 1 and "G3" in result.reasons[0]


# -------------------------------------------------------------------------------- bad answers


@pytest.mark.parametrize("rubric_id", ["cq-river", "cq-reservoir"])
def test_every_indicator_is_required(rubric_id):
    for code in RUBRICS[rubric_id].indicators:
        answers = FULL[rubric_id]()
        del answers[code]
        assert set(errors(rubric_id, answers)) == {code}, code
        answers[code] = None
        assert set(errors(rubric_id, answers)) == {code}, code


@pytest.mark.parametrize(
    "rubric_id, changes, keys",
    [
        ("cq-river", {"A1": math.nan}, {"A1"}),
        ("cq-river", {"A1": math.inf}, {"A1"}),
        ("cq-river", {"A1": -math.inf}, {"A1"}),
        ("cq-river", {"A1": Decimal("NaN")}, {"A1"}),
        ("cq-river", {"A1": Decimal("Infinity")}, {"A1"}),
        ("cq-river", {"A1": "96.5"}, {"A1"}),  # a string for a number
        ("cq-river", {"A1": True}, {"A1"}),  # a bool is not a number
        ("cq-river", {"A1": [96.5]}, {"A1"}),
        ("cq-river", {"A1": {"value": 96.5}}, {"A1"}),
        ("cq-river", {"A99": 1}, {"A99"}),  # unknown indicator key
        ("cq-river", {"B1": "class1"}, {"B1"}),  # a reservoir indicator on a river
        ("cq-reservoir", {"A1": 100}, {"A1"}),  # a river indicator on a reservoir
        ("cq-reservoir", {"A12": "compliant"}, {"A12"}),
        ("cq-river", {"a1": 100}, {"a1"}),  # keys are exact
        ("cq-river", {"A10": ["trail", "pool"]}, {"A10"}),  # unknown checklist item
        ("cq-river", {"A12": "maybe"}, {"A12"}),  # unknown option
        ("cq-river", {"A5": 100.5}, {"A5"}),  # percentage out of range
        ("cq-river", {"A5": -0.5}, {"A5"}),
        ("cq-river", {"A20": {"rate": 120, "sample_size": 400}}, {"A20.rate"}),
        ("cq-river", {"A20": {"rate": 90, "sample_size": 99}}, {"A20.sample_size"}),
        ("cq-river", {"A3": CLASS3_RIVER | {"tp": math.nan}}, {"A3.tp"}),
        ("cq-river", {"A14": {"points": 0.25, "note": NOTE}}, {"A14.points"}),
        ("cq-river", {"gates": {"G9": "说明"}}, {"gates.G9"}),
        (
            "cq-river",
            {"A1": math.nan, "A3": CLASS3_RIVER | {"tp": "x"}, "A99": 0, "gates": {"G9": "?"}},
            {"A1", "A3.tp", "A99", "gates.G9"},  # every bad field at once
        ),
    ],
)
def test_bad_answers_name_the_field(rubric_id, changes, keys):
    errs = errors(rubric_id, answers_with(rubric_id, **changes))
    assert set(errs) == keys
    assert all(CJK.search(message) for message in errs.values())


def test_missing_and_bad_fields_together():
    answers = full_river_answers()
    del answers["A5"]
    del answers["A17"]
    answers["A1"] = "x"
    assert set(errors("cq-river", answers)) == {"A1", "A5", "A17"}


@pytest.mark.parametrize("answers", [None, [], "A1", 1])
def test_answers_must_be_an_object(answers):
    with pytest.raises(scoring.InvalidAnswers) as info:
        scoring.score(RIVER, answers)
    assert info.value.errors


def test_invalid_answers_is_a_value_error():
    assert issubclass(scoring.InvalidAnswers, ValueError)
    with pytest.raises(ValueError) as info:
        score("cq-river", A1=math.nan)
    assert isinstance(info.value, scoring.InvalidAnswers)
    assert "A1" in str(info.value)


# ---------------------------------------------------------------------------------- to_dict


@pytest.mark.parametrize(
    "rubric_id, changes",
    [
        ("cq-river", {}),
        ("cq-river", AT_89_99 | {"A6": 41.25, "gates": {"G2": "四乱"}}),
        ("cq-reservoir", R_AT_89_99 | {"B8": 206}),
        ("cq-river", {"A3": CLASS3_RIVER | {"tp": 0.5, "ph": 5}}),
    ],
)
def test_to_dict_round_trips_through_json(rubric_id, changes):
    result = score(rubric_id, **changes)
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["total"] == f"{result.total:.2f}"
    assert TWO_PLACES.match(data["total"]) and TWO_PLACES.match(data["max"])
    assert data["max"] == "100.00"
    assert data["decision"] == result.decision
    assert data["grade"] == result.grade
    assert data["gates"] == result.gates
    assert data["reasons"] == result.reasons
    assert data["rubric"] == {"id": rubric_id, "version": "2025.1"}
    assert set(data["dimensions"]) == set(DIMENSION_MAX)
    for code, dim in data["dimensions"].items():
        assert TWO_PLACES.match(dim["score"]) and TWO_PLACES.match(dim["max"])
        assert dim["score"] == str(result.dimensions[code].score)
        assert dim["floor_met"] is result.dimensions[code].floor_met
    assert set(data["indicators"]) == set(RUBRICS[rubric_id].indicators)
    for code, ind in data["indicators"].items():
        assert TWO_PLACES.match(ind["points"]) and TWO_PLACES.match(ind["max"])
        assert ind["points"] == str(result.indicators[code].points)
        assert CJK.search(ind["explain"])
    assert sum(Decimal(d["score"]) for d in data["dimensions"].values()) == Decimal(data["total"])


def test_to_dict_values():
    data = score("cq-river", A6=41.25).to_dict()
    # 100 − 4 + 0.13 = 96.13
    assert data["total"] == "96.13"
    assert data["indicators"]["A6"]["points"] == "0.13"
    assert data["indicators"]["A6"]["max"] == "4.00"
    assert data["dimensions"]["ecology"]["score"] == "21.13"  # 25 − 4 + 0.13
    assert data["dimensions"]["ecology"]["max"] == "25.00"
    assert data["water_quality"]["label"] == "Ⅱ"


def test_result_attributes():
    result = score("cq-river", A1=96.5)
    assert isinstance(result.total, Decimal)
    assert result.total.as_tuple().exponent == -2
    assert result.indicators["A1"].points == D("6.88")
    assert result.indicators["A1"].max == D("8")
    assert "96.5" in result.indicators["A1"].explain
    safety = result.dimensions["safety"]
    assert (safety.score, safety.max, safety.floor_met) == (D("13.88"), D("15"), True)
    assert all(d.score.as_tuple().exponent == -2 for d in result.dimensions.values())
    assert all(i.points.as_tuple().exponent == -2 for i in result.indicators.values())


def test_load_rubric_latest_version_is_cached():
    assert scoring.load_rubric("cq-river") is scoring.load_rubric("cq-river", "2025.1")
    with pytest.raises(scoring.RubricError):
        scoring.load_rubric("cq-lake")


# ------------------------------------------------------------------- preview: the projection


def test_preview_projects_the_decision_of_complete_answers():
    """On complete answers the preview's projection is score()'s decision and gates."""
    at_85 = {
        "A20": {"rate": 80, "sample_size": 400},
        "A1": 81.25,
        "A14": {"points": 2, "note": NOTE},
    }
    for changes in ({}, at_85, {"A12": "non_compliant"}):
        answers = full_river_answers() | changes
        preview = scoring.preview(RIVER, answers)
        result = scoring.score(RIVER, answers)
        assert preview.complete
        body = preview.to_dict()
        assert (body["total"], body["decision"], [g["code"] for g in body["gates"]]) == (
            str(result.total),
            result.decision,
            result.gates,
        )


def test_a_complete_previews_result_is_the_result_score_gives():
    """A save stores the preview's result instead of scoring again: the same, field for field,
    on generated answers of both rubrics (gates, floors, every grade), and none for a draft."""
    import random

    from happy_rivers.store.demo import demo_answers

    seen = set()
    for rubric in (RIVER, RESERVOIR):
        for seed in range(150):
            rng = random.Random(seed)
            answers = demo_answers(rubric, rng, rng.choice((0.3, 0.9, 0.97, 1.0)))
            if seed % 5 == 0:
                answers["gates"] = {"G1": "督察通报"}
            preview = scoring.preview(rubric, answers)
            if not preview.complete:
                assert preview.result is None
                continue
            expected = scoring.score(rubric, answers)
            assert preview.result.to_dict() == expected.to_dict()
            assert preview.decision == expected.decision
            seen.add(expected.decision)
    assert seen == {"accepted", "conditional", "rejected"}


def test_preview_shows_gates_that_already_hold_on_a_partial_draft():
    answers = {"A3": CLASS3_RIVER | {"tp": 1}, "gates": {"G2": "督察交办"}}
    body = scoring.preview(RIVER, answers).to_dict()
    assert [g["code"] for g in body["gates"]] == ["G2", "G7"]
    assert (body["decision"], body["decision_label"], body["complete"]) == (
        "rejected",
        "不予通过",
        False,
    )
    # water not yet complete: G7 cannot be known, nothing fails, and no decision is projected
    body = scoring.preview(RIVER, {"A3": {"tp": 1}}).to_dict()
    assert body["gates"] == [] and "A3.do" in body["errors"]
    assert body["decision"] is None
