"""Fixtures: every test gets its own instance folder with a real SQLite file."""

import re

import pytest

from happy_rivers import create_app, store
from happy_rivers.store import users, waterbodies

PASSWORD = "correct-horse-1"


@pytest.fixture
def app(tmp_path):
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
