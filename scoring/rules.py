"""One function per indicator kind: check the input, then compute points with an explanation.

Each rule takes the indicator (its parameters come from the rubric file) and the raw answer,
and returns a Scored or raises FieldErrors naming every bad field. Points are returned
unrounded; the engine rounds each indicator half-up to 2 decimals.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from .rubric import Indicator
from .water import LIMITS, PARAMETER_NAMES, WaterQuality, water_quality_class

ZERO = Decimal(0)
ONE = Decimal(1)


class FieldErrors(Exception):
    """Input errors keyed by field path (e.g. "A3.tp"), each with a Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Scored:
    points: Decimal
    explain: str
    water_quality: WaterQuality | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# Memoized: every scored assessment formats ~80 numbers for its explanations, most of them the
# rubric's own constants (end-points, points per item). Equal Decimals format identically.
@lru_cache(maxsize=4096, typed=True)
def fmt(value: Decimal) -> str:
    """A number as people write it: 96.5, 100, 0.025 (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def number(value: Any, path: str, label: str) -> Decimal:
    """A finite JSON number as Decimal, or a FieldErrors naming the field.

    Strings are refused on purpose: "96.5" in JSON is a client bug, and guessing hides it.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        if value is None:
            raise FieldErrors({path: f"请填写{label}"})
        raise FieldErrors({path: f"{label}必须是数字"})
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldErrors({path: f"{label}必须是有限的数字"})
    if isinstance(value, int) and value.bit_length() > 1024:
        # beyond any JSON double; str() of such an int raises ValueError past 4300 digits
        raise FieldErrors({path: f"{label}数值过大"})
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise FieldErrors({path: f"{label}必须是数字"}) from None
    if not result.is_finite():
        raise FieldErrors({path: f"{label}必须是有限的数字"})
    return result


def in_range(value: Decimal, path: str, label: str, low=None, high=None, unit: str = "") -> Decimal:
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            bounds = f"须在 {fmt(low)} 到 {fmt(high)} 之间"
        elif low is not None:
            bounds = f"不能小于 {fmt(low)}"
        else:
            bounds = f"不能大于 {fmt(high)}"
        raise FieldErrors({path: f"{label}{bounds}{('（' + unit + '）') if unit else ''}"})
    return value


def whole_number(value: Any, path: str, label: str) -> int:
    n = number(value, path, label)
    if n != n.to_integral_value() or n < 0:
        raise FieldErrors({path: f"{label}须为不小于 0 的整数"})
    return int(n)


def linear_fraction(x: Decimal, full: Decimal, zero: Decimal) -> Decimal:
    """clamp((x − zero)/(full − zero), 0, 1); works when full < zero (lower is better)."""
    return min(max((x - zero) / (full - zero), ZERO), ONE)


def linear_points(max_points: Decimal, x: Decimal, full: Decimal, zero: Decimal) -> Decimal:
    """max × clamp((x − zero)/(full − zero), 0, 1), multiplying before the one division.

    max × fraction would round the fraction first: 3 × (2.075/15) gives 0.41499…9, not 0.415,
    and the half-up rounding to cents then loses a cent.
    """
    return min(max(max_points * (x - zero) / (full - zero), ZERO), max_points)


def _curve_text(ind: Indicator, full: Decimal, zero: Decimal, unit: str) -> str:
    better = "≥" if full > zero else "≤"
    worse = "≤" if full > zero else "≥"
    return f"{better} {fmt(full)}{unit} 得满分，{worse} {fmt(zero)}{unit} 得 0 分，其间线性"


def linear(ind: Indicator, value: Any) -> Scored:
    label = f"「{ind.name}」"
    x = number(value, ind.code, label)
    x = in_range(
        x, ind.code, label, ind.params.get("input_min"), ind.params.get("input_max"), ind.unit
    )
    full, zero = ind.param("full"), ind.param("zero")
    points = linear_points(ind.max, x, full, zero)
    unit = ind.unit if ind.unit == "%" else (f" {ind.unit}" if ind.unit else "")
    return Scored(points, f"{fmt(x)}{unit}：{_curve_text(ind, full, zero, unit)}")


