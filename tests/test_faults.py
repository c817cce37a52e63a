"""A process killed in the middle of its writes leaves a consistent database.

A child process writes through the real store functions (each change and its audit row in one
BEGIN IMMEDIATE transaction) and is SIGKILLed — at random moments, and once deliberately while
it holds the write lock halfway through a transaction. Afterwards the database must pass
integrity_check and foreign_key_check, hold no half transaction (every assessment has its audit
rows, every version bump is audited, every counter matches), and accept new writes at once.
"""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from happy_rivers import store
from happy_rivers.store import assessments, users, waterbodies

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
from happy_rivers import scoring, store
from happy_rivers.store import assessments, audit, users, waterbodies
from tests.answers import full_river_answers

path, mode, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = store.connect(path)
admin = users.by_username(db, "admin")
rubric = scoring.load_rubric("cq-river")
answers = full_river_answers()
scored = scoring.score(rubric, answers).to_dict()

if mode == "hold":
    # stop forever inside the transaction that creates the next assessment, after its row is
    # written and before its audit row is: the parent kills us there
    original = audit.record
    def record(db, action, **kw):
        if action == "assessment_created":
            print("HOLD", flush=True)
            time.sleep(600)
        return original(db, action, **kw)
    audit.record = record

i = start
while True:
    wb = waterbodies.create(
        db, {"name": f"断电测试河{i}", "kind": "river", "district": "渝北区"}, actor=admin
    )
    aid = assessments.create(
        db, waterbody_id=wb, kind="self", rubric_id=rubric.id, rubric_version=rubric.version,
        answers={"gates": {}}, scored=None, user=admin,
    )
    version = 1
    for n in range(3):
        partial = {"A1": 90 + n, "gates": {}}
        assessments.save(
            db, aid, expected_version=version, action="save", answers=partial, scored=None,
            user=admin,
        )
        version += 1
    assessments.save(
        db, aid, expected_version=version, action="submit", answers=answers, scored=scored,
        user=admin,
    )
    print("ok", i, aid, flush=True)
    i += 1
"""


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "faults.db")
    db = store.connect(path)
    store.migrate(db)
    users.create(db, "admin", "correct-horse-1", "admin")
    db.close()
    return path


def run_child(path: str, mode: str, start: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, path, mode, str(start)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )


def read_until(proc: subprocess.Popen, predicate, timeout: float = 30) -> list[str]:
    """Lines from the child until predicate(lines) holds; fails the test after `timeout`."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while not predicate(lines):
        assert time.monotonic() < deadline, f"child too slow: {lines[-3:]}"
        line = proc.stdout.readline()
        assert line, f"child ended: {proc.stderr.read()[-2000:]}"
        lines.append(line.split())
    return lines


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    proc.stdout.close()
    proc.stderr.close()


def check_consistent(path: str) -> dict[str, int]:
    """Everything the database must satisfy after a crash; returns the row counts."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
        assert q("PRAGMA integrity_check") == [("ok",)]
        assert q("PRAGMA foreign_key_check") == []
        n_wb = q("SELECT count(*) FROM waterbodies")[0][0]
        n_a = q("SELECT count(*) FROM assessments")[0][0]
        audit = dict(q("SELECT action, count(*) FROM audit_log GROUP BY action"))
        # a waterbody and its audit row commit together, or neither does
        assert audit.get("waterbody_created", 0) == n_wb
        # every assessment has exactly one "created" row, and no audit row outlives a rollback
        assert (
            q(
                "SELECT a.id FROM assessments a LEFT JOIN audit_log l ON l.entity = 'assessment' "
                "AND l.entity_id = CAST(a.id AS TEXT) AND l.action = 'assessment_created' "
                "GROUP BY a.id HAVING count(l.id) != 1"
            )
            == []
        )
        assert (
            q(
                "SELECT l.entity_id FROM audit_log l LEFT JOIN assessments a "
                "ON CAST(a.id AS TEXT) = l.entity_id WHERE l.entity = 'assessment' AND a.id IS NULL"
            )
            == []
        )
        # every version bump is audited: no lost and no duplicated update
        assert (
            q(
                "SELECT a.id FROM assessments a WHERE a.version != 1 + (SELECT count(*) FROM "
                "audit_log l WHERE l.entity = 'assessment' AND l.entity_id = CAST(a.id AS TEXT) "
                "AND l.action IN ('assessment_saved', 'assessment_submitted'))"
            )
            == []
        )
        # status agrees with the history: submitted exactly when the submit was audited
        submitted = q("SELECT count(*) FROM assessments WHERE status = 'submitted'")[0][0]
        assert submitted == audit.get("assessment_submitted", 0)
        # the standings counter moved in the same transactions (waterbody created, submitted)
        version = q("SELECT version FROM standings_state")[0][0]
        assert version == 1 + n_wb + submitted
        assert (
            q(
                "SELECT waterbody_id, kind FROM assessments WHERE status IN "
                "('draft', 'submitted', 'returned') GROUP BY waterbody_id, kind HAVING count(*) > 1"
            )
            == []
        )
        return {"waterbodies": n_wb, "assessments": n_a, "submitted": submitted}
    finally:
        conn.close()


def test_killed_at_random_moments_leaves_a_consistent_database(database):
    rng = random.Random(20250107)
    before = check_consistent(database)
    for round_ in range(4):
        wanted = 1 + rng.randrange(3)
        proc = run_child(database, "stream", start=round_ * 1000)
        try:
            lines = read_until(proc, lambda lines, n=wanted: len(lines) >= n)
            time.sleep(rng.uniform(0, 0.05))  # land somewhere inside a later iteration
        finally:
            kill(proc)
        finished = len(lines)
        after = check_consistent(database)
        # every iteration the child reported is wholly there; of the one it was killed in,
        # each transaction is either wholly there or not at all (checked above)
        assert after["submitted"] - before["submitted"] >= finished
        assert after["waterbodies"] - before["waterbodies"] >= finished
        assert after["submitted"] <= after["assessments"] <= after["waterbodies"]
        # at most one waterbody more than assessments: killed between those two transactions
        gap = lambda c: c["waterbodies"] - c["assessments"]  # noqa: E731
        assert gap(after) - gap(before) in (0, 1)
        before = after
    assert before["submitted"] >= 4


def test_killed_while_holding_the_write_lock(database):
    proc = run_child(database, "hold", start=0)
    try:
        # the first waterbody commits; then the child stops inside the assessment's transaction
        read_until(proc, lambda lines: lines and lines[-1][0] == "HOLD")
        # it really holds the write lock: another writer cannot get in meanwhile
        probe = sqlite3.connect(database, timeout=0.2, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
        probe.close()
    finally:
        kill(proc)

    counts = check_consistent(database)
    # the half-written assessment is gone with the process; the committed waterbody is not
    assert counts == {"waterbodies": 1, "assessments": 0, "submitted": 0}
    # and the lock died with it: the next writer gets in at once and its work is whole
    db = store.connect(database)
    try:
        db.conn.execute("PRAGMA busy_timeout = 1000")
        admin = users.by_username(db, "admin")
        wb = db.execute("SELECT id FROM waterbodies").fetchone()[0]
        aid = assessments.create(
            db,
            waterbody_id=wb,
            kind="self",
            rubric_id="cq-river",
            rubric_version="2025.1",
            answers={"gates": {}},
            scored=None,
            user=admin,
        )
        waterbodies.create(db, {"name": "恢复后新增河", "kind": "river", "district": "渝北区"})
    finally:
        db.close()
    assert aid == 1
    assert check_consistent(database) == {"waterbodies": 2, "assessments": 1, "submitted": 0}
