"""Concurrent inspectors against one SQLite file, through the real server (gunicorn, 3 workers).

Four client processes sign in as four inspectors and at the same moment: race to open the same
assessments ("new assessment" clicked by everyone), save their own drafts again and again, save
over each other's shared drafts (optimistic locking decides who wins), and submit — one of them
twice, like a double click. Afterwards:

- no user ever saw a 500 or "database is locked";
- every save a client was told succeeded is in the database exactly once (its audit row and its
  version bump), and no save that was refused left a trace;
- exactly one open assessment per waterbody and kind; every submit counted once.
"""

import http.client
import json
import multiprocessing
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import pytest

from happy_rivers import scoring, store
from happy_rivers.forms.inspection import form_data_from_answers
from happy_rivers.store import users, waterbodies
from tests.answers import full_river_answers

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-1"
CLIENTS = 4
SHARED = 3  # waterbodies whose assessments all four clients fight over
ROUNDS = 12  # saves per client on its own draft, and on the shared ones
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A browser-like HTTP client: one session cookie, the CSRF token, every response logged."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""
        self.token = ""
        self.statuses: Counter = Counter()
        self.problems: list[str] = []

    def request(self, method: str, path: str, data: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=40)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if data is not None:
            body = urlencode(data | {"csrf_token": self.token}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            cookie = response.getheader("Set-Cookie")
        finally:
            conn.close()
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        self.statuses[response.status] += 1
        if response.status >= 500 or "database is locked" in text:
            self.problems.append(f"{method} {path}: {response.status} {text[:300]}")
        return response.status, response.getheader("Location") or "", text

    def login(self, username: str) -> None:
        _, _, html = self.request("GET", "/login")
        self.token = CSRF.search(html).group(1)
        status, _, _ = self.request("POST", "/login", {"username": username, "password": PASSWORD})
        assert status == 302, f"login {username}: {status}"

    def open_assessment(self, waterbody_id: int, kind: str) -> int:
        status, location, _ = self.request(
            "POST", f"/waterbodies/{waterbody_id}/assessments", {"kind": kind}
        )
        assert status == 302, status
        return int(re.search(r"/assessments/(\d+)/edit", location).group(1))

    def version_of(self, aid: int) -> int | None:
        status, _, html = self.request("GET", f"/assessments/{aid}/edit")
        match = VERSION.search(html) if status == 200 else None
        return int(match.group(1)) if match else None


def form(answers: dict, **extra) -> dict:
    data = form_data_from_answers(scoring.load_rubric("cq-river"), answers)
    return {k: ("y" if v is True else v) for k, v in data.items()} | extra


def client_main(port: int, index: int, shared_wbs: list[int], own_wb: int, barrier) -> dict:
    """One inspector's session; returns what the server acknowledged."""
    c = Client(port)
    c.login(f"inspector{index}")
    barrier.wait(timeout=30)  # everyone clicks "new assessment" at once
    shared = [c.open_assessment(wb, "self") for wb in shared_wbs]
    own = c.open_assessment(own_wb, "acceptance")
    saves: Counter = Counter()  # assessment id → saves the server said were kept
    refused: Counter = Counter()  # assessment id → saves refused with 409

    def save_shared(aid: int, version: int | None) -> None:
        if version is None:  # someone already submitted it: the form is closed
            return
        status, _, html = c.request(
            "POST",
            f"/assessments/{aid}/edit",
            form({"A1": index, "gates": {}}, version=version, action="save"),
        )
        if status == 303:  # saved: Post/Redirect/Get back to the form
            saves[aid] += 1
        elif status == 409:
            refused[aid] += 1
        else:  # 302: submitted between our read and our save
            assert status == 302, (status, html[:300])

    # everyone loads the same draft, then saves it at the same moment: one wins, the rest 409
    barrier.wait(timeout=30)
    seen = c.version_of(shared[0])
    barrier.wait(timeout=30)
    save_shared(shared[0], seen)
    first_race = (saves[shared[0]], refused[shared[0]])

    version = c.version_of(own)
    last_own_a1 = None
    for i in range(ROUNDS):
        # own draft: nobody else writes it, so every save must succeed
        a1 = round(50 + index + i / 100, 2)
        status, location, html = c.request(
            "POST",
            f"/assessments/{own}/edit",
            form({"A1": a1, "A2": i, "gates": {}}, version=version, action="save"),
        )
        assert (status, location.endswith(f"/assessments/{own}/edit")) == (303, True), (
            status,
            html[:300],
        )
        # the page the redirect leads to carries the new version, as a browser would follow it
        assert c.version_of(own) == version + 1
        version += 1
        saves[own] += 1
        last_own_a1 = a1
        # a shared draft: read its version, save over it; a 409 means someone got there first
        aid = shared[(i + index) % SHARED]
        save_shared(aid, c.version_of(aid))
    # submit the own draft with complete answers — twice, like a double click
    complete = form(full_river_answers() | {"A1": last_own_a1}, version=version, action="submit")
    first = c.request("POST", f"/assessments/{own}/edit", complete)[0]
    second = c.request("POST", f"/assessments/{own}/edit", complete)[0]
    # everyone tries to submit every shared draft; only one submit per draft can count
    for aid in shared:
        seen = c.version_of(aid)
        if seen is not None:
            c.request(
                "POST",
                f"/assessments/{aid}/edit",
                form(full_river_answers(), version=seen, action="submit"),
            )
    return {
        "shared": shared,
        "own": own,
        "saves": dict(saves),
        "refused": dict(refused),
        "first_race": first_race,
        "submits": (first, second),
        "last_own_a1": last_own_a1,
        "statuses": dict(c.statuses),
        "problems": c.problems,
    }


@pytest.fixture
def server(tmp_path):
    """A migrated database with inspectors and rivers, served by gunicorn on a free port."""
    path = str(tmp_path / "concurrency.db")
    db = store.connect(path)
    store.migrate(db)
    for i in range(CLIENTS):
        users.create(db, f"inspector{i}", PASSWORD, "inspector", "渝北区")
    ids = [
        waterbodies.create(db, {"name": f"并发河{i}", "kind": "river", "district": "渝北区"})
        for i in range(SHARED + CLIENTS)
    ]
    db.close()
    port = free_port()
    env = os.environ | {
        "HAPPY_RIVERS_DATABASE": path,
        "HAPPY_RIVERS_SECRET_KEY": "concurrency-test",
        "HAPPY_RIVERS_UPLOAD_FOLDER": str(tmp_path / "uploads"),
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "3", "--bind", f"127.0.0.1:{port}"]
        + ["--timeout", "60", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:  # a refused or half-answered poll leaves no socket for the GC to warn about
                conn.close()
            assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        yield {"port": port, "path": path, "shared": ids[:SHARED], "own": ids[SHARED:]}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_concurrent_saves_and_submits_lose_nothing(server):
    started = time.monotonic()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Manager().Barrier(CLIENTS)
    with ctx.Pool(CLIENTS) as pool:
        jobs = [
            pool.apply_async(
                client_main, (server["port"], i, server["shared"], server["own"][i], barrier)
            )
            for i in range(CLIENTS)
        ]
        results = [job.get(timeout=50) for job in jobs]
    assert time.monotonic() - started < 55

    # nobody saw an error page or a locked database
    assert [p for r in results for p in r["problems"]] == []
    statuses = sum((Counter(r["statuses"]) for r in results), Counter())
    assert set(statuses) <= {200, 302, 303, 409}, statuses
    assert statuses[409] >= sum(sum(r["refused"].values()) for r in results) >= CLIENTS - 1
    # the simultaneous save of one loaded version: exactly one won, the others were told so
    assert sorted(r["first_race"] for r in results) == [(0, 1)] * (CLIENTS - 1) + [(1, 0)]

    # the race to open: everyone landed on the same assessment for each shared waterbody
    shared = results[0]["shared"]
    assert all(r["shared"] == shared for r in results)
    conn = sqlite3.connect(server["path"])
    q = lambda sql, *p: conn.execute(sql, p).fetchall()  # noqa: E731
    try:
        assert q("PRAGMA integrity_check") == [("ok",)]
        assert q("SELECT count(*) FROM assessments") == [(SHARED + CLIENTS,)]
        assert q("SELECT count(*) FROM audit_log WHERE action = 'assessment_created'") == [
            (SHARED + CLIENTS,)
        ]
        assert (
            q(
                "SELECT waterbody_id, kind FROM assessments WHERE status IN "
                "('draft', 'submitted', 'returned') GROUP BY waterbody_id, kind HAVING count(*) > 1"
            )
            == []
        )

        acknowledged = sum((Counter(r["saves"]) for r in results), Counter())
        for aid, version, status in q("SELECT id, version, status FROM assessments"):
            saved, submitted = (
                q(
                    "SELECT count(*) FROM audit_log WHERE entity = 'assessment' "
                    "AND entity_id = ? AND action = ?",
                    str(aid),
                    action,
                )[0][0]
                for action in ("assessment_saved", "assessment_submitted")
            )
            # every acknowledged save is there once, and nothing else is
            assert saved == acknowledged[aid], aid
            # every version bump is one audited write: nothing lost, nothing duplicated
            assert version == 1 + saved + submitted, aid
            # each was submitted exactly once (the double click and the losers changed nothing)
            assert (status, submitted) == ("submitted", 1), aid
        for r in results:
            assert r["submits"] == (302, 302)
            (answers,) = q("SELECT answers FROM assessments WHERE id = ?", r["own"])[0]
            assert json.loads(answers)["A1"] == r["last_own_a1"]  # the last save is the one kept
            assert acknowledged[r["own"]] == ROUNDS
        assert q("SELECT version FROM standings_state") == [
            (1 + SHARED + CLIENTS + SHARED + CLIENTS,)  # waterbodies created + submits
        ]
    finally:
        conn.close()
