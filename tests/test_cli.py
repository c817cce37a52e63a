"""The click commands, run through Flask's CLI runner against a temporary database."""

import json

import pytest

from tests.answers import full_river_answers


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_score_prints_the_result(runner, tmp_path):
    path = tmp_path / "answers.json"
    answers = full_river_answers() | {"A1": 96.5}  # 8 × 21.5/25 = 6.88 → total 98.88
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = runner.invoke(args=["score", str(path), "--rubric", "cq-river"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["total"] == "98.88"
    assert body["indicators"]["A1"]["points"] == "6.88"
    assert body["decision"] == "accepted"


def test_score_bad_input_exits_2_with_field_errors(runner, tmp_path):
    path = tmp_path / "answers.json"
    answers = full_river_answers()
    answers["A3"]["tp"] = -1
    del answers["A20"]
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = runner.invoke(args=["score", str(path), "--rubric", "cq-river"])
    assert result.exit_code == 2
    errors = json.loads(result.stderr)["errors"]
    assert set(errors) == {"A3.tp", "A20"}


def test_score_not_json_exits_2(runner, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["score", str(path)])
    assert result.exit_code == 2
    assert "answers" in json.loads(result.stderr)["errors"]


def test_init_db_creates_41_districts(runner, db):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert db["districts"].count == 41
    names = {r["name"] for r in db["districts"].rows}
    assert {
        "两江新区",
        "西部科学城重庆高新区",
        "万盛经开区",
        "渝北区",
        "酉阳土家族苗族自治县",
    } <= names
    kinds = [r["kind"] for r in db["districts"].rows]
    assert (kinds.count("区"), kinds.count("县"), kinds.count("自治县")) == (26, 8, 4)


def test_seed_demo_tells_the_story(runner, db):
    db.execute("DELETE FROM waterbodies")
    db.conn.commit()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    first_batch = db.execute(
        "SELECT count(*) FROM assessments WHERE status = 'accepted' AND decided_on = '2025-01-07'"
    ).fetchone()[0]
    assert first_batch == 16
    districts_with_water = db.execute(
        "SELECT count(DISTINCT district_code) FROM waterbodies"
    ).fetchone()[0]
    assert districts_with_water == 41
    assert (
        db.execute("SELECT count(*) FROM waterbodies WHERE status = 'revoked'").fetchone()[0] == 1
    )
    assert db.execute("SELECT count(*) FROM waterbodies WHERE is_demo = 0").fetchone()[0] == 0
    # a second run on a non-empty database changes nothing
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0
    assert db.execute("SELECT count(*) FROM assessments").fetchone()[0] > 0


def test_create_user_and_token(runner, db):
    result = runner.invoke(
        args=[
            "create-user",
            "wz",
            "--role",
            "inspector",
            "--district",
            "500101",
            "--password",
            "pw-lantern-2031",
        ]
    )
    assert result.exit_code == 0, result.output
    row = next(db.query("SELECT * FROM users WHERE username = 'wz'"))
    assert row["district_code"] == "500101" and row["password_hash"] != "pw-lantern-2031"
    token = runner.invoke(args=["create-token", "wz"]).output.strip()
    assert token.startswith("hr_")
    stored = db.execute("SELECT token_hash FROM api_tokens").fetchone()[0]
    assert token not in stored


def test_create_user_needs_a_district_for_inspectors(runner):
    result = runner.invoke(
        args=["create-user", "x", "--role", "inspector", "--password", "pw-lantern-2031"]
    )
    assert result.exit_code == 2
    assert "district" in result.stderr
