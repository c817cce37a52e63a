"""The inspector's day (issue 10 §4) and the server side of the offline form, over real HTTP:
the to-do landing page and its header count, the conflict view that overwrites nothing, an
assessment created with its answers from the blank (cacheable) form, the truth after a refused
submit, "1,000", and the projected decision in the total bar and the preview JSON.
"""

import re

import pytest

from happy_rivers import scoring
from happy_rivers.forms.inspection import answers_from_form, form_class
from happy_rivers.store import assessments, audit, users
from tests.answers import full_reservoir_answers, full_river_answers
from tests.conftest import as_form, new_assessment, waterbody_id


def audit_count(db, aid: int, action: str) -> int:
    return sum(1 for r in audit.history(db, "assessment", aid) if r["action"] == action)


def returned_one(db, login_as) -> int:
    """An acceptance of 御临河 submitted by yubei and returned by the reviewer with a comment."""
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db), kind="acceptance")
    data = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "submit"}
    assert inspector.post(f"/assessments/{aid}/edit", data).status_code == 302
    assessments.review(
        db, aid, action="return", user=users.by_username(db, "reviewer"), comment="请补拍堤防照片"
    )
    return aid


# -- the landing page ------------------------------------------------------------------------


def test_the_inspector_lands_on_a_to_do_list_with_the_reviewers_comment(db, login_as):
    aid = returned_one(db, login_as)
    inspector = login_as("yubei")
    draft = new_assessment(inspector, waterbody_id(db, "长寿湖"))
    page = inspector.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    returned = html[html.index('id="todo-returned"') : html.index('id="todo-draft"')]
    assert f'href="/assessments/{aid}/edit"' in returned
    assert "请补拍堤防照片" in returned
    drafts = html[html.index('id="todo-draft"') : html.index('id="todo-submitted"')]
    assert f'href="/assessments/{draft}/edit"' in drafts
    # the header counts what was returned, on every page
    for url in ("/", "/waterbodies", f"/assessments/{draft}/edit"):
        shown = inspector.get(url).get_data(as_text=True)
        assert re.search(r'id="returned-count"[^>]*>1<', shown), url


def test_the_count_is_the_districts_and_goes_when_resubmitted(db, login_as):
    aid = returned_one(db, login_as)
    assert 'id="returned-count"' not in login_as("beibei").get("/").get_data(as_text=True)
    inspector = login_as("yubei")
    assert re.search(r'id="returned-count"[^>]*>1<', inspector.get("/").get_data(as_text=True))
    version = assessments.get(db, aid)["version"]
    data = as_form("cq-river", full_river_answers()) | {"version": str(version), "action": "submit"}
    assert inspector.post(f"/assessments/{aid}/edit", data).status_code == 302
    assert 'id="returned-count"' not in inspector.get("/").get_data(as_text=True)


def test_reviewers_land_on_their_queue_and_administrators_on_the_waterbodies(login_as):
    assert login_as("reviewer").get("/").headers["Location"].endswith("/review")
    assert login_as("admin").get("/").headers["Location"].endswith("/waterbodies")


# -- the conflict view -----------------------------------------------------------------------


def test_a_stale_save_shows_both_values_and_keeps_the_colleagues_a6(db, login_as):
    """Two inspectors open version 1. One sets A6 and saves; the other typed only A1 and saves
    late. Today's bug: saving again wiped A6. The conflict view lists A1 and A6 side by side, A1
    defaulting to mine and A6 (untouched by this inspector) to theirs; saving keeps both."""
    first, second = login_as("yubei"), login_as("yubei")
    aid = new_assessment(first, waterbody_id(db))
    saved = first.post(f"/assessments/{aid}/edit", {"version": "1", "action": "save", "A6": "80"})
    assert saved.status_code == 303
    late = second.post(f"/assessments/{aid}/edit", {"version": "1", "action": "save", "A1": "90"})
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    rows = dict(re.findall(r'<tr id="conflict-(\w+)" data-code="\w+">(.*?)</tr>', html, re.S))
    assert set(rows) == {"A1", "A6"}
    assert re.search(r'value="mine" checked> <span class="value">90 %</span>', rows["A1"])
    assert re.search(r'value="theirs" > <span class="value">（空）</span>', rows["A1"])
    assert re.search(r'value="theirs" checked> <span class="value">80 %</span>', rows["A6"])
    assert 'name="resolve_version" value="2"' in html
    assert re.search(r'name="A1"[^>]*value="90"', html)  # what they typed is still in the form
    assert assessments.get(db, aid)["version"] == 2  # nothing written

    # the form as the browser sends it back: defaults kept, version now the current one
    choice = {"resolve_version": "2", "resolve_A1": "mine", "resolve_A6": "theirs"}
    merged = second.post(
        f"/assessments/{aid}/edit", {"version": "2", "action": "save", "A1": "90"} | choice
    )
    assert merged.status_code == 303
    row = assessments.get(db, aid)
    assert (row["answers"]["A1"], row["answers"]["A6"], row["version"]) == (90, 80, 3)


