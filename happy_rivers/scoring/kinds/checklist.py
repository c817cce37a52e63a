"""checklist: the points of every item held, from the rubric's list of items."""

from ..rules import ZERO, FieldErrors, fmt, shown
from ..text import Joined, Named, Text
from .base import Kind, Part, register


def _explain(held) -> str:
    if held:
        items = Joined(
            Text("%(item)s（%(points)s 分）", item=Named(o.label, o.label_en), points=fmt(o.value))
            for o in held
        )
        return Text("满足：%(items)s", items=items)
    return Text("未满足任何项目")


class _Prepared:
    __slots__ = ("ind", "bits", "sums")

    def __init__(self, ind):
        self.ind = ind
        self.bits = {o.code: 1 << i for i, o in enumerate(ind.options)}
        # bit mask of the items held → (points, the items): a rubric's checklists have few
        # items, and assessments hold the same few combinations again and again
        self.sums: dict[int, tuple] = {}


@register
class Checklist(Kind):
    name = "checklist"
    partial = "inspect/kinds/options.html"

    def prepare(self, ind):
        return _Prepared(ind)

    def score(self, prepared, value):
        if not isinstance(value, list):
            _refuse(prepared.ind, value)
        bits = prepared.bits
        mask = 0
        for item in value:
            bit = bits.get(item) if isinstance(item, str) else None
            if bit is None or mask & bit:  # unknown or repeated
                _refuse(prepared.ind, value)
            mask |= bit
        entry = prepared.sums.get(mask)
        if entry is None:
            held = tuple(o for o in prepared.ind.options if mask & bits[o.code])
            entry = prepared.sums[mask] = (sum((o.value for o in held), ZERO), (held,))
        return entry[0], _explain, entry[1], None

    def parts(self, ind):
        choices = tuple((o.code, f"{o.label}（{fmt(o.value)} 分）") for o in ind.options)
        return (Part(None, ind.name, "checklist", choices=choices),)

    def answer(self, ind, values):
        return list(values[None] or [])  # none ticked is an answer too: 0 points

    def demo(self, ind, rng, quality):
        return [o.code for o in ind.options if rng.random() < 0.35 + quality * 0.6]


def _refuse(ind, value):
    """Why a checklist answer is refused, naming every unknown item."""
    if not isinstance(value, list):
        raise FieldErrors({ind.code: f"「{ind.name}」须为所满足项目代码的列表（可为空列表）"})
    unknown = [shown(v) for v in value if not isinstance(v, str) or ind.option(v) is None]
    if unknown:
        allowed = "、".join(o.code for o in ind.options)
        raise FieldErrors(
            {ind.code: f"「{ind.name}」含未知项目：{'、'.join(unknown)}（可选：{allowed}）"}
        )
    raise FieldErrors({ind.code: f"「{ind.name}」的项目不能重复"})
