"""All SQL lives in this package: the connection, the migrations and the named queries.

Views call the functions re-exported here; nothing outside store/ writes SQL.
"""

import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from flask import Flask, current_app, g
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
def init_db_command() -> None:
    """Create the database and apply pending migrations."""
    db = get_db()
    migrate(db)
    click.echo(f"数据库已就绪：{current_app.config['DATABASE']}")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
