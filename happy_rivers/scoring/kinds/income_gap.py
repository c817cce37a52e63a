"""income_gap: riverside towns' income growth less the district's, on a linear curve."""

from decimal import Decimal

from ..rules import FieldErrors, curve_text, fmt, in_range, linear_points, number, unknown_keys
from ..text import N_, Text
from .base import Kind, Part, register

_KEYS = frozenset({"riverside", "district"})
_RATES = (
    ("riverside", N_("沿河乡镇人均可支配收入增长率")),
    ("district", N_("区县人均可支配收入增长率")),
)


def _explain(riverside: Decimal, district: Decimal, gap: Decimal, curve: str) -> str:
    return Text(
        "沿河乡镇 %(riverside)s%% − 区县 %(district)s%% = %(gap)s 个百分点：%(curve)s",
        riverside=fmt(riverside),
        district=fmt(district),
        gap=fmt(gap),
        curve=curve,
    )


@register
class IncomeGap(Kind):
    name = "income_gap"
    partial = "inspect/kinds/income_gap.html"

    def prepare(self, ind):
        full, zero = ind.param("full"), ind.param("zero")
        curve = curve_text(full, zero, "")
        low, high = ind.params.get("input_min"), ind.params.get("input_max")
        rates = tuple((key, f"{ind.code}.{key}", Text(label)) for key, label in _RATES)
        return ind.code, ind.name, ind.max, full, zero, low, high, curve, rates

    def score(self, prepared, value):
        code, name, top, full, zero, low, high, curve, checked = prepared
        if not isinstance(value, dict):
            raise FieldErrors(
                {code: f"「{name}」须包含沿河乡镇 riverside 与区县 district 的增长率（%）"}
            )
        errors: dict[str, str] = {}
        rates: dict[str, Decimal] = {}
        for key, path, label in checked:
            try:
                x = number(value.get(key), path, label)
                if (low is not None and x < low) or (high is not None and x > high):
                    in_range(x, path, label, low, high, "%")
                rates[key] = x
            except FieldErrors as e:
                errors.update(e.errors)
        unknown_keys(value, _KEYS, code, name, errors)
        if errors:
            raise FieldErrors(errors)
        riverside, district = rates["riverside"], rates["district"]
        gap = riverside - district
        points = linear_points(top, gap, full, zero)
        return points, _explain, (riverside, district, gap, curve), None

    def parts(self, ind):
        return (
            Part("riverside", "沿河乡镇增长率", "number", Text("沿河乡镇增长率"), unit="%"),
            Part("district", "区县增长率", "number", Text("区县增长率"), unit="%"),
        )

    def demo(self, ind, rng, quality):
        d = round(rng.uniform(4.5, 6.5), 1)
        return {"riverside": round(d + rng.gauss(quality - 0.7, 0.6), 1), "district": d}
