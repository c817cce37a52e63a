"""Fixtures: every test gets its own instance folder with a real SQLite file."""

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from happy_rivers import create_app, scoring, store
from happy_rivers.forms.inspection import form_data_from_answers
from happy_rivers.store import assessments, users, waterbodies
from tests.answers import full_reservoir_answers, full_river_answers, river

PASSWORD = "correct-horse-1"


class Client(FlaskClient):
    """Reads each answer whole and closes it, as a browser does, and closes the request body it
    sent. A file-backed answer (a static file, evidence, an export) or a large upload's body
    (werkzeug spools it to a temporary file) would otherwise stay open until the garbage
    collector finds it, and its ResourceWarning — an error in this suite — would land on
    whichever test runs then."""

    def open(self, *args, buffered=True, **kwargs):
        response = super().open(*args, buffered=buffered, **kwargs)
        body = response.request.environ.get("wsgi.input")
        if body is not None:
            body.close()
        return response


@pytest.fixture(autouse=True, scope="session")
def closing_test_clients():
    """Every app the tests create, not only the `app` fixture's, hands out a closing Client."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "test_client_class", Client)
        yield


@pytest.fixture
def app_config() -> dict:
    """Settings a test module adds to the app's (override this fixture there)."""
    return {}


@pytest.fixture
def app(tmp_path, app_config):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE": str(tmp_path / "test.db"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            # one round instead of scrypt: every test creates four users, and hashing them
            # was most of the suite's time (the production default stays scrypt)
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            # these tests decide and count titles on the decision date; 公示 and naming are
            # tested with it on (tests/test_publicity.py)
            "PUBLICITY": False,
            **app_config,
        }
    )
    with app.app_context():
        db = store.get_db()
        store.migrate(db)
        users.create(db, "admin", PASSWORD, "admin")
        users.create(db, "reviewer", PASSWORD, "reviewer")
        users.create(db, "yubei", PASSWORD, "inspector", "渝北区")
        users.create(db, "beibei", PASSWORD, "inspector", "北碚区")
        waterbodies.create(db, {"name": "御临河", "kind": "river", "district": "渝北区"})
        waterbodies.create(db, {"name": "长寿湖", "kind": "reservoir", "district": "渝北区"})
        waterbodies.create(db, {"name": "龙凤溪", "kind": "river", "district": "北碚区"})
    return app


@pytest.fixture
def db(app):
    """A connection of the test's own. Deliberately no app context: one held open would be
    reused by every test-client request, so `g` (signed-in user, CSRF token, language) would
    leak between clients."""
    connection = store.connect(app.config["DATABASE"])
    yield connection
    connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, url: str = "/login") -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Browser:
    """A signed-in test client that sends the page's CSRF token with every POST, like a browser."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, username: str, password: str = PASSWORD):
        token = csrf_token(self.client)
        response = self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        self.token = (
            csrf_token(self.client, "/waterbodies") if response.status_code == 302 else None
        )
        return response

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def login_as(app):
    """login_as("yubei") → a Browser signed in as that user (a fresh client each call)."""

    def make(username: str) -> Browser:
        b = Browser(app.test_client())
        assert b.login(username).status_code == 302
        return b

    return make


# --- shared helpers: tests import these from here, never from one another -----------------


def waterbody_id(db, name: str = "御临河") -> int:
    return next(db.query("SELECT id FROM waterbodies WHERE name = ?", [name]))["id"]


def new_assessment(browser, waterbody_id, kind="self"):
    response = browser.post(f"/waterbodies/{waterbody_id}/assessments", {"kind": kind})
    assert response.status_code == 302
    match = re.search(r"/assessments/(\d+)/edit", response.headers["Location"])
    return int(match.group(1))


def as_form(rubric_id: str, answers: dict) -> dict:
    """Answers JSON → the fields a browser would post (checkbox lists stay lists)."""
    rubric = scoring.load_rubric(rubric_id)
    data = form_data_from_answers(rubric, answers)
    return {k: ("y" if v is True else v) for k, v in data.items()}


def errors_in(html: str) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]+)<', html)


def get_page(browser, url: str, status: int = 200) -> str:
    response = browser.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def csv_rows(response) -> tuple[list, list[dict]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    reader = csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def submitted(db, inspector, kind="acceptance", waterbody="御临河", answers=None) -> int:
    """A new assessment of 御临河, filled in completely and submitted through the form."""
    aid = new_assessment(inspector, waterbody_id(db, waterbody), kind)
    data = as_form("cq-river", answers or full_river_answers())
    version = assessments.get(db, aid)["version"]
    response = inspector.post(
        f"/assessments/{aid}/edit", data | {"version": str(version), "action": "submit"}
    )
    assert response.status_code == 302
    assert assessments.get(db, aid)["status"] == "submitted"
    return aid


def review(browser, aid, db, **data):
    version = str(assessments.get(db, aid)["version"])
    return browser.post(f"/assessments/{aid}/review", {"version": version} | data)


def decide(db, name, answers, decided_on, *, kind="acceptance", action="accept", inspector=None):
    """Create, submit and (unless action is None) decide an assessment; returns its id."""
    wid = waterbody_id(db, name)
    wb = waterbodies.get(db, wid)
    rubric = scoring.rubric_for_waterbody(wb["kind"])
    scored = scoring.score(rubric, answers).to_dict()
    user = inspector or users.by_username(db, "admin")
    aid = assessments.create(
        db,
        waterbody_id=wid,
        kind=kind,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        answers=answers,
        scored=scored,
        user=user,
    )
    assessments.save(
        db, aid, expected_version=1, action="submit", answers=answers, scored=scored, user=user
    )
    if action:
        assessments.review(
            db,
            aid,
            action=action,
            user=users.by_username(db, "reviewer"),
            decided_on=decided_on,
            comment="现场验收",
        )
    return aid


def build_history(db) -> dict[str, int]:
    """The history in tests/test_board.py's docstring; returns assessment ids by a short name."""
    for name, district in (
        ("缙云溪", "北碚区"),
        ("苎溪河", "万州区"),
        ("盘溪河", "江北区"),
        ("溉澜溪", "江北区"),
        ("黎香溪", "涪陵区"),
    ):
        waterbodies.create(db, {"name": name, "kind": "river", "district": district})
    yubei = users.by_username(db, "yubei")
    beibei = users.by_username(db, "beibei")
    ids = {
        "御临河": decide(db, "御临河", river(), "2025-01-07", inspector=yubei),
        "长寿湖": decide(
            db, "长寿湖", full_reservoir_answers() | {"B3": 2}, "2025-06-20", inspector=yubei
        ),
        "龙凤溪": decide(db, "龙凤溪", river(A2=1), "2025-01-07", inspector=beibei),
        "缙云溪": decide(db, "缙云溪", river(A2=1), "2025-03-01", inspector=beibei),
        "苎溪河": decide(db, "苎溪河", river(), "2025-02-01"),
        "盘溪河": decide(db, "盘溪河", river(), "2025-02-01"),
        "溉澜溪": decide(db, "溉澜溪", river(), "2025-01-07"),
        "黎香溪": decide(db, "黎香溪", river(), None, action=None),
    }
    ids["溉澜溪复核"] = decide(
        db, "溉澜溪", river(A1=75, A2=3), "2025-04-01", kind="recheck", action="reject"
    )
    return ids
