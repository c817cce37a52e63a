"""Profile one page in-process against a benchmark database, with pyinstrument.

    .venv/bin/pip install pyinstrument          # a profiler from PyPI, not a project dependency
    .venv/bin/python bench/run.py --keep        # prints the kept instance folder
    .venv/bin/python bench/profile.py INSTANCE/bench.db /leaderboard/waterbodies

Signs in as the bench admin, requests the page once cold and `--repeat` times warm, and prints
pyinstrument's call tree of the warm requests. `{draft}` in the path becomes a river draft's id.
With --save, each request is a draft save of complete answers (POST, the current version).
With --after-decision, a reviewer decides a submitted assessment through the API before each
request (outside the profile), so the profile is of a board's first view after a decision, as
bench/run.py measures it cold.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def csrf_token(html: str) -> str:
    from bench.run import CSRF

    return next(g for g in CSRF.search(html).groups() if g)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--save", action="store_true", help="POST a draft save instead of GET")
    parser.add_argument(
        "--after-decision", action="store_true", help="a real decision before each request"
    )
    parser.add_argument("--all", action="store_true", help="show library frames too")
    args = parser.parse_args()
    from pyinstrument import Profiler

    from bench.fixture import PASSWORD
    from happy_rivers import create_app

    app = create_app(
        {
            "DATABASE": args.database,
            "SECRET_KEY": "profile",
            "UPLOAD_FOLDER": str(Path(args.database).parent / "uploads"),
        }
    )
    # Signed in like a browser (CSRF on, as in production), then every request sends the same
    # cookie, as wrk does in bench/run.py: a client that kept each answer's cookie would carry
    # every unread flash message along, and the profile would be of ever larger sessions.
    browser = app.test_client()
    token = csrf_token(browser.get("/login").get_data(as_text=True))
    signed_in = browser.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 302
    token = csrf_token(browser.get("/waterbodies").get_data(as_text=True))
    cookie = "; ".join(f"{c.key}={c.value}" for c in browser._cookies.values())
    client = app.test_client(use_cookies=False)
    client.environ_base["HTTP_COOKIE"] = cookie
    with sqlite3.connect(args.database) as conn:
        draft = conn.execute(
            "SELECT id FROM assessments WHERE status = 'draft' AND kind = 'self' "
            "AND rubric_id = 'cq-river' LIMIT 1"
        ).fetchone()[0]
    path = args.path.replace("{draft}", str(draft))
    fetch = client.get
    if args.save:
        from bench.fixture import RUBRIC_FOR_KIND
        from happy_rivers import scoring
        from happy_rivers.forms.inspection import form_data_from_answers
        from happy_rivers.store.demo import demo_answers

        rubric = scoring.load_rubric(RUBRIC_FOR_KIND["river"])
        answers = demo_answers(rubric, __import__("random").Random(1), 0.97)
        data = {
            k: ("y" if v is True else v) for k, v in form_data_from_answers(rubric, answers).items()
        }

        def fetch(url):
            with sqlite3.connect(args.database) as conn:
                (version,) = conn.execute(
                    "SELECT version FROM assessments WHERE id = ?", [draft]
                ).fetchone()
            # with a fresh idempotency key, as every rendered form carries one
            return client.post(
                url,
                data=data
                | {
                    "version": version,
                    "action": "save",
                    "csrf_token": token,
                    "idempotency_key": str(uuid.uuid4()),
                },
            )

    decide = None
    if args.after_decision:
        from bench.run import DECISION_ACTION
        from happy_rivers import store
        from happy_rivers.store import users

        with app.app_context(), sqlite3.connect(args.database) as conn:
            reviewer = conn.execute(
                "SELECT id FROM users WHERE role = 'reviewer' ORDER BY id LIMIT 1"
            ).fetchone()[0]
            token = users.create_token(store.get_db(), reviewer, "profile")
            waiting = conn.execute(
                "SELECT id, version, computed_decision FROM assessments "
                "WHERE status = 'submitted' ORDER BY id"
            ).fetchall()
        if len(waiting) < args.repeat + 1:
            raise SystemExit(f"only {len(waiting)} submitted assessments to decide")
        decisions = iter(waiting)

        def decide():
            aid, version, computed = next(decisions)
            response = client.post(
                f"/api/v1/assessments/{aid}/review",
                json={"action": DECISION_ACTION[computed], "version": version},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.get_data(as_text=True)

    if decide:
        decide()
    start = time.perf_counter()
    status = fetch(path).status_code
    print(f"first: HTTP {status} in {(time.perf_counter() - start) * 1000:.1f} ms")
    profiler = Profiler(interval=0.0005)
    spent = 0.0
    for _ in range(args.repeat):
        if decide:
            decide()  # outside the profile: only the request after it is profiled
        start = time.perf_counter()
        profiler.start()
        fetch(path)
        profiler.stop()  # pyinstrument combines the sessions of repeated start/stop
        spent += time.perf_counter() - start
    label = "after a decision" if decide else "warm"
    print(f"{label}: {spent * 1000 / args.repeat:.1f} ms per request")
    print(profiler.output_text(unicode=True, color=False, show_all=args.all))
    return 0


if __name__ == "__main__":
    sys.exit(main())
