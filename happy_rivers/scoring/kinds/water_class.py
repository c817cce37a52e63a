"""water_class: the GB 3838 class of the measured water, worth the rubric's fraction per class."""

from decimal import Decimal

from ..rules import ZERO, FieldErrors, fmt, in_range, number
from ..text import Joined, Text
from ..water import LABELS, LIMITS, PARAMETER_NAMES, PH_MAX, WORST, water_quality_class
from .base import Kind, Part, register

# Ⅰ Ⅱ Ⅲ Ⅳ Ⅴ 劣Ⅴ
WORST_LABEL = LABELS[WORST - 1]
DEFAULT_CLASS_FRACTIONS = tuple(map(Decimal, ("1.0", "1.0", "0.8", "0.5", "0.2", "0")))


def _explain(label: str, limiting: list[str], max_text: str, fraction: Decimal) -> str:
    return Text(
        "水质 %(label)s 类（限制因子：%(names)s）：%(max)s × %(fraction)s",
        label=Text(label) if label == WORST_LABEL else label,  # 劣Ⅴ says "worse than Ⅴ"
        names=Joined(Text(PARAMETER_NAMES[p]) for p in limiting),
        max=max_text,
        fraction=fmt(fraction),
    )


class _Prepared:
    __slots__ = ("code", "name", "top", "waterbody", "allowed", "checked", "fractions")

    def __init__(self, ind):
        self.code, self.name, self.top = ind.code, ind.name, ind.max
        self.waterbody = ind.param("waterbody")
        required = tuple(LIMITS[self.waterbody])
        # rivers: GB 3838 assesses 总氮 for lakes and reservoirs only, so a river's tn is ignored
        self.allowed = frozenset(required) | {"ph", "tn"}
        # optional keys are still checked when given (a river's tn too): no NaN or text slips
        # through. (key, path, name, required, upper bound, unit)
        self.checked = tuple(
            (
                key,
                f"{ind.code}.{key}",
                Text(PARAMETER_NAMES[key]),
                key in required,
                PH_MAX if key == "ph" else None,
                "" if key == "ph" else "mg/L",
            )
            for key in (*required, *sorted(self.allowed - set(required)))
        )
        fractions = ind.params.get("class_fractions") or DEFAULT_CLASS_FRACTIONS
        self.fractions = tuple(Decimal(str(f)) for f in fractions)


@register
class WaterClass(Kind):
    name = "water_class"
    partial = "inspect/kinds/water_class.html"

    def prepare(self, ind):
        return _Prepared(ind)

    def score(self, c, value):
        if not isinstance(value, dict):
            raise FieldErrors({c.code: f"「{c.name}」须为各项水质参数的年均浓度（mg/L）"})
        errors: dict[str, str] = {}
        measurements: dict[str, Decimal] = {}
        if not c.allowed.issuperset(value):
            for key in sorted(set(value) - c.allowed):
                errors[f"{c.code}.{key}"] = f"未知的水质参数 {key}"
        for key, path, label, required, high, unit in c.checked:
            raw = value.get(key)
            if raw is None:
                if required:
                    errors[path] = Text("请填写%(label)s（mg/L）", label=label)
                continue
            try:
                x = number(raw, path, label)
                if x < ZERO or (high is not None and x > high):
                    in_range(x, path, label, ZERO, high, unit)
                measurements[key] = x
            except FieldErrors as e:
                errors.update(e.errors)
        if errors:
            raise FieldErrors(errors)
        wq = water_quality_class(measurements, c.waterbody)
        fraction = c.fractions[wq.number - 1]
        return c.top * fraction, _explain, (wq.label, wq.limiting, fmt(c.top), fraction), wq

    def parts(self, ind):
        return tuple(
            Part(
                p,
                PARAMETER_NAMES[p] + ("（选填）" if p == "ph" else ""),
                "number",
                PARAMETER_NAMES[p],
                "" if p == "ph" else "mg/L",
            )
            for p in (*LIMITS[ind.param("waterbody")], "ph")
        )

    def document_params(self, ind):
        params = dict(ind.params)
        limits = LIMITS[params["waterbody"]]
        params["class_fractions"] = params.get("class_fractions") or DEFAULT_CLASS_FRACTIONS
        params["limits"] = dict(limits)
        params["required"] = list(limits)
        # as score(): ph is optional, and tn is accepted (and ignored) for rivers
        params["optional"] = sorted({"ph", "tn"} - set(limits))
        return params

    def demo(self, ind, rng, quality):
        good = quality > 0.5
        # rivers' 总磷 limits are looser than lakes' and reservoirs' (GB 3838)
        river = "tn" not in LIMITS[ind.param("waterbody")]
        answer = {
            "do": round(rng.uniform(6.2, 8.5) if good else rng.uniform(3.5, 6), 2),
            "codmn": round(rng.uniform(1.5, 3.8) if good else rng.uniform(3, 7), 2),
            "cod": round(rng.uniform(8, 15), 1),
            "bod5": round(rng.uniform(1.2, 2.9), 2),
            "nh3n": round(rng.uniform(0.08, 0.45) if good else rng.uniform(0.3, 1.2), 3),
            "tp": round(rng.uniform(0.01, 0.09), 3)
            if river
            else round(rng.uniform(0.008, 0.024), 3),
        }
        if "tn" in LIMITS[ind.param("waterbody")]:
            answer["tn"] = round(rng.uniform(0.15, 0.5), 2)
        return answer
