"""The inspection form over real HTTP (Flask test client) against a real temporary SQLite file."""

import json
import re

import pytest

from happy_rivers.store import assessments
from tests.answers import full_reservoir_answers, full_river_answers
from tests.conftest import as_form, errors_in, new_assessment, waterbody_id


def test_partial_draft_is_saved_and_comes_back(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    response = inspector.post(
        f"/assessments/{aid}/edit",
        {"version": "1", "A1": "96.5", "A2": "1", "A10": ["trail", "nodes"], "action": "save"},
    )
    # Post/Redirect/Get: back to the form, where the message is shown; a refresh re-posts nothing
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/assessments/{aid}/edit")
    saved = assessments.get(db, aid)
    assert saved["status"] == "draft"
    assert saved["version"] == 2
    assert saved["answers"]["A1"] == 96.5
    assert saved["answers"]["A10"] == ["trail", "nodes"]
    assert saved["result"] is None  # incomplete: no total, no decision
    page = inspector.get(f"/assessments/{aid}/edit").get_data(as_text=True)
    assert "草稿已保存。" in page  # the flash message, shown once on the page redirected to
    assert re.search(r'name="version" type="hidden" value="2"', page)  # read back from the DB
    assert 'value="96.5"' in page
    assert re.search(r'id="points-A1">6.88<', page)  # 8 × 21.5/25 = 6.88 shown as subtotal
    assert re.search(r'id="subtotal-safety">11.88<', page)  # 6.88 + (7 − 2)


def test_invalid_submit_keeps_input_and_names_the_field(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    data = as_form("cq-river", full_river_answers())
    data.update({"version": "1", "action": "submit", "A4": "120", "A14_note": "  "})
    response = inspector.post(f"/assessments/{aid}/edit", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "「污水集中处理率」须在 0 到 100 之间（%）" in errors_in(html)
    assert "请填写「水文化遗产保护情况」的评分说明" in errors_in(html)
    assert 'value="120"' in html  # what was typed is still in the field
    assert re.search(r'<input[^>]*name="A1"[^>]*value="100"', html)  # the rest kept too
    assert assessments.get(db, aid)["status"] == "draft"  # nothing submitted


def test_complete_submit_scores_and_locks_for_the_inspector(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    data = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "submit"}
    response = inspector.post(f"/assessments/{aid}/edit", data)
    assert response.status_code == 302
    row = assessments.get(db, aid)
    assert row["status"] == "submitted"
    assert row["result"]["total"] == "100.00"
    assert row["computed_decision"] == "accepted"
    assert row["total_cents"] == 10000
    page = inspector.get(f"/assessments/{aid}").get_data(as_text=True)
    assert '<span class="num" id="total">100.00</span>' in page
    assert "很幸福" in page and "通过验收" in page
    # submitted: the inspector can no longer change it
    again = inspector.post(f"/assessments/{aid}/edit", data | {"version": "2", "A1": "80"})
    assert again.status_code == 302
    assert assessments.get(db, aid)["answers"]["A1"] == 100


def test_reservoir_form_shows_water_class_and_gates(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db, "长寿湖"))
    answers = full_reservoir_answers()
    answers["B4"]["tp"] = 0.3  # above the Ⅴ limit 0.2 for lakes → 劣Ⅴ → G7
    data = as_form("cq-reservoir", answers) | {"version": "1", "action": "save"}
    saved = inspector.post(f"/assessments/{aid}/edit", data)
    assert saved.status_code == 303
    html = inspector.get(saved.headers["Location"]).get_data(as_text=True)
    assert re.search(r"水质类别：<strong>劣Ⅴ 类</strong>，限制因子：总磷", html)
    submitted = inspector.post(
        f"/assessments/{aid}/edit", data | {"version": "2", "action": "submit"}
    )
    assert submitted.status_code == 302
    result = assessments.get(db, aid)["result"]
    assert result["gates"] == ["G7"]
    assert result["decision"] == "rejected"


def test_gate_ticked_without_note_is_refused(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    data = as_form("cq-river", full_river_answers())
    data |= {"version": "1", "action": "submit", "gate_G2": "y", "gate_G2_note": ""}
    response = inspector.post(f"/assessments/{aid}/edit", data)
    assert response.status_code == 422
    assert "勾选否决条件 G2 时须填写说明" in errors_in(response.get_data(as_text=True))


def test_preview_endpoint_scores_partial_answers(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    water = {"A3_do": "8", "A3_codmn": "2", "A3_cod": "10", "A3_bod5": "2", "A3_nh3n": "0.1"}
    response = inspector.post(
        f"/assessments/{aid}/preview", water | {"A3_tp": "0.3", "A1": "abc", "A2": "2"}
    )
    body = response.get_json()
    assert body["indicators"]["A3"]["water_quality"]["label"] == "Ⅳ"  # tp 0.3 ≤ 0.3 (Ⅳ)
    assert body["indicators"]["A3"]["points"] == "3.50"  # 7 × 0.5
    assert body["subtotals"]["safety"] == "3.00"  # A2: 7 − 2 × 2; A1 not a number
    assert body["errors"]["A1"] == "「防洪达标率」必须是数字"
    assert assessments.get(db, aid)["version"] == 1  # a preview never writes


def test_second_new_assessment_click_opens_the_same_one(db, login_as):
    inspector = login_as("yubei")
    first = new_assessment(inspector, waterbody_id(db))
    second = new_assessment(inspector, waterbody_id(db))
    assert first == second
    count = db.execute("SELECT count(*) FROM assessments").fetchone()[0]
    assert count == 1


@pytest.mark.parametrize("path", ["/waterbodies", "/assessments/1", "/review"])
def test_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_stored_answers_are_the_rubric_json(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    data = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "save"}
    inspector.post(f"/assessments/{aid}/edit", data)
    raw = db.execute("SELECT answers FROM assessments WHERE id = ?", [aid]).fetchone()[0]
    assert json.loads(raw) == full_river_answers()


def test_preview_waits_for_submit_before_asking_for_untouched_fields(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    body = inspector.post(
        f"/assessments/{aid}/preview", {"A3_do": "6.8", "A3_tp": "-1", "A14_points": "4"}
    ).get_json()
    assert body["errors"] == {"A3_tp": "总磷不能小于 0（mg/L）"}  # typed and wrong: shown now
    assert "A3_cod" not in body["errors"]  # not reached yet: no message while typing
    assert "A14_note" not in body["errors"]


def test_error_pages_are_chinese(login_as):
    inspector = login_as("beibei")
    response = inspector.get("/assessments/999999")
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True)
