"""Security properties over real HTTP: CSRF, cookies, the secret key, login throttling, escaping,
upload limits, open redirects, and bad input that must never become a 500."""

import io
import re
import stat
from pathlib import Path

import flask
import pytest

from happy_rivers import create_app
from happy_rivers.store import assessments, audit, users
from tests.answers import full_river_answers
from tests.conftest import PASSWORD, Browser, as_form, csrf_token, new_assessment, waterbody_id

TEMPLATES = Path(__file__).resolve().parent.parent / "happy_rivers" / "templates"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
MB = 1024 * 1024
TOO_BIG = "文件过大：单个文件不能超过 8 MB"
WRONG_TYPE = "只能上传 JPEG、PNG 照片或 PDF 文件"


def state(db, app) -> tuple:
    """Everything a write could change, the audit log included."""
    tables = tuple(
        tuple(tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall())
        for t in ("assessments", "attachments", "users", "waterbodies", "audit_log")
    )
    folder = Path(app.config["UPLOAD_FOLDER"])
    files = tuple(sorted(p.name for p in folder.iterdir())) if folder.exists() else ()
    return tables, files


def flashes(browser, response) -> str:
    """The page a redirect leads to, where its flash message is shown."""
    assert response.status_code == 302
    return browser.get(response.headers["Location"]).get_data(as_text=True)


# -- CSRF -------------------------------------------------------------------------------------


def _csrf_targets(db, login_as):
    inspector = login_as("yubei")
    draft = new_assessment(inspector, waterbody_id(db))
    full = as_form("cq-river", full_river_answers())
    in_review = new_assessment(inspector, waterbody_id(db), "acceptance")
    submit = full | {"version": "1", "action": "submit"}
    assert inspector.post(f"/assessments/{in_review}/edit", submit).status_code == 302
    beibei = users.by_username(db, "beibei")["id"]
    users.set_active(db, beibei, False, actor=users.by_username(db, "admin"))
    return inspector, {
        "logout": ("yubei", "/logout", {}),
        "create assessment": (
            "yubei",
            f"/waterbodies/{waterbody_id(db, '长寿湖')}/assessments",
            {},
        ),
        "save draft": ("yubei", f"/assessments/{draft}/edit", {"version": "1", "A1": "1"}),
        "submit": (
            "yubei",
            f"/assessments/{draft}/edit",
            full | {"version": "1", "action": "submit"},
        ),
        "preview": ("yubei", f"/assessments/{draft}/preview", {"A1": "90"}),
        "upload": (
            "yubei",
            f"/assessments/{draft}/attachments",
            {"file": (io.BytesIO(PNG), "a.png")},
        ),
        "review": (
            "reviewer",
            f"/assessments/{in_review}/review",
            {"action": "return", "comment": "x", "version": "2"},
        ),
        "create user": (
            "admin",
            "/admin/users",
            {"username": "mallory", "role": "admin", "password": "long-enough-1"},
        ),
        "deactivate": (
            "admin",
            f"/admin/users/{users.by_username(db, 'yubei')['id']}/deactivate",
            {},
        ),
        "activate": ("admin", f"/admin/users/{beibei}/activate", {}),
    }


CSRF_CASES = [
    "logout",
    "create assessment",
    "save draft",
    "submit",
    "preview",
    "upload",
    "review",
    "create user",
    "deactivate",
    "activate",
]


@pytest.mark.parametrize("target", CSRF_CASES)
def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    app, db, login_as, target
):
    inspector, targets = _csrf_targets(db, login_as)
    username, url, data = targets[target]
    browser = inspector if username == "yubei" else login_as(username)
    other_session = csrf_token(app.test_client())
    before = state(db, app)
    for token in (None, "IjAwMDAi.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb", other_session):
        # missing; forged; valid, but for another session
        posted = {k: (io.BytesIO(PNG), "a.png") if k == "file" else v for k, v in data.items()}
        if token:
            posted["csrf_token"] = token
        response = browser.client.post(url, data=posted)
        assert response.status_code == 400
        assert "请求无效" in response.get_data(as_text=True)  # the Chinese error page
        assert state(db, app) == before
    # still signed in: not even the logout went through
    assert browser.get("/waterbodies").status_code == 200
    # and with the page's token the same post is accepted
    response = browser.post(
        url, {k: (io.BytesIO(PNG), "a.png") if k == "file" else v for k, v in data.items()}
    )
    assert response.status_code in (200, 302, 303)
    if target != "preview":
        assert state(db, app) != before


