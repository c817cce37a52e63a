"""choice: one option of the rubric's list, worth the maximum times the option's fraction."""

from ..rules import FieldErrors, fmt
from ..text import Named, Text, named
from .base import Kind, Part, register


def _explain(text: str) -> str:
    return text


@register
class Choice(Kind):
    name = "choice"
    partial = "inspect/kinds/options.html"

    def prepare(self, ind):
        table = {
            o.code: (
                ind.max * o.value,
                (
                    Text(
                        "「%(option)s」：%(max)s × %(fraction)s",
                        option=Named(o.label, o.label_en),
                        max=fmt(ind.max),
                        fraction=fmt(o.value),
                    ),
                ),
            )
            for o in ind.options
        }
        return ind, table

    def score(self, prepared, value):
        ind, table = prepared
        entry = table.get(value) if isinstance(value, str) else None
        if entry is None:
            if value is None:
                raise FieldErrors({ind.code: Text("请选择「%(name)s」", name=named(ind))})
            allowed = "、".join(f"{o.code}（{o.label}）" for o in ind.options)
            raise FieldErrors({ind.code: f"「{ind.name}」的选项无效，可选：{allowed}"})
        return entry[0], _explain, entry[1], None

    def parts(self, ind):
        return (
            Part(None, ind.name, "choice", choices=tuple((o.code, o.label) for o in ind.options)),
        )

    def demo(self, ind, rng, quality):
        options = [o.code for o in ind.options]
        return options[0] if rng.random() < 0.6 + quality * 0.4 else options[1]
