"""The administrator's pages: user accounts and the audit trail."""

import json
import re

import pytest

from happy_rivers import store
from happy_rivers.store import users, waterbodies
from tests.conftest import Browser, new_assessment, waterbody_id

NO_DISTRICT = "区县检查员必须绑定一个区县（名称或代码）"
BAD_ROLE = (
    "角色须为 inspector（区县检查员）、reviewer（市级审核员）、admin（管理员）或 expert（验收专家）"
)
NEW_PASSWORD = "lantern-ridge-2031"


def audit_rows(db, action):
    rows = [dict(r) for r in db.query("SELECT * FROM audit_log WHERE action = ?", [action])]
    for r in rows:
        r["before"] = json.loads(r["before"]) if r["before"] else None
        r["after"] = json.loads(r["after"]) if r["after"] else None
    return rows


def field_errors(html: str, name: str) -> list[str]:
    """The messages shown in the error slot of one field."""
    slot = re.search(rf'data-for="{name}">(.*?)</div>', html, re.S)
    return re.findall(r'class="error"[^>]*>([^<]+)<', slot.group(1)) if slot else []


def user_row(html: str, user_id: int) -> str:
    return re.search(rf'<tr id="user-{user_id}".*?</tr>', html, re.S).group(0)


# -- users --------------------------------------------------------------------------------------


def test_the_users_page_lists_everyone_with_role_district_and_state(db, login_as):
    users.set_active(db, users.by_username(db, "beibei")["id"], False, actor=None)
    admin = login_as("admin")
    html = admin.get("/admin/users").get_data(as_text=True)
    yubei = user_row(html, users.by_username(db, "yubei")["id"])
    assert "区县检查员" in yubei and "渝北区" in yubei and "启用" in yubei and "停用" in yubei
    beibei = user_row(html, users.by_username(db, "beibei")["id"])
    assert "北碚区" in beibei and "已停用" in beibei and "/activate" in beibei
    reviewer = user_row(html, users.by_username(db, "reviewer")["id"])
    assert "市级审核员" in reviewer and "全市" in reviewer
    me = user_row(html, users.by_username(db, "admin")["id"])
    assert "当前账号" in me and "/deactivate" not in me  # no button to lock oneself out
    # the district choices are the districts table, in its order
    select = re.search(r'<select id="district" name="district">(.*?)</select>', html, re.S)[1]
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)<', select)
    assert options[0][0] == ""
    assert options[1:] == [(d["code"], d["name"]) for d in waterbodies.districts(db)]
    assert len(options) == 42 and ("LJXQ", "两江新区") in options
    assert 'href="/admin/users"' in html and 'href="/admin/audit"' in html


def test_only_administrators_see_the_admin_link(login_as):
    assert 'href="/admin/users"' in login_as("admin").get("/waterbodies").get_data(as_text=True)
    for name in ("reviewer", "yubei"):
        page = login_as(name).get("/waterbodies").get_data(as_text=True)
        assert 'href="/admin/users"' not in page


