"""Expert panel points: combine_panel and score(..., panel=…), as the scoring contract says."""

import copy
from decimal import Decimal

import pytest

from happy_rivers import scoring
from tests.answers import full_reservoir_answers, full_river_answers

D = Decimal


def judged(points, note="现场核查意见"):
    return {"points": points, "note": note}


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        # 1 expert: that value (rounded to cents)
        (["4"], "4.00"),
        (["1.005"], "1.01"),  # half-up, not banker's (which gives 1.00)
        # 2–4 experts: the mean of all
        (["4", "3.5"], "3.75"),
        (["4", "3.5", "4.5"], "4.00"),  # the contract's example
        (["1", "2", "2"], "1.67"),
        (["5", "0", "0", "0"], "1.25"),
        (["2.125", "2.125", "2.125", "2.125"], "2.13"),  # .xx5 rounds up
        (["2.115", "2.115"], "2.12"),
        (["3", "3.5", "4", "4.5"], "3.75"),
        # 5 or more: drop one highest and one lowest, then the mean of the rest
        (["5", "4", "4", "4", "0"], "4.00"),
        (["5", "5", "5", "1", "1"], "3.67"),  # ties at the extremes: only one of each dropped
        (["5", "5", "5", "5", "5"], "5.00"),
        (["0", "0", "0", "0", "0.5"], "0.00"),
        (["4.5", "4", "3.5", "3", "5", "0", "4.5"], "3.90"),  # 7 experts: (4.5+4+3.5+3+4.5)/5
        (["1", "1", "2", "2", "2", "3", "3", "4"], "2.17"),  # 8 kept 6: 13/6 = 2.1666…
        # 10 experts, 8 kept: 33/8 = 4.125 → half-up 4.13
        (["0", "4", "4", "4", "4", "4", "4", "4.5", "4.5", "5"], "4.13"),
    ],
)
def test_combine_panel(points, expected):
    result = scoring.combine_panel([D(p) for p in points])
    assert result == D(expected)
    assert str(result) == expected  # always two decimals


def test_combine_panel_takes_plain_numbers_and_does_not_reorder_the_callers_list():
    points = [D("4.5"), 3, 4.0]
    assert scoring.combine_panel(points) == D("3.83")
    assert points == [D("4.5"), 3, 4.0]


@pytest.mark.parametrize("bad", [[], ["x"], [None], [float("nan")], [True]])
def test_combine_panel_refuses_no_values_and_non_numbers(bad):
    with pytest.raises(scoring.InvalidAnswers) as e:
        scoring.combine_panel(bad)
    assert isinstance(e.value, ValueError)
    assert "panel" in e.value.errors


@pytest.mark.parametrize(
    ("points", "spread", "flag"),
    [
        (["4"], "0.00", False),
        (["4", "2.5"], "1.50", False),  # exactly the threshold: not above it
        (["4", "2"], "2.00", True),
        (["5", "4", "4", "4", "0"], "5.00", True),  # the spread looks at every expert
    ],
)
def test_spread_and_flag(points, spread, flag):
    rubric = scoring.load_rubric("cq-river")
    result = scoring.score(
        rubric, drop(full_river_answers(), "A14"), panel={"A14": [judged(D(p)) for p in points]}
    )
    summary = result.panel["A14"]
    assert summary.spread == D(spread)
    assert summary.flag is flag
    assert result.to_dict()["panel"]["A14"]["flag"] is flag
    assert ("分歧较大" in result.indicators["A14"].explain) is flag


def drop(answers: dict, *codes: str) -> dict:
    out = copy.deepcopy(answers)
    for code in codes:
        out.pop(code, None)
    return out


def test_rubric_marks_the_judged_indicators_as_panel_ones():
    for rubric_id in ("cq-river", "cq-reservoir"):
        rubric = scoring.load_rubric(rubric_id)
        assert rubric.panel_indicators == ("A14", "A15", "A17")
        assert rubric.panel_spread_flag == D("1.5")


def test_score_with_panel_replaces_the_single_answers():
    rubric = scoring.load_rubric("cq-river")
    plain = scoring.score(rubric, full_river_answers())
    panel = {
        "A14": [judged(4), judged(3.5), judged(4.5)],  # 4.00
        "A15": [judged(5), judged(4), judged(4), judged(4), judged(0)],  # 4.00
        "A17": [judged(1), judged(2), judged(2)],  # 1.67
    }
    result = scoring.score(rubric, full_river_answers(), panel=panel)
    assert result.indicators["A14"].points == D("4.00")
    assert result.indicators["A15"].points == D("4.00")
    assert result.indicators["A17"].points == D("1.67")
    # the other indicators are untouched, and the sums follow the combined points
    for code in plain.indicators:
        if code not in panel:
            assert result.indicators[code].points == plain.indicators[code].points
    expected_culture = D("4.00") + D("4.00")
    assert result.dimensions["culture"].score == expected_culture
    changed = sum((result.indicators[c].points - plain.indicators[c].points for c in panel), D(0))
    assert result.total == plain.total + changed
    explain = result.indicators["A15"].explain
    assert "5 位专家" in explain and "去掉一个最高分和一个最低分" in explain
    assert explain.endswith("→ 4 分")
    assert "3 位专家" in result.indicators["A14"].explain
    assert result.indicators["A14"].input == panel["A14"]


