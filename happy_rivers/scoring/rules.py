"""One function per indicator kind: check the input, then compute points with an explanation.

Each rule takes the indicator (its parameters come from the rubric file) and the raw answer,
and returns a Scored or raises FieldErrors naming every bad field. Points are returned
unrounded; the engine rounds each indicator half-up to 2 decimals.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from .rubric import Indicator, Option
from .water import (
    FLOOR_PARAMETERS,
    LABELS,
    LIMITS,
    PARAMETER_NAMES,
    PH_MAX,
    PH_RANGE,
    WORST,
    WaterQuality,
    water_quality_class,
)

ZERO = Decimal(0)
ONE = Decimal(1)
# what an indicator's file may leave out
DEFAULT_STEP = Decimal("0.5")  # judged points
DEFAULT_MIN_SAMPLE = 100  # survey sample size


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
    # ZERO first: max() keeps its first argument among equals, and at the zero end-point of a
    # lower-is-better curve the product is −0, which would print as "-0.00"
    return min(max(ZERO, max_points * (x - zero) / (full - zero)), max_points)


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
        step = ind.params.get("step", DEFAULT_STEP)
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
    # copy_abs: a JSON -0.0 is 0 points, not "-0.00"
    return Scored(
        points.copy_abs(), f"专家评分 {fmt(points)} 分（满分 {fmt(ind.max)}）：{note.strip()}"
    )


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
            high = PH_MAX if key == "ph" else None
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
    min_sample = int(ind.params.get("min_sample", DEFAULT_MIN_SAMPLE))
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


# ---------------------------------------------------------------------------------------------
# Fast paths for the engine: the same results, built once per indicator of a loaded rubric.
#
# Each compiled rule takes the raw answer and returns (points rounded half-up to cents,
# explain_fn, explain_args, water_quality), or None whenever the answer is anything but the
# plain valid case (wrong type, out of range, unknown keys, Decimal-only edge cases…). On None the
# engine calls the rule above, which gives the result or raises FieldErrors exactly as always,
# so errors never come from here. explain_fn(*explain_args) is the rule's explanation, built only
# when someone reads it.

_CENT = Decimal("0.01")
_FLOATS: dict[float, Decimal] = {}  # float → Decimal(str(float)); equal floats format equally


def _fast_number(value: Any) -> Decimal | None:
    """number() for the plain cases (int, finite float, finite Decimal); None for the rest."""
    t = type(value)
    if t is float:
        x = _FLOATS.get(value)
        if x is None:
            if not math.isfinite(value):
                return None
            x = Decimal(str(value))
            if value:  # never cache ±0.0: they compare equal but keep their own sign
                if len(_FLOATS) >= 8192:
                    _FLOATS.clear()
                _FLOATS[value] = x
        return x
    if t is int:
        # Decimal(int) is exact, like Decimal(str(int))
        return Decimal(value) if value.bit_length() <= 1024 else None
    if t is Decimal:
        return value if value.is_finite() else None
    return None


def _round2(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _outside(x: Decimal, low, high) -> bool:
    return (low is not None and x < low) or (high is not None and x > high)


def _with_unit(x: Decimal, head: str, tail: str) -> str:
    return f"{head}{fmt(x)}{tail}"


def _compile_linear(ind: Indicator):
    low, high = ind.params.get("input_min"), ind.params.get("input_max")
    full, zero = ind.param("full"), ind.param("zero")
    span = full - zero
    top = ind.max
    unit = ind.unit if ind.unit == "%" else (f" {ind.unit}" if ind.unit else "")
    tail = f"{unit}：{_curve_text(ind, full, zero, unit)}"
    num = _fast_number

    def fast(value):
        x = num(value)
        if x is None or (low is not None and x < low) or (high is not None and x > high):
            return None
        points = min(max(ZERO, top * (x - zero) / span), top)  # = linear_points()
        return points.quantize(_CENT, rounding=ROUND_HALF_UP), _with_unit, (x, "", tail), None

    return fast


def _deduction_text(n: int, unit: str, per_text: str, max_text: str) -> str:
    return f"发现 {n} {unit}，每{unit}扣 {per_text} 分：{max_text} − {per_text} × {n}，最低 0 分"


def _compile_deduction(ind: Indicator):
    per = ind.param("per")
    top = ind.max
    unit = ind.unit or "处"
    per_text, max_text = fmt(per), fmt(top)
    table: dict[int, Decimal] = {}

    def fast(n):
        if type(n) is not int or n < 0 or n.bit_length() > 1024:
            return None
        points = table.get(n)
        if points is None:
            points = _round2(max(ZERO, top - per * n))
            if n < 256:
                table[n] = points
        return points, _deduction_text, (n, unit, per_text, max_text), None

    return fast


def _checklist_text(held: tuple[Option, ...]) -> str:
    if held:
        return "满足：" + "、".join(f"{o.label}（{fmt(o.value)} 分）" for o in held)
    return "未满足任何项目"


def _compile_checklist(ind: Indicator):
    options = ind.options
    bits = {o.code: 1 << i for i, o in enumerate(options)}
    table: dict[int, tuple] = {}  # bit mask of the items held → (points, held options)

    def fast(value):
        if type(value) is not list:
            return None
        mask = 0
        for item in value:
            bit = bits.get(item) if type(item) is str else None
            if bit is None or mask & bit:  # unknown or repeated: the rule says which
                return None
            mask |= bit
        entry = table.get(mask)
        if entry is None:
            held = tuple(o for o in options if mask & bits[o.code])
            points = _round2(sum((o.value for o in held), ZERO))
            entry = table[mask] = (points, (held,))
        return entry[0], _checklist_text, entry[1], None

    return fast


def _judged_text(x: Decimal, max_text: str, note: str) -> str:
    return f"专家评分 {fmt(x)} 分（满分 {max_text}）：{note}"


def _compile_judged(ind: Indicator):
    step = ind.params.get("step", DEFAULT_STEP)
    top = ind.max
    max_text = fmt(top)
    num = _fast_number

    def fast(value):
        if type(value) is not dict or len(value) != 2:
            return None
        note = value.get("note")
        if type(note) is not str:
            return None
        note = note.strip()
        x = num(value.get("points"))
        if not note or x is None or not (ZERO <= x <= top) or x % step != 0:
            return None
        points = x.copy_abs().quantize(_CENT, rounding=ROUND_HALF_UP)  # as judged(): no −0
        return points, _judged_text, (x, max_text, note), None

    return fast


def _compile_choice(ind: Indicator):
    table = {
        o.code: (
            _round2(ind.max * o.value),
            str,
            (f"「{o.label}」：{fmt(ind.max)} × {fmt(o.value)}",),
        )
        for o in ind.options
    }
    table_get = table.get

    def fast(value):
        if type(value) is not str:
            return None
        entry = table_get(value)
        return None if entry is None else (*entry, None)

    return fast


def _water_text(label: str, limiting: tuple[str, ...], max_text: str, fraction_text: str) -> str:
    names = "、".join(PARAMETER_NAMES[p] for p in limiting)
    return f"水质 {label} 类（限制因子：{names}）：{max_text} × {fraction_text}"


def _compile_water_class(ind: Indicator):
    waterbody = ind.param("waterbody")
    required = tuple(LIMITS[waterbody])
    allowed = set(required) | {"ph", "tn"}
    optional = tuple(sorted(allowed - set(required)))
    limits = tuple((key, LIMITS[waterbody][key], key in FLOOR_PARAMETERS) for key in required)
    fractions = ind.params.get("class_fractions") or DEFAULT_CLASS_FRACTIONS
    max_text = fmt(ind.max)
    by_class: dict[int, tuple[Decimal, str]] = {}
    for number_ in range(1, len(LABELS) + 1):
        if number_ <= len(fractions):
            fraction = Decimal(str(fractions[number_ - 1]))
            by_class[number_] = (_round2(ind.max * fraction), fmt(fraction))
    ph_low, ph_high = PH_RANGE
    num = _fast_number

    def fast(value):
        if type(value) is not dict:
            return None
        for key in value:
            if key not in allowed:
                return None
        classes: dict[str, int] = {}
        for key, bounds, floor in limits:
            x = num(value.get(key))
            if x is None or x < ZERO:
                return None
            classes[key] = WORST  # = parameter_class(): the best class whose limit x meets
            for number_, limit in enumerate(bounds, start=1):
                if (x >= limit) if floor else (x <= limit):
                    classes[key] = number_
                    break
        ph_worst = False
        for key in optional:
            raw = value.get(key)
            if raw is None:
                continue
            x = num(raw)
            if x is None or x < ZERO:
                return None
            if key == "ph":
                if x > PH_MAX:
                    return None
                ph_worst = not (ph_low <= x <= ph_high)
        if ph_worst:
            classes["ph"] = WORST
        worst = max(classes.values())
        entry = by_class.get(worst)
        if entry is None:
            return None
        limiting = sorted(p for p, c in classes.items() if c == worst)
        wq = WaterQuality(worst, LABELS[worst - 1], limiting, classes)
        return entry[0], _water_text, (wq.label, tuple(limiting), max_text, entry[1]), wq

    return fast


def _gap_text(riverside: Decimal, district: Decimal, gap: Decimal, curve: str) -> str:
    return f"沿河乡镇 {fmt(riverside)}% − 区县 {fmt(district)}% = {fmt(gap)} 个百分点：{curve}"


def _compile_income_gap(ind: Indicator):
    low, high = ind.params.get("input_min"), ind.params.get("input_max")
    full, zero = ind.param("full"), ind.param("zero")
    span = full - zero
    top = ind.max
    curve = f"≥ {fmt(full)} 得满分，≤ {fmt(zero)} 得 0 分，其间线性"
    num = _fast_number

    def fast(value):
        if type(value) is not dict or len(value) != 2:
            return None
        riverside, district = num(value.get("riverside")), num(value.get("district"))
        if riverside is None or district is None:
            return None
        if _outside(riverside, low, high) or _outside(district, low, high):
            return None
        gap = riverside - district
        points = min(max(ZERO, top * (gap - zero) / span), top)  # = linear_points()
        return _round2(points), _gap_text, (riverside, district, gap, curve), None

    return fast


def _survey_text(rate: Decimal, n: int, curve: str) -> str:
    return f"满意率 {fmt(rate)}%（样本 {n} 份）：{curve}"


def _compile_survey(ind: Indicator):
    low, high = ind.params.get("input_min"), ind.params.get("input_max")
    full, zero = ind.param("full"), ind.param("zero")
    span = full - zero
    top = ind.max
    min_sample = int(ind.params.get("min_sample", DEFAULT_MIN_SAMPLE))
    curve = _curve_text(ind, full, zero, "%")
    num = _fast_number

    def fast(value):
        if type(value) is not dict or len(value) != 2:
            return None
        rate = num(value.get("rate"))
        n = value.get("sample_size")
        if rate is None or _outside(rate, low, high):
            return None
        if type(n) is not int or n < min_sample or n < 0 or n.bit_length() > 1024:
            return None
        points = min(max(ZERO, top * (rate - zero) / span), top)  # = linear_points()
        return _round2(points), _survey_text, (rate, n, curve), None

    return fast


_COMPILERS = {
    "linear": _compile_linear,
    "deduction": _compile_deduction,
    "checklist": _compile_checklist,
    "judged": _compile_judged,
    "choice": _compile_choice,
    "water_class": _compile_water_class,
    "income_gap": _compile_income_gap,
    "survey": _compile_survey,
}


def compile_fast(ind: Indicator) -> Callable[[Any], tuple | None] | None:
    """The indicator's fast path, or None (a malformed indicator: the rule itself will say)."""
    compiler = _COMPILERS.get(ind.kind)
    if compiler is None:
        return None
    try:
        return compiler(ind)
    except Exception:  # e.g. a missing parameter: leave the error to the rule, when it is used
        return None
