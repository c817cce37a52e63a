"""Accounts over real HTTP on a real SQLite file: sign-in throttling, the client address behind
a proxy, server-side sessions, password changes and resets, the password policy, API tokens."""

import re
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest

from happy_rivers import create_app, store
from happy_rivers.store import demo, throttle, users
from tests.conftest import PASSWORD, Browser, csrf_token, new_assessment, waterbody_id

FREE = throttle.FREE_FAILURES["account"]


def attempt(client, username, password, ip="127.0.0.1", headers=None):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers or {},
    )


def count(db, action: str) -> int:
    return db.execute("SELECT count(*) FROM audit_log WHERE action = ?", [action]).fetchone()[0]


def rewind(db) -> None:
    """Let every running delay end now (instead of sleeping through it)."""
    with store.write(db):
        db.execute("UPDATE login_throttle SET blocked_until = '2000-01-01T00:00:00+00:00'")


@pytest.fixture
def slow_app(app):
    """A first delay of a minute: whatever the machine's speed, no test outlives it."""
    app.config["LOGIN_THROTTLE_FIRST_DELAY"] = 60
    return app


# -- throttling ---------------------------------------------------------------------------------


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(slow_app, db):
    for _ in range(FREE + 3):
        attempt(slow_app.test_client(), "yubei", "wrong-password", ip="203.0.113.66")
    assert attempt(slow_app.test_client(), "yubei", PASSWORD, ip="203.0.113.66").status_code == 429
    # the real user, at their own desk, signs in
    assert attempt(slow_app.test_client(), "yubei", PASSWORD, ip="10.0.0.9").status_code == 302


def test_unknown_names_from_a_shared_address_do_not_lock_its_other_users(slow_app, db):
    for name in ("nobody", "admin1", "root", "test", "guest"):
        assert attempt(slow_app.test_client(), name, "wrong-password").status_code == 200
    assert attempt(slow_app.test_client(), "beibei", PASSWORD).status_code == 302


def test_the_delay_grows_and_says_how_long_to_wait(app, db):
    client = app.test_client()
    for _ in range(FREE):
        response = attempt(client, "yubei", "wrong-password")
        assert response.status_code == 200
        assert "用户名或密码不正确，或账号已停用" in response.text
    waits = []
    for _ in range(4):
        refused = attempt(client, "yubei", PASSWORD)
        assert refused.status_code == 429
        assert client.get("/waterbodies").status_code == 302  # not signed in
        waits.append(refused.headers["Retry-After"])
        assert f"登录尝试过于频繁，请 {refused.headers['Retry-After']} 秒后再试" in refused.text
        assert 'id="username-error"' in refused.text  # the message sits on the username field
        rewind(db)
        assert attempt(client, "yubei", "wrong-password").status_code == 200
    assert waits == ["1", "2", "4", "8"]
    with store.write(db):
        db.execute("UPDATE login_throttle SET failures = 40")
    rewind(db)
    assert attempt(client, "yubei", "wrong-password").status_code == 200
    capped = attempt(client, "yubei", PASSWORD)
    assert capped.headers["Retry-After"] == "900"
    assert "请 15 分钟后再试" in capped.text
    assert count(db, "login_throttled") == 5
    # once the delay is over, the right password signs in and the account starts afresh
    rewind(db)
    assert attempt(client, "yubei", PASSWORD).status_code == 302
    assert db.execute("SELECT count(*) FROM login_throttle WHERE scope = 'account'").fetchone() == (
        0,
    )


def test_the_refusal_is_in_english_too(app, db):
    client = app.test_client()
    client.get("/lang/en")
    for _ in range(FREE):
        attempt(client, "yubei", "wrong-password")
    refused = attempt(client, "yubei", PASSWORD)
    assert refused.status_code == 429
    assert "Too many sign-in attempts: try again in 1 s" in refused.text


def test_an_address_spraying_names_waits_too(slow_app, db):
    for i in range(throttle.FREE_FAILURES["address"]):
        assert attempt(slow_app.test_client(), f"name{i}", "wrong-password").status_code == 200
    assert attempt(slow_app.test_client(), "beibei", PASSWORD).status_code == 429
    assert attempt(slow_app.test_client(), "beibei", PASSWORD, ip="10.0.0.9").status_code == 302


