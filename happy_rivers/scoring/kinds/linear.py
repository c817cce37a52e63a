"""linear: a measured value on a straight line between the zero end-point and the full one."""

from decimal import Decimal

from ..rules import curve_text, fmt, in_range, linear_points, number
from ..text import Text, quoted
from .base import Kind, Part, between, register


def _explain(x: Decimal, unit: str, curve: str) -> str:
    return Text("%(x)s%(unit)s：%(curve)s", x=fmt(x), unit=unit, curve=curve)


def range_hint(low, high) -> str:
    """ "0–100" for a percentage, "≥ 0" for an open range: the allowed input, shown in the box."""
    if low is not None and high is not None:
        return f"{fmt(low)}–{fmt(high)}"
    return f"≥ {fmt(low)}" if low is not None else ""


@register
class Linear(Kind):
    name = "linear"
    partial = "inspect/kinds/single_input.html"

    def prepare(self, ind):
        unit = ind.unit if ind.unit == "%" else (f" {ind.unit}" if ind.unit else "")
        full, zero = ind.param("full"), ind.param("zero")
        return (
            ind.code,
            quoted(ind),
            ind.params.get("input_min"),
            ind.params.get("input_max"),
            ind.max,
            full,
            zero,
            (unit, curve_text(full, zero, unit)),
            ind.unit,
        )

    def score(self, prepared, value):
        code, label, low, high, top, full, zero, tail, unit = prepared
        x = number(value, code, label)
        if (low is not None and x < low) or (high is not None and x > high):
            in_range(x, code, label, low, high, unit)
        return linear_points(top, x, full, zero), _explain, (x, *tail), None

    def parts(self, ind):
        placeholder = range_hint(ind.params.get("input_min"), ind.params.get("input_max"))
        return (Part(None, ind.name, "number", quoted(ind), ind.unit, placeholder),)

    def demo(self, ind, rng, quality):
        p = ind.params
        x = between(rng, quality, p["zero"], p["full"])
        lo = float(p.get("input_min", 0))
        hi = float(p["input_max"]) if "input_max" in p else None
        return min(max(x, lo), hi) if hi is not None else max(x, lo)