def test_choosing_theirs_for_a_field_both_changed(db, login_as):
    first, second = login_as("yubei"), login_as("yubei")
    aid = new_assessment(first, waterbody_id(db))
    first.post(f"/assessments/{aid}/edit", {"version": "1", "action": "save", "A1": "95"})
    late = second.post(f"/assessments/{aid}/edit", {"version": "1", "action": "save", "A1": "80"})
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert re.search(r'value="mine" checked> <span class="value">80 %</span>', html)
    assert re.search(r'value="theirs" > <span class="value">95 %</span>', html)
    kept = second.post(
        f"/assessments/{aid}/edit",
        {
            "version": "2",
            "action": "save",
            "A1": "80",
            "resolve_version": "2",
            "resolve_A1": "theirs",
        },
    )
    assert kept.status_code == 303
    assert assessments.get(db, aid)["answers"]["A1"] == 95


def test_a_choice_made_against_an_older_version_is_another_conflict(db, login_as):
    """resolve_version pins what "theirs" meant: if the assessment moved on again meanwhile,
    the choice is shown again against the newest version instead of applied blindly."""
    first, second = login_as("yubei"), login_as("yubei")
    aid = new_assessment(first, waterbody_id(db))
    first.post(f"/assessments/{aid}/edit", {"version": "1", "action": "save", "A1": "95"})
    first.post(f"/assessments/{aid}/edit", {"version": "2", "action": "save", "A1": "70"})
    again = second.post(
        f"/assessments/{aid}/edit",
        {
            "version": "2",
            "action": "save",
            "A1": "80",
            "resolve_version": "2",
            "resolve_A1": "theirs",
        },
    )
    assert again.status_code == 409
    assert 'name="resolve_version" value="3"' in again.get_data(as_text=True)
    assert assessments.get(db, aid)["answers"]["A1"] == 70


def test_the_api_409_carries_the_current_assessment(db, app):
    token = users.create_token(db, users.by_username(db, "yubei")["id"], "t")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    aid = client.post(
        "/api/v1/assessments", json={"waterbody_id": waterbody_id(db)}, headers=headers
    ).get_json()["id"]
    client.put(
        f"/api/v1/assessments/{aid}", json={"version": 1, "answers": {"A6": 80}}, headers=headers
    )
    stale = client.put(
        f"/api/v1/assessments/{aid}", json={"version": 1, "answers": {"A1": 90}}, headers=headers
    )
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["current_version"] == 2
    assert body["current"]["version"] == 2 and body["current"]["answers"]["A6"] == 80


# -- creating with answers (the blank form, cacheable for offline use) --------------------------


def test_the_blank_form_writes_nothing_and_posts_to_create(db, login_as):
    inspector = login_as("yubei")
    page = inspector.get(f"/waterbodies/{waterbody_id(db)}/assessments/new?kind=acceptance")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'action="/waterbodies/{waterbody_id(db)}/assessments"' in html
    assert 'name="kind" value="acceptance"' in html
    assert re.search(r'name="idempotency_key" value="[0-9a-f-]{36}"', html)
    assert db.execute("SELECT count(*) FROM assessments").fetchone()[0] == 0
    detail = inspector.get(f"/waterbodies/{waterbody_id(db)}").get_data(as_text=True)
    for kind in ("self", "acceptance", "recheck"):
        url = f"/waterbodies/{waterbody_id(db)}/assessments/new?kind={kind}"
        assert f'data-offline-prefetch="{url}"' in detail


