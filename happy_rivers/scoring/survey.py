"""The satisfaction survey (群众满意, A20): its questions, the rate and the sample size. Pure.

docs/process.md, "The satisfaction survey (A20)": the overall question has five options
weighted 100 / 80 / 60 / 30 / 0; the rate is the mean weight of the valid responses, rounded
half-up to 2 decimals; the sample size is the number of valid responses. A20 (`survey` kind) is
then scored linearly on the rate by the rubric, and needs a sample of at least 100.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from happy_rivers.translations import N_


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    weight: int


# The overall question (总体满意度): the one that makes the rate. Order is the order shown.
OVERALL = (
    Option("very_satisfied", N_("非常满意"), 100),
    Option("satisfied", N_("满意"), 80),
    Option("fair", N_("基本满意"), 60),
    Option("dissatisfied", N_("不满意"), 30),
    Option("very_dissatisfied", N_("非常不满意"), 0),
)
WEIGHTS = {o.code: Decimal(o.weight) for o in OVERALL}

# The template's second question: how often the respondent comes (context for the rate, not
# part of it), optional so that answering stays under a minute.
VISITS = (
    Option("daily", N_("几乎每天"), 0),
    Option("weekly", N_("每周"), 0),
    Option("monthly", N_("每月"), 0),
    Option("rarely", N_("偶尔"), 0),
    Option("first", N_("第一次来"), 0),
)
# every option's label by code, for the pages' translations
LABELS = {o.code: o.label for o in (*OVERALL, *VISITS)}
MAX_COMMENT = 500  # characters of the free-text answer (意见和建议)

# Why a response was refused. Counted per survey, never silently dropped.
REFUSALS = {
    "device": N_("同一设备重复提交"),
    "address": N_("同一网络地址提交过多"),
    "honeypot": N_("填写了隐藏字段（疑似程序）"),
    "too_fast": N_("作答时间过短"),
    "form": N_("表单已过期或被篡改"),
    "closed": N_("调查未开放"),
}


def rate(answers: Iterable[str]) -> Decimal | None:
    """The mean weight of the overall answers, half-up to 2 decimals; None without answers."""
    weights = [WEIGHTS[a] for a in answers]
    if not weights:
        return None
    mean = sum(weights, Decimal(0)) / len(weights)
    return mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Summary:
    sample_size: int
    rate: Decimal | None
    # per option of the overall question, in OVERALL order: (option, count, percent of sample)
    distribution: tuple[tuple[Option, int, Decimal], ...]


def summarize(answers: Iterable[str]) -> Summary:
    """Sample size, rate and distribution of the valid responses' overall answers."""
    answers = list(answers)
    unknown = sorted({a for a in answers} - WEIGHTS.keys())
    if unknown:
        raise ValueError(f"not an option of the overall question: {unknown}")
    n = len(answers)
    counts = {o.code: 0 for o in OVERALL}
    for a in answers:
        counts[a] += 1
    distribution = tuple(
        (
            o,
            counts[o.code],
            (Decimal(counts[o.code] * 100) / n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if n
            else Decimal(0),
        )
        for o in OVERALL
    )
    return Summary(n, rate(answers), distribution)


def a20_answer(sample_size: int, survey_rate: Decimal | None) -> dict | None:
    """The A20 answer a closed survey gives ({"rate", "sample_size"}, as the answers JSON)."""
    if survey_rate is None:
        return None
    return {"rate": float(survey_rate), "sample_size": sample_size}


def prefill(indicator_kinds: dict[str, str], answers: dict, answer: dict | None) -> dict:
    """The answers with each `survey` indicator not answered yet set to a closed survey's
    answer ({"rate", "sample_size"}); unchanged without one. What an inspector already entered
    stays: the survey's value is a starting point, never an overwrite.

    `indicator_kinds` maps each of the rubric's indicator codes to its kind.
    """
    if not answer:
        return answers
    open_codes = [
        code for code, kind in indicator_kinds.items() if kind == "survey" and not answers.get(code)
    ]
    return answers | {code: dict(answer) for code in open_codes}
