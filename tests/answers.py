"""Complete, valid answers objects (RUBRIC.md "Answers JSON") that score exactly 100.00.

Each call returns a fresh dict, so a test may change it freely. Other test files import
`full_river_answers` and `full_reservoir_answers`; keep their names.
"""

# Class Ⅱ water for a river: every parameter in class Ⅰ or Ⅱ (both are worth the full 7 points).
RIVER_WATER = {"do": 6.8, "codmn": 3.2, "cod": 14, "bod5": 2.6, "nh3n": 0.42, "tp": 0.09}
# Class Ⅰ water for a river: every parameter meets its class Ⅰ limit.
RIVER_WATER_CLASS1 = {"do": 8, "codmn": 1.5, "cod": 10, "bod5": 2, "nh3n": 0.1, "tp": 0.01}
# Class Ⅱ water for a reservoir (lake limits, tn required).
RESERVOIR_WATER = {
    "do": 7.0,
    "codmn": 3.0,
    "cod": 12,
    "bod5": 2.0,
    "nh3n": 0.3,
    "tp": 0.02,
    "tn": 0.45,
}
# Class Ⅰ water for a reservoir.
RESERVOIR_WATER_CLASS1 = {
    "do": 8,
    "codmn": 1.5,
    "cod": 10,
    "bod5": 2,
    "nh3n": 0.1,
    "tp": 0.005,
    "tn": 0.1,
}


def _shared_answers() -> dict:
    """A13–A20 (smart, culture, prosperity, satisfaction) at full marks, and no gates."""
    return {
        "A13": ["online_monitoring", "ai_patrol", "platform", "digital_twin"],  # 2+2+2+2 = 8
        "A14": {"points": 5, "note": "古桥、古码头均已挂牌保护"},  # 5
        "A15": {"points": 5, "note": "每年举办河湖文化节"},  # 5
        "A16": ["dual_control", "allocation"],  # 2+2 = 4
        "A17": {"points": 5, "note": "滨河民宿与渔业带动就业"},  # 5
        "A18": {"riverside": 6.1, "district": 5.8},  # gap +0.3 ≥ 0 → 3
        "A19": 100,  # full 100 → 5
        "A20": {"rate": 95, "sample_size": 400},  # full 95 → 10
        "gates": {},
    }


def full_river_answers() -> dict:
    """cq-river answers worth 15 + 25 + 15 + 8 + 10 + 12 + 15 = 100.00."""
    return {
        "A1": 100,  # full 100 → 8
        "A2": 0,  # 7 − 2 × 0 = 7
        "A3": dict(RIVER_WATER),  # class Ⅱ → 7 × 1.0 = 7
        "A4": 95,  # full 95 → 3
        "A5": 90,  # full 90 → 4
        "A6": 80,  # full 80 → 4
        "A7": 90,  # full 90 → 4
        "A8": 100,  # full 100 → 3
        "A9": 0,  # 4 − 1 × 0 = 4
        "A10": ["trail", "nodes", "safety", "barrier_free"],  # 2+1+1+1 = 5
        "A11": 95,  # full 95 → 3
        "A12": "compliant",  # 3 × 1.0 = 3
        **_shared_answers(),
    }


def full_reservoir_answers() -> dict:
    """cq-reservoir answers worth 15 + 25 + 15 + 8 + 10 + 12 + 15 = 100.00."""
    return {
        "B1": "class1",  # 6 × 1.0 = 6
        "B2": [  # 1+1+1+1+1 = 5
            "dispatch_plan",
            "emergency_plan",
            "monitoring",
            "three_responsible",
            "flood_duty",
        ],
        "B3": 0,  # 4 − 2 × 0 = 4
        "B4": dict(RESERVOIR_WATER),  # class Ⅱ → 7 × 1.0 = 7
        "B5": 40,  # TLI ≤ 50 → 5
        "B6": 90,  # full 90 → 5
        "B7": 90,  # full 90 → 4
        "B8": 150,  # density ≤ 200 → 4
        "B9": 0,  # 4 − 1 × 0 = 4
        "B10": ["office", "road", "lighting_cctv", "signage"],  # 1+1+1+1 = 4
        "B11": ["trail", "safety", "nodes"],  # 2+1+1 = 4
        "B12": 95,  # full 95 → 3
        **_shared_answers(),
    }


def river(**changes) -> dict:
    """The full river answers with some changed."""
    return full_river_answers() | changes
