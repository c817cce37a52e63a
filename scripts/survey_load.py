"""A bounded load on one satisfaction survey: 1,000 answers, honest and abusive, through the real
app (Flask test client, temporary SQLite file) — and what was kept and refused, by reason.

    .venv/bin/python scripts/survey_load.py          # prints the table; exit 1 on a mismatch

The mix (1,000 posts): 820 visitors on their own phones behind 82 addresses (10 each, under the
hourly limit); 50 of those phones answering a second time; 40 form-filling programs (honeypot);
30 answers sent 2 s after the page was shown; 20 posts with a forged form token; and one address
flooding 40 answers from fresh "phones" (the limit keeps 20). Time is pinned with clock.at(),
so the minimum answering time is passed or failed on purpose, never by a slow machine.
tests/test_survey_load.py runs it and checks the counts.
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from happy_rivers import clock, create_app, store  # noqa: E402
from happy_rivers.scoring import survey as rules  # noqa: E402
from happy_rivers.store import surveys, users, waterbodies  # noqa: E402

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
EXPECTED = {
    "posts": 1000,
    "kept": 840,
    "refused": {"device": 50, "address": 20, "honeypot": 40, "too_fast": 30, "form": 20},
}


def _app(folder: Path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "survey-load",
            "DATABASE": str(folder / "load.db"),
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    with app.app_context():
        db = store.get_db()
        store.migrate(db)
        admin_id = users.create(db, "admin", "load-test-password-1", "admin")
        admin = users.get(db, admin_id)
        wid = waterbodies.create(db, {"name": "负载溪", "kind": "river", "district": "渝北区"})
        with clock.at(START):
            sid = surveys.open_survey(db, wid, "2026-06-01", "2026-06-30", actor=admin)
        token = surveys.get(db, sid)["token"]
    return app, sid, token


def run(seed: int = 7) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        app, survey_id, token = _app(Path(tmp))
        url = f"/s/{token}"
        now = [START]
        posts = 0
        statuses: dict[int, int] = {}

        def phone(address: str):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = address
            return client

        def show(client) -> str:
            with clock.at(now[0]):
                html = client.get(url).get_data(as_text=True)
            return TOKEN_RE.search(html).group(1)

        def send(client, form_token: str, after: float, **fields) -> int:
            nonlocal posts
            now[0] += timedelta(seconds=after)
            data = {"form_token": form_token, "overall": rng.choice(list(rules.WEIGHTS))} | fields
            with clock.at(now[0]):
                status = client.post(url, data=data).status_code
            posts += 1
            statuses[status] = statuses.get(status, 0) + 1
            return status

        started = time.perf_counter()
        honest = []
        for i in range(820):
            client = phone(f"10.0.{i // 10}.{i % 10 + 1}")  # 82 addresses, 10 phones each
            send(client, show(client), rng.uniform(8, 50), comment=rng.choice(["", "很好"]))
            honest.append(client)
            now[0] += timedelta(seconds=3)  # visitors keep coming over the hours
        for client in rng.sample(honest, 50):  # the same phones again
            send(client, show(client), 20)
        for i in range(40):  # programs that fill every field
            client = phone(f"172.16.0.{i + 1}")
            send(client, show(client), 20, website="http://spam.example")
        for i in range(30):  # too fast for a person
            client = phone(f"172.16.1.{i + 1}")
            send(client, show(client), 2)
        for i in range(20):  # a forged (or another site's) form
            client = phone(f"172.16.2.{i + 1}")
            form_token = show(client)
            send(client, form_token[:-4] + "AAAA", 20)
        for _ in range(40):  # one address, many fresh "phones", within one hour
            client = phone("192.0.2.66")
            send(client, show(client), 10)
        seconds = time.perf_counter() - started

        with app.app_context():
            db = store.get_db()
            kept = surveys.summary(db, survey_id)
            refused = surveys.refusals(db, survey_id)
    return {
        "posts": posts,
        "kept": kept.sample_size,
        "rate": kept.rate,
        "refused": {k: v for k, v in refused.items() if v},
        "statuses": dict(sorted(statuses.items())),
        "seconds": round(seconds, 1),
    }


def main() -> int:
    result = run()
    print(f"{result['posts']} posts in {result['seconds']} s (pages shown and answers posted)")
    print(f"kept: {result['kept']} valid responses, rate {result['rate']}")
    for reason, count in result["refused"].items():
        print(f"refused {reason:<9} {count:>4}  {rules.REFUSALS[reason]}")
    print("HTTP statuses:", result["statuses"])
    ok = all(result[k] == v for k, v in EXPECTED.items())
    print("matches the expected mix" if ok else f"MISMATCH, expected {EXPECTED}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