def test_a_submit_from_the_blank_form_creates_it_submitted_in_one_go(db, login_as):
    inspector = login_as("yubei")
    data = as_form("cq-river", full_river_answers()) | {"kind": "acceptance", "action": "submit"}
    response = inspector.post(f"/waterbodies/{waterbody_id(db)}/assessments", data)
    assert response.status_code == 302
    aid = int(re.search(r"/assessments/(\d+)$", response.headers["Location"]).group(1))
    row = assessments.get(db, aid)
    assert (row["status"], row["version"], row["result"]["total"]) == ("submitted", 2, "100.00")
    assert audit_count(db, aid, "assessment_created") == 1
    assert audit_count(db, aid, "assessment_submitted") == 1


def test_a_save_from_the_blank_form_creates_a_draft_with_its_answers(db, login_as):
    inspector = login_as("yubei")
    response = inspector.post(
        f"/waterbodies/{waterbody_id(db)}/assessments",
        {"kind": "recheck", "action": "save", "A1": "96.5", "A2": "1,000"},
    )
    assert response.status_code == 303
    aid = int(re.search(r"/assessments/(\d+)/edit$", response.headers["Location"]).group(1))
    row = assessments.get(db, aid)
    assert (row["status"], row["answers"]["A1"], row["answers"]["A2"]) == ("draft", 96.5, 1000)


