"""The bounded load of scripts/survey_load.py: 1,000 posts, honest and abusive, on one survey;
every abusive kind is refused and counted by its reason, every honest answer kept."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "survey_load.py"


def test_a_thousand_answers_are_kept_or_refused_by_reason():
    spec = importlib.util.spec_from_file_location("survey_load", SCRIPT)
    load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load)
    result = load.run()
    assert result["posts"] == 1000
    assert result["kept"] == 840  # 820 visitors + the first 20 of the flooding address
    assert result["refused"] == {
        "device": 50,
        "address": 20,
        "honeypot": 40,
        "too_fast": 30,
        "form": 20,
    }
    # honest answers and the honeypot are thanked (303); the rest say why they were refused
    assert result["statuses"] == {303: 880, 400: 20, 409: 50, 422: 30, 429: 20}