def deduction(ind: Indicator, value: Any) -> Scored:
    n = whole_number(value, ind.code, f"「{ind.name}」")
    per = ind.param("per")
    unit = ind.unit or "处"
    points = max(ZERO, ind.max - per * n)
    return Scored(
        points,
        f"发现 {n} {unit}，每{unit}扣 {fmt(per)} 分：{fmt(ind.max)} − {fmt(per)} × {n}，最低 0 分",
    )


def _shown(value: Any) -> str:
    """A stray value as text for a message: short, and never an error itself."""
    try:
        text = str(value)
    except ValueError:  # an int past Python's 4300-digit str() limit
        text = "（位数过多的数字）"
    return text if len(text) <= 40 else text[:39] + "…"


def checklist(ind: Indicator, value: Any) -> Scored:
    if not isinstance(value, list):
        raise FieldErrors({ind.code: f"「{ind.name}」须为所满足项目代码的列表（可为空列表）"})
    unknown = [_shown(v) for v in value if not isinstance(v, str) or ind.option(v) is None]
    if unknown:
        allowed = "、".join(o.code for o in ind.options)
        raise FieldErrors(
            {ind.code: f"「{ind.name}」含未知项目：{'、'.join(unknown)}（可选：{allowed}）"}
        )
    if len(set(value)) != len(value):
        raise FieldErrors({ind.code: f"「{ind.name}」的项目不能重复"})
    held = [o for o in ind.options if o.code in value]
    points = sum((o.value for o in held), ZERO)
    if held:
        text = "满足：" + "、".join(f"{o.label}（{fmt(o.value)} 分）" for o in held)
    else:
        text = "未满足任何项目"
    return Scored(points, text, detail={"items": [o.code for o in held]})


def judged(ind: Indicator, value: Any) -> Scored:
    if not isinstance(value, dict):
        raise FieldErrors({ind.code: f"「{ind.name}」须包含评分 points 和说明 note"})
    errors: dict[str, str] = {}
    points = None
    try:
        points = number(value.get("points"), f"{ind.code}.points", f"「{ind.name}」的评分")
        step = ind.params.get("step", Decimal("0.5"))
        if not (ZERO <= points <= ind.max) or points % step != 0:
            errors[f"{ind.code}.points"] = (
                f"「{ind.name}」的评分须在 0 到 {fmt(ind.max)} 之间，且为 {fmt(step)} 的整数倍"
            )
    except FieldErrors as e:
        errors.update(e.errors)
    note = value.get("note")
    if not isinstance(note, str) or not note.strip():
        errors[f"{ind.code}.note"] = f"请填写「{ind.name}」的评分说明"
    unknown = sorted(set(value) - {"points", "note"})
    for key in unknown:
        errors[f"{ind.code}.{key}"] = f"「{ind.name}」没有字段 {key}"
    if errors:
        raise FieldErrors(errors)
    return Scored(points, f"专家评分 {fmt(points)} 分（满分 {fmt(ind.max)}）：{note.strip()}")


def choice(ind: Indicator, value: Any) -> Scored:
    option = ind.option(value) if isinstance(value, str) else None
    if option is None:
        if value is None:
            raise FieldErrors({ind.code: f"请选择「{ind.name}」"})
        allowed = "、".join(f"{o.code}（{o.label}）" for o in ind.options)
        raise FieldErrors({ind.code: f"「{ind.name}」的选项无效，可选：{allowed}"})
    points = ind.max * option.value
    return Scored(points, f"「{option.label}」：{fmt(ind.max)} × {fmt(option.value)}")


def water_class(ind: Indicator, value: Any) -> Scored:
    waterbody = ind.param("waterbody")
    if not isinstance(value, dict):
        raise FieldErrors({ind.code: f"「{ind.name}」须为各项水质参数的年均浓度（mg/L）"})
    required = tuple(LIMITS[waterbody])
    # rivers: GB 3838 assesses 总氮 for lakes and reservoirs only, so a river's tn is ignored
    allowed = set(required) | {"ph", "tn"}
    errors: dict[str, str] = {}
    measurements: dict[str, Decimal] = {}
    for key in sorted(set(value) - allowed):
        errors[f"{ind.code}.{key}"] = f"未知的水质参数 {key}"
    # optional keys are still checked when given (a river's tn too): no NaN or text slips through
    for key in (*required, *sorted(allowed - set(required))):
        path, label = f"{ind.code}.{key}", PARAMETER_NAMES[key]
        if value.get(key) is None:
            if key in required:
                errors[path] = f"请填写{label}（mg/L）"
            continue
        try:
            x = number(value[key], path, label)
            high = Decimal(14) if key == "ph" else None
            measurements[key] = in_range(x, path, label, ZERO, high, "" if key == "ph" else "mg/L")
        except FieldErrors as e:
            errors.update(e.errors)
    if errors:
        raise FieldErrors(errors)
    wq = water_quality_class(measurements, waterbody)
    fractions = ind.params.get("class_fractions") or DEFAULT_CLASS_FRACTIONS
    fraction = Decimal(str(fractions[wq.number - 1]))
    limiting = "、".join(PARAMETER_NAMES[p] for p in wq.limiting)
    text = f"水质 {wq.label} 类（限制因子：{limiting}）：{fmt(ind.max)} × {fmt(fraction)}"
    return Scored(ind.max * fraction, text, water_quality=wq)


