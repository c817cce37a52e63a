"""deduction: the maximum less a fixed number of points per defect found, never below 0."""

from ..rules import ZERO, fmt, whole_number
from ..text import Named, Text, quoted
from .base import Kind, Part, register


def _explain(n: int, unit: str, per: str, top: str) -> str:
    return Text(
        "发现 %(n)s %(unit)s，每%(unit)s扣 %(per)s 分：%(top)s − %(per)s × %(n)s，最低 0 分",
        n=n,
        unit=unit,
        per=per,
        top=top,
    )


@register
class Deduction(Kind):
    name = "deduction"
    partial = "inspect/kinds/single_input.html"

    def prepare(self, ind):
        per = ind.param("per")
        return (
            ind.code,
            quoted(ind),
            ind.max,
            per,
            Named(ind.unit or "处", ind.unit_en or "sites"),
            fmt(per),
            fmt(ind.max),
        )

    def score(self, prepared, value):
        code, label, top, per, unit, per_text, max_text = prepared
        n = whole_number(value, code, label)
        return max(ZERO, top - per * n), _explain, (n, unit, per_text, max_text), None

    def parts(self, ind):
        return (Part(None, ind.name, "integer", quoted(ind), ind.unit, "≥ 0"),)

    def demo(self, ind, rng, quality):
        return max(0, int(rng.gauss((1 - quality) * 4, 0.8)))
