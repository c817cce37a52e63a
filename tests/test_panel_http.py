"""The expert panel (专家组) over HTTP: pages and /api/v1, a real SQLite file per test.

The world: conftest's users and waterbodies, four experts (e1–e3 named on the panel, e4 not),
and a submitted 市级验收 of 御临河 (渝北区) by yubei with answers worth 100.00 (accepted).

The experts' points used throughout (A14 / A15 / A17):
    e1  5 / 5 / 5      e2  3 / 2 / 4      e3  2 / 0 / 4
all three → A14 3.33 (spread 3, 分歧较大), A15 2.33 (spread 5, 分歧较大), A17 4.33 (spread 1):
文韵深厚 (A14 + A15) = 5.66 < 6, its 60 % floor → the computed decision turns to 不予通过;
e1 and e2 only → 4.00 / 3.50 / 4.50, total 97.00 → still 通过验收.
"""

import re
from decimal import Decimal

import pytest

from happy_rivers import scoring, store
from happy_rivers.store import assessments, audit, demo, panels, users
from tests.answers import full_river_answers
from tests.api_document import Api
from tests.conftest import PASSWORD

POINTS = {
    "e1": {"A14": 5, "A15": 5, "A17": 5},
    "e2": {"A14": 3, "A15": 2, "A17": 4},
    "e3": {"A14": 2, "A15": 0, "A17": 4},
}


def answers_of(expert: str) -> dict:
    return {code: {"points": p, "note": f"{expert} 现场查看"} for code, p in POINTS[expert].items()}


@pytest.fixture
def world(app, db):
    for name in ("e1", "e2", "e3", "e4"):
        users.create(db, name, PASSWORD, "expert", display_name=f"{name} 专家")
    yubei = users.by_username(db, "yubei")
    river = scoring.load_rubric("cq-river")
    yulin = next(db.query("SELECT id FROM waterbodies WHERE name = '御临河'"))["id"]

    def submitted(kind: str, waterbody_id: int = yulin, answers=None) -> int:
        answers = answers or full_river_answers()
        scored = scoring.score(river, answers).to_dict()
        aid = assessments.create(
            db,
            waterbody_id=waterbody_id,
            kind=kind,
            rubric_id=river.id,
            rubric_version=river.version,
            answers=answers,
            scored=scored,
            user=yubei,
        )
        assessments.save(
            db,
            aid,
            expected_version=1,
            action="submit",
            answers=answers,
            scored=scored,
            user=yubei,
        )
        return aid

    return {"acceptance": submitted("acceptance"), "submitted": submitted, "yulin": yulin}


@pytest.fixture
def api(app, db):
    def make(username: str) -> Api:
        token = users.create_token(db, users.by_username(db, username)["id"], "test")
        return Api(app.test_client(), token)

    return make


def name_panel(api, aid: int, experts=("e1", "e2", "e3")):
    response = api("reviewer").post(f"/assessments/{aid}/panel", json={"experts": list(experts)})
    assert response.status_code == 201, response.get_json()
    return response


def submit(api, aid: int, expert: str):
    response = api(expert).post(
        f"/assessments/{aid}/panel/me/submit", json={"answers": answers_of(expert)}
    )
    assert response.status_code == 200, response.get_json()
    return response


# -- API ----------------------------------------------------------------------------------------


