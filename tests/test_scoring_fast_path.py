"""The engine's fast paths (scoring/rules.py compile_fast) must agree with the rules exactly.

Valid answers take a precompiled fast path; anything unusual falls back to the validating rule.
Scoring the same answers both ways must give byte-identical results.
"""

import json
import random

import pytest

from happy_rivers import scoring
from happy_rivers.scoring import engine
from happy_rivers.store.demo import demo_answers


def score_both_ways(monkeypatch, rubric_id: str, answers: dict) -> tuple[str, str]:
    rubric = scoring.load_rubric(rubric_id)
    fast = json.dumps(scoring.score(rubric, answers).to_dict(), ensure_ascii=False)
    with monkeypatch.context() as m:
        # a fresh plan per call, built with no fast path: every indicator goes through its rule
        m.setattr(engine, "compile_fast", lambda ind: None)
        m.setattr(engine, "_plan", engine._Plan)
        slow = json.dumps(scoring.score(rubric, answers).to_dict(), ensure_ascii=False)
    return fast, slow


@pytest.mark.parametrize("rubric_id", ["cq-river", "cq-reservoir"])
@pytest.mark.parametrize("quality", [0.3, 0.7, 0.95])
def test_fast_path_matches_the_rules(monkeypatch, rubric_id, quality):
    rubric = scoring.load_rubric(rubric_id)
    for seed in range(40):
        answers = demo_answers(rubric, random.Random(seed), quality)
        fast, slow = score_both_ways(monkeypatch, rubric_id, answers)
        assert fast == slow, f"seed {seed}"


def test_decimal_answers_give_a_json_ready_result():
    from decimal import Decimal

    from tests.answers import full_river_answers

    answers = json.loads(json.dumps(full_river_answers()), parse_float=Decimal)
    answers["A1"] = Decimal("96.5")  # 8 × 21.5/25 = 6.88
    body = json.loads(json.dumps(scoring.score(scoring.load_rubric("cq-river"), answers).to_dict()))
    assert body["indicators"]["A1"] == body["indicators"]["A1"] | {"input": 96.5, "points": "6.88"}
    assert body["indicators"]["A3"]["input"]["nh3n"] == 0.42
