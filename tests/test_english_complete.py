"""English mode is English: every page of an inspector's and a reviewer's day, with no Chinese
but the data.

The app runs on the demo data (real SQLite file, real HTTP through the Flask test client). A
user signs in, switches to English and walks the waterbodies, a form refused with errors, a
submitted result, the printable report, the progress page, both leaderboards and the review
queue. Every page must be free of CJK characters once the *data* is taken out.

What counts as data (typed by people, not written by the app, so not translated):
- names: waterbodies, districts (and their short names on the map), river chiefs, users'
  display names;
- free text people typed: the notes in the answers (`*_note`), review comments, per-indicator
  comments, expert notes;
- the language switch's own label, 中文, shown in its language (marked lang="zh-CN").
Anything else Chinese on an English page is a gap in the catalog or in the rubric's `*_en`.
"""

import json
import re

import pytest
from markupsafe import escape

from happy_rivers import create_app, store
from happy_rivers.store import demo
from happy_rivers.views.district_map import ZONE_LABELS, short_name
from tests.answers import full_river_answers
from tests.conftest import Browser, as_form

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")
# an element the page marks as Chinese on purpose (the language switch: 中文)
MARKED_CHINESE = re.compile(r'<(\w+)[^>]*\blang="zh-CN"[^>]*>[^<]*</\1>')


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("english")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE": str(folder / "demo.db"),
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    db = store.connect(app.config["DATABASE"])
    store.migrate(db)
    demo.seed(db)
    db.close()
    return app


def data_texts(app) -> list[str]:
    """Every text the pages may show that people typed (see the module's docstring)."""
    db = store.connect(app.config["DATABASE"])
    try:
        texts = set()
        for sql in (
            "SELECT name FROM districts",
            "SELECT name FROM waterbodies",
            "SELECT river_chief FROM waterbodies",
            "SELECT display_name FROM users",
            "SELECT return_comment FROM assessments",
            "SELECT override_reason FROM assessments",
        ):
            texts.update(row[0] for row in db.execute(sql).fetchall())
        # the map labels districts by their short names (渝北区 → 渝北)
        texts.update(short_name(name) for name in list(texts) if name)
        texts.update(ZONE_LABELS.values())
        for (raw,) in db.execute("SELECT field_comments FROM assessments").fetchall():
            texts.update(json.loads(raw or "{}").values())
        # answers hold codes and numbers; their only Chinese is what people typed (notes)
        for (raw,) in db.execute(
            "SELECT answers FROM assessments UNION ALL SELECT answers FROM panel_experts"
        ).fetchall():
            texts.update(strings_in(json.loads(raw or "{}")))
    finally:
        db.close()
    return sorted((t for t in texts if isinstance(t, str) and CJK.search(t)), key=len, reverse=True)


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def chinese_left(html: str, data: list[str]) -> list[str]:
    """The CJK runs left in a page once the data is taken out, each with a little context."""
    html = MARKED_CHINESE.sub("", html)
    for text in data:
        html = html.replace(str(escape(text)), "").replace(text, "")
    return sorted({html[max(m.start() - 40, 0) : m.end() + 20] for m in CJK.finditer(html)})


class EnglishWalk:
    """A signed-in user in English mode; `page()` fetches a page and notes any Chinese in it."""

    def __init__(self, app, username: str):
        self.app = app
        self.browser = Browser(app.test_client())
        assert self.browser.login(username, demo.DEMO_PASSWORD).status_code == 302
        assert self.browser.get("/lang/en").status_code == 302
        self.found: dict[str, list[str]] = {}

    def check(self, url: str, response, status: int = 200) -> str:
        assert response.status_code == status, (url, response.status_code)
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html, url
        left = chinese_left(html, data_texts(self.app))
        if left:
            self.found[url] = left
        return html

    def page(self, url: str, status: int = 200) -> str:
        return self.check(url, self.browser.get(url), status)

    def post(self, url: str, data: dict, status: int) -> str:
        return self.check(url, self.browser.post(url, data), status)

    def assert_english(self):
        report = "\n".join(
            f"{url}:\n  " + "\n  ".join(repr(s) for s in snippets)
            for url, snippets in self.found.items()
        )
        assert not self.found, f"Chinese on English pages (not data):\n{report}"


def open_waterbody(db_path: str, district: str) -> int:
    """A river of the district with no open assessment, so a new one can be started."""
    db = store.connect(db_path)
    try:
        row = db.execute(
            "SELECT w.id FROM waterbodies w JOIN districts d ON d.code = w.district_code "
            "WHERE d.name = ? AND w.kind = 'river' AND NOT EXISTS "
            "(SELECT 1 FROM assessments a WHERE a.waterbody_id = w.id "
            "AND a.status IN ('draft', 'submitted', 'returned')) ORDER BY w.id LIMIT 1",
            [district],
        ).fetchone()
    finally:
        db.close()
    assert row, f"the demo data has no river free for a new assessment in {district}"
    return row[0]


def test_an_inspectors_day_is_english(demo_app):
    walk = EnglishWalk(demo_app, "yubei")
    walk.page("/waterbodies")
    waterbody_id = open_waterbody(demo_app.config["DATABASE"], "渝北区")
    walk.page(f"/waterbodies/{waterbody_id}")
    created = walk.browser.post(f"/waterbodies/{waterbody_id}/assessments", {"kind": "self"})
    assert created.status_code == 302
    form_url = re.search(r"/assessments/\d+/edit", created.headers["Location"]).group(0)
    aid = int(re.search(r"\d+", form_url).group(0))
    walk.page(form_url)

    # a submit with gaps and bad values: refused, every error on the page
    answers = as_form("cq-river", full_river_answers())
    broken = {k: v for k, v in answers.items() if not k.startswith(("A2", "A5", "A9"))}
    broken |= {"A4": "120", "A14_note": " ", "version": "1", "action": "submit"}
    refused = walk.post(form_url, broken, 422)
    assert "need" in refused or "fill" in refused.lower()  # the refusal is there, in English

    # the complete form: submitted, scored
    version = re.search(r'name="version" type="hidden" value="(\d+)"', refused).group(1)
    complete = answers | {"version": version, "action": "submit"}
    assert walk.browser.post(form_url, complete).status_code == 302
    walk.page(f"/assessments/{aid}")
    walk.page(f"/assessments/{aid}/report")
    walk.page("/progress")
    walk.page("/leaderboard/districts")
    walk.page("/leaderboard/waterbodies")
    walk.assert_english()


def test_a_reviewers_day_is_english(demo_app):
    walk = EnglishWalk(demo_app, "reviewer")
    queue = walk.page("/review")
    ids = sorted({int(i) for i in re.findall(r'href="/assessments/(\d+)"', queue)})
    assert ids, "the demo data has assessments in review"
    walk.page(f"/assessments/{ids[0]}")
    walk.page(f"/assessments/{ids[0]}/report")
    db = store.connect(demo_app.config["DATABASE"])
    decided = db.execute(
        "SELECT id FROM assessments WHERE status IN ('accepted', 'conditional', 'rejected') "
        "ORDER BY id LIMIT 1"
    ).fetchone()[0]
    db.close()
    walk.page(f"/assessments/{decided}")
    walk.page(f"/assessments/{decided}/report")
    walk.page("/progress")
    walk.page("/leaderboard/districts")
    walk.page("/leaderboard/waterbodies")
    walk.assert_english()
