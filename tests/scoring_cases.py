"""Deterministic answer sets for comparing two scorers (tests/browser/test_scoring_equivalence.py).

Every value a rule treats differently is here: each curve's end-points and a cent either side,
points that land exactly on half a cent (half-up must round them up), every water-quality limit
and the value just past it, pH at and past 6, 9 and 14, each checklist subset, judged steps,
choice options, totals exactly at 95 / 90 / 85 and a cent below, dimensions exactly at their 60 %
floor and a cent below, every gate ticked, computed or refused, missing and invalid fields, and
the junk tests/test_fuzz.py feeds scoring. Built from tests/answers.py's full answers, with a
seeded Random, so a failure names the same case on every run.
"""

import copy
import random
from decimal import Decimal

from happy_rivers import scoring
from happy_rivers.scoring.water import LIMITS
from tests.answers import (
    RESERVOIR_WATER_CLASS1,
    RIVER_WATER_CLASS1,
    full_reservoir_answers,
    full_river_answers,
)

SEED = 20251204
FULL = {"cq-river": full_river_answers, "cq-reservoir": full_reservoir_answers}
NOTE = "现场核查记录"
# the odd values tests/test_fuzz.py's strategies draw, as JSON can carry them
JUNK = [True, False, "96.5", " ", "NaN", "compliant", "非常好", [], {}, [1, "x"], 1e308, -1e308,
        5e-324, -0.0, 10**20, -(2**60)]  # fmt: skip


def _number(x: Decimal) -> float | int:
    """x as a JSON number that reads back as exactly x (both in Python and in JavaScript)."""
    if x == x.to_integral_value():
        return int(x)
    f = float(x)
    assert Decimal(repr(f)) == x, f"{x} is not a short float"
    return f


def _short(x: Decimal) -> bool:
    return x == x.to_integral_value() or Decimal(repr(float(x))) == x


def linear_values(ind, rng: random.Random) -> list:
    full, zero, top = ind.param("full"), ind.param("zero"), ind.max
    low, high = ind.params.get("input_min"), ind.params.get("input_max")
    step = Decimal("0.01")
    values = {full, zero, full + step, full - step, zero + step, zero - step, (full + zero) / 2}
    if low is not None:
        values |= {low, low - step}
    if high is not None:
        values |= {high, high + step}
    # points exactly k + 0.005: half-up must give k + 0.01 (and multiplying after dividing
    # would give k + 0.00499…9 for many of them: 3 × (2.075 / 15))
    for _ in range(12):
        k = Decimal(rng.randrange(0, int(top * 100))) / 100
        x = zero + (k + Decimal("0.005")) * (full - zero) / top
        if _short(x):
            values.add(x)
    for _ in range(3):
        a, b = sorted((full, zero))
        values.add(a + (b - a) * Decimal(rng.randrange(0, 100_000)) / 100_000)
    return sorted((_number(v) for v in values if _short(v)), key=float)


def water_values(ind, rng: random.Random, base: dict) -> list:
    waterbody = ind.param("waterbody")
    values = []
    for key, limits in LIMITS[waterbody].items():
        for limit in limits:
            values.append(base | {key: _number(limit)})
            past = limit - Decimal("0.001") if key == "do" else limit + Decimal("0.001")
            values.append(base | {key: _number(past)})
    for ph in ("6", "9", "5.99", "9.01", "14", "14.01", "-1", "7.2", "0"):
        values.append(base | {"ph": _number(Decimal(ph))})
    worst = {k: _number(v[-1] + 1) if k != "do" else 1 for k, v in LIMITS[waterbody].items()}
    class1 = RIVER_WATER_CLASS1 if waterbody == "river" else RESERVOIR_WATER_CLASS1
    values += [
        dict(class1),
        class1 | {"ph": 6},
        worst,  # 劣Ⅴ on every parameter: all limiting
        {k: v for k, v in base.items() if k != "tp"},  # a parameter missing
        base | {"tp": -0.1},
        base | {"zz": 1},  # an unknown parameter
        base | {"tn": 5},  # rivers: ignored; reservoirs: 劣Ⅴ
        base | {"tn": "x"},
        base | {"cod": "14"},
        base | {"do": None},
        "class2",
    ]
    for _ in range(6):  # a random class per parameter
        values.append(
            {
                k: _number(rng.choice(limits) + Decimal(rng.choice(("0", "0.001", "-0.001"))))
                for k, limits in LIMITS[waterbody].items()
            }
        )
    return values