def test_sign_in_without_a_csrf_token_is_refused(client, db, app):
    before = state(db, app)
    response = client.post("/login", data={"username": "yubei", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/waterbodies").status_code == 302
    assert state(db, app) == before  # no login audited either


# -- cookies and the secret key ---------------------------------------------------------------


def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1
    return cookies[0]


def test_the_session_cookie_is_httponly_and_samesite_lax(browser):
    response = browser.login("yubei")
    cookie = _session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in development: a Secure cookie would be dropped


def test_with_https_configured_the_cookies_are_secure(app, tmp_path):
    https_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE": app.config["DATABASE"],
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "HTTPS": True,
        }
    )
    assert https_app.config["SESSION_COOKIE_SECURE"] is True
    assert https_app.config["REMEMBER_COOKIE_SECURE"] is True
    response = Browser(https_app.test_client()).login("yubei")
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_without_a_configured_key_one_is_generated_once_and_reused(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(instance))
    config = {"TESTING": True, "DATABASE": str(tmp_path / "k.db")}
    first = create_app(dict(config))
    key_file = instance / "secret_key"
    assert key_file.exists()
    key = key_file.read_text().strip()
    assert first.secret_key == key
    assert re.fullmatch(r"[0-9a-f]{64}", key)  # 256 random bits, no fixed default
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = create_app(dict(config))
    assert second.secret_key == key  # a restart keeps everyone signed in
    with first.test_request_context():
        flask.session["probe"] = "值"
        cookie = first.session_interface.get_signing_serializer(first).dumps(dict(flask.session))
    assert second.session_interface.get_signing_serializer(second).loads(cookie) == {"probe": "值"}
    elsewhere = tmp_path / "other-instance"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(elsewhere))
    assert create_app(dict(config)).secret_key != key  # each installation its own key
    configured = tmp_path / "configured"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(configured))
    assert create_app(config | {"SECRET_KEY": "from-config"}).secret_key == "from-config"
    assert not (configured / "secret_key").exists()


# -- login throttling (more in tests/test_accounts.py) -------------------------------------


def test_an_unknown_username_costs_a_password_hash_too(monkeypatch):
    calls = []
    real = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    assert users.check_password(None, "whatever") is False
    assert len(calls) == 1  # same work as a known user: timing does not reveal who exists


# -- escaping ---------------------------------------------------------------------------------


