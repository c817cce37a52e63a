"""judged: points an expert gives in steps (0.5 unless the rubric says), with a note."""

from decimal import Decimal

from ..rules import DEFAULT_STEP, ZERO, FieldErrors, fmt, number, unknown_keys
from ..text import Text, named
from .base import Kind, Part, register

_KEYS = frozenset({"points", "note"})


def _explain(x: Decimal, max_text: str, note: str) -> str:
    return Text(
        "专家评分 %(points)s 分（满分 %(max)s）：%(note)s", points=fmt(x), max=max_text, note=note
    )


def point_steps(ind) -> tuple[str, ...]:
    """Every allowed score, highest first: what the form's select offers."""
    step = ind.params.get("step", DEFAULT_STEP)
    values, x = [], Decimal(0)
    while x <= ind.max:
        values.append(fmt(x))
        x += step
    return tuple(reversed(values))


@register
class Judged(Kind):
    name = "judged"
    partial = "inspect/kinds/judged.html"

    def prepare(self, ind):
        code, name = ind.code, named(ind)
        step = ind.params.get("step", DEFAULT_STEP)
        return (
            code,
            name,
            ind.max,
            step,
            fmt(ind.max),
            f"{code}.points",
            Text("「%(name)s」的评分", name=name),
        )

    def score(self, prepared, value):
        code, name, top, step, max_text, path, label = prepared
        if not isinstance(value, dict):
            raise FieldErrors({code: f"「{name}」须包含评分 points 和说明 note"})
        errors: dict[str, str] = {}
        points = None
        try:
            points = number(value.get("points"), path, label)
            if not (ZERO <= points <= top) or points % step != 0:
                errors[path] = f"{label}须在 0 到 {max_text} 之间，且为 {fmt(step)} 的整数倍"
        except FieldErrors as e:
            errors.update(e.errors)
        note = value.get("note")
        if not isinstance(note, str) or not note.strip():
            errors[f"{code}.note"] = Text("请填写「%(name)s」的评分说明", name=name)
        unknown_keys(value, _KEYS, code, name, errors)
        if errors:
            raise FieldErrors(errors)
        # copy_abs: a JSON -0.0 is 0 points, not "-0.00"
        return points.copy_abs(), _explain, (points, max_text, note.strip()), None

    def parts(self, ind):
        steps = tuple((s, s) for s in point_steps(ind))
        return (
            Part(
                "points",
                "评分",
                "points",
                Text("「%(name)s」的评分", name=named(ind)),
                choices=(("", "—"), *steps),
            ),
            Part("note", "评分说明", "text"),
        )

    def answer(self, ind, values):
        points, note = values["points"], values["note"] or ""
        # a note alone is kept (points still to give); an untouched pair is no answer
        if points is None and not note.strip():
            return None
        return {"points": points, "note": note}

    def describe(self, ind, fields):
        code = ind.code
        return f"{fields.get(f'{code}_points') or '—'} 分；{fields.get(f'{code}_note') or ''}"

    def document_params(self, ind):
        params = dict(ind.params)
        params.setdefault("step", DEFAULT_STEP)
        return params

    def demo(self, ind, rng, quality):
        top = float(ind.max)
        points = min(top, max(0.0, round(top * rng.gauss(quality, 0.1) * 2) / 2))
        return {"points": points, "note": "现场查看与资料核实（演示数据）"}
