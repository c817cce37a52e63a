"""Score a whole answers object against a rubric: indicators, dimensions, gates, decision, grade."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .errors import InvalidAnswers
from .kinds import kind_of
from .numbers import round2
from .panel import PanelSummary, read_panel
from .panel import explain as panel_explain
from .rubric import Rubric
from .rules import FieldErrors, fmt
from .text import N_, Named, Text, named
from .water import WORST, WaterQuality

ZERO = Decimal(0)

DECISION_LABELS = {
    "accepted": N_("通过验收"),
    "conditional": N_("限期整改后复核"),
    "rejected": N_("不予通过"),
}


def _jsonable(value: Any) -> Any:
    """The answer as given, made JSON-ready: a caller may pass Decimals (e.g. from
    json.loads(parse_float=Decimal)); they come back as JSON numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class IndicatorResult:
    """One scored indicator. Works like the dataclass it was (same fields, ==, repr), except
    that `explain` is built on first access: most scored assessments are stored as numbers and
    never show their explanations, and formatting them was a third of the scoring time."""

    __slots__ = (
        "code",
        "name",
        "dimension",
        "kind",
        "max",
        "points",
        "input",
        "water_quality",
        "_explain",
        "_explain_fn",
        "_explain_args",
    )

    def __init__(
        self,
        code: str,
        name: str,
        dimension: str,
        kind: str,
        max: Decimal,
        points: Decimal,
        input: Any,
        explain: str | None = None,
        water_quality: WaterQuality | None = None,
    ):
        self.code = code
        self.name = name
        self.dimension = dimension
        self.kind = kind
        self.max = max
        self.points = points
        self.input = input
        self._explain = explain
        self._explain_fn = None
        self._explain_args = ()
        self.water_quality = water_quality

    @classmethod
    def _lazy(cls, ind, value, points, explain_fn, explain_args, water_quality):
        """A result whose explanation is explain_fn(*explain_args) + " → {points} 分", later."""
        self = cls.__new__(cls)
        self.code = ind.code
        self.name = ind.name
        self.dimension = ind.dimension
        self.kind = ind.kind
        self.max = ind.max
        self.points = points
        self.input = value
        self.water_quality = water_quality
        self._explain = None
        self._explain_fn = explain_fn
        self._explain_args = (points, explain_args)
        return self

    @property
    def explain(self) -> str:
        text = self._explain
        if text is None and self._explain_fn is not None:
            points, args = self._explain_args
            text = self._explain = with_points(self._explain_fn(*args), points)
            self._explain_fn, self._explain_args = None, ()
        return text

    @explain.setter
    def explain(self, value: str) -> None:
        self._explain, self._explain_fn, self._explain_args = value, None, ()

    def _fields(self) -> tuple:
        return (
            self.code,
            self.name,
            self.dimension,
            self.kind,
            self.max,
            self.points,
            self.input,
            self.explain,
            self.water_quality,
        )

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._fields() == other._fields()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass

    def __repr__(self) -> str:
        names = ("code", "name", "dimension", "kind", "max", "points", "input", "explain")
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._fields(), strict=False))
        return f"IndicatorResult({shown}, water_quality={self.water_quality!r})"

    def to_dict(self) -> dict:
        d = {
            "code": self.code,
            "name": self.name,
            "dimension": self.dimension,
            "kind": self.kind,
            "input": _jsonable(self.input),
            "points": str(self.points),
            "max": str(round2(self.max)),
            "explain": self.explain,
        }
        if self.water_quality is not None:
            d["water_quality"] = self.water_quality.to_dict()
        return d


@dataclass
class DimensionResult:
    code: str
    name: str
    score: Decimal
    max: Decimal
    floor: Decimal
    floor_met: bool

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "score": str(self.score),
            "max": str(round2(self.max)),
            "floor": str(round2(self.floor)),
            "floor_met": self.floor_met,
        }


@dataclass
class GateResult:
    code: str
    name: str
    source: str  # manual | computed
    note: str

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "source": self.source, "note": self.note}