def test_the_whole_panel_through_the_api(api, db, world):
    aid = world["acceptance"]
    created = name_panel(api, aid).get_json()
    assert created == {"experts": ["e1", "e2", "e3"], "indicators": ["A14", "A15", "A17"]}

    e1, e2, e3 = api("e1"), api("e2"), api("e3")
    saved = e1.put(f"/assessments/{aid}/panel/me", json={"answers": answers_of("e1")})
    assert saved.status_code == 200
    # a saved draft is the expert's own: nobody else sees it, and it counts for nothing yet
    seen_by_e2 = e2.get(f"/assessments/{aid}/panel").get_json()
    assert [e["answers"] for e in seen_by_e2["experts"]] == [{}, {}, {}]
    assert seen_by_e2["indicators"] == {}

    submit(api, aid, "e1")
    submit(api, aid, "e2")
    # e3 has not submitted: it sees its own (empty) answers and nothing of e1's and e2's
    blind = e3.get(f"/assessments/{aid}/panel").get_json()
    assert [e["expert"] for e in blind["experts"]] == ["专家1", "专家2", "专家3"]
    assert [e["submitted"] for e in blind["experts"]] == [True, True, False]
    assert all(e["answers"] == {} for e in blind["experts"])
    assert blind["indicators"] == {}

    reviewer = api("reviewer")
    early = reviewer.post(f"/assessments/{aid}/review", json={"action": "reject"})
    assert early.status_code == 409
    assert "1 位专家未提交" in early.get_json()["error"]
    assert assessments.get(db, aid)["status"] == "submitted"

    submit(api, aid, "e3")
    full = reviewer.get(f"/assessments/{aid}/panel").get_json()
    assert [e["expert"] for e in full["experts"]] == ["e1", "e2", "e3"]
    assert full["experts"][1]["answers"]["A15"] == {"points": 2, "note": "e2 现场查看"}
    assert full["indicators"] == {
        "A14": {"combined": "3.33", "spread": "3.00", "flag": True},
        "A15": {"combined": "2.33", "spread": "5.00", "flag": True},
        "A17": {"combined": "4.33", "spread": "1.00", "flag": False},
    }
    assert full["rule"] == "3 位专家评分，取平均，四舍五入到 0.01"
    # inspectors see the experts numbered, with their points
    inspector_view = api("yubei").get(f"/assessments/{aid}/panel").get_json()
    assert [e["expert"] for e in inspector_view["experts"]] == ["专家1", "专家2", "专家3"]
    assert inspector_view["indicators"] == full["indicators"]
    # once submitted, an expert sees the others too (still numbered)
    assert e1.get(f"/assessments/{aid}/panel").get_json()["experts"][2]["answers"]

    # the computed decision is now the panel's: 文韵深厚 below its floor → rejected
    refused = reviewer.post(f"/assessments/{aid}/review", json={"action": "accept"})
    assert refused.status_code == 422
    assert "override_reason" in refused.get_json()["errors"]
    decided = reviewer.post(f"/assessments/{aid}/review", json={"action": "reject"})
    assert decided.status_code == 200, decided.get_json()
    row = assessments.get(db, aid)
    assert row["status"] == "rejected"
    assert row["computed_decision"] == "rejected"
    assert row["result"]["indicators"]["A14"]["points"] == "3.33"
    assert row["result"]["total"] == str(
        Decimal("100") - Decimal("1.67") - Decimal("2.67") - Decimal("0.67")
    )
    assert row["result"]["panel"]["A15"]["flag"] is True
    actions = [h["action"] for h in audit.history(db, "assessment", aid)]
    assert actions.count("panel_named") == 1
    assert actions.count("panel_saved") == 1
    assert actions.count("panel_submitted") == 3


def test_close_with_two_experts_and_decide_on_their_points(api, db, world):
    aid = world["acceptance"]
    name_panel(api, aid)
    reviewer = api("reviewer")
    submit(api, aid, "e1")
    too_few = reviewer.post(f"/assessments/{aid}/panel/close", json={"reason": "e2、e3 出差"})
    assert too_few.status_code == 409
    assert "至少 2 位" in too_few.get_json()["error"]
    submit(api, aid, "e2")
    no_reason = reviewer.post(f"/assessments/{aid}/panel/close", json={"reason": "  "})
    assert no_reason.status_code == 422
    assert set(no_reason.get_json()["errors"]) == {"reason"}
    closed = reviewer.post(f"/assessments/{aid}/panel/close", json={"reason": "e3 长期出差"})
    assert closed.status_code == 200
    assert closed.get_json()["state"] == "closed"
    late = api("e3").post(f"/assessments/{aid}/panel/me/submit", json={"answers": answers_of("e3")})
    assert late.status_code == 409
    again = reviewer.post(f"/assessments/{aid}/panel/close", json={"reason": "再次"})
    assert again.status_code == 409

    decided = reviewer.post(f"/assessments/{aid}/review", json={"action": "accept"})
    assert decided.status_code == 200, decided.get_json()
    row = assessments.get(db, aid)
    assert row["result"]["indicators"]["A15"]["points"] == "3.50"
    assert row["result"]["total"] == "97.00"
    assert row["total_cents"] == 9700
    closing = [h for h in audit.history(db, "assessment", aid) if h["action"] == "panel_closed"]
    assert len(closing) == 1 and "e3 长期出差" in closing[0]["after"]
    assert '"not_submitted": ["e3"]' in closing[0]["after"]


@pytest.mark.parametrize(
    ("experts", "fields"),
    [
        (["e1"], {"experts"}),
        ([f"x{i}" for i in range(10)], {"experts"}),
        (["e1", "e1"], {"experts"}),
        (["e1", "nobody"], {"experts.1"}),
        (["reviewer", "e2", "yubei"], {"experts.0", "experts.2"}),
        ("e1,e2", {"experts"}),
        ([1, 2], {"experts"}),
    ],
)
def test_naming_field_errors(api, db, world, experts, fields):
    aid = world["acceptance"]
    response = api("reviewer").post(f"/assessments/{aid}/panel", json={"experts": experts})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == fields
    assert panels.get(db, aid) is None


