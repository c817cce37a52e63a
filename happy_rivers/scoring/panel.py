"""Expert panel (专家组) points: many experts score the same `panel = true` indicator.

The rules are the scoring contract's (docs/scoring.md, "Expert panel points"):
- 5 or more values: drop one highest and one lowest, then the mean of the rest;
- 2 to 4 values: the mean of all; 1 value: that value; none: an error;
- rounded half-up to 2 decimals (the result need not be on the indicator's 0.5 step);
- a spread (max − min) above the rubric's `panel.spread_flag` (1.5) is flagged 分歧较大.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import InvalidAnswers
from .kinds import kind_of
from .numbers import round2
from .rubric import Indicator, Rubric
from .rules import FieldErrors, fmt
from .text import Joined, Text

# From five experts up, one highest and one lowest are dropped: one outlier can't move the mean.
TRIM_FROM = 5


class PanelError(InvalidAnswers):
    """Panel points that cannot be combined (none, or not numbers)."""


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PanelError({"panel": f"专家评分须为数值，收到 {value!r}"})
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        raise PanelError({"panel": f"专家评分须为数值，收到 {value!r}"}) from None
    if not result.is_finite():
        raise PanelError({"panel": "专家评分须为有限数值"})
    return result


def combine_panel(points: list) -> Decimal:
    """The panel's points of one indicator from each expert's points (see the module doc).

    >>> combine_panel([Decimal("4"), Decimal("3.5"), Decimal("4.5")])
    Decimal('4.00')
    """
    values = sorted(_decimal(p) for p in points)
    if not values:
        raise PanelError({"panel": "没有专家评分，无法合成专家组得分"})
    if len(values) >= TRIM_FROM:
        values = values[1:-1]
    mean = sum(values, Decimal(0)) / len(values)
    return round2(mean)


def panel_spread(points: list) -> Decimal:
    """max − min of the experts' points, to 2 decimals (0 for a single expert)."""
    values = [_decimal(p) for p in points]
    if not values:
        raise PanelError({"panel": "没有专家评分，无法计算分歧"})
    return round2(max(values) - min(values))


@dataclass(frozen=True)
class PanelSummary:
    """What the result page, the report and the API show of one panel indicator."""

    code: str
    count: int
    points: tuple[Decimal, ...]
    combined: Decimal
    spread: Decimal
    flag: bool  # 分歧较大: the spread is above the rubric's threshold

    def to_dict(self) -> dict:
        return {
            "count": self.count,
            "points": [str(p) for p in self.points],
            "combined": str(self.combined),
            "spread": str(self.spread),
            "flag": self.flag,
        }


def summarize(rubric: Rubric, code: str, points: list) -> PanelSummary:
    values = tuple(_decimal(p) for p in points)
    spread = panel_spread(list(values))
    return PanelSummary(
        code=code,
        count=len(values),
        points=values,
        combined=combine_panel(list(values)),
        spread=spread,
        flag=spread > rubric.panel_spread_flag,
    )


def rule_text(count: int) -> str:
    """The combination rule in plain Chinese, as the explanation and the pages print it."""
    if count >= TRIM_FROM:
        return Text(
            "%(n)s 位专家评分，去掉一个最高分和一个最低分后取平均，四舍五入到 0.01", n=count
        )
    if count == 1:
        return Text("1 位专家评分，取该评分")
    return Text("%(n)s 位专家评分，取平均，四舍五入到 0.01", n=count)


def read_panel(rubric: Rubric, panel: Any) -> tuple[dict[str, PanelSummary], dict[str, str]]:
    """Check the experts' answers of every panel indicator and combine them.

    `panel` maps an indicator code to the list of the experts' answers, each in that
    indicator's own answers form ({"points", "note"} for a judged one) and checked by its own
    rule; errors are keyed like `panel.A14.2.points` (the expert's position in the list, from 0).
    """
    if panel is None:
        return {}, {}
    if not isinstance(panel, dict):
        return {}, {"panel": "panel 须为对象：键为指标代码，值为各位专家的评分列表"}
    summaries: dict[str, PanelSummary] = {}
    errors: dict[str, str] = {}
    for code, answers in panel.items():
        ind: Indicator | None = rubric.indicators.get(code) if isinstance(code, str) else None
        if ind is None:
            errors[f"panel.{code}"] = f"评价标准 {rubric.id} 中没有指标 {code}"
            continue
        if not ind.panel:
            errors[f"panel.{code}"] = f"「{ind.name}」不由专家组评分（评价标准未标注 panel）"
            continue
        if not isinstance(answers, list):
            errors[f"panel.{code}"] = f"「{ind.name}」的专家评分须为列表，每位专家一项"
            continue
        if not answers:
            errors[f"panel.{code}"] = f"「{ind.name}」至少需要一位专家的评分"
            continue
        points: list[Decimal] = []
        for position, answer in enumerate(answers):
            try:
                scored = kind_of(ind).rule(ind, answer)
            except FieldErrors as e:
                prefix = f"panel.{code}.{position}"
                for path, message in e.errors.items():
                    rest = path[len(code) :] if path.startswith(code) else f".{path}"
                    errors[prefix + rest] = f"专家{position + 1}：{message}"
                continue
            points.append(scored.points)
        if len(points) == len(answers):
            summaries[code] = summarize(rubric, code, points)
    return summaries, errors


def explain(summary: PanelSummary) -> str:
    return Text(
        "专家组评分 %(points)s（%(rule)s；极差 %(spread)s%(flag)s）→ %(combined)s 分",
        points=Joined(fmt(p) for p in summary.points),
        rule=rule_text(summary.count),
        spread=fmt(summary.spread),
        flag=Text("；分歧较大") if summary.flag else "",
        combined=fmt(summary.combined),
    )


# How many experts a reviewer names (the city's practice: a panel of 2 to 9), and how many must
# have submitted before a reviewer may close the panel without the others.
MIN_EXPERTS = 2
MAX_EXPERTS = 9
MIN_SUBMITTED_TO_CLOSE = 2


def check_expert_answers(rubric: Rubric, answers: Any, *, complete: bool) -> dict[str, str]:
    """The field errors of one expert's own answers ({code: {"points", "note"}}), each checked
    by its indicator's rule and keyed like the answers JSON (`A14.points`). A saved draft may
    leave indicators out; with `complete` (a submission) every panel indicator is required."""
    if not isinstance(answers, dict):
        return {"answers": "answers 须为对象：键为专家组评分的指标代码"}
    errors: dict[str, str] = {}
    for code, answer in answers.items():
        ind: Indicator | None = rubric.indicators.get(code) if isinstance(code, str) else None
        if ind is None:
            errors[str(code)] = f"评价标准 {rubric.id} 中没有指标 {code}"
        elif not ind.panel:
            errors[code] = f"「{ind.name}」不由专家组评分（评价标准未标注 panel）"
        else:
            try:
                kind_of(ind).rule(ind, answer)
            except FieldErrors as e:
                errors.update(e.errors)
    if complete:
        for code in rubric.panel_indicators:
            if code not in answers:
                errors[code] = f"请填写「{rubric.indicators[code].name}」的评分和说明"
    return errors
