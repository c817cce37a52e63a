"""Accounts over real HTTP on a real SQLite file: sign-in throttling, the client address behind
a proxy, server-side sessions, password changes and resets, the password policy, API tokens."""

import threading

import pytest

import store
from app import create_app
from store import throttle, users
from tests.conftest import PASSWORD, csrf_token

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