def test_combined_points_off_the_half_step_are_fine_and_can_change_the_decision():
    rubric = scoring.load_rubric("cq-river")
    plain = scoring.score(rubric, full_river_answers())
    # every panel indicator at 0 drags 文韵深厚 below its 60 % floor
    zeros = {code: [judged(0), judged(0)] for code in ("A14", "A15", "A17")}
    result = scoring.score(rubric, drop(full_river_answers(), "A14", "A15", "A17"), panel=zeros)
    assert result.dimensions["culture"].score == D("0.00")
    assert result.decision == "rejected"
    assert plain.decision == "accepted"
    assert any("文韵深厚" in reason for reason in result.reasons)


def test_panel_indicators_may_be_absent_from_answers_but_others_may_not():
    rubric = scoring.load_rubric("cq-reservoir")
    answers = drop(full_reservoir_answers(), "A14", "A15", "A17")
    with pytest.raises(scoring.InvalidAnswers) as e:
        scoring.score(rubric, answers)
    assert set(e.value.errors) == {"A14", "A15", "A17"}
    with pytest.raises(scoring.InvalidAnswers) as e:
        scoring.score(rubric, answers, panel={"A14": [judged(4)], "A15": [judged(4)]})
    assert set(e.value.errors) == {"A17"}
    result = scoring.score(
        rubric, answers, panel={c: [judged(3), judged(4)] for c in ("A14", "A15", "A17")}
    )
    assert result.indicators["A17"].points == D("3.50")


def test_a_bad_single_answer_is_ignored_where_the_panel_replaces_it():
    rubric = scoring.load_rubric("cq-river")
    answers = copy.deepcopy(full_river_answers())
    answers["A14"] = {"points": 99, "note": ""}
    result = scoring.score(rubric, answers, panel={"A14": [judged(4)]})
    assert result.indicators["A14"].points == D("4.00")


@pytest.mark.parametrize(
    ("panel", "errors"),
    [
        ("A14", {"panel"}),
        ({"A14": judged(4)}, {"panel.A14"}),
        ({"A14": []}, {"panel.A14"}),
        ({"A1": [judged(4)]}, {"panel.A1"}),  # not a panel indicator
        ({"Z9": [judged(4)]}, {"panel.Z9"}),  # no such indicator
        ({"A14": [judged(4), judged(4.2), judged(4)]}, {"panel.A14.1.points"}),  # off-step
        ({"A14": [judged(4), judged(4), judged(6)]}, {"panel.A14.2.points"}),  # above max
        ({"A14": [judged(4), judged(3, note=" ")]}, {"panel.A14.1.note"}),
        ({"A14": [judged(4), "4"]}, {"panel.A14.1"}),
        ({"A14": [judged(-1)], "A15": [judged("4")]}, {"panel.A14.0.points", "panel.A15.0.points"}),
        ({"A14": [{"points": 4, "note": "x", "extra": 1}]}, {"panel.A14.0.extra"}),
    ],
)
def test_panel_field_errors(panel, errors):
    rubric = scoring.load_rubric("cq-river")
    with pytest.raises(scoring.InvalidAnswers) as e:
        scoring.score(rubric, full_river_answers(), panel=panel)
    assert set(e.value.errors) == errors
    for path, message in e.value.errors.items():
        assert message.strip(), path
        if path.count(".") >= 2:  # one expert's answer: the message says which expert
            position = int(path.split(".")[2])
            assert message.startswith(f"专家{position + 1}：")


def test_preview_uses_the_panel_too():
    rubric = scoring.load_rubric("cq-river")
    answers = drop(full_river_answers(), "A14", "A15")
    preview = scoring.preview(rubric, answers, panel={"A14": [judged(4), judged(5)]})
    assert preview.indicators["A14"].points == D("4.50")
    assert "A14" not in preview.missing and "A15" in preview.missing


def test_score_without_panel_is_unchanged():
    rubric = scoring.load_rubric("cq-river")
    result = scoring.score(rubric, full_river_answers())
    assert result.panel == {}
    assert "panel" not in result.to_dict()
