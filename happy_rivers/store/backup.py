"""Online backup: a consistent copy of the live database while the app keeps serving.

SQLite's backup API copies the pages inside one read transaction when asked for all pages in
one step, so the copy is a single snapshot: every transaction committed before it began and
none after. In WAL mode writers keep committing meanwhile and are never blocked. (Copying a
few pages per step would restart whenever another connection writes, and under steady writes
might never finish.)

The copy is written beside the destination and renamed into place only once it is complete and
passes PRAGMA integrity_check, so a crash mid-backup never leaves a half-written file under
the backup's name. The copy is a single self-contained file (journal_mode DELETE, no -wal);
the app switches it back to WAL when it opens it. To restore: stop the server, copy the file
to the configured DATABASE path, start the server.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from happy_rivers import clock


class BackupError(Exception):
    pass


def default_name(now: datetime | None = None) -> str:
    """happy_rivers-YYYYmmdd-HHMMSS.db, in Beijing time like every time people read."""
    return f"happy_rivers-{(now or clock.beijing_datetime(clock.utc_now())):%Y%m%d-%H%M%S}.db"


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def backup(source: str | os.PathLike, destination: str | os.PathLike, *, force=False) -> dict:
    """Copy the database at `source` to `destination` (a file, or a folder to put it in).

    Returns {"path", "pages", "tables": {name: rows}, "integrity"}. Raises BackupError when the
    source is missing, the destination exists (unless force) or is the source itself.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"数据库文件不存在：{source}")
    dest = Path(destination)
    if dest.is_dir():
        dest = dest / default_name()
    if dest.resolve() == source.resolve():
        raise BackupError("备份文件不能是正在使用的数据库本身")
    if dest.exists() and not force:
        raise BackupError(f"{dest} 已存在；如需覆盖请加 --force")
    if not dest.parent.is_dir():
        raise BackupError(f"目录不存在：{dest.parent}")

    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=-1)  # all pages in one step: one read snapshot
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            tables = table_counts(dst)
        finally:
            dst.close()
    finally:
        src.close()
    if integrity != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"备份副本未通过完整性检查：{integrity}")
    with open(partial, "rb") as f:
        os.fsync(f.fileno())  # on disk before it takes the backup's name
    os.replace(partial, dest)
    return {"path": str(dest), "pages": pages, "tables": tables, "integrity": integrity}