def test_an_inactive_expert_cannot_be_named(api, db, world):
    users.set_active(
        db, users.by_username(db, "e2")["id"], False, actor=users.by_username(db, "admin")
    )
    response = api("reviewer").post(
        f"/assessments/{world['acceptance']}/panel", json={"experts": ["e1", "e2"]}
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"experts.1"}


def test_naming_needs_a_submitted_acceptance_or_recheck_and_happens_once(api, db, world):
    reviewer = api("reviewer")
    self_id = world["submitted"]("self")
    refused = reviewer.post(f"/assessments/{self_id}/panel", json={"experts": ["e1", "e2"]})
    assert refused.status_code == 409
    assert "市级验收和复核" in refused.get_json()["error"]
    aid = world["acceptance"]
    name_panel(api, aid)
    twice = reviewer.post(f"/assessments/{aid}/panel", json={"experts": ["e1", "e4"]})
    assert twice.status_code == 409
    assert [e["username"] for e in panels.get(db, aid)["experts"]] == ["e1", "e2", "e3"]
    recheck = world["submitted"]("recheck")
    assert (
        reviewer.post(f"/assessments/{recheck}/panel", json={"experts": ["e1", "e4"]}).status_code
        == 201
    )
    # an inspector (or the author) names nobody
    assert (
        api("yubei")
        .post(f"/assessments/{recheck}/panel", json={"experts": ["e1", "e2"]})
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    ("answers", "fields"),
    [
        ({"A14": {"points": 4.2, "note": "x"}}, {"A14.points"}),
        ({"A14": {"points": 6, "note": "x"}}, {"A14.points"}),
        ({"A14": {"points": -0.5, "note": "x"}}, {"A14.points"}),
        ({"A14": {"points": "4", "note": "x"}}, {"A14.points"}),
        ({"A14": {"points": 4, "note": "  "}}, {"A14.note"}),
        ({"A14": {"points": 4}}, {"A14.note"}),
        ({"A1": 90}, {"A1"}),
        ({"Z9": {"points": 4, "note": "x"}}, {"Z9"}),
        ({"A14": 4}, {"A14"}),
        ({"A14": {"points": 4, "note": "x", "extra": 1}}, {"A14.extra"}),
    ],
)
def test_expert_answers_field_errors(api, db, world, answers, fields):
    aid = world["acceptance"]
    name_panel(api, aid)
    response = api("e1").put(f"/assessments/{aid}/panel/me", json={"answers": answers})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == fields
    assert all(m for m in response.get_json()["errors"].values())
    assert panels.get(db, aid)["experts"][0]["answers"] == {}


def test_submit_needs_every_panel_indicator_and_is_final(api, db, world):
    aid = world["acceptance"]
    name_panel(api, aid)
    e1 = api("e1")
    partial_answers = {"A14": {"points": 4, "note": "古桥保护较好"}}
    assert (
        e1.put(f"/assessments/{aid}/panel/me", json={"answers": partial_answers}).status_code == 200
    )
    incomplete = e1.post(f"/assessments/{aid}/panel/me/submit")  # the saved answers
    assert incomplete.status_code == 422
    assert set(incomplete.get_json()["errors"]) == {"A15", "A17"}
    assert "请填写" in incomplete.get_json()["errors"]["A15"]
    submit(api, aid, "e1")
    # a repeated submit of the same answers (a retry) is fine and writes nothing
    count = len(audit.history(db, "assessment", aid))
    assert (
        e1.post(
            f"/assessments/{aid}/panel/me/submit", json={"answers": answers_of("e1")}
        ).status_code
        == 200
    )
    assert len(audit.history(db, "assessment", aid)) == count
    changed = e1.put(f"/assessments/{aid}/panel/me", json={"answers": answers_of("e2")})
    assert changed.status_code == 409
    assert panels.get(db, aid)["experts"][0]["answers"] == answers_of("e1")


