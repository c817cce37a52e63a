"""A worker's memory is the app, not its data or libraries it does not use (issue 14: worker peak
RSS ≤ 120 MB at ten times the city).

pypinyin's phrase dictionary (~45 MB) and zxcvbn's word lists (~10 MB) were loaded by every
worker at start; they are needed only to convert a name or a search, and to judge a new
password. Checked in a fresh Python process, since this test session has imported everything.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent

WORKER = textwrap.dedent(
    """
    import sys
    from happy_rivers import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "DATABASE": sys.argv[1], "UPLOAD_FOLDER": sys.argv[2]})
    loaded = lambda: sorted({m.split(".")[0] for m in sys.modules} & {"pypinyin", "zxcvbn"})
    client = app.test_client()
    signed_in = client.post("/login", data={"username": "admin", "password": sys.argv[3]})
    assert signed_in.status_code == 302
    for path in ("/waterbodies", "/progress", "/leaderboard/districts",
                 "/leaderboard/waterbodies", "/review", "/exports"):
        assert client.get(path).status_code == 200, path
    print("pages", loaded())
    assert client.get("/waterbodies?q=houhe").status_code == 200
    print("search", loaded())
    """
)


def test_pages_load_neither_pinyin_nor_password_lists_until_needed(app, tmp_path):
    """The app fixture's database (migrated, with its users) served by a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", WORKER, app.config["DATABASE"], str(tmp_path), PASSWORD],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "pages []" in out.stdout  # signing in and every board: neither is loaded
    assert "search ['pypinyin']" in out.stdout  # a search converts the query: loaded then
