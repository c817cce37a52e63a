"""All SQL lives in this package: the connection, the migrations and the named queries.

Views call the functions re-exported here; nothing outside store/ writes SQL.
"""

import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlite_utils import Database

from .migrations import migrations


def connect(path: str) -> Database:
    """Open the database with the settings every connection needs."""
    # timeout = busy timeout: a writer waits for another's short transaction instead of failing
    # with "database is locked"; check_same_thread=False because the dev server and tests may
    # hand a request's connection between threads (never two at once).
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn)


def get_db() -> Database:
    """The request's database connection, opened on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


@contextmanager
def write(db: Database):
    """One short write transaction.

    BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue on the busy
    timeout instead of failing when a read transaction tries to upgrade. Nested calls become
    savepoints through db.atomic().
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        db.conn.execute("COMMIT")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    counts = demo.seed(db)
    click.echo(
        "已加载演示数据：{waterbodies} 个河湖，{accepted} 次验收通过（其中 1 个已摘牌），"
        "{submitted} 份待审核，{returned} 份已退回，{draft} 份草稿。".format(**counts)
    )
    click.echo(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
    for username, display, role, district in demo.DEMO_USERS:
        click.echo(f"  {username:<12} {role:<10} {district or '全市'}  {display}")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
