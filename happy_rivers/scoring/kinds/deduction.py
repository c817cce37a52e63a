"""deduction: the maximum less a fixed number of points per defect found, never below 0."""

from ..rules import ZERO, fmt, whole_number
from .base import Kind, Part, register


def _explain(n: int, unit: str, per: str, top: str) -> str:
    return f"发现 {n} {unit}，每{unit}扣 {per} 分：{top} − {per} × {n}，最低 0 分"


@register
class Deduction(Kind):
    name = "deduction"
    partial = "inspect/kinds/single_input.html"

    def prepare(self, ind):
        per = ind.param("per")
        return ind.code, f"「{ind.name}」", ind.max, per, ind.unit or "处", fmt(per), fmt(ind.max)

    def score(self, prepared, value):
        code, label, top, per, unit, per_text, max_text = prepared
        n = whole_number(value, code, label)
        return max(ZERO, top - per * n), _explain, (n, unit, per_text, max_text), None

    def parts(self, ind):
        return (Part(None, ind.name, "integer", f"「{ind.name}」", ind.unit, "≥ 0"),)

    def demo(self, ind, rng, quality):
        return max(0, int(rng.gauss((1 - quality) * 4, 0.8)))