def test_no_template_marks_text_safe():
    """|safe is allowed only on server-drawn SVG (names ending in _svg), never on user text."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"([\w.\]\)'\"]+)\s*\|\s*safe\b", text):
            if not match.group(1).endswith("_svg"):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
        if re.search(r"autoescape\s+(false|off)", text):
            offenders.append(f"{path.relative_to(TEMPLATES)}: autoescape off")
    assert offenders == []
    assert len(list(TEMPLATES.rglob("*.html"))) > 5  # the scan did look at the templates


def test_user_text_is_escaped_everywhere_it_is_shown(app, db, login_as):
    evil = "<script>alert(1)</script>"
    from happy_rivers.store import waterbodies

    wid = waterbodies.create(db, {"name": evil, "kind": "river", "district": "渝北区"})
    users.create(db, "evil", PASSWORD, "reviewer", display_name=f"<b>{evil}</b>")
    inspector, reviewer, admin = login_as("yubei"), login_as("reviewer"), login_as("admin")
    aid = new_assessment(inspector, wid, "acceptance")
    inspector.post(
        f"/assessments/{aid}/attachments",
        {"indicator": "A1", "file": (io.BytesIO(PNG), f"{evil}.png")},
    )
    data = as_form("cq-river", full_river_answers())
    data["A14_note"] = evil
    assert (
        inspector.post(
            f"/assessments/{aid}/edit", data | {"version": "1", "action": "submit"}
        ).status_code
        == 302
    )
    reviewer.post(
        f"/assessments/{aid}/review",
        {"version": "2", "action": "return", "comment": evil, "field_comment_A1": evil},
    )
    pages = [
        inspector.get("/waterbodies"),
        inspector.get(f"/waterbodies/{wid}"),
        inspector.get(f"/assessments/{aid}"),
        inspector.get(f"/assessments/{aid}/edit"),
        admin.get("/admin/users"),
        admin.get("/admin/audit"),
    ]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert evil not in html


# -- uploads ----------------------------------------------------------------------------------


@pytest.fixture
def draft(db, login_as):
    inspector = login_as("yubei")
    return inspector, new_assessment(inspector, waterbody_id(db))


def _upload(browser, aid, content: bytes, name="photo.png", content_type="image/png", **extra):
    file = (io.BytesIO(content), name, content_type)
    return browser.post(f"/assessments/{aid}/attachments", {"file": file, **extra})


@pytest.mark.parametrize(
    ("content", "name", "content_type", "message"),
    [
        (PNG + b"\x00" * (8 * MB), "big.png", "image/png", TOO_BIG),
        (PNG + b"\x00" * (12 * MB), "huge.png", "image/png", TOO_BIG),
        (b"<html><script>alert(1)</script>", "photo.png", "image/png", WRONG_TYPE),
        (b"MZ\x90\x00 not a pdf", "report.pdf", "application/pdf", WRONG_TYPE),
        (b"GIF89a......", "a.gif", "image/gif", WRONG_TYPE),
        (b"", "empty.png", "image/png", WRONG_TYPE),
    ],
    ids=["over 8 MB", "over the request limit", "html named png", "exe named pdf", "gif", "empty"],
)
def test_a_refused_upload_says_why_in_chinese_and_stores_nothing(
    app, db, draft, content, name, content_type, message
):
    inspector, aid = draft
    before = state(db, app)
    response = _upload(inspector, aid, content, name, content_type)
    assert response.headers["Location"] == f"/assessments/{aid}/edit#evidence"
    assert message in flashes(inspector, response)
    assert state(db, app) == before  # no row, no file, no audit


def test_an_upload_of_exactly_8_mb_is_kept_and_served_with_its_sniffed_type(app, db, draft):
    inspector, aid = draft
    content = PNG + b"\x00" * (8 * MB - len(PNG))
    response = _upload(inspector, aid, content, "堤防.jpg", "image/jpeg", indicator="A1")
    assert "已上传「堤防.jpg」" in flashes(inspector, response)
    (row,) = assessments.attachments(db, aid)
    assert (row["size"], row["content_type"], row["indicator"]) == (8 * MB, "image/png", "A1")
    assert (Path(app.config["UPLOAD_FOLDER"]) / row["stored_name"]).read_bytes() == content
    served = inspector.get(f"/attachments/{row['id']}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    pdf = _upload(inspector, aid, b"%PDF-1.7\n...", "报告.pdf", "application/pdf")
    assert pdf.status_code == 302
    pdf_row = assessments.attachments(db, aid)[-1]
    download = inspector.get(f"/attachments/{pdf_row['id']}")
    assert download.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "请选择要上传的文件（照片或 PDF）"),
        ({"indicator": "Z99", "file": (io.BytesIO(PNG), "a.png")}, "证明材料须对应一个有效的指标"),
    ],
)
def test_an_upload_without_a_file_or_with_a_bad_indicator_is_refused(app, db, draft, data, message):
    inspector, aid = draft
    before = state(db, app)
    response = inspector.post(f"/assessments/{aid}/attachments", data)
    assert message in flashes(inspector, response)
    assert state(db, app) == before


# -- open redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/review", "/review"),
        ("/assessments/1?tab=history", "/assessments/1?tab=history"),
        ("//evil.example/path", "/"),
        ("https://evil.example/", "/"),
        ("http:/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/%2F/evil.example", "/"),  # decoded: "///evil.example"
        ("javascript:alert(1)", "/"),
        ("evil.example", "/"),
        ("", "/"),
    ],
)
def test_next_after_sign_in_only_goes_to_this_site(client, next_url, location):
    from urllib.parse import quote

    token = csrf_token(client)
    response = client.post(
        f"/login?next={quote(next_url, safe='/%')}",
        data={"username": "reviewer", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == location


OFF_SITE = [
    "//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2f%2fevil.example",
    "https://evil.example/",
    "HTTPS://evil.example",
    " //evil.example",
    "javascript:alert(1)",
]


@pytest.mark.parametrize(
    "query",
    [
        "/%09/evil.example",  # the reported case: a tab browsers drop, leaving //evil.example
        "/%0a/evil.example",
        "/%0d/evil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "/%5cevil.example",
        "%2f%2fevil.example",
        "/%2f/evil.example",
        "https%3a%2f%2fevil.example",
        "//evil.example",
        "/\\evil.example",
    ],
)
def test_the_language_switch_never_redirects_off_site(client, query):
    response = client.get(f"/lang/en?next={query}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get_cookie("x") is None


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_every_off_site_form(target):
    from happy_rivers.views.auth import safe_next

    assert safe_next(target) is None
    assert safe_next("/assessments/1?tab=history") == "/assessments/1?tab=history"


def test_the_language_switch_still_returns_to_the_page(client):
    response = client.get("/lang/en?next=/progress%3Fas_of%3D2026-01-01")
    assert (response.status_code, response.headers["Location"]) == (
        302,
        "/progress?as_of=2026-01-01",
    )


def test_the_login_redirect_carries_next_and_honours_it(client):
    response = client.get("/review")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    login_page = client.get(response.headers["Location"])
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page.text)[1]
    signed_in = client.post(
        response.headers["Location"],
        data={"username": "reviewer", "password": PASSWORD, "csrf_token": token},
    )
    assert signed_in.headers["Location"] == "/review"


# -- bad input is answered, never a 500 -----------------------------------------------------------


def test_bad_input_gets_an_answer_not_a_500(app, db, login_as):
    inspector, reviewer, admin = login_as("yubei"), login_as("reviewer"), login_as("admin")
    aid = new_assessment(inspector, waterbody_id(db))
    sub = new_assessment(inspector, waterbody_id(db), "acceptance")
    full = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "submit"}
    assert inspector.post(f"/assessments/{sub}/edit", full).status_code == 302
    huge = "99999999999999999999"  # beyond SQLite's INTEGER: no such page, not an OverflowError
    cases = [
        (inspector.post(f"/assessments/{aid}/edit", {"version": "abc", "A1": "1"}), 409),
        (inspector.post(f"/assessments/{aid}/edit", {"version": "-5", "A1": "1e999"}), 409),
        (inspector.post(f"/assessments/{aid}/preview", {"A1": "NaN", "A3_tp": "∞"}), 200),
        (inspector.post(f"/waterbodies/{waterbody_id(db)}/assessments", {"kind": "bogus"}), 302),
        (inspector.get("/assessments/abc"), 404),
        (inspector.get("/attachments/-1"), 404),
        (reviewer.post(f"/assessments/{aid}/review", {"action": "hack"}), 302),  # a draft
        (reviewer.post(f"/assessments/{sub}/review", {"action": "hack"}), 422),
        (reviewer.post(f"/assessments/{sub}/review", {"version": "x", "decided_on": "x"}), 422),
        (reviewer.post(f"/assessments/{sub}/review", {"action": "accept", "version": "x"}), 302),
        (inspector.get(f"/assessments/{huge}"), 404),
        (inspector.get(f"/waterbodies/{huge}/"), 404),
        (inspector.get(f"/attachments/{huge}"), 404),
        (reviewer.post(f"/assessments/{huge}/review", {"action": "accept"}), 404),
        (admin.post("/admin/users", {"username": "x" * 500, "role": "root", "password": "1"}), 422),
        (admin.get("/admin/audit?since=2025-02-30&until=yesterday&entity_id=%00"), 200),
        (admin.post(f"/admin/users/{huge}/deactivate"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.request.path
    assert assessments.get(db, aid)["version"] == 1
    assert assessments.get(db, sub)["status"] == "accepted"  # the one valid review went through
    assert users.by_username(db, "x" * 500) is None
    assert audit.search(db, action="user_created", username="admin") == []


# -- district scoping in lists ------------------------------------------------------------------


def test_an_inspector_lists_only_their_own_district_whatever_the_query_says(login_as):
    yubei = login_as("yubei").get("/waterbodies?district=500109&q=").get_data(as_text=True)
    assert "御临河" in yubei and "长寿湖" in yubei and "龙凤溪" not in yubei
    beibei = login_as("beibei").get("/waterbodies?district=500112").get_data(as_text=True)
    assert "龙凤溪" in beibei and "御临河" not in beibei
    reviewer = login_as("reviewer").get("/waterbodies?district=500109").get_data(as_text=True)
    assert "龙凤溪" in reviewer and "御临河" not in reviewer  # city level: the filter applies