def test_an_administrator_creates_an_inspector_who_can_sign_in(app, db, login_as):
    admin = login_as("admin")
    response = admin.post(
        "/admin/users",
        {
            "username": " wanzhou ",
            "display_name": "万州检查员",
            "role": "inspector",
            "district": "500101",
            "password": "a-long-password",
        },
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/users")
    assert "已创建用户 wanzhou（区县检查员）" in admin.get("/admin/users").get_data(as_text=True)
    row = users.by_username(db, "wanzhou")
    assert (row["role"], row["district_code"], row["display_name"], row["active"]) == (
        "inspector",
        "500101",
        "万州检查员",
        1,
    )
    assert row["password_hash"] != "a-long-password"
    (audit,) = audit_rows(db, "user_created")[-1:]
    assert (audit["username"], audit["entity_id"]) == ("admin", str(row["id"]))
    assert audit["after"] == {"username": "wanzhou", "role": "inspector", "district_code": "500101"}
    assert "password" not in json.dumps(audit)  # no secret in the audit trail
    browser = Browser(app.test_client())
    assert browser.login("wanzhou", "a-long-password").status_code == 302


def test_a_city_level_user_is_bound_to_no_district(db, login_as):
    admin = login_as("admin")
    data = {
        "username": "expert",
        "role": "reviewer",
        "district": "500101",
        "password": NEW_PASSWORD,
    }
    assert admin.post("/admin/users", data).status_code == 302
    assert users.by_username(db, "expert")["district_code"] is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"role": "inspector", "district": ""}, "district", NO_DISTRICT),
        ({"role": "inspector", "district": "999999"}, "district", "没有区县 999999"),
        ({"username": "yubei"}, "username", "用户名 yubei 已存在"),
        ({"username": "  "}, "username", "请填写用户名"),
        ({"username": "u" * 41}, "username", "用户名不能超过 40 个字符"),
        ({"password": "short"}, "password", "密码至少 10 位"),
        ({"password": "password123"}, "password", users.PASSWORD_RULES["common"]),
        ({"password": ""}, "password", "请填写密码"),
        ({"role": "root"}, "role", BAD_ROLE),
        ({"display_name": "名" * 41}, "display_name", "姓名不能超过 40 个字符"),
    ],
)
def test_a_refused_user_shows_the_message_beside_the_field_and_keeps_the_input(
    db, login_as, data, field, message
):
    admin = login_as("admin")
    before = db["users"].count
    form = {
        "username": "newbie",
        "display_name": "新同事",
        "role": "inspector",
        "district": "500112",
        "password": "a-long-password",
    } | data
    response = admin.post("/admin/users", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_errors(html, field)
    assert "用户未创建：请更正标出的字段。" in html
    if field != "username":
        assert 'value="newbie"' in html  # typed input kept
    if field != "display_name":
        assert 'value="新同事"' in html
    assert "a-long-password" not in html  # a password is never sent back
    assert db["users"].count == before
    assert audit_rows(db, "user_created")[-1]["after"]["username"] == "beibei"  # the fixture's


def test_a_deactivated_user_is_signed_out_at_once_and_can_sign_in_again_after_activation(
    app, db, login_as
):
    inspector, admin = login_as("yubei"), login_as("admin")
    yubei = users.by_username(db, "yubei")
    token = users.create_token(db, yubei["id"], "手机")
    aid = new_assessment(inspector, waterbody_id(db))
    assert inspector.get("/waterbodies").status_code == 200

    response = admin.post(f"/admin/users/{yubei['id']}/deactivate")
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/users")
    assert users.by_username(db, "yubei")["active"] == 0
    (audit,) = audit_rows(db, "user_deactivated")
    assert (audit["username"], audit["entity"], audit["entity_id"]) == (
        "admin",
        "user",
        str(yubei["id"]),
    )
    assert (audit["before"], audit["after"]) == ({"active": 1}, {"active": 0})

    # the session that was open is worth nothing now: every page sends to the sign-in page
    for response in (
        inspector.get("/waterbodies"),
        inspector.get(f"/assessments/{aid}/edit"),
        inspector.post(f"/assessments/{aid}/edit", {"version": "1", "A1": "50"}),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert db.execute("SELECT version FROM assessments WHERE id = ?", [aid]).fetchone()[0] == 1
    assert users.user_for_token(db, token) is None  # nor does the API token
    again = Browser(app.test_client())
    refused = again.login("yubei")
    assert refused.status_code == 200
    assert "用户名或密码不正确，或账号已停用" in refused.get_data(as_text=True)

    assert admin.post(f"/admin/users/{yubei['id']}/activate").status_code == 302
    (activated,) = audit_rows(db, "user_activated")
    assert (activated["before"], activated["after"]) == ({"active": 0}, {"active": 1})
    assert Browser(app.test_client()).login("yubei").status_code == 302
    assert users.user_for_token(db, token)["username"] == "yubei"


def test_an_administrator_cannot_deactivate_themself(db, login_as):
    admin = login_as("admin")
    me = users.by_username(db, "admin")
    response = admin.post(f"/admin/users/{me['id']}/deactivate")
    assert response.status_code == 302
    assert "不能停用自己的账号。" in admin.get("/admin/users").get_data(as_text=True)
    assert users.by_username(db, "admin")["active"] == 1
    assert audit_rows(db, "user_deactivated") == []
    assert admin.get("/admin/users").status_code == 200  # still signed in


def test_deactivating_twice_changes_and_audits_once(db, login_as):
    admin = login_as("admin")
    uid = users.by_username(db, "reviewer")["id"]
    admin.post(f"/admin/users/{uid}/deactivate")
    second = admin.post(f"/admin/users/{uid}/deactivate")
    assert "用户 reviewer 已是停用状态。" in admin.get(second.headers["Location"]).text
    assert len(audit_rows(db, "user_deactivated")) == 1


# -- the audit trail ------------------------------------------------------------------------------


def audit_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="audit-(\d+)"', html)]


def actions_shown(html: str) -> set[str]:
    return set(re.findall(r'data-action="([^"]+)"', html))


def test_the_audit_page_filters_by_action_user_and_entity(db, login_as):
    inspector, admin = login_as("yubei"), login_as("admin")
    aid = new_assessment(inspector, waterbody_id(db))
    inspector.post(f"/assessments/{aid}/edit", {"version": "1", "action": "save", "A1": "96.5"})
    other = new_assessment(inspector, waterbody_id(db, "长寿湖"))

    everything = admin.get("/admin/audit").get_data(as_text=True)
    assert {"user_created", "waterbody_created", "login", "assessment_saved"} <= actions_shown(
        everything
    )
    ids = audit_ids(everything)
    assert ids == sorted(ids, reverse=True)  # newest first

    by_action = admin.get("/admin/audit?action=user_created").get_data(as_text=True)
    assert actions_shown(by_action) == {"user_created"}
    assert len(audit_ids(by_action)) == 4
    assert '<option value="user_created" selected>' in by_action  # the filter stays chosen

    by_user = admin.get("/admin/audit?username=yubei").get_data(as_text=True)
    expected = [r["id"] for r in db.query("SELECT id FROM audit_log WHERE username = 'yubei'")]
    assert sorted(audit_ids(by_user)) == expected and len(expected) == 4

    by_entity = admin.get("/admin/audit?entity=waterbody").get_data(as_text=True)
    assert actions_shown(by_entity) == {"waterbody_created"}

    one = admin.get(f"/admin/audit?entity=assessment&entity_id={aid}").get_data(as_text=True)
    assert actions_shown(one) == {"assessment_created", "assessment_saved"}
    assert f"/assessments/{other}" not in one
    assert f'href="/assessments/{aid}"' in one  # a link to the object
    # the diff of the save: A1 went from nothing to 96.5
    assert re.search(r"<code>answers\.A1</code>: <del>—</del> → <ins>96\.5</ins>", one)

    saved_by_admin = admin.get(
        f"/admin/audit?entity=assessment&entity_id={aid}&username=admin"
    ).get_data(as_text=True)
    assert audit_ids(saved_by_admin) == []
    assert "没有符合条件的记录" in saved_by_admin


def test_the_audit_page_filters_by_beijing_date(db, login_as):
    admin = login_as("admin")
    with store.write(db):
        for at, entity_id in (
            ("2025-03-01T15:59:59+00:00", "late-on-the-1st"),  # 23:59:59 in Beijing
            ("2025-03-01T16:00:00+00:00", "start-of-the-2nd"),  # 00:00:00 on the 2nd
        ):
            db["audit_log"].insert(
                {"at": at, "action": "login_failed", "entity": "login", "entity_id": entity_id}
            )

    def shown(query):
        html = admin.get(f"/admin/audit?action=login_failed&{query}").get_data(as_text=True)
        return re.findall(r"登录 (late-on-the-1st|start-of-the-2nd)", html)

    assert shown("since=2025-03-01&until=2025-03-01") == ["late-on-the-1st"]
    assert shown("since=2025-03-02&until=2025-03-02") == ["start-of-the-2nd"]
    assert shown("since=2025-03-01") == ["start-of-the-2nd", "late-on-the-1st"]
    assert shown("until=2025-02-28") == []
    page = admin.get("/admin/audit?action=login_failed&since=2025-03-02").get_data(as_text=True)
    assert "2025-03-02 00:00:00" in page  # shown in Beijing time


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=2025-02-30", "起始日期格式应为 YYYY-MM-DD"),
        ("until=昨天", "截止日期格式应为 YYYY-MM-DD"),
        ("since=2025-03-02&until=2025-03-01", "截止日期不能早于起始日期"),
        ("entity_id=12", "按对象编号筛选时请同时选择对象类型"),
    ],
)
def test_a_bad_audit_filter_is_named_in_chinese(login_as, query, message):
    response = login_as("admin").get(f"/admin/audit?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(rf'class="error"[^>]*>{re.escape(message)}<', html)
    assert audit_ids(html)  # the rest of the filter still applies; the page is not empty


def test_the_audit_page_shows_throttled_sign_ins_and_the_before_after_of_a_deactivation(
    app, db, login_as
):
    app.config["LOGIN_THROTTLE_FIRST_DELAY"] = 60  # the sixth attempt comes within the delay
    admin = login_as("admin")
    admin.post(f"/admin/users/{users.by_username(db, 'beibei')['id']}/deactivate")
    for _ in range(6):
        Browser(app.test_client()).login("reviewer", "wrong-password")
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert "登录受限（失败次数过多）" in html
    row = re.search(r'<tr id="audit-\d+" data-action="user_deactivated">.*?</tr>', html, re.S)[0]
    assert "停用用户" in row and re.search(r"<code>active</code>: <del>1</del> → <ins>0</ins>", row)
    assert re.search(r'<time datetime="[^"]+\+00:00">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</time>', row)
