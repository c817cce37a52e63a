"""The JSON API (/api/v1) over HTTP with bearer tokens, against a real temporary SQLite file.

Fixture data (conftest.py): 御临河 (river) and 长寿湖 (reservoir) in 渝北区, 龙凤溪 (river)
in 北碚区; yubei inspects 渝北区, beibei 北碚区. tests/answers.py: complete answers worth 100.00.
"""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from happy_rivers import clock
from happy_rivers.store import assessments, audit, users
from happy_rivers.views import api as api_views
from happy_rivers.views import api_schemas
from tests.answers import full_reservoir_answers, full_river_answers
from tests.api_document import Api
from tests.conftest import waterbody_id as wid

TODAY = clock.today()
RIVER_DIMENSIONS_FULL = {
    "safety": "15.00",
    "ecology": "25.00",
    "amenity": "15.00",
    "smart": "8.00",
    "culture": "10.00",
    "prosperity": "12.00",
    "satisfaction": "15.00",
}


@pytest.fixture
def api(app, db):
    """api("yubei") → a client with a fresh token of that user; api(None) sends no token."""

    def make(username: str | None) -> Api:
        token = None
        if username:
            token = users.create_token(db, users.by_username(db, username)["id"], "test")
        return Api(app.test_client(), token)

    return make


