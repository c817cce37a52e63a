"""Real-browser tests: the real app served from a thread, driven by Debian's Chromium.

The app runs with its own temporary instance folder (database and uploads) seeded with the
demo data, on 127.0.0.1 and a free port, for the whole session. Playwright's sync API drives
/usr/bin/chromium (never a downloaded browser). Screenshots of the key screens go to
screenshots/ at the repository root (git-ignored) so a person can look at them.

Without Chromium or the CJK fonts these tests fail, loudly, with the command that installs them:
a real-browser suite that silently skips is a suite that never runs.
"""

import shutil
import subprocess
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from happy_rivers import create_app, scoring, store
from happy_rivers.store import assessments, demo, users, waterbodies

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "apt-get install chromium fonts-noto-cjk"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


class LiveApp:
    """The running app: its URL, plus shortcuts that set up data the way the app itself does."""

    def __init__(self, app, url: str):
        self.app = app
        self.url = url
        self._names = 0

    @contextmanager
    def db(self):
        with self.app.app_context():
            yield store.get_db()

    def new_waterbody(self, stem: str, kind: str = "river", district: str = "渝北区") -> dict:
        """A fresh waterbody (unique name) so every journey starts from a clean slate."""
        self._names += 1
        name = f"{stem}{self._names}号"
        with self.db() as db:
            admin = users.by_username(db, "admin")
            wid = waterbodies.create(
                db, {"name": name, "kind": kind, "district": district}, actor=admin
            )
            return waterbodies.get(db, wid)

    def draft_assessment(self, waterbody: dict, answers: dict, kind="acceptance") -> int:
        """A draft the inspector has filled in and saved (through the store, as the form does)."""
        rubric = scoring.rubric_for_waterbody(waterbody["kind"])
        with self.db() as db:
            return assessments.create(
                db,
                waterbody_id=waterbody["id"],
                kind=kind,
                rubric_id=rubric.id,
                rubric_version=rubric.version,
                answers=answers,
                scored=None,
                user=users.by_username(db, "yubei"),
            )

    def submitted_assessment(self, waterbody: dict, answers: dict, kind="acceptance") -> int:
        """An assessment the inspector has filled in and submitted."""
        aid = self.draft_assessment(waterbody, {"gates": {}}, kind)
        rubric = scoring.rubric_for_waterbody(waterbody["kind"])
        with self.db() as db:
            assessments.save(
                db,
                aid,
                expected_version=1,
                action="submit",
                answers=answers,
                scored=scoring.score(rubric, answers).to_dict(),
                user=users.by_username(db, "yubei"),
            )
        return aid

    def accepted_assessment(self, waterbody: dict, answers: dict, comment: str = "") -> int:
        """An acceptance the city reviewer has decided: the waterbody is a 市级幸福河湖."""
        aid = self.submitted_assessment(waterbody, answers)
        with self.db() as db:
            assessments.review(
                db,
                aid,
                action="accept",
                user=users.by_username(db, "reviewer"),
                comment=comment,
                decided_on=date.today().isoformat(),
            )
        return aid

    def assessment(self, assessment_id: int) -> dict:
        with self.db() as db:
            return assessments.get(db, assessment_id)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-app")
    app = create_app(
        {
            "SECRET_KEY": "browser-test-secret",
            "DATABASE": str(folder / "happy_rivers.db"),
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",  # the demo's users, hashed cheaply
            # journeys count a decision's title at once; the 公示 journey turns it on for
            # itself (tests/browser/test_publicity_journey.py)
            "PUBLICITY": False,
        }
    )
    with app.app_context():
        db = store.get_db()
        store.migrate(db)
        demo.seed(db)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
    thread.start()
    try:
        yield LiveApp(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _cjk_fonts_installed() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return bool(out.stdout.strip())


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need it. "
            f"Install it with: {INSTALL_HINT}",
            pytrace=False,
        )
    if not _cjk_fonts_installed():
        pytest.fail(
            f"No Chinese (CJK) fonts: pages would render as boxes. Install them with: "
            f"{INSTALL_HINT}",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


class Watch:
    """JavaScript errors and failed sub-resources (CSS, JS, images, fetches) a page ran into.

    A journey ends with none. Pages themselves may answer 4xx on purpose (422 for a refused
    submit), so only the resources a page loads are checked here.
    """

    def __init__(self):
        self.errors: list[str] = []

    def attach(self, page) -> None:
        page.on("pageerror", lambda e: self.errors.append(f"JS error: {e}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.request.method} {response.url}")


def _context(chromium, live_app, viewport, **extra):
    context = chromium.new_context(
        base_url=live_app.url, viewport=viewport, locale="zh-CN", **extra
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def new_page(chromium, live_app):
    """new_page(phone=True) → a page in a fresh browser context (its own cookies)."""
    contexts, watch = [], Watch()

    def make(phone: bool = True):
        if phone:
            context = _context(chromium, live_app, PHONE, is_mobile=True, has_touch=True)
        else:
            context = _context(chromium, live_app, DESKTOP)
        contexts.append(context)
        page = context.new_page()
        watch.attach(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert watch.errors == [], "the pages logged errors"
