"""`flask --app app backup PATH`: a consistent online copy; restoring it gives every row back."""

import hashlib
import shutil
import sqlite3
import threading
import time

import pytest

from happy_rivers import create_app, scoring, store
from happy_rivers.store import assessments, users, waterbodies
from tests.answers import full_river_answers
from tests.conftest import PASSWORD


def tables(conn: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]


def checksum(conn: sqlite3.Connection, table: str, max_rowid: int | None = None) -> tuple:
    """(row count, sha256 of every row in rowid order), optionally only rows up to max_rowid."""
    sql = f'SELECT * FROM "{table}"'
    if max_rowid is not None:
        sql += f" WHERE rowid <= {int(max_rowid)}"
    digest = hashlib.sha256()
    n = 0
    for row in conn.execute(sql + " ORDER BY rowid"):
        digest.update(repr(row).encode())
        n += 1
    return n, digest.hexdigest()


def snapshot(path) -> dict[str, tuple]:
    with sqlite3.connect(path) as conn:
        return {t: checksum(conn, t) for t in tables(conn)}


def add_work(db, n: int) -> None:
    """Assessments in several states, so every table has rows worth comparing."""
    admin = users.by_username(db, "admin")
    reviewer = users.by_username(db, "reviewer")
    rubric = scoring.load_rubric("cq-river")
    answers = full_river_answers()
    result = scoring.score(rubric, answers).to_dict()
    for i in range(n):
        wb = waterbodies.create(
            db, {"name": f"备份测试河{i}", "kind": "river", "district": "渝北区"}, actor=admin
        )
        aid = assessments.create(
            db,
            waterbody_id=wb,
            kind="acceptance",
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            answers=answers,
            scored=result,
            user=admin,
        )
        if i % 2:
            assessments.save(
                db,
                aid,
                expected_version=1,
                action="submit",
                answers=answers,
                scored=result,
                user=admin,
            )
            if i % 4 == 1:
                assessments.review(db, aid, action="accept", user=reviewer, decided_on="2025-06-20")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_backup_copies_every_row_of_every_table(app, db, runner, tmp_path):
    add_work(db, 6)
    target = tmp_path / "copy.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "完整性检查 ok" in result.output
    source = snapshot(app.config["DATABASE"])
    copy = snapshot(target)
    assert set(copy) >= {"assessments", "audit_log", "users", "waterbodies", "districts"}
    assert copy == source  # every table: same rows, same values
    assert copy["assessments"][0] == 6
    # a single self-contained file: no journal or WAL left beside it
    assert not (tmp_path / "copy.db-wal").exists()
    assert not (tmp_path / "copy.db.partial").exists()
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_backup_into_a_folder_and_refusals(app, runner, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    made = list(folder.glob("happy_rivers-*.db"))
    assert len(made) == 1
    before = made[0].read_bytes()

    again = runner.invoke(args=["backup", str(made[0])])
    assert again.exit_code != 0 and "已存在" in again.output
    assert made[0].read_bytes() == before  # not overwritten without --force
    assert runner.invoke(args=["backup", str(made[0]), "--force"]).exit_code == 0

    live = runner.invoke(args=["backup", app.config["DATABASE"], "--force"])
    assert live.exit_code != 0 and "正在使用的数据库" in live.output


def _writer(path: str, stop: threading.Event, commits: list[float], errors: list) -> None:
    """Insert-only work, one short transaction at a time, until told to stop."""
    db = store.connect(path)
    try:
        admin = users.by_username(db, "admin")
        i = 0
        while not stop.is_set():
            wb = waterbodies.create(
                db, {"name": f"并发备份河{i}", "kind": "river", "district": "北碚区"}, actor=admin
            )
            commits.append(time.monotonic())
            assessments.create(
                db,
                waterbody_id=wb,
                kind="self",
                rubric_id="cq-river",
                rubric_version="2025.1",
                answers={"A1": i, "gates": {}},
                scored=None,
                user=admin,
            )
            commits.append(time.monotonic())
            i += 1
    except Exception as e:  # reported by the test, not lost in the thread
        errors.append(e)
    finally:
        db.close()


def test_backup_while_writing_is_one_consistent_snapshot(app, db, runner, tmp_path):
    # ~12 MB of history, so copying takes long enough for writes to land during the copy
    payload = "水" * 2000
    with store.write(db):
        db.conn.executemany(
            "INSERT INTO audit_log (at, action, entity, entity_id, after) VALUES (?, ?, ?, ?, ?)",
            [
                ("2025-01-01T00:00:00+00:00", "history", "test", str(i), payload)
                for i in range(2000)
            ],
        )
    path = app.config["DATABASE"]
    stop, commits, errors = threading.Event(), [], []
    thread = threading.Thread(target=_writer, args=(path, stop, commits, errors))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(commits) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        # a copy takes tens of milliseconds; on a very fast machine no write may fall inside
        # one, so try a few times (--force overwrites) until one does
        for _attempt in range(5):
            started = time.monotonic()
            result = runner.invoke(args=["backup", str(tmp_path / "live.db"), "--force"])
            finished = time.monotonic()
            if result.exit_code or any(started <= t <= finished for t in commits):
                break
        n_at_backup = len(commits)
        while len(commits) < n_at_backup + 20 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors
    assert result.exit_code == 0, result.output
    # writers were never blocked: they committed before, during and after the copy
    assert any(t < started for t in commits) and any(t > finished for t in commits)
    assert any(started <= t <= finished for t in commits), "no write landed during the copy"

    copy = sqlite3.connect(tmp_path / "live.db")
    live = sqlite3.connect(path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
        # the copy is the live database as it stood at one moment: every table holds exactly
        # the live rows up to the copy's last row (the writer only inserts), nothing torn
        for table in tables(copy):
            if table == "standings_state":
                continue  # a counter that is updated, checked below
            (last,) = copy.execute(f'SELECT coalesce(max(rowid), 0) FROM "{table}"').fetchone()
            assert checksum(copy, table) == checksum(live, table, last), table
        n_wb, n_a = (
            copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("waterbodies", "assessments")
        )
        live_wb = live.execute("SELECT count(*) FROM waterbodies").fetchone()[0]
        assert 3 < n_wb < live_wb  # writes from before the copy in, writes after it not
        # each transaction is whole: a waterbody's audit row with it, an assessment with its own
        audited = dict(
            copy.execute(
                "SELECT action, count(*) FROM audit_log WHERE action IN "
                "('waterbody_created', 'assessment_created') GROUP BY action"
            ).fetchall()
        )
        assert audited == {"waterbody_created": n_wb, "assessment_created": n_a}
        assert n_wb - 3 in (n_a, n_a + 1)  # the 3 fixture waterbodies have no assessment
        # every waterbody_created bumped the standings counter in the same transaction
        (version,) = copy.execute("SELECT version FROM standings_state").fetchone()
        assert version == 1 + n_wb
    finally:
        copy.close()
        live.close()


def test_restored_backup_serves_every_row(app, db, runner, tmp_path):
    add_work(db, 4)
    result = runner.invoke(args=["backup", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    expected = snapshot(app.config["DATABASE"])

    # restore = copy the backup to the DATABASE path of a (stopped, then started) instance
    restored = tmp_path / "restored" / "happy_rivers.db"
    restored.parent.mkdir()
    shutil.copyfile(tmp_path / "b.db", restored)
    # every row came back, before anything (a sign-in, say) writes to the restored copy
    assert snapshot(str(restored)) == expected
    app2 = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "restored",
            "DATABASE": str(restored),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    with app2.app_context():
        store.migrate(store.get_db())  # nothing to apply: the schema came with the copy
    assert snapshot(str(restored)) == expected
    client = app2.test_client()
    token = client.get("/login").get_data(as_text=True)
    token = token.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    login = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302  # the users (and their password hashes) came back
    page = client.get("/waterbodies").get_data(as_text=True)
    assert "备份测试河3" in page
    # the sign-in appended its audit row after the restored ones, which are untouched
    with sqlite3.connect(restored) as conn:
        n_audit = expected["audit_log"][0]
        assert checksum(conn, "audit_log", n_audit) == expected["audit_log"]
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == n_audit + 1