def test_old_failures_are_forgotten(slow_app, db):
    for _ in range(FREE):
        attempt(slow_app.test_client(), "yubei", "wrong-password")
    assert attempt(slow_app.test_client(), "yubei", PASSWORD).status_code == 429
    with store.write(db):
        db.execute(
            "UPDATE login_throttle SET last_failure_at = '2000-01-01T00:00:00+00:00', "
            "blocked_until = '2000-01-01T00:01:00+00:00'"
        )
    for _ in range(FREE - 1):
        assert attempt(slow_app.test_client(), "yubei", "wrong-password").status_code == 200
    assert attempt(slow_app.test_client(), "yubei", PASSWORD).status_code == 302


def test_a_burst_of_30_parallel_attempts_gets_at_most_the_free_checks(slow_app, db):
    clients = [slow_app.test_client() for _ in range(30)]
    tokens = [csrf_token(c) for c in clients]
    start = threading.Barrier(len(clients))
    statuses = []

    def go(client, token):
        start.wait()
        response = client.post(
            "/login", data={"username": "yubei", "password": "wrong", "csrf_token": token}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=go, args=pair) for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * FREE + [429] * (30 - FREE)
    assert count(db, "login_failed") == FREE  # one per password check
    assert count(db, "login_throttled") == 30 - FREE


# -- the client's address -----------------------------------------------------------------------


def test_x_forwarded_for_is_ignored_without_a_configured_proxy(slow_app, db):
    for i in range(FREE):
        spoofed = {"X-Forwarded-For": f"198.51.100.{i}"}
        attempt(slow_app.test_client(), "yubei", "wrong-password", headers=spoofed)
    fresh = {"X-Forwarded-For": "198.51.100.200"}
    assert attempt(slow_app.test_client(), "yubei", PASSWORD, headers=fresh).status_code == 429
    ips = {r[0] for r in db.execute("SELECT ip FROM audit_log WHERE action LIKE 'login%'")}
    assert ips == {"127.0.0.1"}


def proxied_app(tmp_path, hops: int):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE": str(tmp_path / "test.db"),
            "PROXY_FIX_X_FOR": hops,
            "LOGIN_THROTTLE_FIRST_DELAY": 60,
        }
    )
    with app.app_context():
        store.migrate(store.get_db())
        users.create(store.get_db(), "yubei", PASSWORD, "inspector", "渝北区")
    return app


def test_behind_a_configured_proxy_each_client_is_counted_by_its_own_address(tmp_path):
    app = proxied_app(tmp_path, 1)
    proxy = "10.0.0.1"
    for _ in range(FREE):
        attempt(
            app.test_client(), "yubei", "x-wrong", ip=proxy, headers={"X-Forwarded-For": "1.2.3.4"}
        )
    # the attacker waits; a colleague behind the same proxy does not
    blocked = attempt(
        app.test_client(), "yubei", PASSWORD, ip=proxy, headers={"X-Forwarded-For": "1.2.3.4"}
    )
    assert blocked.status_code == 429
    colleague = attempt(
        app.test_client(), "yubei", PASSWORD, ip=proxy, headers={"X-Forwarded-For": "10.8.0.7"}
    )
    assert colleague.status_code == 302
    # with one trusted hop, only the entry the proxy appended counts, not one the client forged
    forged = attempt(
        app.test_client(),
        "yubei",
        "x-wrong",
        ip=proxy,
        headers={"X-Forwarded-For": "10.8.0.7, 1.2.3.4"},
    )
    assert forged.status_code == 429
    with app.app_context():
        ips = [
            r["ip"] for r in store.get_db().query("SELECT ip FROM audit_log WHERE ip IS NOT NULL")
        ]
    assert set(ips) == {"1.2.3.4", "10.8.0.7"}


# -- sessions end on the server -------------------------------------------------------------------


