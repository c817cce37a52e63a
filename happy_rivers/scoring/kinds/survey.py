"""survey: the satisfaction rate of a large enough sample, on a linear curve."""

from decimal import Decimal

from ..rules import (
    DEFAULT_MIN_SAMPLE,
    FieldErrors,
    curve_text,
    fmt,
    in_range,
    linear_points,
    number,
    unknown_keys,
    whole_number,
)
from ..text import Text
from .base import Kind, Part, between, register

_KEYS = frozenset({"rate", "sample_size"})
RATE, SAMPLE = Text("满意率"), Text("样本量")


def _explain(rate: Decimal, n: int, curve: str) -> str:
    return Text("满意率 %(rate)s%%（样本 %(n)s 份）：%(curve)s", rate=fmt(rate), n=n, curve=curve)


@register
class Survey(Kind):
    name = "survey"
    partial = "inspect/kinds/survey.html"

    def prepare(self, ind):
        full, zero = ind.param("full"), ind.param("zero")
        low, high = ind.params.get("input_min"), ind.params.get("input_max")
        min_sample = int(ind.params.get("min_sample", DEFAULT_MIN_SAMPLE))
        return (
            ind.code,
            ind.name,
            ind.max,
            full,
            zero,
            low,
            high,
            min_sample,
            curve_text(full, zero, "%"),
        )

    def score(self, prepared, value):
        code, name, top, full, zero, low, high, min_sample, curve = prepared
        if not isinstance(value, dict):
            raise FieldErrors({code: f"「{name}」须包含满意率 rate 和样本量 sample_size"})
        errors: dict[str, str] = {}
        rate = n = None
        try:
            rate = number(value.get("rate"), f"{code}.rate", RATE)
            if (low is not None and rate < low) or (high is not None and rate > high):
                in_range(rate, f"{code}.rate", RATE, low, high, "%")
        except FieldErrors as e:
            errors.update(e.errors)
        try:
            n = whole_number(value.get("sample_size"), f"{code}.sample_size", SAMPLE)
            if n < min_sample:
                errors[f"{code}.sample_size"] = Text("样本量须为不少于 %(n)s 的整数", n=min_sample)
        except FieldErrors as e:
            errors.update(e.errors)
        unknown_keys(value, _KEYS, code, name, errors)
        if errors:
            raise FieldErrors(errors)
        return linear_points(top, rate, full, zero), _explain, (rate, n, curve), None

    def parts(self, ind):
        return (
            Part("rate", "满意率", "number", RATE, unit="%"),
            Part("sample_size", "样本量", "integer", SAMPLE, unit="份"),
        )

    def document_params(self, ind):
        params = dict(ind.params)
        params.setdefault("min_sample", Decimal(DEFAULT_MIN_SAMPLE))
        return params

    def demo(self, ind, rng, quality):
        p = ind.params
        return {
            "rate": between(rng, quality, p["zero"], p["full"]),
            "sample_size": rng.randint(120, 600),
        }