def test_a_blank_form_for_an_open_assessment_shows_the_conflict_view(db, login_as):
    """The open one has answers of its own: the posted ones are shown against it, not lost and
    not written over it."""
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    inspector.post(f"/assessments/{aid}/edit", {"version": "1", "action": "save", "A6": "80"})
    response = inspector.post(
        f"/waterbodies/{waterbody_id(db)}/assessments",
        {"kind": "self", "action": "save", "A1": "90"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert f'action="/assessments/{aid}/edit"' in html
    assert re.search(r'name="A1"[^>]*value="90"', html)
    assert 'id="conflict-A1"' in html and 'id="conflict-A6"' in html
    assert db.execute("SELECT count(*) FROM assessments").fetchone()[0] == 1
    assert assessments.get(db, aid)["answers"].get("A1") is None


def test_a_blank_form_fills_an_open_draft_nobody_has_touched(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))  # 开始填写, then the phone went offline
    response = inspector.post(
        f"/waterbodies/{waterbody_id(db)}/assessments",
        {"kind": "self", "action": "save", "A1": "90"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/assessments/{aid}/edit")
    assert assessments.get(db, aid)["answers"]["A1"] == 90


def test_an_incomplete_submit_from_the_blank_form_creates_nothing_and_says_so(db, login_as):
    inspector = login_as("yubei")
    response = inspector.post(
        f"/waterbodies/{waterbody_id(db)}/assessments",
        {"kind": "self", "action": "submit", "A1": "90"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "评估尚未创建，您填写的内容仍在下方" in html
    assert re.search(r'name="A1"[^>]*value="90"', html)
    assert db.execute("SELECT count(*) FROM assessments").fetchone()[0] == 0


# -- the truth after a refused submit -----------------------------------------------------------


def test_a_refused_submit_keeps_the_answers_as_a_draft_and_says_so(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    response = inspector.post(
        f"/assessments/{aid}/edit",
        {"version": "1", "action": "submit", "A2": "3", "A4": "120", "A5": "abc"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "已保存的内容未丢失" not in html
    assert "已填写的内容已保存为草稿（第 2 版）。无法识别的内容未保存，仍在下方标出。" in html
    row = assessments.get(db, aid)
    assert (row["status"], row["version"], row["answers"]["A2"]) == ("draft", 2, 3)
    assert row["answers"]["A4"] == 120  # kept as typed (and marked) for the inspector to fix
    assert "A5" not in row["answers"]  # "abc" is no value: shown at its field, not saved
    assert re.search(r'name="version" type="hidden" value="2"', html)
    assert re.search(r'name="A5"[^>]*value="abc"', html)
    # what was saved is really there after leaving
    again = inspector.get(f"/assessments/{aid}/edit").get_data(as_text=True)
    assert re.search(r'name="A2"[^>]*value="3"', again)


# -- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [("1,000", 1000), ("1，000", 1000), ("12,345.5", 12345.5), ("1000", 1000), ("96.5", 96.5)],
)
def test_thousands_separators_are_thousands(app, typed, value):
    rubric = scoring.load_rubric("cq-river")
    with app.test_request_context():
        form = form_class(rubric)(formdata=None, data={"A2": typed}, meta={"csrf": False})
        answers, errors = answers_from_form(rubric, form)
    assert (answers.get("A2"), errors) == (value, {})


@pytest.mark.parametrize("typed", ["1,5", "96,5", "1,00", "1,0000", ",5", "1,000,00"])
def test_any_other_comma_is_a_clear_error(app, typed):
    rubric = scoring.load_rubric("cq-river")
    with app.test_request_context():
        form = form_class(rubric)(formdata=None, data={"A2": typed}, meta={"csrf": False})
        answers, errors = answers_from_form(rubric, form)
    assert "A2" not in answers
    assert errors["A2"] == "「行洪安全性」的写法有误：千位分隔请写成 1,000，小数点请用「.」"


def test_a_sample_size_of_1_200_is_twelve_hundred_over_http(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    data = {"version": "1", "action": "save", "A20_rate": "95", "A20_sample_size": "1,200"}
    assert inspector.post(f"/assessments/{aid}/edit", data).status_code == 303
    assert assessments.get(db, aid)["answers"]["A20"] == {"rate": 95, "sample_size": 1200}


# -- the total bar and the preview -----------------------------------------------------------


def test_the_total_bar_never_says_complete_while_a_field_is_invalid(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    data = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "save"}
    data["A4"] = "120"
    shown = inspector.post(f"/assessments/{aid}/edit", data)
    assert shown.status_code == 200  # saved, the invalid field marked
    bar = re.search(r'id="missing-count">(.*?)</span>', shown.get_data(as_text=True), re.S)
    assert "已全部填写" not in bar.group(1)
    assert "有误" in bar.group(1)


def test_the_total_bar_shows_the_projected_decision_and_g7(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db, "长寿湖"))
    answers = full_reservoir_answers()
    answers["B4"]["tp"] = 0.3  # 劣Ⅴ for a lake
    data = as_form("cq-reservoir", answers) | {"version": "1", "action": "save"}
    page = inspector.get(inspector.post(f"/assessments/{aid}/edit", data).headers["Location"])
    html = page.get_data(as_text=True)
    assert re.search(
        r'id="projected-decision" data-decision="rejected">预计结论：<strong>不予通过', html
    )
    assert re.search(r'id="gates-held" data-gates="G7">否决条件成立：<strong>G7</strong>', html)
    assert re.search(r'id="missing-count">\s*已全部填写', html)

    clean = as_form("cq-reservoir", full_reservoir_answers()) | {"version": "2", "action": "save"}
    page = inspector.get(inspector.post(f"/assessments/{aid}/edit", clean).headers["Location"])
    assert re.search(
        r'data-decision="accepted">预计结论：<strong>通过验收', page.get_data(as_text=True)
    )


def test_the_preview_answers_the_projection(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    water = {"A3_do": "8", "A3_codmn": "2", "A3_cod": "10", "A3_bod5": "2", "A3_nh3n": "0.1"}
    partial = inspector.post(f"/assessments/{aid}/preview", water | {"A3_tp": "0.5"}).get_json()
    assert partial["decision"] == "rejected" and partial["decision_label"] == "不予通过"
    assert [g["code"] for g in partial["gates"]] == ["G7"]
    assert partial["water_quality"]["label"] == "劣Ⅴ"
    assert partial["water_quality"]["limiting"] == ["tp"]
    assert partial["complete"] is False
    full = inspector.post(
        f"/assessments/{aid}/preview", as_form("cq-river", full_river_answers())
    ).get_json()
    assert (full["decision"], full["decision_label"], full["gates"]) == ("accepted", "通过验收", [])
    assert full["complete"] is True
    typo = inspector.post(
        f"/assessments/{aid}/preview", as_form("cq-river", full_river_answers()) | {"A4": "x"}
    ).get_json()
    assert typo["complete"] is False and typo["decision"] is None