def indicator_values(ind, rng: random.Random, full: dict) -> list:
    """Values worth trying for one indicator: valid ones at every boundary, then invalid."""
    kind = ind.kind
    if kind == "linear":
        return linear_values(ind, rng) + ["80", None, "", True, -0.0, 1e308]
    if kind == "deduction":
        return [0, 1, 2, 3, 4, 5, 7, 10, 2.0, 1.5, -1, "2", 10**20, -0.0]
    if kind == "checklist":
        codes = [o.code for o in ind.options]
        subsets = [[c for c in codes if rng.random() < 0.5] for _ in range(6)]
        return [[], codes, *subsets, [codes[0], codes[0]], ["x"], codes[0], [codes[0], 3]]
    if kind == "judged":
        steps = [Decimal(n) / 2 for n in range(int(ind.max * 2) + 1)]
        valid = [{"points": _number(p), "note": NOTE} for p in steps]
        return valid + [
            {"points": 4.0, "note": NOTE},
            {"points": 0.25, "note": NOTE},
            {"points": _number(ind.max + Decimal("0.5")), "note": NOTE},
            {"points": -0.0, "note": NOTE},
            {"points": -0.5, "note": NOTE},
            {"points": 3, "note": "   "},
            {"points": 3},
            {"note": NOTE},
            {"points": "3", "note": NOTE},
            {"points": 3, "note": NOTE, "by": "x"},
            3,
        ]
    if kind == "choice":
        return [o.code for o in ind.options] + ["bogus", 1, ["compliant"]]
    if kind == "water_class":
        return water_values(ind, rng, dict(full[ind.code]))
    if kind == "income_gap":
        pairs = [(6.1, 5.8), (5, 7), (5, 5), (5, 6.5), (5, 5.005), (5, 6.995), (5.5, 7.49),
                 (100, -100), (-100, 100), (101, 0), (0, -100.01),
                 # a gap of −1.33 ∓ 1e-17: 1.5 × 0.67 = 1.005 exactly, or a hair either side —
                 # which only arithmetic to 28 digits (Python's context) tells apart
                 (-1e-17, 1.33), (1e-17, 1.33), (0, 1.33)]  # fmt: skip
        return [{"riverside": r, "district": d} for r, d in pairs] + [
            {"riverside": 5},
            {"riverside": 5, "district": 5, "x": 1},
            {"riverside": "5", "district": 5},
            [5, 5],
        ]
    if kind == "survey":
        rates = [95, 70, 94.99, 70.01, 82.5, 82.0125, 69.99, 100, 0, 76.2375, 100.01, -1]
        return [{"rate": r, "sample_size": 400} for r in rates] + [
            {"rate": 90, "sample_size": 99},
            {"rate": 90, "sample_size": 100},
            {"rate": 90, "sample_size": 100.0},
            {"rate": 90, "sample_size": 100.5},
            {"rate": 90, "sample_size": "400"},
            {"rate": 90},
            {"rate": 90, "sample_size": 400, "x": 1},
            "90%",
        ]
    raise AssertionError(kind)


