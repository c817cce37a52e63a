"""What the public pages show: the named 市级幸福河湖, and nothing internal.

Only waterbodies holding the title now (status 'accepted', named on accepted_on) and, per
waterbody, the accepted assessment that earned it: its grade and dimension scores. No query
here reads a draft, a returned or rejected assessment, a user or an address, so a page built
from these rows cannot show one.
"""

from __future__ import annotations

import json
from decimal import Decimal

from sqlite_utils import Database

_NAMED = (
    "SELECT w.id, w.name, w.kind, w.district_code, d.name AS district_name, w.river_chief, "
    "w.accepted_on, json_extract(a.result, '$.grade') AS grade, a.total_cents, "
    "json_extract(a.result, '$.dimensions') AS dimensions "
    "FROM waterbodies w JOIN districts d ON d.code = w.district_code "
    # the accepted assessment that earned the title: the latest accepted one
    "LEFT JOIN assessments a ON a.id = ("
    "  SELECT a2.id FROM assessments a2 WHERE a2.waterbody_id = w.id AND a2.status = 'accepted' "
    "  ORDER BY a2.decided_on DESC, a2.id DESC LIMIT 1) "
    "WHERE w.status = 'accepted'"
)


def _row(r: dict, *, with_dimensions: bool) -> dict:
    row = {
        "id": r["id"],
        "name": r["name"],
        "kind": r["kind"],
        "district_code": r["district_code"],
        "district_name": r["district_name"],
        "river_chief": r["river_chief"],
        "accepted_on": r["accepted_on"],
        "grade": r["grade"],
        "total": None if r["total_cents"] is None else Decimal(r["total_cents"]) / 100,
    }
    if with_dimensions:
        row["dimensions"] = json.loads(r["dimensions"]) if r["dimensions"] else {}
    return row


def named(db: Database, *, district: str | None = None) -> list[dict]:
    """The named list (名录), newest naming first, then by name."""
    sql, params = _NAMED, []
    if district:
        sql += " AND w.district_code = ?"
        params.append(district)
    sql += " ORDER BY w.accepted_on DESC, w.name_pinyin, w.id"
    return [_row(r, with_dimensions=False) for r in db.query(sql, params)]


def named_one(db: Database, waterbody_id: int) -> dict | None:
    """One named waterbody's card, or None when it does not hold the title."""
    rows = list(db.query(_NAMED + " AND w.id = ?", [waterbody_id]))
    return _row(rows[0], with_dimensions=True) if rows else None


def named_counts(db: Database) -> dict[str, int]:
    """Named waterbodies per district code (the public map)."""
    return {
        r[0]: r[1]
        for r in db.execute(
            "SELECT district_code, count(*) FROM waterbodies WHERE status = 'accepted' "
            "GROUP BY district_code"
        ).fetchall()
    }
