"""What every indicator kind checks and computes with: field errors, numbers, ranges, curves.

The kinds themselves (one object each: check, arithmetic, form fields, demo answer) are in
scoring/kinds/; this module holds the pieces they share, so a message or a rounding rule is
written once. Points are computed unrounded; the engine rounds each indicator half-up to cents.
"""

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from .text import Text
from .water import WaterQuality

ZERO = Decimal(0)
ONE = Decimal(1)
# what an indicator's file may leave out
DEFAULT_STEP = Decimal("0.5")  # judged points
DEFAULT_MIN_SAMPLE = 100  # survey sample size


class FieldErrors(Exception):
    """Input errors keyed by field path (e.g. "A3.tp"), each with a Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Scored:
    """One indicator's points (unrounded) with the explanation in words."""

    points: Decimal
    explain: str
    water_quality: WaterQuality | None = None


# Memoized: every scored assessment formats ~80 numbers for its explanations, most of them the
# rubric's own constants (end-points, points per item). Equal Decimals format identically.
@lru_cache(maxsize=4096, typed=True)
def fmt(value: Decimal) -> str:
    """A number as people write it: 96.5, 100, 0.025 (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


# float → Decimal(str(float)), for the floats answers repeat (the same measurements, rates and
# percentages come back assessment after assessment); str() of a float is most of number()'s cost
_FLOATS: dict[float, Decimal] = {}


def number(value: Any, path: str, label: str) -> Decimal:
    """A finite JSON number as Decimal, or a FieldErrors naming the field.

    Strings are refused on purpose: "96.5" in JSON is a client bug, and guessing hides it.
    """
    t = type(value)
    if t is float:
        found = _FLOATS.get(value)
        if found is not None:
            return found
    elif t is int:
        if value.bit_length() <= 1024:
            return Decimal(value)  # exact, like Decimal(str(value))
    elif t is Decimal and value.is_finite():
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        if value is None:
            raise FieldErrors({path: Text("请填写%(label)s", label=label)})
        raise FieldErrors({path: Text("%(label)s必须是数字", label=label)})
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldErrors({path: Text("%(label)s必须是有限的数字", label=label)})
    if isinstance(value, int) and value.bit_length() > 1024:
        # beyond any JSON double; str() of such an int raises ValueError past 4300 digits
        raise FieldErrors({path: Text("%(label)s数值过大", label=label)})
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise FieldErrors({path: Text("%(label)s必须是数字", label=label)}) from None
    if not result.is_finite():
        raise FieldErrors({path: Text("%(label)s必须是有限的数字", label=label)})
    if t is float and value:  # never ±0.0: they compare equal but keep their own sign
        if len(_FLOATS) >= 8192:
            _FLOATS.clear()
        _FLOATS[value] = result
    return result


def in_range(value: Decimal, path: str, label: str, low=None, high=None, unit: str = "") -> Decimal:
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            bounds = Text("须在 %(low)s 到 %(high)s 之间", low=fmt(low), high=fmt(high))
        elif low is not None:
            bounds = Text("不能小于 %(low)s", low=fmt(low))
        else:
            bounds = Text("不能大于 %(high)s", high=fmt(high))
        if unit:
            message = Text("%(label)s%(bounds)s（%(unit)s）", label=label, bounds=bounds, unit=unit)
        else:
            message = Text("%(label)s%(bounds)s", label=label, bounds=bounds)
        raise FieldErrors({path: message})
    return value


def whole_number(value: Any, path: str, label: str) -> int:
    if type(value) is int and value >= 0 and value.bit_length() <= 1024:
        return value  # what the checks below give back for a plain count
    n = number(value, path, label)
    if n != n.to_integral_value() or n < 0:
        raise FieldErrors({path: Text("%(label)s须为不小于 0 的整数", label=label)})
    return int(n)


def linear_points(max_points: Decimal, x: Decimal, full: Decimal, zero: Decimal) -> Decimal:
    """max × clamp((x − zero)/(full − zero), 0, 1), multiplying before the one division.

    max × fraction would round the fraction first: 3 × (2.075/15) gives 0.41499…9, not 0.415,
    and the half-up rounding to cents then loses a cent.
    """
    # ZERO first: max() keeps its first argument among equals, and at the zero end-point of a
    # lower-is-better curve the product is −0, which would print as "-0.00"
    return min(max(ZERO, max_points * (x - zero) / (full - zero)), max_points)


def curve_text(full: Decimal, zero: Decimal, unit: str) -> str:
    """How a linear curve scores, in words: "≥ 95% 得满分，≤ 60% 得 0 分，其间线性"."""
    better = "≥" if full > zero else "≤"
    worse = "≤" if full > zero else "≥"
    return Text(
        "%(better)s %(full)s%(unit)s 得满分，%(worse)s %(zero)s%(unit)s 得 0 分，其间线性",
        better=better,
        full=fmt(full),
        unit=unit,
        worse=worse,
        zero=fmt(zero),
    )


def shown(value: Any) -> str:
    """A stray value as text for a message: short, and never an error itself."""
    try:
        text = str(value)
    except ValueError:  # an int past Python's 4300-digit str() limit
        text = "（位数过多的数字）"
    return text if len(text) <= 40 else text[:39] + "…"


def unknown_keys(value: dict, known: frozenset, code: str, name: str, errors: dict) -> None:
    """An error for every key of a dict answer that its kind does not know."""
    if len(value) > len(known) or not known.issuperset(value):
        for key in sorted(set(value) - known):
            errors[f"{code}.{key}"] = f"「{name}」没有字段 {key}"