# Totals and floors at their thresholds, as changes to the full (100.00) answers. Dimension
# floors: safety 9, ecology 15, amenity 9, smart 4.8, culture 6, prosperity 7.2, satisfaction 9.
A1_MINUS_1_CENT = 99.96875  # 8 × 24.96875 / 25 = 7.99
THRESHOLDS = [
    {"A20": {"rate": 82.5, "sample_size": 400}},  # 95.00: 很幸福
    {"A20": {"rate": 82.5, "sample_size": 400}, "A1": A1_MINUS_1_CENT},  # 94.99
    {"A20": {"rate": 80, "sample_size": 400}, "A14": {"points": 1, "note": NOTE}},  # 90.00
    {"A20": {"rate": 80, "sample_size": 400}, "A14": {"points": 1, "note": NOTE},
     "A1": A1_MINUS_1_CENT},  # 89.99: conditional
    {"A20": {"rate": 80, "sample_size": 400}, "A1": 81.25, "A14": {"points": 2, "note": NOTE}},
    # ↑ 85.00: safety 2 + 7 = 9 and satisfaction 5 + 4 = 9, exactly at their floors
    {"A20": {"rate": 80, "sample_size": 400}, "A1": 81.25, "A14": {"points": 2, "note": NOTE},
     "A4": 94.95},  # 84.99: rejected on the total
    {"A1": 81.21875},  # safety 8.99: one cent below its floor
    {"A1": 75, "A2": 3},  # safety 0 + 1
    {"A13": ["online_monitoring", "ai_patrol"]},  # smart 4 < 4.8
    {"A13": ["online_monitoring", "ai_patrol", "platform"]},  # smart 6
    {"A14": {"points": 0.5, "note": NOTE}, "A15": {"points": 0.5, "note": NOTE}},  # culture 1
    {"A14": {"points": 3, "note": NOTE}, "A15": {"points": 3, "note": NOTE}},  # culture 6: floor
    {"A16": [], "A17": {"points": 3, "note": NOTE}},  # prosperity 6 < 7.2
    {"A16": ["dual_control"], "A17": {"points": 2, "note": NOTE},
     "A18": {"riverside": 5.4, "district": 5.6}},  # prosperity 2 + 2 + 2.7 = 6.7
]  # fmt: skip


def _gate_cases(rubric_id: str) -> list[dict]:
    full = FULL[rubric_id]
    rubric = scoring.load_rubric(rubric_id)
    cases = []
    for gate in rubric.gates:
        cases.append(full() | {"gates": {gate.code: "督察交办问题尚未整改"}})
        cases.append(full() | {"gates": {gate.code: "  "}})
    cases += [
        full() | {"gates": {"G9": NOTE}},
        full() | {"gates": []},
        full() | {"gates": None},
        full() | {"gates": {"G1": 1}},
        full() | {"gates": {"G1": NOTE, "G2": NOTE}},
    ]
    if rubric_id == "cq-river":
        cases.append(full() | {"A12": "non_compliant"})  # G3 computed
        cases.append(full() | {"A12": "non_compliant", "A3": {**full()["A3"], "tp": 0.5}})  # + G7
    else:
        cases.append(full() | {"B1": "class3"})  # G4 computed
        cases.append(full() | {"B1": "class3", "gates": {"G4": "病险水库未加固"}})  # and ticked
        cases.append(full() | {"B4": {**full()["B4"], "tn": 2.5}})  # G7
        cases.append(full() | {"A12": "non_compliant"})  # no A12 in this rubric
    return cases


