"""Surface-water quality class by GB 3838—2002, single-factor method (basic items, mg/L).

The worst parameter sets the class. Limits are the national standard, not a rubric choice,
so they live here rather than in the rubric files; which of the standard's tables applies to a
kind of waterbody is said by the kinds table (scoring/waterbodies.py, `water_limits`).
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from .numbers import to_decimal
from .text import N_
from .waterbodies import waterbody_kind, waterbody_kinds

LABELS = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ")
WORST = 6  # 劣Ⅴ

PARAMETER_NAMES = {
    "do": N_("溶解氧"),
    "codmn": N_("高锰酸盐指数"),
    "cod": N_("化学需氧量"),
    "bod5": N_("五日生化需氧量"),
    "nh3n": N_("氨氮"),
    "tp": N_("总磷"),
    "tn": N_("总氮"),
    "ph": N_("pH"),
}

# Class Ⅰ..Ⅴ limits. `do` is a floor (value ≥ limit); the rest are ceilings (value ≤ limit).
_D = Decimal
_COMMON = {
    "do": tuple(map(_D, ("7.5", "6", "5", "3", "2"))),
    "codmn": tuple(map(_D, ("2", "4", "6", "10", "15"))),
    "cod": tuple(map(_D, ("15", "15", "20", "30", "40"))),
    "bod5": tuple(map(_D, ("3", "3", "4", "6", "10"))),
    "nh3n": tuple(map(_D, ("0.15", "0.5", "1.0", "1.5", "2.0"))),
}
# The standard's tables: rivers, and lakes and reservoirs (湖、库: stricter 总磷, and 总氮).
STANDARD_LIMITS = {
    "river": {**_COMMON, "tp": tuple(map(_D, ("0.02", "0.1", "0.2", "0.3", "0.4")))},
    "lake_reservoir": {
        **_COMMON,
        "tp": tuple(map(_D, ("0.01", "0.025", "0.05", "0.1", "0.2"))),
        "tn": tuple(map(_D, ("0.2", "0.5", "1.0", "1.5", "2.0"))),
    },
}


class _LimitsByKind(Mapping):
    """Kind of waterbody → its limits, looked up through the kinds table on every access, so a
    kind added by a RUBRIC_PATH folder is classified with no change here."""

    def __getitem__(self, kind: str) -> dict[str, tuple[Decimal, ...]]:
        return STANDARD_LIMITS[waterbody_kind(kind).water_limits]

    def __iter__(self) -> Iterator[str]:
        return iter(waterbody_kinds())

    def __len__(self) -> int:
        return len(waterbody_kinds())


LIMITS: Mapping[str, dict[str, tuple[Decimal, ...]]] = _LimitsByKind()
PH_RANGE = (_D(6), _D(9))
PH_MAX = _D(14)  # a pH above 14 is a typing mistake, not a measurement
# parameters whose limits are floors (value ≥ limit); every other limit is a ceiling
FLOOR_PARAMETERS = frozenset({"do"})


@dataclass(frozen=True)
class WaterQuality:
    number: int  # 1..6, 6 = 劣Ⅴ
    label: str  # "Ⅰ" … "劣Ⅴ"
    limiting: list[str]  # sorted names of the parameters that set the class
    by_parameter: dict[str, int]  # each parameter's own class number

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "label": self.label,
            "limiting": self.limiting,
            "by_parameter": self.by_parameter,
        }


def parameter_class(parameter: str, value: Decimal, waterbody: str) -> int:
    """The best class whose limit the value meets; 6 (劣Ⅴ) when it fails even class Ⅴ."""
    if parameter == "ph":
        low, high = PH_RANGE
        return 1 if low <= value <= high else WORST
    limits = LIMITS[waterbody][parameter]
    for number, limit in enumerate(limits, start=1):
        meets = value >= limit if parameter in FLOOR_PARAMETERS else value <= limit
        if meets:
            return number
    return WORST


def water_quality_class(measurements: dict, waterbody: str = "river") -> WaterQuality:
    """Class of water from annual-mean concentrations; measurements must already be valid numbers.

    `ph` is optional and only ever makes water 劣Ⅴ (outside 6–9); it never improves the class.
    For rivers, `tn` is not assessed (GB 3838 applies it to lakes and reservoirs) and is ignored.
    """
    if waterbody not in LIMITS:
        raise ValueError(f"waterbody must be one of {', '.join(LIMITS)}, not {waterbody!r}")
    classes = {}
    for parameter in LIMITS[waterbody]:
        if measurements.get(parameter) is None:
            raise ValueError(f"missing water-quality parameter: {parameter}")
        classes[parameter] = parameter_class(
            parameter, to_decimal(measurements[parameter]), waterbody
        )
    if measurements.get("ph") is not None:
        ph_class = parameter_class("ph", to_decimal(measurements["ph"]), waterbody)
        # pH within 6–9 says nothing about the class, so it can only ever be limiting as 劣Ⅴ.
        if ph_class == WORST:
            classes["ph"] = WORST
    worst = max(classes.values())
    limiting = sorted(p for p, c in classes.items() if c == worst)
    return WaterQuality(worst, LABELS[worst - 1], limiting, classes)
