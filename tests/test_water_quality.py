"""scoring.water_quality_class against GB 3838—2002 (basic items, mg/L), limit by limit.

The limits are restated here by hand from shared/RUBRIC.md, not read from scoring.water, so a
typo in either shows up. Each limit is checked with a value exactly on it (which meets it) and
one just past it (which falls to the next class whose limit it meets). `do` is a floor
(value ≥ limit); every other parameter is a ceiling (value ≤ limit).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from happy_rivers import scoring

# Every parameter in class Ⅰ, so the parameter under test alone sets the class.
CLEAN = {
    "river": {"do": 8, "codmn": 1, "cod": 10, "bod5": 2, "nh3n": 0.1, "tp": 0.01},
    "reservoir": {
        "do": 8,
        "codmn": 1,
        "cod": 10,
        "bod5": 2,
        "nh3n": 0.1,
        "tp": 0.005,
        "tn": 0.1,
    },
}
LABELS = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "劣Ⅴ": 6}

COMMON = [
    # do ≥ 7.5 / 6 / 5 / 3 / 2 (a floor: just past a limit is just below it)
    ("do", 20, "Ⅰ"),
    ("do", 7.5, "Ⅰ"),
    ("do", 7.49, "Ⅱ"),
    ("do", 6, "Ⅱ"),
    ("do", 5.99, "Ⅲ"),
    ("do", 5, "Ⅲ"),
    ("do", 4.99, "Ⅳ"),
    ("do", 3, "Ⅳ"),
    ("do", 2.99, "Ⅴ"),
    ("do", 2, "Ⅴ"),
    ("do", 1.99, "劣Ⅴ"),
    ("do", 0, "劣Ⅴ"),
    # codmn ≤ 2 / 4 / 6 / 10 / 15
    ("codmn", 0, "Ⅰ"),
    ("codmn", 2, "Ⅰ"),
    ("codmn", 2.01, "Ⅱ"),
    ("codmn", 4, "Ⅱ"),
    ("codmn", 4.01, "Ⅲ"),
    ("codmn", 6, "Ⅲ"),
    ("codmn", 6.01, "Ⅳ"),
    ("codmn", 10, "Ⅳ"),
    ("codmn", 10.01, "Ⅴ"),
    ("codmn", 15, "Ⅴ"),
    ("codmn", 15.01, "劣Ⅴ"),
    # cod ≤ 15 / 15 / 20 / 30 / 40: Ⅰ and Ⅱ share 15, so just past 15 is Ⅲ, never Ⅱ
    ("cod", 15, "Ⅰ"),
    ("cod", 15.01, "Ⅲ"),
    ("cod", 20, "Ⅲ"),
    ("cod", 20.01, "Ⅳ"),
    ("cod", 30, "Ⅳ"),
    ("cod", 30.01, "Ⅴ"),
    ("cod", 40, "Ⅴ"),
    ("cod", 40.01, "劣Ⅴ"),
    # bod5 ≤ 3 / 3 / 4 / 6 / 10: Ⅰ and Ⅱ share 3
    ("bod5", 3, "Ⅰ"),
    ("bod5", 3.01, "Ⅲ"),
    ("bod5", 4, "Ⅲ"),
    ("bod5", 4.01, "Ⅳ"),
    ("bod5", 6, "Ⅳ"),
    ("bod5", 6.01, "Ⅴ"),
    ("bod5", 10, "Ⅴ"),
    ("bod5", 10.01, "劣Ⅴ"),
    # nh3n ≤ 0.15 / 0.5 / 1.0 / 1.5 / 2.0
    ("nh3n", 0.15, "Ⅰ"),
    ("nh3n", 0.151, "Ⅱ"),
    ("nh3n", 0.5, "Ⅱ"),
    ("nh3n", 0.501, "Ⅲ"),
    ("nh3n", 1.0, "Ⅲ"),
    ("nh3n", 1.001, "Ⅳ"),
    ("nh3n", 1.5, "Ⅳ"),
    ("nh3n", 1.501, "Ⅴ"),
    ("nh3n", 2.0, "Ⅴ"),
    ("nh3n", 2.001, "劣Ⅴ"),
]
RIVER_ONLY = [
    # tp (river) ≤ 0.02 / 0.1 / 0.2 / 0.3 / 0.4
    ("tp", 0.02, "Ⅰ"),
    ("tp", 0.021, "Ⅱ"),
    ("tp", 0.1, "Ⅱ"),
    ("tp", 0.101, "Ⅲ"),
    ("tp", 0.2, "Ⅲ"),
    ("tp", 0.201, "Ⅳ"),
    ("tp", 0.3, "Ⅳ"),
    ("tp", 0.301, "Ⅴ"),
    ("tp", 0.4, "Ⅴ"),
    ("tp", 0.401, "劣Ⅴ"),
]
RESERVOIR_ONLY = [
    # tp (reservoir/lake) ≤ 0.01 / 0.025 / 0.05 / 0.1 / 0.2
    ("tp", 0.01, "Ⅰ"),
    ("tp", 0.011, "Ⅱ"),
    ("tp", 0.025, "Ⅱ"),
    ("tp", 0.026, "Ⅲ"),
    ("tp", 0.05, "Ⅲ"),
    ("tp", 0.051, "Ⅳ"),
    ("tp", 0.1, "Ⅳ"),
    ("tp", 0.101, "Ⅴ"),
    ("tp", 0.2, "Ⅴ"),
    ("tp", 0.201, "劣Ⅴ"),
    # tn (reservoir/lake) ≤ 0.2 / 0.5 / 1.0 / 1.5 / 2.0
    ("tn", 0.2, "Ⅰ"),
    ("tn", 0.201, "Ⅱ"),
    ("tn", 0.5, "Ⅱ"),
    ("tn", 0.501, "Ⅲ"),
    ("tn", 1.0, "Ⅲ"),
    ("tn", 1.001, "Ⅳ"),
    ("tn", 1.5, "Ⅳ"),
    ("tn", 1.501, "Ⅴ"),
    ("tn", 2.0, "Ⅴ"),
    ("tn", 2.001, "劣Ⅴ"),
]
CASES = [("river", *c) for c in COMMON + RIVER_ONLY] + [
    ("reservoir", *c) for c in COMMON + RESERVOIR_ONLY
]


@pytest.mark.parametrize("waterbody, parameter, value, label", CASES)
def test_class_limits(waterbody, parameter, value, label):
    measurements = CLEAN[waterbody] | {parameter: value}
    wq = scoring.water_quality_class(measurements, waterbody=waterbody)
    assert (wq.number, wq.label) == (LABELS[label], label)
    if label == "Ⅰ":
        # every parameter is class Ⅰ: all of them set the class
        assert wq.limiting == sorted(CLEAN[waterbody])
    else:
        assert wq.limiting == [parameter]


@pytest.mark.parametrize("waterbody, parameter, value, label", CASES)
def test_class_limits_as_decimal_strings(waterbody, parameter, value, label):
    # the same limits given as exact Decimals: no float rounding on either side of a limit
    measurements = CLEAN[waterbody] | {parameter: Decimal(str(value))}
    assert scoring.water_quality_class(measurements, waterbody).label == label


@pytest.mark.parametrize(
    "waterbody, changes, label, limiting",
    [
        # pH outside [6, 9] → 劣Ⅴ, with ph limiting; inside it changes nothing
        ("river", {"ph": 5.99}, "劣Ⅴ", ["ph"]),
        ("river", {"ph": 6}, "Ⅰ", ["bod5", "cod", "codmn", "do", "nh3n", "tp"]),
        ("river", {"ph": 7.2, "tp": 0.15}, "Ⅲ", ["tp"]),
        ("river", {"ph": 9, "tp": 0.15}, "Ⅲ", ["tp"]),
        ("river", {"ph": 9.01, "tp": 0.15}, "劣Ⅴ", ["ph"]),
        ("river", {"ph": 0}, "劣Ⅴ", ["ph"]),
        ("river", {"ph": 14}, "劣Ⅴ", ["ph"]),
        ("river", {"ph": 4, "tp": 0.5}, "劣Ⅴ", ["ph", "tp"]),  # both limiting, sorted
        ("river", {"ph": None, "tp": 0.15}, "Ⅲ", ["tp"]),  # ph optional
        ("reservoir", {"ph": 9.5}, "劣Ⅴ", ["ph"]),
        ("reservoir", {"ph": 6.5, "tn": 0.6}, "Ⅲ", ["tn"]),
        # the worst parameter sets the class; ties all named, sorted
        ("river", {"do": 5.5, "tp": 0.15}, "Ⅲ", ["do", "tp"]),
        ("river", {"do": 5.5, "tp": 0.25}, "Ⅳ", ["tp"]),
        ("river", {"cod": 35, "bod5": 8, "nh3n": 1.8}, "Ⅴ", ["bod5", "cod", "nh3n"]),
        ("river", {"codmn": 16, "tp": 0.5, "do": 1}, "劣Ⅴ", ["codmn", "do", "tp"]),
        ("reservoir", {"tp": 0.1, "tn": 1.5}, "Ⅳ", ["tn", "tp"]),
        ("reservoir", {"tp": 0.02, "nh3n": 0.3}, "Ⅱ", ["nh3n", "tp"]),
        # the same tp is class Ⅱ in a river and Ⅳ in a reservoir
        ("river", {"tp": 0.1}, "Ⅱ", ["tp"]),
        ("reservoir", {"tp": 0.1}, "Ⅳ", ["tp"]),
        # rivers ignore tn (GB 3838 applies it to lakes and reservoirs)
        ("river", {"tn": 10}, "Ⅰ", ["bod5", "cod", "codmn", "do", "nh3n", "tp"]),
    ],
)
def test_ph_and_limiting(waterbody, changes, label, limiting):
    wq = scoring.water_quality_class(CLEAN[waterbody] | changes, waterbody=waterbody)
    assert wq.label == label
    assert wq.number == LABELS[label]
    assert wq.limiting == limiting


def test_default_waterbody_is_river():
    assert scoring.water_quality_class(CLEAN["river"] | {"tp": 0.1}).label == "Ⅱ"


@pytest.mark.parametrize(
    "waterbody, missing",
    [
        ("reservoir", "tn"),  # tn is required for reservoirs
        ("reservoir", "tp"),
        ("river", "do"),
        ("river", "nh3n"),
    ],
)
def test_missing_parameter_is_refused(waterbody, missing):
    measurements = dict(CLEAN[waterbody])
    del measurements[missing]
    with pytest.raises(ValueError, match=missing):
        scoring.water_quality_class(measurements, waterbody=waterbody)


def test_unknown_waterbody_is_refused():
    with pytest.raises(ValueError):
        scoring.water_quality_class(CLEAN["reservoir"], waterbody="lake")


def test_to_dict_is_plain():
    wq = scoring.water_quality_class(CLEAN["river"] | {"tp": 0.15}, "river")
    assert wq.to_dict()["label"] == "Ⅲ"
    assert wq.to_dict()["limiting"] == ["tp"]
    assert wq.to_dict()["by_parameter"]["tp"] == 3