def answer_cases() -> list[tuple[str, dict]]:
    """(rubric id, answers) pairs: a few hundred per rubric."""
    rng = random.Random(SEED)
    cases: list[tuple[str, dict]] = []
    for rubric_id, full in FULL.items():
        rubric = scoring.load_rubric(rubric_id)
        base = full()
        pools = {code: indicator_values(ind, rng, base) for code, ind in rubric.indicators.items()}
        # each indicator through its values, the others full
        for code, pool in pools.items():
            for value in pool:
                cases.append((rubric_id, full() | {code: copy.deepcopy(value)}))
        # random mixes: every indicator drawn from its pool, some left out
        for _ in range(120):
            answers = {"gates": {}}
            for code, pool in pools.items():
                roll = rng.random()
                if roll < 0.08:
                    continue  # missing
                valid = pool[: max(1, len(pool) * 2 // 3)]  # the pools list valid values first
                answers[code] = copy.deepcopy(rng.choice(valid if roll < 0.9 else pool))
            cases.append((rubric_id, answers))
        # near the acceptance lines: most indicators full, a few drawn from their pools
        for _ in range(60):
            answers = full()
            for code, pool in pools.items():
                if rng.random() < 0.2:
                    answers[code] = copy.deepcopy(rng.choice(pool[: max(1, len(pool) // 2)]))
            cases.append((rubric_id, answers))
        if rubric_id == "cq-river":
            cases += [(rubric_id, full() | changes) for changes in THRESHOLDS]
        cases += [(rubric_id, answers) for answers in _gate_cases(rubric_id)]
        # partial drafts, nothing at all, and things that are not answers
        for n in (1, 3, 8):
            answers = full()
            for code in rng.sample(sorted(rubric.indicators), n):
                del answers[code]
            cases.append((rubric_id, answers))
        cases += [
            (rubric_id, {}),
            (rubric_id, {"gates": {}}),
            (rubric_id, []),
            (rubric_id, "answers"),
            (rubric_id, full() | {"X99": 1}),
            (rubric_id, full() | {"A1 ": 1}),
        ]
        for junk in JUNK:
            code = rng.choice(sorted(rubric.indicators))
            cases.append((rubric_id, full() | {code: copy.deepcopy(junk)}))
    return cases


# --- the form: typed text, as a browser posts it -----------------------------------------------

TYPED = ["96.5", " 96.5 ", "96,5", "96，5", "1,000", "1e2", "1E-2", "１２", "12_5", "-0", "-0.0",
         "0.0", "abc", "NaN", "inf", "1e16", "9999999999999999", "1e15", "  ", "", "+7", ".5",
         "5.", "1e", "٣", "100.0000000000000000000001", "0.1000000000000000055511151231257827",
         "82.075", "1 000"]  # fmt: skip


def form_cases(rubric_id: str) -> list[dict]:
    """Field overrides for the inspection form (name → typed text, list or bool)."""
    rng = random.Random(SEED + len(rubric_id))
    rubric = scoring.load_rubric(rubric_id)
    text_fields, lists, radios, judged = [], {}, {}, []
    for ind in rubric.indicators.values():
        if ind.kind in ("linear", "deduction"):
            text_fields.append(ind.code)
        elif ind.kind == "checklist":
            lists[ind.code] = [o.code for o in ind.options]
        elif ind.kind == "choice":
            radios[ind.code] = [o.code for o in ind.options]
        elif ind.kind == "judged":
            judged.append(ind.code)
        elif ind.kind == "water_class":
            text_fields += [f"{ind.code}_{p}" for p in (*LIMITS[ind.param("waterbody")], "ph")]
        elif ind.kind == "income_gap":
            text_fields += [f"{ind.code}_riverside", f"{ind.code}_district"]
        elif ind.kind == "survey":
            text_fields += [f"{ind.code}_rate", f"{ind.code}_sample_size"]
    cases = []
    for name in text_fields:  # each odd text in each box
        for text in rng.sample(TYPED, 6):
            cases.append({name: text})
    for _ in range(40):  # whole forms, partly filled
        fields: dict = {}
        for name in text_fields:
            if rng.random() < 0.7:
                fields[name] = rng.choice(TYPED + ["50", "90", "0.2", "7", "400", "100"] * 3)
        for name, options in lists.items():
            fields[name] = [o for o in options if rng.random() < 0.5]
        for name, options in radios.items():
            if rng.random() < 0.8:
                fields[name] = rng.choice(options)
        for code in judged:
            if rng.random() < 0.7:
                fields[f"{code}_points"] = rng.choice(["", "0", "2.5", "5", "4.5"])
                fields[f"{code}_note"] = rng.choice(["", "  ", NOTE])
        for gate in rubric.manual_gates:
            if rng.random() < 0.15:
                fields[f"gate_{gate.code}"] = True
                fields[f"gate_{gate.code}_note"] = rng.choice(["", NOTE])
        cases.append(fields)
    return cases