# Ⅰ Ⅱ Ⅲ Ⅳ Ⅴ 劣Ⅴ
DEFAULT_CLASS_FRACTIONS = tuple(map(Decimal, ("1.0", "1.0", "0.8", "0.5", "0.2", "0")))


def income_gap(ind: Indicator, value: Any) -> Scored:
    if not isinstance(value, dict):
        raise FieldErrors(
            {ind.code: f"「{ind.name}」须包含沿河乡镇 riverside 与区县 district 的增长率（%）"}
        )
    errors: dict[str, str] = {}
    rates: dict[str, Decimal] = {}
    low, high = ind.params.get("input_min"), ind.params.get("input_max")
    for key, label in (
        ("riverside", "沿河乡镇人均可支配收入增长率"),
        ("district", "区县人均可支配收入增长率"),
    ):
        try:
            rates[key] = in_range(
                number(value.get(key), f"{ind.code}.{key}", label),
                f"{ind.code}.{key}",
                label,
                low,
                high,
                "%",
            )
        except FieldErrors as e:
            errors.update(e.errors)
    for key in sorted(set(value) - {"riverside", "district"}):
        errors[f"{ind.code}.{key}"] = f"「{ind.name}」没有字段 {key}"
    if errors:
        raise FieldErrors(errors)
    gap = rates["riverside"] - rates["district"]
    full, zero = ind.param("full"), ind.param("zero")
    points = linear_points(ind.max, gap, full, zero)
    text = (
        f"沿河乡镇 {fmt(rates['riverside'])}% − 区县 {fmt(rates['district'])}% "
        f"= {fmt(gap)} 个百分点："
        f"≥ {fmt(full)} 得满分，≤ {fmt(zero)} 得 0 分，其间线性"
    )
    return Scored(points, text)


def survey(ind: Indicator, value: Any) -> Scored:
    if not isinstance(value, dict):
        raise FieldErrors({ind.code: f"「{ind.name}」须包含满意率 rate 和样本量 sample_size"})
    errors: dict[str, str] = {}
    rate = None
    try:
        rate = number(value.get("rate"), f"{ind.code}.rate", "满意率")
        in_range(
            rate,
            f"{ind.code}.rate",
            "满意率",
            ind.params.get("input_min"),
            ind.params.get("input_max"),
            "%",
        )
    except FieldErrors as e:
        errors.update(e.errors)
    min_sample = int(ind.params.get("min_sample", 100))
    try:
        n = whole_number(value.get("sample_size"), f"{ind.code}.sample_size", "样本量")
        if n < min_sample:
            errors[f"{ind.code}.sample_size"] = f"样本量须为不少于 {min_sample} 的整数"
    except FieldErrors as e:
        errors.update(e.errors)
    for key in sorted(set(value) - {"rate", "sample_size"}):
        errors[f"{ind.code}.{key}"] = f"「{ind.name}」没有字段 {key}"
    if errors:
        raise FieldErrors(errors)
    full, zero = ind.param("full"), ind.param("zero")
    points = linear_points(ind.max, rate, full, zero)
    return Scored(
        points, f"满意率 {fmt(rate)}%（样本 {n} 份）：{_curve_text(ind, full, zero, '%')}"
    )


RULES: dict[str, Callable[[Indicator, Any], Scored]] = {
    "linear": linear,
    "deduction": deduction,
    "checklist": checklist,
    "judged": judged,
    "choice": choice,
    "water_class": water_class,
    "income_gap": income_gap,
    "survey": survey,
}