@dataclass
class Result:
    rubric_id: str
    rubric_version: str
    total: Decimal
    max_total: Decimal
    decision: str
    grade: str
    gates: list[str]
    gate_details: list[GateResult]
    reasons: list[str]
    dimensions: dict[str, DimensionResult]
    indicators: dict[str, IndicatorResult] = field(default_factory=dict)
    # the expert panel's indicators, when scored with panel=…: each expert's points, combined
    panel: dict[str, PanelSummary] = field(default_factory=dict)

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS[self.decision]

    @property
    def water_quality(self) -> WaterQuality | None:
        return next((i.water_quality for i in self.indicators.values() if i.water_quality), None)

    def to_dict(self) -> dict:
        wq = self.water_quality
        return {
            "rubric": {"id": self.rubric_id, "version": self.rubric_version},
            "total": str(self.total),
            "max": str(round2(self.max_total)),
            "decision": self.decision,
            "decision_label": self.decision_label,
            "grade": self.grade,
            "gates": list(self.gates),
            "gate_details": [g.to_dict() for g in self.gate_details],
            "reasons": list(self.reasons),
            "water_quality": wq.to_dict() if wq else None,
            "dimensions": {code: d.to_dict() for code, d in self.dimensions.items()},
            "indicators": {code: i.to_dict() for code, i in self.indicators.items()},
        } | ({"panel": {c: p.to_dict() for c, p in self.panel.items()}} if self.panel else {})


@dataclass
class Preview:
    """What a half-filled form already tells: the indicators that can be scored, and errors.

    Used for running subtotals while an inspector types; never for a decision.
    """

    indicators: dict[str, IndicatorResult]
    errors: dict[str, str]
    missing: list[str]
    subtotals: dict[str, Decimal]
    # The gates that already hold (code → why), whatever is still missing: one is enough to
    # know the decision. The decision itself once it is certain (a gate, or complete answers).
    gates: dict[str, str] = field(default_factory=dict)
    decision: str | None = None
    # complete answers: their full result, what score() gives
    result: Result | None = None

    @property
    def complete(self) -> bool:
        """Every indicator answered and nothing invalid."""
        return not self.missing and not self.errors

    @property
    def water_quality(self) -> WaterQuality | None:
        return next((i.water_quality for i in self.indicators.values() if i.water_quality), None)

    @property
    def decision_label(self) -> str | None:
        return DECISION_LABELS.get(self.decision) if self.decision else None

    @property
    def total(self) -> Decimal:
        """The running total: what the subtotals add up to so far."""
        return round2(sum(self.subtotals.values(), Decimal(0)))

    def to_dict(self) -> dict:
        wq = self.water_quality
        return {
            "indicators": {
                c: {"points": str(i.points), "max": str(round2(i.max)), "explain": i.explain}
                | ({"water_quality": i.water_quality.to_dict()} if i.water_quality else {})
                for c, i in self.indicators.items()
            },
            "errors": self.errors,
            "missing": self.missing,
            "complete": self.complete,
            "subtotals": {c: str(v) for c, v in self.subtotals.items()},
            "total": str(self.total),
            "gates": [{"code": c, "note": n} for c, n in self.gates.items()],
            "decision": self.decision,
            "decision_label": self.decision_label,
            "water_quality": wq.to_dict() if wq else None,
        }


class _Plan:
    """What scoring needs of a rubric, looked up once per loaded rubric (rubrics are immutable)."""

    def __init__(self, rubric: Rubric):
        indicators = rubric.indicators
        self.known = set(indicators) | {"gates"}
        self.items = tuple(
            (code, ind, kind_of(ind).score, ind.prepared) for code, ind in indicators.items()
        )
        self.dimensions = tuple(
            (
                d.code,
                d.name,
                d.max,
                d.max * rubric.dimension_floor,
                tuple(i.code for i in d.indicators),
            )
            for d in rubric.dimensions
        )


def _plan(rubric: Rubric) -> _Plan:
    # kept on the rubric instance itself (frozen dataclasses still have a __dict__, as for
    # cached_property), so a rubric built any other way gets its own plan
    plan = rubric.__dict__.get("_scoring_plan")
    if plan is None:
        plan = rubric.__dict__["_scoring_plan"] = _Plan(rubric)
    return plan


def _evaluate(
    rubric: Rubric, answers: Any
) -> tuple[dict[str, IndicatorResult], dict[str, str], list[str]]:
    """Score every indicator that has an answer; collect errors and the codes still missing."""
    if not isinstance(answers, dict):
        return {}, {"answers": "答案必须是一个 JSON 对象，以指标代码为键"}, []
    plan = _plan(rubric)
    results: dict[str, IndicatorResult] = {}
    errors: dict[str, str] = {}
    missing: list[str] = []
    if not plan.known.issuperset(answers):
        indicators = rubric.indicators
        for key in answers:
            if key != "gates" and key not in indicators:
                errors[str(key)] = f"评价标准 {rubric.id} 中没有指标 {key}"
    lazy = IndicatorResult._lazy
    get = answers.get
    for code, ind, score_one, prepared in plan.items:
        value = get(code)
        if value is None or value == "":
            missing.append(code)
            continue
        try:
            points, explain, args, water_quality = score_one(prepared, value)
        except FieldErrors as e:
            errors.update(e.errors)
            continue
        points = round2(points)
        results[code] = lazy(ind, value, points, explain, args, water_quality)
    return results, errors, missing