def copy_of(app, browser):
    """Another client carrying a copy of a browser's session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", browser.client.get_cookie("session").value)
    return thief


def signed_in(client) -> bool:
    response = client.get("/waterbodies")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


def test_a_copied_cookie_gets_the_sign_in_page_after_sign_out(app, login_as):
    yubei = login_as("yubei")
    thief = copy_of(app, yubei)
    assert signed_in(thief)
    assert yubei.post("/logout").status_code == 302
    assert not signed_in(thief)
    assert not signed_in(yubei.client)


def test_reactivating_a_user_does_not_revive_sessions_from_before(app, db, login_as):
    yubei = login_as("yubei")
    admin = login_as("admin")
    user_id = users.by_username(db, "yubei")["id"]
    admin.post(f"/admin/users/{user_id}/deactivate")
    assert not signed_in(yubei.client)
    admin.post(f"/admin/users/{user_id}/activate")
    assert not signed_in(yubei.client)
    assert login_as("yubei")  # a fresh sign-in works again


def test_a_password_change_ends_the_other_sessions_of_that_user(app, db, login_as):
    desk, phone, other = login_as("yubei"), login_as("yubei"), login_as("beibei")
    response = desk.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW},
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    assert signed_in(desk.client)  # the session that changed it stays
    assert not signed_in(phone.client)
    assert signed_in(other.client)  # other users are not touched
    assert Browser(app.test_client()).login("yubei", PASSWORD).status_code == 200
    assert Browser(app.test_client()).login("yubei", NEW).status_code == 302
    assert count(db, "password_changed") == 1


def test_a_session_without_a_server_side_row_is_not_signed_in(app, db, login_as):
    yubei = login_as("yubei")
    with store.write(db):
        db.execute("DELETE FROM sessions")
    assert not signed_in(yubei.client)


# -- changing and resetting passwords -------------------------------------------------------------

NEW = "lantern-ridge-2031"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current_password": "not-it"}, "current_password", "当前密码不正确"),
        ({"confirm": NEW + "x"}, "confirm", "两次输入的新密码不一致"),
        ({"new_password": "short-1", "confirm": "short-1"}, "new_password", "密码至少 10 位"),
        ({"new_password": "yubei", "confirm": "yubei"}, "new_password", "密码至少 10 位"),
        (
            {"new_password": "Password123!", "confirm": "Password123!"},
            "new_password",
            users.PASSWORD_RULES["common"],
        ),
        (
            {"new_password": "1234567890", "confirm": "1234567890"},
            "new_password",
            users.PASSWORD_RULES["common"],
        ),
        ({"current_password": ""}, "current_password", "请填写当前密码"),
    ],
)
def test_a_refused_password_change_says_why_beside_the_field(db, login_as, data, field, message):
    yubei = login_as("yubei")
    before = users.by_username(db, "yubei")["password_hash"]
    form = {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW} | data
    response = yubei.post("/account/password", form)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error" role="alert">{re.escape(message)}<', response.text)
    assert users.by_username(db, "yubei")["password_hash"] == before


def test_guessing_the_current_password_is_throttled_like_a_sign_in(slow_app, db, login_as):
    yubei = login_as("yubei")
    before = users.by_username(db, "yubei")["password_hash"]
    for i in range(FREE):
        guess = {"current_password": f"guess-{i}", "new_password": NEW, "confirm": NEW}
        assert yubei.post("/account/password", guess).status_code == 422
    right = {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW}
    refused = yubei.post("/account/password", right)
    assert refused.status_code == 429
    assert re.search(r"登录尝试过于频繁，请 (1 分钟|\d\d 秒)后再试", refused.text)
    assert users.by_username(db, "yubei")["password_hash"] == before


def test_the_password_may_not_be_the_username():
    assert users.password_problem("reviewer-01", "REVIEWER-01") == users.PASSWORD_RULES["username"]
    assert users.password_problem("lantern-ridge-2031", "yubei") is None


def test_the_demo_and_test_passwords_pass_the_policy():
    for username, *_ in demo.DEMO_USERS:
        assert users.password_problem(demo.DEMO_PASSWORD, username) is None
    assert users.password_problem(PASSWORD, "admin") is None


def test_an_administrator_cannot_create_a_user_with_a_common_password(db, login_as):
    admin = login_as("admin")
    response = admin.post(
        "/admin/users",
        {"username": "newbie", "role": "reviewer", "district": "", "password": "qwertyuiop"},
    )
    assert response.status_code == 422
    assert users.PASSWORD_RULES["common"] in response.text
    assert users.by_username(db, "newbie") is None


def test_after_an_administrators_reset_every_page_leads_to_the_change_password_page(
    app, db, login_as
):
    before = login_as("beibei")
    admin = login_as("admin")
    beibei_id = users.by_username(db, "beibei")["id"]
    page = admin.get(f"/admin/users/{beibei_id}")
    assert page.status_code == 200 and 'id="reset-password"' in page.text
    weak = admin.post(f"/admin/users/{beibei_id}/password", {"password": "abc"})
    assert weak.status_code == 422 and "密码至少 10 位" in weak.text
    reset = admin.post(f"/admin/users/{beibei_id}/password", {"password": "temporary-river-88"})
    assert (reset.status_code, reset.headers["Location"]) == (302, "/admin/users")
    assert not signed_in(before.client)  # the reset ends the user's sessions

    beibei = app.test_client()
    assert attempt(beibei, "beibei", "temporary-river-88").status_code == 302
    for url in ("/waterbodies", "/progress", "/account/tokens", "/"):
        response = beibei.get(url)
        assert (response.status_code, response.headers["Location"]) == (302, "/account/password")
    form = beibei.get("/account/password")
    assert "管理员已为您重置密码" in form.text
    changed = beibei.post(
        "/account/password",
        data={
            "current_password": "temporary-river-88",
            "new_password": NEW,
            "confirm": NEW,
            "csrf_token": csrf_token(beibei, "/account/password"),
        },
    )
    assert changed.status_code == 302
    assert beibei.get("/waterbodies").status_code == 200
    assert users.by_username(db, "beibei")["must_change_password"] == 0
    assert [
        r["action"] for r in db.query("SELECT action FROM audit_log WHERE action LIKE 'password%'")
    ] == [
        "password_reset",
        "password_changed",
    ]


# -- administrators edit role and district ----------------------------------------------------


def test_an_administrator_changes_role_and_district(db, login_as):
    yubei_id = users.by_username(db, "yubei")["id"]
    yubei = login_as("yubei")
    assert yubei.get("/review").status_code == 403
    admin = login_as("admin")
    moved = admin.post(f"/admin/users/{yubei_id}", {"role": "inspector", "district": "500109"})
    assert moved.status_code == 302
    assert users.get(db, yubei_id)["district_code"] == "500109"
    promoted = admin.post(f"/admin/users/{yubei_id}", {"role": "reviewer", "district": "500109"})
    assert promoted.status_code == 302
    row = users.get(db, yubei_id)
    assert (row["role"], row["district_code"]) == ("reviewer", None)
    assert yubei.get("/review").status_code == 200  # at once, without signing in again
    (audited,) = db.query(
        "SELECT * FROM audit_log WHERE action = 'user_updated' ORDER BY id DESC LIMIT 1"
    )
    assert '"role": "reviewer"' in audited["after"] and '"role": "inspector"' in audited["before"]


def test_a_refused_edit_says_why_and_changes_nothing(db, login_as):
    admin = login_as("admin")
    yubei_id = users.by_username(db, "yubei")["id"]
    admin_id = users.by_username(db, "admin")["id"]
    before = [users.get(db, yubei_id), users.get(db, admin_id)]
    no_district = admin.post(f"/admin/users/{yubei_id}", {"role": "inspector", "district": ""})
    assert no_district.status_code == 422
    assert "区县检查员必须绑定一个区县" in no_district.text
    demote_self = admin.post(f"/admin/users/{admin_id}", {"role": "reviewer", "district": ""})
    assert demote_self.status_code == 422
    assert "不能取消自己的管理员角色" in demote_self.text
    assert [users.get(db, yubei_id), users.get(db, admin_id)] == before


# -- usernames without regard to case ---------------------------------------------------------


def test_usernames_are_unique_and_found_without_regard_to_case(app, db, login_as):
    admin = login_as("admin")
    response = admin.post(
        "/admin/users",
        {"username": "YuBei", "role": "reviewer", "district": "", "password": NEW},
    )
    assert response.status_code == 422
    assert "用户名 YuBei 已存在" in response.text
    with pytest.raises(sqlite3.IntegrityError):
        db["users"].insert(
            {"username": "BEIBEI", "password_hash": "x", "role": "reviewer", "active": 1}
        )
    assert Browser(app.test_client()).login("YUBEI").status_code == 302


def test_the_demo_usernames_do_not_clash_without_case():
    names = [username.casefold() for username, *_ in demo.DEMO_USERS]
    assert len(names) == len(set(names))


# -- API tokens -------------------------------------------------------------------------------


def api(app, token):
    return app.test_client().get("/api/v1/districts", headers={"Authorization": f"Bearer {token}"})


def last_used(db, token_id):
    return db.execute("SELECT last_used_at FROM api_tokens WHERE id = ?", [token_id]).fetchone()[0]


def test_a_user_lists_their_tokens_and_revokes_one(app, db, login_as):
    yubei_id = users.by_username(db, "yubei")["id"]
    token = users.create_token(db, yubei_id, "巡河 App")
    spare = users.create_token(db, yubei_id, "备用脚本")
    (token_id,) = db.execute("SELECT id FROM api_tokens WHERE name = '巡河 App'").fetchone()
    yubei = login_as("yubei")
    page = yubei.get("/account/tokens")
    assert page.status_code == 200
    assert "巡河 App" in page.text and "备用脚本" in page.text and "从未使用" in page.text
    assert login_as("beibei").get("/account/tokens").text.count('id="token-') == 0

    assert api(app, token).status_code == 200
    assert last_used(db, token_id) is not None
    assert "从未使用" in yubei.get("/account/tokens").text  # the spare one, still unused

    # another user cannot revoke it (nor tell it exists)
    assert login_as("beibei").post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert api(app, token).status_code == 200

    revoked = yubei.post(f"/account/tokens/{token_id}/revoke")
    assert (revoked.status_code, revoked.headers["Location"]) == (302, "/account/tokens")
    assert api(app, token).status_code == 401
    assert api(app, spare).status_code == 200
    assert yubei.post(f"/account/tokens/{token_id}/revoke").status_code == 404  # already
    assert count(db, "token_revoked") == 1


def test_last_used_at_is_written_at_most_once_a_minute(app, db):
    yubei_id = users.by_username(db, "yubei")["id"]
    token = users.create_token(db, yubei_id, "script")
    (token_id,) = db.execute("SELECT id FROM api_tokens").fetchone()
    now = datetime.now(UTC)
    recent = (now - timedelta(seconds=30)).isoformat(timespec="seconds")
    with store.write(db):
        db.execute("UPDATE api_tokens SET last_used_at = ?", [recent])
    assert api(app, token).status_code == 200
    assert last_used(db, token_id) == recent  # no write: used within the minute
    old = (now - timedelta(minutes=2)).isoformat(timespec="seconds")
    with store.write(db):
        db.execute("UPDATE api_tokens SET last_used_at = ?", [old])
    assert api(app, token).status_code == 200
    assert last_used(db, token_id) > old


# -- client addresses are for administrators --------------------------------------------------


def test_only_administrators_see_client_addresses_in_the_history(app, db, login_as):
    yubei = login_as("yubei")
    yubei.client.environ_base["REMOTE_ADDR"] = "10.77.66.55"
    aid = new_assessment(yubei, waterbody_id(db))
    assert db.execute("SELECT count(*) FROM audit_log WHERE ip = '10.77.66.55'").fetchone()[0]
    for who in ("yubei", "reviewer"):
        page = login_as(who).get(f"/assessments/{aid}")
        assert page.status_code == 200 and "创建评估" in page.text
        assert "10.77.66.55" not in page.text
    assert "10.77.66.55" in login_as("admin").get(f"/assessments/{aid}").text


def test_passwords_are_hashed_with_scrypt_unless_the_config_says_otherwise(tmp_path, db):
    # the suite's own users use the cheap test method; a configured app keeps werkzeug's scrypt
    assert users.by_username(db, "yubei")["password_hash"].startswith("pbkdf2:sha256:1$")
    (tmp_path / "plain").mkdir()
    app = proxied_app(tmp_path / "plain", 0)
    with app.app_context():
        stored = users.by_username(store.get_db(), "yubei")["password_hash"]
    assert stored.startswith("scrypt:")
    assert users.check_password({"password_hash": stored}, PASSWORD)
