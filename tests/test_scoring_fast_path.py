"""The engine's fast paths (scoring/rules.py compile_fast) must agree with the rules exactly.

Valid answers take a precompiled fast path; anything unusual falls back to the validating rule.
Scoring the same answers both ways must give byte-identical results.
"""

import json
import random

import pytest

import scoring
from scoring import engine
from store.demo import demo_answers


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