def test_experts_reach_only_their_panels_through_the_api(api, world):
    aid = world["acceptance"]
    name_panel(api, aid)
    e1, e4 = api("e1"), api("e4")
    assert e1.get(f"/assessments/{aid}").status_code == 200
    assert e4.get(f"/assessments/{aid}").status_code == 404
    assert e4.get(f"/assessments/{aid}/panel").status_code == 404
    assert e4.put(f"/assessments/{aid}/panel/me", json={"answers": {}}).status_code == 404
    assert e1.get("/waterbodies").status_code == 403
    assert e1.post("/score", json={"rubric": "cq-river", "answers": {}}).status_code == 403
    assert e1.post(f"/assessments/{aid}/review", json={"action": "accept"}).status_code == 403
    assert (
        api("reviewer").put(f"/assessments/{aid}/panel/me", json={"answers": {}}).status_code == 403
    )
    assert api("beibei").get(f"/assessments/{aid}/panel").status_code == 404
    other = world["submitted"]("recheck")
    assert api("reviewer").get(f"/assessments/{other}/panel").status_code == 404  # no panel


# -- pages --------------------------------------------------------------------------------------


def errors_in(html: str) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]+)<', html)


def test_the_panel_through_the_pages(login_as, db, world):
    aid = world["acceptance"]
    reviewer = login_as("reviewer")
    page = reviewer.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "组建专家组" in page and 'value="e4"' in page
    assert "未组建" in reviewer.get("/review").get_data(as_text=True)
    too_few = reviewer.post(f"/assessments/{aid}/panel", {"experts": ["e1"]})
    assert too_few.status_code == 422
    assert "2 至 9 位专家" in " ".join(errors_in(too_few.get_data(as_text=True)))
    named = reviewer.post(f"/assessments/{aid}/panel", {"experts": ["e1", "e2", "e3"]})
    assert named.status_code == 302
    assert [e["username"] for e in panels.get(db, aid)["experts"]] == ["e1", "e2", "e3"]

    experts = {name: login_as(name) for name in ("e1", "e2", "e3")}
    queue = experts["e1"].get("/panel").get_data(as_text=True)
    assert "御临河" in queue and "待评分" in queue
    form = experts["e1"].get(f"/assessments/{aid}/panel/me").get_data(as_text=True)
    assert 'name="A14.points"' in form and 'step="0.5"' in form

    bad = experts["e1"].post(
        f"/assessments/{aid}/panel/me",
        {
            "action": "save",
            "A14.points": "4.2",
            "A14.note": "古桥",
            "A15.points": "abc",
            "A15.note": "",
        },
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="A14-points-error"' in html and "0.5 的整数倍" in html
    assert 'id="A15-points-error"' in html and "请填写数字" in html
    assert 'id="A15-note-error"' in html
    assert 'value="4.2"' in html  # what was typed stays
    assert panels.get(db, aid)["experts"][0]["answers"] == {}

    def post_points(name: str, action: str):
        data = {"action": action}
        for code, answer in answers_of(name).items():
            data |= {f"{code}.points": str(answer["points"]), f"{code}.note": answer["note"]}
        return experts[name].post(f"/assessments/{aid}/panel/me", data)

    assert post_points("e1", "save").status_code == 303
    assert post_points("e1", "submit").status_code == 302
    assert post_points("e2", "submit").status_code == 302
    queue = reviewer.get("/review").get_data(as_text=True)
    row = re.search(rf"<tr[^>]*>\s*<td><a [^>]*>{aid}</a>.*?</tr>", queue, re.S).group(0)
    assert "2 / 3 已提交" in row
    # e3 has not submitted: the result page shows it nothing of the others' points
    blind = experts["e3"].get(f"/assessments/{aid}").get_data(as_text=True)
    assert "提交您的评分之后" in blind
    assert "e1 现场查看" not in blind and "合成得分" not in blind

    early = reviewer.post(f"/assessments/{aid}/review", {"action": "accept", "version": "2"})
    assert early.status_code == 422
    assert "未提交评分" in " ".join(errors_in(early.get_data(as_text=True)))
    assert assessments.get(db, aid)["status"] == "submitted"

    assert post_points("e3", "submit").status_code == 302
    result = reviewer.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "合成得分" in result and "3.33" in result and "分歧较大" in result
    assert "3 位专家评分，取平均，四舍五入到 0.01" in result
    # the panel's decision is preselected
    assert re.search(r'<input checked [^>]*value="reject"', result)
    inspector = login_as("yubei").get(f"/assessments/{aid}").get_data(as_text=True)
    assert "专家1" in inspector and "e1 专家" not in inspector and ">e1<" not in inspector
    report = reviewer.get(f"/assessments/{aid}/report").get_data(as_text=True)
    assert "专家组评分" in report and "2.33" in report and "分歧较大" in report

    decided = reviewer.post(f"/assessments/{aid}/review", {"action": "reject", "version": "2"})
    assert decided.status_code == 302
    row = assessments.get(db, aid)
    assert row["status"] == "rejected" and row["result"]["indicators"]["A17"]["points"] == "4.33"


def test_closing_on_the_page_needs_a_reason(login_as, api, db, world):
    aid = world["acceptance"]
    name_panel(api, aid)
    submit(api, aid, "e1")
    submit(api, aid, "e2")
    reviewer = login_as("reviewer")
    assert "结束专家评分" in reviewer.get(f"/assessments/{aid}").get_data(as_text=True)
    no_reason = reviewer.post(f"/assessments/{aid}/panel/close", {"reason": ""})
    assert no_reason.status_code == 422
    assert "理由" in " ".join(errors_in(no_reason.get_data(as_text=True)))
    assert panels.state(panels.get(db, aid)) == "open"
    assert (
        reviewer.post(f"/assessments/{aid}/panel/close", {"reason": "e3 病假"}).status_code == 302
    )
    assert panels.state(panels.get(db, aid)) == "closed"
    page = reviewer.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "e3 病假" in page and "2 位专家评分" in page


def test_experts_see_only_their_panels(login_as, api, world):
    aid = world["acceptance"]
    name_panel(api, aid)
    e1, e4 = login_as("e1"), login_as("e4")
    home = e1.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/panel")
    assert e1.get("/waterbodies").status_code == 403
    assert e1.get("/review").status_code == 403
    assert e1.get(f"/waterbodies/{world['yulin']}").status_code == 403
    page = e1.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "专家评分" in page and 'href="/waterbodies"' not in page  # no dead links
    assert e4.get(f"/assessments/{aid}").status_code == 404
    assert e4.get(f"/assessments/{aid}/panel/me").status_code == 404
    assert "暂时没有" in e4.get("/panel").get_data(as_text=True)
    assert login_as("yubei").get("/panel").status_code == 403


def test_self_vs_acceptance_side_by_side(login_as, db, world):
    # the district's own 自评 was generous on A6 and A14; the city's acceptance is not
    answers = full_river_answers()
    self_id = world["submitted"]("self", answers=answers)
    assessments.review(
        db,
        self_id,
        action="accept",
        user=users.by_username(db, "reviewer"),
        decided_on="2025-06-01",
    )
    aid = world["acceptance"]
    lower = full_river_answers() | {"A14": {"points": 3, "note": "部分古迹未挂牌"}}
    river = scoring.load_rubric("cq-river")
    current = assessments.get(db, aid)
    assessments.save(
        db,
        aid,
        expected_version=current["version"],
        action="correct",
        answers=lower,
        scored=scoring.score(river, lower).to_dict(),
        user=users.by_username(db, "reviewer"),
    )
    page = login_as("reviewer").get(f"/assessments/{aid}").get_data(as_text=True)
    assert "自评与验收对比" in page
    row = re.search(r'<tr class="large-difference">.*?</tr>', page, re.S)
    assert row and "A14" in row.group(0) and "-2" in row.group(0)
    assert page.count('class="large-difference"') == 1
    inspector = login_as("yubei").get(f"/assessments/{aid}").get_data(as_text=True)
    assert "自评与验收对比" in inspector and "large-difference" not in inspector
    # the self-assessment's own page has no comparison
    assert "自评与验收对比" not in login_as("reviewer").get(f"/assessments/{self_id}").get_data(
        as_text=True
    )


def test_the_decision_uses_store_guard_too(db, world):
    """A decision written past the views (a race, a script) is refused while experts are out."""
    aid = world["acceptance"]
    reviewer = users.by_username(db, "reviewer")
    panels.name(db, aid, [users.by_username(db, n) for n in ("e1", "e2")], user=reviewer)
    with pytest.raises(panels.PanelNotReady):
        assessments.review(db, aid, action="accept", user=reviewer, decided_on="2026-01-05")
    assert assessments.get(db, aid)["status"] == "submitted"
    assessments.review(db, aid, action="return", user=reviewer, comment="请补充材料")
    assert assessments.get(db, aid)["status"] == "returned"


def test_the_demo_has_a_panel_waiting_for_the_demo_expert(tmp_path):
    roles = {username: role for username, _name, role, _district in demo.DEMO_USERS}
    assert roles["expert"] == roles["expert2"] == roles["expert3"] == "expert"
    connection = store.connect(str(tmp_path / "demo.db"))
    store.migrate(connection)
    demo.seed(connection)
    expert = users.by_username(connection, "expert")
    queue = panels.for_expert(connection, expert["id"])
    assert len(queue) == 1 and queue[0]["status"] == "submitted"
    assert queue[0]["submitted_at"] is None
    panel = panels.get(connection, queue[0]["id"])
    assert panels.state(panel) == "open"
    assert [e["username"] for e in panels.submitted(panel)] == ["expert2", "expert3"]
    connection.close()
