"""The append-only audit trail (triggers in 0001_initial refuse UPDATE and DELETE)."""

import json
from typing import Any

from sqlite_utils import Database

from . import now


def record(
    db: Database,
    action: str,
    *,
    user: dict | None = None,
    ip: str | None = None,
    entity: str | None = None,
    entity_id: Any = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one audit row; call inside the write transaction that makes the change."""
    row = entry(action, user, ip, entity, entity_id, before, after)
    # One plain INSERT: sqlite-utils' Table.insert inspects the table's columns first, which
    # cost more than the insert itself on every save.
    db.execute(_INSERT, [row[column] for column in _COLUMNS])


_COLUMNS = ("at", "user_id", "username", "ip", "action", "entity", "entity_id", "before", "after")
_INSERT = f"INSERT INTO audit_log ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


def record_all(db: Database, entries: list[dict]) -> None:
    """Append many rows made by entry() at once (a bulk import: one statement, not thousands)."""
    db["audit_log"].insert_all(entries)


def entry(
    action: str,
    user: dict | None = None,
    ip: str | None = None,
    entity: str | None = None,
    entity_id: Any = None,
    before: Any = None,
    after: Any = None,
) -> dict:
    return {
        "at": now(),
        "user_id": user["id"] if user else None,
        "username": user["username"] if user else None,
        "ip": ip,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id) if entity_id is not None else None,
        "before": _json(before),
        "after": _json(after),
    }


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def history(db: Database, entity: str, entity_id: Any) -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id",
            [entity, str(entity_id)],
        )
    )


def search(
    db: Database,
    *,
    action: str | None = None,
    username: str | None = None,
    entity: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 200,
) -> list[dict]:
    where, params = [], []
    for column, value in (("action", action), ("username", username), ("entity", entity)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if since:
        where.append("at >= ?")
        params.append(since)
    if until:
        where.append("at < ?")
        params.append(until)
    sql = "SELECT * FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    return list(db.query(sql, [*params, limit]))