def create(client: Api, waterbody_id: int, answers=None, **more) -> int:
    body = {"waterbody_id": waterbody_id, "kind": "self", **more}
    if answers is not None:
        body["answers"] = answers
    response = client.post("/assessments", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def submitted(client: Api, waterbody_id: int, answers=None, kind: str = "self") -> int:
    answers = full_river_answers() if answers is None else answers
    return create(client, waterbody_id, answers, kind=kind, submit=True)


def audit_actions(db, assessment_id: int) -> list[str]:
    return [r["action"] for r in audit.history(db, "assessment", assessment_id)]


def assessment_count(db) -> int:
    return db.execute("SELECT count(*) FROM assessments").fetchone()[0]


# ---------------------------------------------------------------------------------------------
# Authentication, JSON errors everywhere


ROUTES = [
    ("POST", "/score"),
    ("GET", "/districts"),
    ("GET", "/waterbodies"),
    ("POST", "/waterbodies"),
    ("POST", "/assessments"),
    ("GET", "/assessments/1"),
    ("PUT", "/assessments/1"),
    ("POST", "/assessments/1/submit"),
    ("POST", "/assessments/1/review"),
    ("GET", "/progress"),
    ("GET", "/leaderboard/districts"),
    ("GET", "/leaderboard/waterbodies"),
]


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_route_needs_a_token(api, method, path):
    response = api(None).call(method, path, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.get_json()["error"]


@pytest.mark.parametrize(
    "header",
    ["Bearer hr_not-a-real-token", "Bearer ", "Basic eWViZWk6cGFzc3dvcmQ=", "hr_token-no-scheme"],
)
def test_bad_authorization_headers_are_401(api, header):
    response = api(None).get("/districts", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.is_json
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_and_deactivated_user_are_401(app, db):
    yubei = users.by_username(db, "yubei")
    revoked = users.create_token(db, yubei["id"], "old")
    db.execute("UPDATE api_tokens SET revoked = 1")
    db.conn.commit()
    client = app.test_client()
    response = client.get("/api/v1/districts", headers={"Authorization": f"Bearer {revoked}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]

    fresh = users.create_token(db, yubei["id"], "new")
    headers = {"Authorization": f"bearer {fresh}"}  # the scheme is case-insensitive
    assert client.get("/api/v1/districts", headers=headers).status_code == 200
    users.set_active(db, yubei["id"], False, actor=users.by_username(db, "admin"))
    assert client.get("/api/v1/districts", headers=headers).status_code == 401


def test_unknown_paths_and_methods_answer_json(api):
    client = api("admin")
    missing = client.get("/no-such-thing")
    assert missing.status_code == 404
    assert "openapi.json" in missing.get_json()["error"]
    wrong_method = client.call("DELETE", "/districts")
    assert wrong_method.status_code == 405
    assert wrong_method.is_json and wrong_method.get_json()["error"]
    assert "GET" in wrong_method.headers["Allow"]
    also_wrong = client.call("PATCH", "/assessments/1")
    assert also_wrong.status_code == 405
    assert set(also_wrong.headers["Allow"].split(", ")) >= {"GET", "PUT"}


def test_an_unexpected_error_is_a_json_500(app, api, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(_db):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(api_views.waterbodies, "districts", broken)
    response = api("admin").get("/districts")
    assert response.status_code == 500
    assert response.is_json
    assert "disk on fire" not in response.get_data(as_text=True)  # no internals leak


@pytest.mark.parametrize("digits", [str(2**63 - 1), str(2**63), "9" * 30])
def test_huge_ids_are_a_json_404_not_a_driver_overflow(api, digits):
    for method in ("GET", "PUT"):
        response = api("admin").call(method, f"/assessments/{digits}", json={})
        assert response.status_code == 404
        assert "没有这个 API 地址" in response.get_json()["error"]
    largest = api("admin").get("/assessments/" + "9" * 18)  # the longest id a route takes
    assert largest.get_json()["error"] == "没有该评估，或它不在您的区县"


# ---------------------------------------------------------------------------------------------
# POST /score


def test_score_full_river_answers(api):
    response = api("yubei").post("/score", {"rubric": "cq-river", "answers": full_river_answers()})
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == "100.00"
    assert body["decision"] == "accepted"
    assert body["grade"] == "很幸福"
    assert body["rubric"] == {"id": "cq-river", "version": "2025.1"}
    assert {c: d["score"] for c, d in body["dimensions"].items()} == RIVER_DIMENSIONS_FULL


def test_score_hand_computed_linear_points(api):
    # A1 = 96.5: 8 × (96.5 − 75) / (100 − 75) = 8 × 0.86 = 6.88 → total 100 − 8 + 6.88 = 98.88
    # A4 = 87.5: 3 × (87.5 − 80) / (95 − 80) = 1.50 → total 98.88 − 3 + 1.50 = 97.38
    answers = full_river_answers() | {"A1": 96.5, "A4": 87.5}
    body = api("reviewer").post("/score", {"rubric": "cq-river", "answers": answers}).get_json()
    assert body["indicators"]["A1"]["points"] == "6.88"
    assert body["indicators"]["A4"]["points"] == "1.50"
    assert body["dimensions"]["safety"]["score"] == "13.88"  # 6.88 + 7
    assert body["total"] == "97.38"


@pytest.mark.parametrize(
    "rubric",
    [
        {"rubric": "cq-reservoir", "version": "2025.1"},
        {"rubric": {"id": "cq-reservoir", "version": "2025.1"}},
        {"rubric": "cq-reservoir"},  # latest version
    ],
)
def test_score_rubric_with_optional_version(api, rubric):
    response = api("admin").post("/score", rubric | {"answers": full_reservoir_answers()})
    assert response.status_code == 200
    assert response.get_json()["rubric"] == {"id": "cq-reservoir", "version": "2025.1"}
    assert response.get_json()["total"] == "100.00"


@pytest.mark.parametrize(
    "body,field,message",
    [
        ({"answers": {}}, "rubric", "请指定评价标准 rubric：cq-reservoir、cq-river"),
        ({"rubric": "cq-lake", "answers": {}}, "rubric", "没有评价标准 cq-lake"),
        ({"rubric": ["cq-river"], "answers": {}}, "rubric", "请指定评价标准"),
        ({"rubric": "../rubrics/cq-river", "answers": {}}, "rubric", "没有评价标准"),
        ({"rubric": "cq-river", "version": "1999.9", "answers": {}}, "version", "没有版本 1999.9"),
        ({"rubric": "cq-river", "version": 2025.1, "answers": {}}, "version", "没有版本"),
        ({"rubric": "cq-river"}, "answers", "请提供答案对象 answers"),
        ({"rubric": "cq-river", "answers": [1, 2]}, "answers", "答案必须是一个 JSON 对象"),
        ({"rubric": "cq-river", "answers": {"A1": "96.5"}}, "A1", "「防洪达标率」必须是数字"),
        ({"rubric": "cq-river", "answers": {"A99": 1}}, "A99", "中没有指标 A99"),
    ],
)
def test_score_invalid_input_is_422_per_field(api, body, field, message):
    response = api("yubei").post("/score", body)
    assert response.status_code == 422
    assert message in response.get_json()["errors"][field]


def test_score_lists_every_bad_and_missing_field(api):
    answers = full_river_answers()
    answers["A3"]["tp"] = -1
    del answers["A20"]
    response = api("yubei").post("/score", {"rubric": "cq-river", "answers": answers})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "A3.tp": "总磷不能小于 0（mg/L）",
        "A20": "请填写「公众总体满意度」",
    }


@pytest.mark.parametrize(
    "data,content_type,field,message",
    [
        ("{not json", "application/json", "body", "请求体不是有效的 JSON"),
        ("rubric=cq-river", "application/x-www-form-urlencoded", "body", "不是有效的 JSON"),
        ("", "application/json", "body", "不是有效的 JSON"),
        ("[1, 2]", "application/json", "body", "请求体须为 JSON 对象"),
        ('"cq-river"', "application/json", "body", "请求体须为 JSON 对象"),
        ("null", "application/json", "body", "请求体须为 JSON 对象"),
        ("[" * 100_000, "application/json", "body", "不是有效的 JSON"),
        ('{"rubric": "cq-river", "answers": {"A1": NaN}}', "application/json", "answers.A1", "NaN"),
        (
            '{"rubric": "cq-river", "answers": {"A14": {"points": Infinity}}}',
            None,
            "answers.A14.points",
            "Infinity",
        ),
    ],
)
def test_score_body_that_is_not_a_json_object_is_422(api, data, content_type, field, message):
    headers = {"Content-Type": content_type} if content_type else {}
    response = api("yubei").post("/score", data=data.encode(), headers=headers)
    assert response.status_code == 422
    assert message in response.get_json()["errors"][field]


# ---------------------------------------------------------------------------------------------
# Districts and waterbodies


def test_districts_lists_all_41(api):
    body = api("beibei").get("/districts").get_json()
    assert len(body) == 41
    assert body[0] == {"code": "500101", "name": "万州区", "kind": "区"}
    assert {"code": "LJXQ", "name": "两江新区", "kind": "功能区"} in body
    assert sum(1 for d in body if d["kind"] == "自治县") == 4


def test_waterbody_objects_have_the_documented_fields(api, db):
    rows = api("admin").get("/waterbodies").get_json()
    assert [r["name"] for r in rows] == ["龙凤溪", "御临河", "长寿湖"]  # 北碚区 sorts before 渝北区
    row = next(r for r in rows if r["name"] == "御临河")
    assert row == {
        "id": wid(db, "御临河"),
        "name": "御临河",
        "kind": "river",
        "district": "渝北区",
        "district_code": "500112",
        "status": "building",
        "accepted_on": None,
        "revoked_on": None,
        "level": "区县级",
        "length_km": None,
        "area_km2": None,
        "river_chief": None,
        "through": [],
        "lon": None,
        "lat": None,
    }


@pytest.mark.parametrize(
    "user,query,names",
    [
        ("admin", "?district=渝北区", ["御临河", "长寿湖"]),
        ("reviewer", "?district=500109", ["龙凤溪"]),
        ("admin", "?district=渝北区&kind=reservoir", ["长寿湖"]),
        ("admin", "?q=河", ["御临河"]),
        ("admin", "?status=accepted", []),
        ("yubei", "", ["御临河", "长寿湖"]),
        ("yubei", "?district=北碚区", ["御临河", "长寿湖"]),  # always their own district
        ("beibei", "?district=500112", ["龙凤溪"]),
    ],
)
def test_waterbody_list_filters_and_district_scoping(api, user, query, names):
    response = api(user).get("/waterbodies" + query)
    assert response.status_code == 200
    assert [r["name"] for r in response.get_json()] == names


@pytest.mark.parametrize(
    "query,field",
    [("?district=火星区", "district"), ("?kind=lake", "kind"), ("?status=done", "status")],
)
def test_waterbody_list_bad_filters_are_422(api, query, field):
    response = api("admin").get("/waterbodies" + query)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_admin_creates_a_waterbody(api, db):
    client = api("admin")
    response = client.post(
        "/waterbodies",
        {"name": " 后河 ", "kind": "river", "district": "500112", "length_km": 12.5},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] == wid(db, "后河")
    assert body["name"] == "后河"  # trimmed
    assert (body["district"], body["district_code"], body["status"]) == (
        "渝北区",
        "500112",
        "building",
    )
    assert body["length_km"] == 12.5
    assert "后河" in [r["name"] for r in client.get("/waterbodies?district=渝北区").get_json()]
    assert [r["action"] for r in audit.history(db, "waterbody", body["id"])] == [
        "waterbody_created"
    ]


@pytest.mark.parametrize("user", ["reviewer", "yubei"])
def test_only_admins_create_waterbodies(api, db, user):
    before = db.execute("SELECT count(*) FROM waterbodies").fetchone()[0]
    response = api(user).post(
        "/waterbodies", {"name": "后河", "kind": "river", "district": "渝北区"}
    )
    assert response.status_code == 403
    assert response.get_json()["error"] == "您的角色无权执行此操作"
    assert db.execute("SELECT count(*) FROM waterbodies").fetchone()[0] == before


@pytest.mark.parametrize(
    "body,errors",
    [
        (
            {"name": "御临河", "kind": "river", "district": "渝北区"},
            {"name": "该区县已有名为「御临河」的河湖"},
        ),
        ({"kind": "river", "district": "渝北区"}, {"name": "请填写河湖名称"}),
        (
            {"name": 5, "kind": "lake", "district": 500112},
            {
                "name": "name 须为文字",
                "kind": "类型须为河流（river）、水库（reservoir）之一，「lake」无效",
                "district": "district 须为文字",
            },
        ),
        (
            {"name": "后河", "kind": "river", "district": "渝北区", "length_km": "12"},
            {"length_km": "length_km 须为数字"},
        ),
        (
            {"name": "后河", "kind": "river", "district": "渝北区", "length_km": -1},
            {"length_km": "长度不能为负数"},
        ),
        (
            {"name": "后河", "kind": "river", "district": "渝北区", "lon": 116.4, "lat": 39.9},
            {
                "lon": "经度须在重庆市范围内（105.1—110.3，WGS-84）",
                "lat": "纬度须在重庆市范围内（28.1—32.3，WGS-84）",
            },
        ),
        (
            {"name": "后河", "kind": "river", "district": "渝北区", "through": ["渝北区", "火星"]},
            {"through": "途经区县不必再填牵头区县"},
        ),
        (
            {"name": "后河", "kind": "river", "district": "渝北区", "river_chief": ["张三"]},
            {"river_chief": "river_chief 须为文字"},
        ),
    ],
)
def test_waterbody_create_errors_are_422(api, db, body, errors):
    response = api("admin").post("/waterbodies", body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == errors
    assert db.execute("SELECT count(*) FROM waterbodies").fetchone()[0] == 3


# ---------------------------------------------------------------------------------------------
# POST /assessments


def test_inspector_creates_a_partial_draft(api, db):
    client = api("yubei")
    response = client.post(
        "/assessments",
        {"waterbody_id": wid(db, "御临河"), "kind": "self", "answers": {"A1": 96.5, "A2": 1}},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "status": "draft", "version": 1, "result": None}
    assert response.headers["Location"].endswith(f"/api/v1/assessments/{body['id']}")
    saved = assessments.get(db, body["id"])
    assert saved["answers"] == {"A1": 96.5, "A2": 1}
    assert saved["inspector_id"] == users.by_username(db, "yubei")["id"]


def test_complete_draft_is_scored_but_not_submitted(api, db):
    body = (
        api("yubei")
        .post(
            "/assessments",
            {"waterbody_id": wid(db, "长寿湖"), "answers": full_reservoir_answers()},
        )
        .get_json()
    )
    assert body["status"] == "draft"  # kind defaults to self, submit to false
    assert body["result"]["total"] == "100.00"
    assert body["result"]["rubric"] == {"id": "cq-reservoir", "version": "2025.1"}
    assert assessments.get(db, body["id"])["kind"] == "self"


def test_create_and_submit_in_one_call(api, db):
    response = api("yubei").post(
        "/assessments",
        {
            "waterbody_id": wid(db, "御临河"),
            "kind": "acceptance",
            "answers": full_river_answers(),
            "submit": True,
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["version"]) == ("submitted", 2)
    assert body["result"]["decision"] == "accepted"
    row = assessments.get(db, body["id"])
    assert row["submitted_at"] is not None and row["total_cents"] == 10000
    assert audit_actions(db, body["id"]) == ["assessment_created", "assessment_submitted"]


def test_submit_on_create_with_incomplete_answers_writes_nothing(api, db):
    answers = full_river_answers()
    del answers["A20"]
    answers["A4"] = 120
    response = api("yubei").post(
        "/assessments", {"waterbody_id": wid(db, "御临河"), "answers": answers, "submit": True}
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"] == {
        "A4": "「污水集中处理率」须在 0 到 100 之间（%）",
        "A20": "请填写「公众总体满意度」",
    }
    assert body["missing"] == ["A20"]
    assert assessment_count(db) == 0
    assert (
        db.execute("SELECT count(*) FROM audit_log WHERE entity = 'assessment'").fetchone()[0] == 0
    )


def test_submit_on_create_is_atomic_when_the_submit_fails(api, db, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("crash between create and submit")

    monkeypatch.setattr(api_views.assessments, "save", fail)
    with pytest.raises(RuntimeError):
        api("yubei").post(
            "/assessments",
            {"waterbody_id": wid(db, "御临河"), "answers": full_river_answers(), "submit": True},
        )
    assert assessment_count(db) == 0  # the created draft was rolled back with the failed submit
    assert (
        db.execute("SELECT count(*) FROM audit_log WHERE entity = 'assessment'").fetchone()[0] == 0
    )


def test_draft_values_that_are_present_must_be_valid(api, db):
    response = api("yubei").post(
        "/assessments",
        {
            "waterbody_id": wid(db, "御临河"),
            "answers": {"A1": 96.5, "A4": 120, "A14": {"points": 4, "note": " "}},
        },
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "A4": "「污水集中处理率」须在 0 到 100 之间（%）",
        "A14.note": "请填写「水文化遗产保护情况」的评分说明",
    }
    assert assessment_count(db) == 0


def test_reviewer_may_not_create_assessments(api, db):
    response = api("reviewer").post("/assessments", {"waterbody_id": wid(db, "御临河")})
    assert response.status_code == 403
    assert assessment_count(db) == 0


def test_admin_creates_in_any_district(api, db):
    assert create(api("admin"), wid(db, "龙凤溪"))


@pytest.mark.parametrize("waterbody", ["龙凤溪", None])
def test_inspector_outside_district_or_missing_waterbody_is_404(api, db, waterbody):
    waterbody_id = wid(db, waterbody) if waterbody else 9999
    response = api("yubei").post("/assessments", {"waterbody_id": waterbody_id})
    assert response.status_code == 404
    assert response.get_json()["error"] == "没有该河湖，或它不在您的区县"
    assert assessment_count(db) == 0


def test_second_open_assessment_of_a_kind_is_409_with_the_existing_id(api, db):
    client = api("yubei")
    first = create(client, wid(db, "御临河"), {"A1": 90})
    response = client.post("/assessments", {"waterbody_id": wid(db, "御临河"), "kind": "self"})
    assert response.status_code == 409
    body = response.get_json()
    assert body["existing_id"] == first
    assert body["existing_status"] == "draft"
    assert "已有一份未完成的同类评估" in body["error"]
    assert create(client, wid(db, "御临河"), kind="recheck") != first  # another kind is fine
    assert assessment_count(db) == 2


@pytest.mark.parametrize(
    "body,field",
    [
        ({"waterbody_id": "x"}, "waterbody_id"),
        ({"waterbody_id": True}, "waterbody_id"),
        ({"waterbody_id": 0}, "waterbody_id"),
        ({"waterbody_id": 10**30}, "waterbody_id"),
        ({}, "waterbody_id"),
        ({"waterbody_id": 1, "kind": "monthly"}, "kind"),
        ({"waterbody_id": 1, "kind": ["self"]}, "kind"),
        ({"waterbody_id": 1, "answers": [1, 2]}, "answers"),
        ({"waterbody_id": 1, "answers": "A1=96"}, "answers"),
        ({"waterbody_id": 1, "submit": "yes"}, "submit"),
    ],
)
def test_create_wrong_types_are_422_with_a_chinese_message(api, db, body, field):
    response = api("yubei").post("/assessments", body)
    assert response.status_code == 422
    message = response.get_json()["errors"][field]
    assert re.search(r"[\u4e00-\u9fff]", message)  # a message in Chinese
    assert assessment_count(db) == 0


# ---------------------------------------------------------------------------------------------
# GET and PUT /assessments/<id>


def test_get_returns_the_whole_assessment(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    body = api("reviewer").get(f"/assessments/{aid}").get_json()
    assert body["id"] == aid
    assert body["waterbody_id"] == wid(db, "御临河")
    assert (body["waterbody"], body["district"], body["district_code"]) == (
        "御临河",
        "渝北区",
        "500112",
    )
    assert (body["kind"], body["status"], body["version"]) == ("self", "submitted", 2)
    assert body["rubric"] == {"id": "cq-river", "version": "2025.1"}
    assert body["answers"] == full_river_answers()
    assert body["result"]["total"] == "100.00"
    assert body["computed_decision"] == "accepted"
    assert body["decision"] is None and body["decided_on"] is None
    assert body["inspector"] == "yubei" and body["reviewer"] is None
    assert body["field_comments"] == {} and body["return_comment"] is None
    assert body["submitted_at"] and body["created_at"] and body["updated_at"]


@pytest.mark.parametrize(
    "method,suffix,body",
    [
        ("GET", "", None),
        ("PUT", "", {"answers": {"A1": 50}, "version": 1}),
        ("POST", "/submit", None),
    ],
)
def test_other_districts_assessments_are_404(api, db, method, suffix, body):
    aid = create(api("yubei"), wid(db, "御临河"), full_river_answers())
    response = api("beibei").call(method, f"/assessments/{aid}{suffix}", json=body)
    assert response.status_code == 404
    row = assessments.get(db, aid)
    assert (row["status"], row["version"], row["answers"]["A1"]) == ("draft", 1, 100)


def test_missing_assessment_is_404(api):
    assert api("admin").get("/assessments/4242").status_code == 404


def test_put_saves_a_draft_and_bumps_the_version(api, db):
    client = api("yubei")
    aid = create(client, wid(db, "御临河"), {"A1": 90})
    response = client.put(f"/assessments/{aid}", {"answers": {"A1": 96.5, "A2": 1}, "version": 1})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["version"]) == ("draft", 2)
    assert body["answers"] == {"A1": 96.5, "A2": 1}  # the whole answers object is replaced
    assert body["result"] is None
    complete = client.put(f"/assessments/{aid}", {"answers": full_river_answers(), "version": 2})
    assert complete.get_json()["result"]["total"] == "100.00"
    assert audit_actions(db, aid) == ["assessment_created", "assessment_saved", "assessment_saved"]


def test_put_with_a_stale_version_is_409_and_keeps_the_newer_answers(api, db):
    client = api("yubei")
    aid = create(client, wid(db, "御临河"), {"A1": 90})
    assert (
        client.put(f"/assessments/{aid}", {"answers": {"A1": 91}, "version": 1}).status_code == 200
    )
    response = client.put(f"/assessments/{aid}", {"answers": {"A1": 50}, "version": 1})
    assert response.status_code == 409
    assert response.get_json()["current_version"] == 2
    assert "已被他人修改" in response.get_json()["error"]
    assert assessments.get(db, aid)["answers"] == {"A1": 91}


@pytest.mark.parametrize(
    "body,field",
    [
        ({"answers": {"A1": 90}}, "version"),
        ({"answers": {"A1": 90}, "version": "abc"}, "version"),
        ({"answers": {"A1": 90}, "version": "1"}, "version"),
        ({"answers": {"A1": 90}, "version": 1.5}, "version"),
        ({"answers": [90], "version": 1}, "answers"),
        ({"version": 1}, "answers"),
        ({"answers": {"A1": 120}, "version": 1}, "A1"),
        ({"answers": {"A3": {"do": "six"}}, "version": 1}, "A3.do"),
    ],
)
def test_put_invalid_input_is_422_and_writes_nothing(api, db, body, field):
    client = api("yubei")
    aid = create(client, wid(db, "御临河"), {"A1": 90})
    response = client.put(f"/assessments/{aid}", body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert assessments.get(db, aid)["version"] == 1


def test_put_returned_assessment_makes_it_a_draft_again(api, db):
    inspector, reviewer = api("yubei"), api("reviewer")
    aid = submitted(inspector, wid(db, "御临河"))
    reviewer.post(
        f"/assessments/{aid}/review", {"action": "return", "comment": "请补充 A3 监测报告"}
    )
    response = inspector.put(f"/assessments/{aid}", {"answers": full_river_answers(), "version": 3})
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["version"]) == ("draft", 4)


def test_inspector_cannot_edit_while_in_review(api, db):
    inspector = api("yubei")
    aid = submitted(inspector, wid(db, "御临河"))
    response = inspector.put(f"/assessments/{aid}", {"answers": full_river_answers(), "version": 2})
    assert response.status_code == 409
    assert "审核期间检查员不能修改" in response.get_json()["error"]
    assert assessments.get(db, aid)["version"] == 2


def test_reviewer_cannot_edit_a_draft(api, db):
    aid = create(api("yubei"), wid(db, "御临河"), {"A1": 90})
    response = api("reviewer").put(f"/assessments/{aid}", {"answers": {"A1": 91}, "version": 1})
    assert response.status_code == 409
    assert "审核员只能更正已提交" in response.get_json()["error"]


def test_reviewer_corrects_a_submitted_assessment_and_it_is_rescored(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    corrected = full_river_answers() | {"A1": 96.5}  # 8 → 6.88: total 98.88
    response = api("reviewer").put(f"/assessments/{aid}", {"answers": corrected, "version": 2})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["version"]) == ("submitted", 3)
    assert body["result"]["total"] == "98.88"
    assert assessments.get(db, aid)["total_cents"] == 9888
    assert audit_actions(db, aid)[-1] == "assessment_corrected"


def test_a_correction_must_stay_complete(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    response = api("admin").put(f"/assessments/{aid}", {"answers": {"A1": 90}, "version": 2})
    assert response.status_code == 422
    assert response.get_json()["errors"]["A20"] == "请填写「公众总体满意度」"
    assert "A20" in response.get_json()["missing"]
    assert assessments.get(db, aid)["version"] == 2


@pytest.mark.parametrize("user", ["yubei", "reviewer", "admin"])
def test_decided_assessments_are_locked_for_everyone(api, db, user):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    api("reviewer").post(f"/assessments/{aid}/review", {"action": "accept"})
    response = api(user).put(f"/assessments/{aid}", {"answers": full_river_answers(), "version": 3})
    assert response.status_code == 409
    assert response.get_json()["error"] == "评估已作出结论（通过验收），已锁定，不能再修改"
    assert assessments.get(db, aid)["version"] == 3


# ---------------------------------------------------------------------------------------------
# POST /assessments/<id>/submit


def test_submit_incomplete_is_422_with_the_missing_fields(api, db):
    client = api("yubei")
    aid = create(client, wid(db, "御临河"), {"A1": 96.5})
    response = client.post(f"/assessments/{aid}/submit")
    assert response.status_code == 422
    body = response.get_json()
    assert len(body["missing"]) == 19  # A2 … A20
    assert body["errors"]["A2"] == "请填写「行洪安全性」"
    assert "gates" not in body["errors"]
    assert "19 处" in body["error"]
    assert assessments.get(db, aid)["status"] == "draft"


def test_submit_then_repeat_submit_writes_once(api, db):
    client = api("yubei")
    aid = create(client, wid(db, "御临河"), full_river_answers())
    first = client.post(f"/assessments/{aid}/submit", {"version": 1})
    assert first.status_code == 200
    assert first.get_json() == {"id": aid, "status": "submitted", "version": 2}
    again = client.post(f"/assessments/{aid}/submit", {"version": 1})  # a network retry
    assert again.status_code == 200
    assert again.get_json() == {"id": aid, "status": "submitted", "version": 2}
    assert client.post(f"/assessments/{aid}/submit").get_json()["version"] == 2
    assert audit_actions(db, aid).count("assessment_submitted") == 1
    assert assessments.get(db, aid)["version"] == 2


def test_submit_with_a_stale_version_is_409(api, db):
    client = api("yubei")
    aid = create(client, wid(db, "御临河"), full_river_answers())
    client.put(f"/assessments/{aid}", {"answers": full_river_answers() | {"A1": 99}, "version": 1})
    response = client.post(f"/assessments/{aid}/submit", {"version": 1})
    assert response.status_code == 409
    assert response.get_json()["current_version"] == 2
    assert assessments.get(db, aid)["status"] == "draft"


@pytest.mark.parametrize("body", ['{"version": "two"}', "[1]", "{oops"])
def test_submit_with_a_bad_body_is_422(api, db, body):
    client = api("yubei")
    aid = create(client, wid(db, "御临河"), full_river_answers())
    response = client.post(
        f"/assessments/{aid}/submit", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert assessments.get(db, aid)["status"] == "draft"


def test_reviewer_may_not_submit(api, db):
    aid = create(api("yubei"), wid(db, "御临河"), full_river_answers())
    assert api("reviewer").post(f"/assessments/{aid}/submit").status_code == 403
    assert assessments.get(db, aid)["status"] == "draft"


def test_submitting_a_decided_assessment_is_409(api, db):
    inspector = api("yubei")
    aid = submitted(inspector, wid(db, "御临河"))
    api("reviewer").post(f"/assessments/{aid}/review", {"action": "accept"})
    response = inspector.post(f"/assessments/{aid}/submit")
    assert response.status_code == 409
    assert "已锁定" in response.get_json()["error"]


# ---------------------------------------------------------------------------------------------
# POST /assessments/<id>/review


def test_inspector_may_not_review(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    response = api("yubei").post(f"/assessments/{aid}/review", {"action": "accept"})
    assert response.status_code == 403
    assert assessments.get(db, aid)["status"] == "submitted"


def test_nobody_reviews_their_own_assessment(api, db):
    admin = api("admin")  # holds the inspector's rights too
    aid = submitted(admin, wid(db, "龙凤溪"))
    response = admin.post(f"/assessments/{aid}/review", {"action": "accept"})
    assert response.status_code == 403
    assert response.get_json()["error"] == "不能审核自己填写或提交的评估，请由其他审核员审核"
    assert assessments.get(db, aid)["status"] == "submitted"
    accepted = api("reviewer").post(f"/assessments/{aid}/review", {"action": "accept"})
    assert accepted.get_json()["status"] == "accepted"


def test_whoever_corrected_the_answers_cannot_decide_them(api, db):
    """Four eyes: the corrector gets 403 naming the field and may still return; another
    reviewer decides. Each refusal is audited."""
    aid = submitted(api("yubei"), wid(db, "御临河"))
    corrector = api("reviewer")
    corrected = full_river_answers() | {"A1": 96.5}
    assert (
        corrector.put(f"/assessments/{aid}", {"answers": corrected, "version": 2}).status_code
        == 200
    )

    refused = corrector.post(f"/assessments/{aid}/review", {"action": "accept"})
    assert refused.status_code == 403
    message = "您更正过该评估的答案，结论须由另一位审核员作出；您可以退回修改"
    assert refused.get_json() == {
        "error": message,
        "errors": {"action": message},
        "codes": {"action": "403.1"},
    }
    assert assessments.get(db, aid)["status"] == "submitted"
    assert audit_actions(db, aid)[-1] == "review_refused"

    accepted = api("admin").post(f"/assessments/{aid}/review", {"action": "accept"})
    assert (accepted.status_code, accepted.get_json()["status"]) == (200, "accepted")


def test_the_corrector_may_return_through_the_api(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    corrector = api("admin")
    corrected = full_river_answers() | {"A1": 96.5}
    assert (
        corrector.put(f"/assessments/{aid}", {"answers": corrected, "version": 2}).status_code
        == 200
    )
    returned = corrector.post(
        f"/assessments/{aid}/review", {"action": "return", "comment": "请复核"}
    )
    assert (returned.status_code, returned.get_json()["status"]) == (200, "returned")


def test_review_of_a_missing_assessment_is_404(api):
    assert api("reviewer").post("/assessments/77/review", {"action": "accept"}).status_code == 404


def test_accept_with_a_back_dated_decision(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    response = api("reviewer").post(
        f"/assessments/{aid}/review", {"action": "accept", "decided_on": "2025-01-07"}
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "id": aid,
        "status": "accepted",
        "version": 3,
        "decision": "accepted",
    }
    row = assessments.get(db, aid)
    assert (row["decided_on"], row["reviewer_name"]) == ("2025-01-07", "reviewer")
    waterbody = db["waterbodies"].get(wid(db, "御临河"))
    assert (waterbody["status"], waterbody["accepted_on"]) == ("accepted", "2025-01-07")


def test_deciding_against_the_computed_decision_needs_a_reason(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))  # computed: accepted
    reviewer = api("reviewer")
    refused = reviewer.post(f"/assessments/{aid}/review", {"action": "conditional"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "override_reason": "计算结论为「通过验收」，作出不同结论必须填写理由"
    }
    assert assessments.get(db, aid)["status"] == "submitted"
    response = reviewer.post(
        f"/assessments/{aid}/review",
        {"action": "conditional", "override_reason": "现场复核发现护岸破损，须整改"},
    )
    assert response.status_code == 200
    row = assessments.get(db, aid)
    assert (row["status"], row["override_reason"]) == (
        "conditional",
        "现场复核发现护岸破损，须整改",
    )
    assert row["decided_on"] == TODAY.isoformat()  # default: today


def test_return_needs_a_comment_and_keeps_field_comments(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    reviewer = api("reviewer")
    refused = reviewer.post(f"/assessments/{aid}/review", {"action": "return", "comment": "  "})
    assert refused.status_code == 422
    assert "退回时必须填写审核意见" in refused.get_json()["errors"]["comment"]
    response = reviewer.post(
        f"/assessments/{aid}/review",
        {
            "action": "return",
            "comment": "请补充水质监测报告",
            "field_comments": {"A3": "缺少 9 月监测数据", "A4": " "},
        },
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "returned"
    body = api("yubei").get(f"/assessments/{aid}").get_json()
    assert body["return_comment"] == "请补充水质监测报告"
    assert body["field_comments"] == {"A3": "缺少 9 月监测数据"}  # blank comments dropped


@pytest.mark.parametrize(
    "body,field",
    [
        ({"action": "accept", "decided_on": "2025/01/07"}, "decided_on"),
        ({"action": "accept", "decided_on": "2025-02-30"}, "decided_on"),
        ({"action": "accept", "decided_on": "20250107"}, "decided_on"),
        ({"action": "accept", "decided_on": 20250107}, "decided_on"),
        ({"action": "accept", "decided_on": (TODAY + timedelta(days=1)).isoformat()}, "decided_on"),
        ({"action": "approve"}, "action"),
        ({"action": ["accept"]}, "action"),
        ({}, "action"),
        ({"action": "accept", "comment": 5}, "comment"),
        ({"action": "reject", "override_reason": {"why": "x"}}, "override_reason"),
        ({"action": "accept", "version": "3"}, "version"),
        ({"action": "return", "comment": "x", "field_comments": ["A3"]}, "field_comments"),
        ({"action": "return", "comment": "x", "field_comments": {"Z9": "?"}}, "field_comments.Z9"),
        (
            {"action": "return", "comment": "x", "field_comments": {"gates": "?"}},
            "field_comments.gates",
        ),
        ({"action": "return", "comment": "x", "field_comments": {"A3": 1}}, "field_comments.A3"),
    ],
)
def test_review_invalid_input_is_422(api, db, body, field):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    response = api("reviewer").post(f"/assessments/{aid}/review", body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert assessments.get(db, aid)["status"] == "submitted"


def test_future_decision_date_message(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = api("admin").post(
        f"/assessments/{aid}/review", {"action": "accept", "decided_on": tomorrow}
    )
    assert response.get_json()["errors"] == {"decided_on": "结论日期不能晚于今天"}


@pytest.mark.parametrize("status", ["draft", "accepted"])
def test_review_of_an_assessment_not_in_review_is_409(api, db, status):
    inspector, reviewer = api("yubei"), api("reviewer")
    if status == "draft":
        aid = create(inspector, wid(db, "御临河"), full_river_answers())
    else:
        aid = submitted(inspector, wid(db, "御临河"))
        reviewer.post(f"/assessments/{aid}/review", {"action": "accept"})
    version = assessments.get(db, aid)["version"]
    response = reviewer.post(f"/assessments/{aid}/review", {"action": "accept"})
    assert response.status_code == 409
    assert "只有待审核的评估可以审核" in response.get_json()["error"]
    assert assessments.get(db, aid)["version"] == version


def test_review_with_a_stale_version_is_409(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    response = api("reviewer").post(
        f"/assessments/{aid}/review", {"action": "accept", "version": 1}
    )
    assert response.status_code == 409
    assert response.get_json()["current_version"] == 2
    assert assessments.get(db, aid)["status"] == "submitted"


# ---------------------------------------------------------------------------------------------
# Progress and leaderboards


def test_progress_hand_computed(api):
    body = api("yubei").get("/progress?as_of=2025-01-07").get_json()
    assert body["as_of"] == "2025-01-07" and body["accepted"] == 0
    first, second = body["targets"]
    # 2025-01-07 → 2027-12-31: 365 + 365 + 358 = 1088 days; 100 × 365.25 / 1088 = 33.5707 → 33.57
    assert first == {
        "year": 2027,
        "goal": 100,
        "deadline": "2027-12-31",
        "label": first["label"],
        "remaining": 100,
        "days_left": 1088,
        "required_per_year": 33.57,
        "pace_per_year": 0,
        "projected": 0.0,
        "status": "behind",
    }
    # → 2035-12-31: 1088 + 8 × 365 + 2 leap days (2028, 2032) = 4010; 1000 × 365.25 / 4010
    # = 91.0848… → 91.08
    assert (second["days_left"], second["required_per_year"]) == (4010, 91.08)


def test_progress_defaults_to_today(api):
    body = api("reviewer").get("/progress").get_json()
    assert body["as_of"] == TODAY.isoformat()
    assert [t["year"] for t in body["targets"]] == [2027, 2035]


@pytest.mark.parametrize("as_of", ["2025-13-01", "yesterday", "2025-1-7", "2025-W02-2"])
def test_bad_as_of_is_422(api, as_of):
    for path in ("/progress", "/leaderboard/districts"):
        response = api("admin").get(f"{path}?as_of={as_of}")
        assert response.status_code == 422
        assert "YYYY-MM-DD" in response.get_json()["errors"]["as_of"]


def test_full_flow_create_submit_accept_counts_everywhere(api, db):
    inspector, reviewer, admin = api("yubei"), api("reviewer"), api("admin")
    before = admin.get("/progress").get_json()["accepted"]

    created = inspector.post(
        "/assessments",
        {"waterbody_id": wid(db, "御临河"), "kind": "acceptance", "answers": full_river_answers()},
    ).get_json()
    aid = created["id"]
    assert inspector.post(f"/assessments/{aid}/submit").get_json()["status"] == "submitted"
    in_review = admin.get("/leaderboard/districts").get_json()["rows"]
    assert next(r for r in in_review if r["district"] == "渝北区")["in_review"] == 1

    decided = reviewer.post(f"/assessments/{aid}/review", {"action": "accept"})
    assert decided.get_json()["status"] == "accepted"

    progress = admin.get("/progress").get_json()
    assert progress["accepted"] == before + 1
    first = progress["targets"][0]
    assert (first["remaining"], first["pace_per_year"]) == (99, 1)

    board = admin.get("/leaderboard/districts").get_json()
    assert board["as_of"] == TODAY.isoformat()
    assert "竞争排名" in board["rule"]
    assert len(board["rows"]) == 41
    assert board["rows"][0] == {
        "rank": 1,
        "district": "渝北区",
        "code": "500112",
        "accepted": 1,
        "mean_score": "100.00",
        "in_review": 0,
        "reached_at": TODAY.isoformat(),
    }
    # the other 40 share (0, no mean): competition ranking gives them all rank 2
    assert {r["rank"] for r in board["rows"][1:]} == {2}
    assert [r["code"] for r in board["rows"][1:3]] == ["500101", "500102"]  # then code order

    yesterday = (TODAY - timedelta(days=1)).isoformat()
    earlier = admin.get(f"/leaderboard/districts?as_of={yesterday}").get_json()
    assert next(r for r in earlier["rows"] if r["code"] == "500112")["accepted"] == 0
    assert admin.get(f"/progress?as_of={yesterday}").get_json()["accepted"] == before


def test_waterbody_leaderboard_ranks_latest_decided_totals(api, db):
    reviewer = api("reviewer")
    yubei_id = submitted(api("yubei"), wid(db, "御临河"))
    # A1 = 96.5 → 6.88 instead of 8: total 98.88, safety 13.88
    beibei_id = submitted(api("beibei"), wid(db, "龙凤溪"), full_river_answers() | {"A1": 96.5})
    for aid in (yubei_id, beibei_id):
        assert reviewer.post(f"/assessments/{aid}/review", {"action": "accept"}).status_code == 200
    body = api("beibei").get("/leaderboard/waterbodies").get_json()
    assert [(r["rank"], r["name"], r["total"]) for r in body["rows"]] == [
        (1, "御临河", "100.00"),
        (2, "龙凤溪", "98.88"),
    ]
    assert body["rows"][0]["dimensions"] == RIVER_DIMENSIONS_FULL
    second = body["rows"][1]
    assert second["dimensions"]["safety"] == "13.88"
    assert (second["district"], second["district_code"], second["id"]) == (
        "北碚区",
        "500109",
        wid(db, "龙凤溪"),
    )
    assert (second["decision"], second["decided_on"]) == ("accepted", TODAY.isoformat())
    assert api("admin").get("/leaderboard/waterbodies?kind=reservoir").get_json()["rows"] == []
    this_year = api("admin").get(f"/leaderboard/waterbodies?year={TODAY.year}").get_json()
    assert len(this_year["rows"]) == 2
    assert api("admin").get("/leaderboard/waterbodies?year=2001").get_json()["rows"] == []


@pytest.mark.parametrize(
    "path,field",
    [
        ("/leaderboard/districts?kind=lake", "kind"),
        ("/leaderboard/waterbodies?kind=lake", "kind"),
        ("/leaderboard/waterbodies?year=twenty", "year"),
        ("/leaderboard/waterbodies?year=25", "year"),
    ],
)
def test_leaderboard_bad_filters_are_422(api, path, field):
    response = api("admin").get(path)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_district_leaderboard_by_kind(api, db):
    aid = submitted(api("yubei"), wid(db, "御临河"))
    api("reviewer").post(f"/assessments/{aid}/review", {"action": "accept"})
    rivers = api("admin").get("/leaderboard/districts?kind=river").get_json()
    reservoirs = api("admin").get("/leaderboard/districts?kind=reservoir").get_json()
    assert rivers["rows"][0]["accepted"] == 1
    assert all(r["accepted"] == 0 for r in reservoirs["rows"])


# ---------------------------------------------------------------------------------------------
# OpenAPI


def test_openapi_needs_no_token_and_is_3_1(api):
    response = api(None).get("/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <token>",
    }
    assert doc["security"] == [{"bearerAuth": []}]
    assert doc["paths"]["/openapi.json"]["get"]["security"] == []


def test_openapi_describes_every_route_of_the_blueprint(app, api):
    doc = api(None).get("/openapi.json").get_json()
    described = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.fallback":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], f"{method} {path}"
            described += 1
    # 12 operations of the brief + this document itself + 5 of the expert panel
    # + GET/PUT a waterbody (registry) + 6 of 公示 (publish, read, objection, resolution,
    # naming, the public notices) + the public named list
    assert described == 27


def test_openapi_operations_document_their_errors_and_refs_resolve(api):
    doc = api(None).get("/openapi.json").get_json()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if operation.get("security") != []:  # this document and the public notices
                assert "401" in codes, f"{method} {path}"
            if method in ("post", "put") and path != "/openapi.json":
                assert "422" in codes, f"{method} {path}"
                assert "requestBody" in operation, f"{method} {path}"
            if "{assessment_id}" in path:
                assert "404" in codes, f"{method} {path}"
    assert "409" in doc["paths"]["/assessments"]["post"]["responses"]
    assert "403" in doc["paths"]["/waterbodies"]["post"]["responses"]

    text = json.dumps(doc)
    for target in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node = doc
        for part in target.split("/"):
            node = node[part]  # KeyError = a dangling $ref
        assert node


# ---------------------------------------------------------------------------------------------
# Error codes beside the messages (the catalog: views/api_schemas.PROBLEMS, docs/api.md)


@pytest.mark.parametrize(
    "method,path,data,codes",
    [
        ("POST", "/score", "{oops", {"body": "422.1"}),
        ("POST", "/score", "[1]", {"body": "422.2"}),
        (
            "POST",
            "/score",
            '{"rubric": "cq-river", "answers": {"A1": NaN}}',
            {"answers.A1": "422.8"},
        ),
        (
            "POST",
            "/score",
            '{"rubric": "cq-river", "answers": {"A1": "\\ud800"}}',
            {"answers.A1": "422.9"},
        ),
        ("POST", "/score", {"rubric": "cq-river"}, {"answers": "422.3"}),
        ("POST", "/score", {"rubric": "cq-lake", "answers": {}}, {"rubric": "422.10"}),
        (
            "POST",
            "/score",
            {"rubric": "cq-river", "version": "1999.9", "answers": {}},
            {"version": "422.10"},
        ),
        (
            "POST",
            "/score",
            {"rubric": "cq-river", "answers": full_river_answers() | {"A1": 120}},
            {"A1": "422.11"},
        ),
        ("POST", "/assessments", {}, {"waterbody_id": "422.3"}),
        (
            "POST",
            "/assessments",
            {"waterbody_id": True, "submit": "yes"},
            {"waterbody_id": "422.4", "submit": "422.4"},
        ),
        ("POST", "/assessments", {"waterbody_id": 0}, {"waterbody_id": "422.6"}),
        ("POST", "/assessments", {"waterbody_id": 1, "kind": "monthly"}, {"kind": "422.5"}),
        ("GET", "/progress?as_of=2025-W02-2", None, {"as_of": "422.7"}),
        ("GET", "/leaderboard/waterbodies?year=25&district=火星区", None, {"year": "422.7"}),
        ("GET", "/leaderboard/waterbodies?district=火星区", None, {"district": "422.10"}),
        ("GET", "/waterbodies?kind=lake&status=done", None, {"kind": "422.5", "status": "422.5"}),
    ],
)
def test_every_422_has_a_stable_code_per_field(api, method, path, data, codes):
    kw = {"json": data} if isinstance(data, dict) else {"data": data}
    if isinstance(data, str):
        kw["headers"] = {"Content-Type": "application/json"}
    response = api("admin").call(method, path, **kw)
    assert response.status_code == 422
    body = response.get_json()
    assert body["codes"] == codes
    assert set(body["errors"]) == set(codes)  # a message beside each code, in Chinese
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in body["errors"].values())


def test_unanswered_indicators_are_coded_missing_the_rest_rule(api, db):
    client = api("yubei")
    answers = full_river_answers()
    del answers["A20"]
    answers["A1"] = 120
    response = client.post(
        "/assessments", {"waterbody_id": wid(db, "御临河"), "answers": answers, "submit": True}
    )
    assert response.status_code == 422
    assert response.get_json()["codes"] == {"A1": "422.11", "A20": "422.3"}
    assert response.get_json()["missing"] == ["A20"]


def test_idempotency_key_errors_are_coded(api, db):
    response = api("yubei").post(
        "/assessments", {"waterbody_id": wid(db, "御临河")}, headers={"Idempotency-Key": "nope"}
    )
    assert response.status_code == 422
    assert response.get_json()["codes"] == {"Idempotency-Key": "422.12"}


def test_the_catalog_is_documented():
    text = (Path(__file__).parent.parent / "docs" / "api.md").read_text(encoding="utf-8")
    for code in api_schemas.PROBLEMS:
        assert f"`{code}`" in text, code
    assert set(api_views.DEFAULT_CODES.values()) <= set(api_schemas.PROBLEMS)
