"""All SQL lives in this package: the connection, the migrations and the named queries.

Views call the functions re-exported here; nothing outside store/ writes SQL.
"""

import logging
import sqlite3
import threading
from contextlib import contextmanager

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlite_utils import Database

from happy_rivers import clock

from .migrations import migrations

logger = logging.getLogger(__name__)


def connect(path: str) -> Database:
    """Open the database with the settings every connection needs."""
    # timeout = busy timeout: a writer waits for another's short transaction instead of failing
    # with "database is locked"; check_same_thread=False because the dev server and tests may
    # hand a request's connection between threads (never two at once).
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # SQLite copies the WAL back into the database in whichever commit crosses the threshold,
    # and that request waits for it (5 ms at the city's size, 10–14 ms at ten times). Requests
    # checkpoint after their response instead (checkpoint_after_response); this is the safety
    # net for the command line and anything else that writes without a request.
    conn.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
    return Database(conn)


AUTOCHECKPOINT_PAGES = 10_000  # ~40 MB of WAL


def checkpoint(path: str) -> tuple[int, int, int]:
    """Copy what the WAL holds back into the database without waiting for anyone (PASSIVE):
    (busy, frames in the WAL, frames copied)."""
    conn = sqlite3.connect(path, timeout=0)
    try:
        return tuple(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
    finally:
        conn.close()


# One idle connection per thread, handed from one request to the next: opening a connection
# and setting its pragmas cost ~0.9 ms of CPU per request, more than a whole simple page.
# A connection is checked out by one app context at a time, so nested or parallel contexts
# never share one; it goes back only outside a transaction.
_idle = threading.local()


def get_db() -> Database:
    """The request's database connection: this thread's idle one, or a new one."""
    if "db" not in g:
        path = current_app.config["DATABASE"]
        slot = getattr(_idle, "slot", None)
        if slot is not None and slot[0] == path:
            _idle.slot = None
            g.db = slot[1]
        else:
            g.db = connect(path)
        g.db_path = path
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    path = g.pop("db_path", None)
    if db is None:
        return
    if db.conn.in_transaction:  # never hand a transaction on to the next request
        db.conn.rollback()
    previous = getattr(_idle, "slot", None)
    _idle.slot = (path, db)
    if previous is not None and previous[1] is not db:
        previous[1].close()


@contextmanager
def write(db: Database):
    """One short write transaction.

    BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue on the busy
    timeout instead of failing when a read transaction tries to upgrade. Nested calls become
    savepoints, as db.atomic() makes them, but under one name: SQLite nests savepoints of the
    same name (RELEASE takes the innermost), and a fixed statement stays in the statement cache
    where db.atomic()'s random names were prepared anew each time.
    """
    if db.conn.in_transaction:
        pending = _after_commit(db)
        mark = len(pending)
        db.conn.execute("SAVEPOINT nested_write")
        try:
            yield db
        except BaseException:
            # a RAISE(ROLLBACK) trigger ends the whole transaction, savepoints and all
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK TO SAVEPOINT nested_write")
                db.conn.execute("RELEASE SAVEPOINT nested_write")
            del pending[mark:]  # the savepoint was rolled back: so is what it asked for
            raise
        db.conn.execute("RELEASE SAVEPOINT nested_write")
        return
    db.conn.execute("BEGIN IMMEDIATE")
    pending = _after_commit(db)
    pending.clear()
    try:
        yield db
    except BaseException:
        pending.clear()
        db.rollback()
        raise
    else:
        db.conn.execute("COMMIT")
        db._commits = getattr(db, "_commits", 0) + 1
        callbacks = list(pending)
        pending.clear()
        for callback in callbacks:
            try:
                callback()
            except Exception:  # the write is done; a side effect must not turn it into an error
                logger.exception("after-commit callback failed")


def _after_commit(db: Database) -> list:
    if not hasattr(db, "_after_commit_callbacks"):
        db._after_commit_callbacks = []
    return db._after_commit_callbacks


def after_commit(db: Database, callback) -> None:
    """Run `callback` once the write transaction in progress has committed, never if it rolls
    back: an e-mail about a decision goes out only when the decision was really written.
    Failures are logged, not raised (the write has succeeded by then)."""
    _after_commit(db).append(callback)


def now() -> str:
    """The stamp every stored row gets: UTC ISO 8601 (clock.stamp)."""
    return clock.stamp()


def migrate(db: Database) -> None:
    """Apply pending migrations."""
    migrations.apply(db)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database and apply pending migrations."""
    db = get_db()
    migrate(db)
    click.echo(f"数据库已就绪：{current_app.config['DATABASE']}")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only when the database has no waterbodies yet.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the clearly marked demo data: all 41 districts, acceptances since 2025, demo users."""
    from . import demo

    db = get_db()
    migrate(db)
    if not demo.is_empty(db):
        if if_empty:
            click.echo("数据库已有数据，未加载演示数据。")
            return
        raise click.ClickException("数据库已有河湖数据；演示数据只能加载到空数据库。")
    counts = demo.seed(db, publicity=current_app.config["PUBLICITY"])
    click.echo(
        "已加载演示数据：{waterbodies} 个河湖，{accepted} 次验收通过（其中 1 个已摘牌），"
        "{submitted} 份待审核，{returned} 份已退回，{draft} 份草稿。".format(**counts)
    )
    click.echo(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
    for username, display, role, district in demo.DEMO_USERS:
        click.echo(f"  {username:<12} {role:<10} {district or '全市'}  {display}")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup_command(path: str, force: bool) -> None:
    """Copy the live database to PATH (a file, or a folder) while the app keeps serving."""
    from .backup import BackupError, backup

    try:
        done = backup(current_app.config["DATABASE"], path, force=force)
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    rows = sum(done["tables"].values())
    click.echo(
        f"已备份到 {done['path']}：{len(done['tables'])} 张表，{rows} 行，"
        f"完整性检查 {done['integrity']}"
    )


@click.command("purge-idempotency-keys")
@with_appcontext
@click.option("--days", default=30, show_default=True, help="Keep keys this many days.")
def purge_idempotency_keys_command(days: int) -> None:
    """Forget idempotency keys older than DAYS (writes also purge them as they go)."""
    from . import idempotency

    removed = idempotency.purge(get_db(), days=days)
    click.echo(f"已清除 {removed} 个过期的幂等键。")


@click.command("announce-ended-notices")
@with_appcontext
def announce_ended_notices_command() -> None:
    """Tell the administrators about 公示 notices that have ended (once per batch); for a
    daily cron, since a notice ends by the calendar (the 公示 pages also do it when opened)."""
    from . import publicity

    announced = publicity.announce_ended(get_db())
    click.echo(f"已通知管理员：{announced} 个公示批次已期满待命名。")


@click.command("announce-due-schedules")
@with_appcontext
def announce_due_schedules_command() -> None:
    """Tell each district's inspectors and the administrators about rechecks and rectification
    deadlines that have come due or are overdue (once per item and status); for a daily cron."""
    from . import schedule

    written = schedule.announce_due(get_db(), clock.today())
    click.echo(f"已发送 {written} 条日程提醒。")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.config.setdefault("WAL_CHECKPOINT_EVERY", 50)  # write transactions per connection
    app.extensions["happy_rivers_wal"] = stats = {"checkpoints": 0, "frames": 0, "failed": 0}

    @app.after_request
    def checkpoint_after_response(response):
        """Every WAL_CHECKPOINT_EVERY commits of a connection, its request checkpoints the WAL
        once the response has been sent (the server closes it): nobody waits for the copy."""
        db = g.get("db")
        if db is None or getattr(db, "_commits", 0) < app.config["WAL_CHECKPOINT_EVERY"]:
            return response
        db._commits = 0
        path = g.db_path

        def run() -> None:
            try:
                _busy, _frames, copied = checkpoint(path)
            except sqlite3.Error:  # never a reason to fail: the next one, or SQLite's, will do
                stats["failed"] += 1
                logger.exception("WAL checkpoint after a response failed")
                return
            stats["checkpoints"] += 1
            stats["frames"] += copied

        response.call_on_close(run)
        return response

    app.cli.add_command(announce_due_schedules_command)
    app.cli.add_command(announce_ended_notices_command)
    app.cli.add_command(purge_idempotency_keys_command)
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(backup_command)
