"""Kinds of waterbody are one table (scoring/rubrics/waterbody_kinds.toml): a deployment adds a
kind with a rubric file and a table entry in a RUBRIC_PATH folder, and no code.

The proof: a third kind, 湖泊 (`lake`), with its own rubric file in a temporary folder, goes
through the registry form, the inspection form, scoring, a decision, the boards and the exports.
"""

import re

import pytest

from happy_rivers import clock, scoring
from happy_rivers.scoring.folders import RUBRIC_DIR, RubricError, set_rubric_folders
from happy_rivers.scoring.water import LIMITS, water_quality_class
from happy_rivers.store import assessments
from tests.answers import RESERVOIR_WATER, full_reservoir_answers
from tests.conftest import as_form, csv_rows, new_assessment, review

LAKE_KIND = """
[[kinds]]
code = "lake"
label = "湖泊"
label_en = "Lake"
rubric = "cq-lake"
water_limits = "lake_reservoir"
"""


def write_lake_folder(folder):
    """A rubric folder with the lake rubric (the reservoir rubric renamed) and its kind."""
    folder.mkdir()
    text = (RUBRIC_DIR / "cq-reservoir-2025.1.toml").read_text(encoding="utf-8")
    text = text.replace('id = "cq-reservoir"', 'id = "cq-lake"')
    text = text.replace('waterbody = "reservoir"', 'waterbody = "lake"')
    text = text.replace("重庆市幸福河湖评价（水库）", "重庆市幸福河湖评价（湖泊）")
    assert 'waterbody = "lake"' in text and 'id = "cq-lake"' in text
    (folder / "cq-lake-2025.1.toml").write_text(text, encoding="utf-8")
    (folder / "waterbody_kinds.toml").write_text(LAKE_KIND, encoding="utf-8")
    return folder


@pytest.fixture
def app_config(tmp_path):
    return {"RUBRIC_PATH": str(write_lake_folder(tmp_path / "rubrics"))}


@pytest.fixture(autouse=True)
def built_in_kinds_afterwards():
    """The folders are the process's: the next test starts from the built-in ones."""
    yield
    set_rubric_folders()