def _manual_gates(rubric: Rubric, raw: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The manual gates ticked in answers["gates"] (code → note), and their errors."""
    if raw is None:
        return {}, {}
    if not isinstance(raw, dict):
        return {}, {"gates": "gates 须为对象：键为否决条件代码，值为说明"}
    ticked: dict[str, str] = {}
    errors: dict[str, str] = {}
    for code, note in raw.items():
        gate = rubric.gate(code)
        if gate is None:
            errors[f"gates.{code}"] = f"未知的否决条件 {code}"
        elif not gate.manual:
            errors[f"gates.{code}"] = f"否决条件 {code}（{gate.name}）由答案自动判定，不能手动勾选"
        elif not isinstance(note, str) or not note.strip():
            errors[f"gates.{code}"] = f"勾选否决条件 {code} 时须填写说明"
        else:
            ticked[code] = note.strip()
    return ticked, errors


def _computed_gates(
    rubric: Rubric, answers: dict, results: dict[str, IndicatorResult]
) -> dict[str, str]:
    held: dict[str, str] = {}
    for gate in rubric.gates:
        if gate.when_option:
            code, option = gate.when_option
            if answers.get(code) == option:
                label = rubric.indicators[code].option(option).label
                held[gate.code] = f"{rubric.indicators[code].name}为「{label}」"
        if gate.when_worst_class:
            # (a draft may not have the water class yet)
            found = results.get(gate.when_worst_class)
            wq = found.water_quality if found else None
            if wq is not None and wq.number == WORST:
                held[gate.code] = f"水质为劣Ⅴ类（限制因子：{'、'.join(wq.limiting)}）"
    return held


def _apply_panel(
    rubric: Rubric,
    panel: Any,
    results: dict[str, IndicatorResult],
    errors: dict[str, str],
    missing: list[str],
) -> dict[str, PanelSummary]:
    """Put the panel's combined points in place of the single answer of each indicator it
    covers: that answer may be absent, and is neither scored nor checked."""
    summaries, panel_errors = read_panel(rubric, panel)
    errors.update(panel_errors)
    if not isinstance(panel, dict):
        return summaries
    indicators = rubric.indicators
    for code, experts in panel.items():
        ind = indicators.get(code) if isinstance(code, str) else None
        if ind is None or not ind.panel:
            continue
        results.pop(code, None)
        for path in [p for p in errors if p == code or p.startswith(code + ".")]:
            del errors[path]
        if code in missing:
            missing.remove(code)
        summary = summaries.get(code)
        if summary is not None:
            results[code] = IndicatorResult(
                code=code,
                name=ind.name,
                dimension=ind.dimension,
                kind=ind.kind,
                max=ind.max,
                points=summary.combined,
                input=experts,
                explain=panel_explain(summary),
            )
    return summaries


def preview(rubric: Rubric, answers: Any, panel: Any = None) -> Preview:
    """Score what can be scored of partial answers (drafts), for running subtotals."""
    results, errors, missing = _evaluate(rubric, answers)
    summaries = _apply_panel(rubric, panel, results, errors, missing) if panel is not None else {}
    ticked: dict[str, str] = {}
    if isinstance(answers, dict):
        ticked, gate_errors = _manual_gates(rubric, answers.get("gates"))
        errors.update(gate_errors)
    subtotals = {
        d.code: round2(
            sum((results[i.code].points for i in d.indicators if i.code in results), Decimal(0))
        )
        for d in rubric.dimensions
    }
    held = _computed_gates(rubric, answers, results) if isinstance(answers, dict) else {}
    gates = {
        g.code: ticked.get(g.code) or held[g.code]
        for g in rubric.gates
        if g.code in (ticked.keys() | held.keys())
    }
    decision = result = None
    if not missing and not errors:
        # complete: the full result from the indicators just evaluated, as score() would give
        # it (a save keeps it; scoring the answers again was a third of a save's scoring)
        result = _result(rubric, answers, results, summaries, ticked)
        decision = result.decision
    if gates:
        decision = "rejected"  # any gate is a rejection, whatever the rest will be
    return Preview(results, errors, missing, subtotals, gates, decision, result)


def score(rubric: Rubric, answers: Any, panel: Any = None) -> Result:
    """Score complete answers. Raises InvalidAnswers naming every bad or missing field.

    `panel` maps a `panel = true` indicator to its experts' answers
    ({"A14": [{"points": 4, "note": "…"}, …]}); their combined points replace that indicator's
    single answer (see scoring/panel.py).
    """
    results, errors, missing = _evaluate(rubric, answers)
    summaries = _apply_panel(rubric, panel, results, errors, missing) if panel is not None else {}
    ticked: dict[str, str] = {}
    if isinstance(answers, dict):
        ticked, gate_errors = _manual_gates(rubric, answers.get("gates"))
        errors.update(gate_errors)
    for code in missing:
        errors[code] = missing_answer(rubric, code)
    if errors:
        raise InvalidAnswers(errors)
    return _result(rubric, answers, results, summaries, ticked)


def _result(rubric: Rubric, answers: Any, results: dict, summaries: dict, ticked: dict) -> Result:
    """The result of complete, valid answers from their evaluated indicators (with the panel's
    points applied) and the manual gates ticked."""
    dimensions: dict[str, DimensionResult] = {}
    total = ZERO
    for code, name, dim_max, floor, codes in _plan(rubric).dimensions:
        dim_score = ZERO  # the sums add in rubric order, as sum() did
        for c in codes:
            dim_score += results[c].points
        dimensions[code] = DimensionResult(
            code, name, dim_score, dim_max, floor, dim_score >= floor
        )
        total += dim_score

    computed = _computed_gates(rubric, answers, results)
    gate_details = (
        [
            GateResult(
                g.code,
                g.name,
                "manual" if g.code in ticked else "computed",
                ticked.get(g.code) or computed[g.code],
            )
            for g in rubric.gates
            if g.code in ticked or g.code in computed
        ]
        if ticked or computed
        else []
    )
    decision, reasons = _decide(rubric, total, dimensions, gate_details)
    return Result(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        total=total,
        max_total=rubric.max_total,
        decision=decision,
        grade=grade_for(rubric, total),
        gates=sorted(g.code for g in gate_details),
        gate_details=gate_details,
        reasons=reasons,
        dimensions=dimensions,
        indicators=results,
        panel=summaries,
    )


def grade_for(rubric: Rubric, total: Decimal) -> str:
    return next(g.label for g in rubric.grades if total >= g.min)


def missing_answer(rubric: Rubric, code: str) -> Text:
    """The error of an indicator left unanswered."""
    return Text("请填写「%(name)s」", name=named(rubric.indicators[code]))


def with_points(explain: str, points: Decimal) -> Text:
    """An indicator's explanation followed by its points: "… → 4.5 分"."""
    shown = fmt(points)
    # every indicator of every result: the Chinese written directly, not through msgid % values
    return Text.formatted(
        f"{explain} → {shown} 分",
        N_("%(explain)s → %(points)s 分"),
        {"explain": explain, "points": shown},
    )


def _decide(rubric, total, dimensions, gates) -> tuple[str, list[str]]:
    """The decision rules of docs/scoring.md, in their order, with the reasons in plain Chinese
    (scoring.text: the pages show them in English too)."""
    if gates:
        return "rejected", [
            Text(
                "触发一票否决条件 %(code)s：%(name)s（%(note)s）。",
                code=g.code,
                name=Named(g.name, rubric.gate(g.code).name_en),
                note=g.note,
            )
            for g in gates
        ]
    low = [d for d in dimensions.values() if not d.floor_met]
    if low:
        pct = fmt(rubric.dimension_floor * 100)
        return "rejected", [
            Text(
                "「%(name)s」得分 %(score)s，低于满分 %(max)s 的 %(pct)s%%（%(floor)s 分）。",
                name=Named(d.name, rubric.dimension(d.code).name_en),
                score=str(d.score),
                max=fmt(d.max),
                pct=pct,
                floor=str(round2(d.floor)),
            )
            for d in low
        ]
    if total >= rubric.accept_total:
        return "accepted", [
            Text(
                "总分 %(total)s 分，达到 %(line)s 分的验收线，各维度均达到满分的 %(pct)s%%，"
                "且未触发否决条件。",
                total=str(total),
                line=fmt(rubric.accept_total),
                pct=fmt(rubric.dimension_floor * 100),
            )
        ]
    if total >= rubric.conditional_total:
        return "conditional", [
            Text(
                "总分 %(total)s 分，达到 %(line)s 分但低于 %(accept)s 分，须限期整改后复核。",
                total=str(total),
                line=fmt(rubric.conditional_total),
                accept=fmt(rubric.accept_total),
            )
        ]
    return "rejected", [
        Text(
            "总分 %(total)s 分，低于 %(line)s 分。",
            total=str(total),
            line=fmt(rubric.conditional_total),
        )
    ]