def test_a_lake_from_a_rubric_folder_is_registered_filled_scored_decided_ranked_and_exported(
    app, db, login_as
):
    admin, inspector, reviewer = login_as("admin"), login_as("yubei"), login_as("reviewer")

    # the registry form offers the new kind and stores it
    page = admin.get("/admin/waterbodies/new").get_data(as_text=True)
    assert re.search(r'<option value="lake"\s*>湖泊</option>', page)
    response = admin.post(
        "/admin/waterbodies/new",
        {"name": "青龙湖", "kind": "lake", "district": "500112", "level": "区县级"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    lake = next(db.query("SELECT id, kind FROM waterbodies WHERE name = '青龙湖'"))
    assert lake["kind"] == "lake"
    assert "<td>湖泊</td>" in inspector.get("/waterbodies").get_data(as_text=True)
    assert "湖泊" in inspector.get(f"/waterbodies/{lake['id']}").get_data(as_text=True)

    # the inspection form is the lake rubric's, with the lake-and-reservoir water parameters
    aid = new_assessment(inspector, lake["id"], "acceptance")
    assert assessments.get(db, aid)["rubric_id"] == "cq-lake"
    form = inspector.get(f"/assessments/{aid}/edit").get_data(as_text=True)
    assert 'name="B4_tn"' in form  # 总氮 is assessed for lakes (not for rivers)
    data = as_form("cq-lake", full_reservoir_answers())
    data |= {"version": "1", "action": "submit"}
    response = inspector.post(f"/assessments/{aid}/edit", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    submitted = assessments.get(db, aid)
    assert submitted["status"] == "submitted"
    assert submitted["result"]["total"] == "100.00"
    # 总磷 0.02 mg/L is class Ⅱ by the lake-and-reservoir limits (class Ⅰ for a river)
    assert submitted["result"]["indicators"]["B4"]["water_quality"]["by_parameter"]["tp"] == 2

    # a decision grants the title
    today = clock.today().isoformat()
    response = review(reviewer, aid, db, action="accept", decided_on=today)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db["waterbodies"].get(lake["id"])["status"] == "accepted"

    # the boards count it and filter by the new kind (by code or label)
    for url in ("/leaderboard/waterbodies?kind=lake", "/leaderboard/waterbodies?kind=湖泊"):
        board = reviewer.get(url)
        assert board.status_code == 200
        html = board.get_data(as_text=True)
        assert "青龙湖" in html and "御临河" not in html
        assert re.search(r'<option value="lake" selected>湖泊</option>', html)
    districts = reviewer.get("/leaderboard/districts?kind=lake")
    assert districts.status_code == 200
    html = districts.get_data(as_text=True)
    assert re.search(r'<td>渝北区</td>\s*<td class="num">1</td>', html)
    assert reviewer.get("/progress").status_code == 200

    # the exports name the kind and the rubric
    _, rows = csv_rows(reviewer.get("/exports/assessments.csv"))
    row = next(r for r in rows if r["评估编号"] == str(aid))
    assert (row["河湖类型"], row["评价标准"], row["总分"]) == ("湖泊", "cq-lake", "100.00")
    _, rows = csv_rows(reviewer.get("/exports/leaderboard-waterbodies.csv?kind=lake"))
    assert [(r["河湖"], r["类型"]) for r in rows] == [("青龙湖", "湖泊")]
    _, rows = csv_rows(admin.get("/waterbodies/export.csv"))
    assert next(r for r in rows if r["名称"] == "青龙湖")["类型"] == "湖泊"

    # and in English the label is the table's English one
    inspector.get("/lang/en")
    assert "<td>Lake</td>" in inspector.get("/waterbodies").get_data(as_text=True)


def test_unknown_kinds_are_refused_the_same_way_by_the_board_the_api_and_the_registry(
    app, db, login_as
):
    reviewer = login_as("reviewer")
    message = "河流（river）、水库（reservoir）、湖泊（lake）之一"
    board = reviewer.get("/leaderboard/waterbodies?kind=sea")
    assert board.status_code == 422 and message in board.get_data(as_text=True)
    admin = login_as("admin")
    response = admin.post(
        "/admin/waterbodies/new", {"name": "东海", "kind": "sea", "district": "500112"}
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_parse_kind_takes_the_code_or_a_label_and_nothing_else():
    assert scoring.parse_kind("river") == "river"
    assert scoring.parse_kind(" 水库 ") == "reservoir"
    assert scoring.parse_kind("Reservoir") == "reservoir"  # the English label, as shown in English
    for raw in ("", None, "RIVER1", "lake", "湖泊", "河流和水库", 1):
        assert scoring.parse_kind(raw) is None, raw


def test_the_built_in_kinds_and_their_water_limits():
    kinds = scoring.waterbody_kinds()
    assert list(kinds) == ["river", "reservoir"]
    assert [(k.label, k.label_en, k.rubric) for k in kinds.values()] == [
        ("河流", "River", "cq-river"),
        ("水库", "Reservoir", "cq-reservoir"),
    ]
    assert "tn" not in LIMITS["river"] and "tn" in LIMITS["reservoir"]
    assert water_quality_class(RESERVOIR_WATER, "reservoir").by_parameter["tp"] == 2
    river_water = {k: v for k, v in RESERVOIR_WATER.items() if k != "tn"}
    assert water_quality_class(river_water, "river").by_parameter["tp"] == 1
    assert scoring.rubric_for_waterbody("reservoir").id == "cq-reservoir"


def test_a_kinds_table_with_unknown_limits_or_a_missing_folder_is_refused(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "waterbody_kinds.toml").write_text(
        LAKE_KIND.replace('"lake_reservoir"', '"sea"'), encoding="utf-8"
    )
    set_rubric_folders([folder])
    with pytest.raises(RubricError, match="water_limits"):
        scoring.waterbody_kinds()
    with pytest.raises(RubricError, match="没有文件夹"):
        set_rubric_folders([tmp_path / "missing"])


def test_the_kinds_file_is_not_taken_for_a_rubric():
    assert scoring.available_rubrics() == ["cq-reservoir", "cq-river"]
