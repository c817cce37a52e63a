"""Standings and progress: the rows that scoring/ ranks, cached until a write changes them.

Every write that can change a standing (a submit, a decision, a new waterbody) calls
invalidate_standings() inside its transaction. The cache lives in each worker process but is
keyed by a counter in the database, so all workers see a decision at once.
"""

import json
import threading
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlite_utils import Database

from scoring.leaderboard import HeldTitle, rank_districts, rank_waterbodies
from scoring.progress import AcceptanceSpan

_cache: dict[tuple, object] = {}
_cache_lock = threading.Lock()


def invalidate_standings(db: Database) -> None:
    """Mark every cached standing stale. Call inside the write transaction that changes them."""
    db.execute("UPDATE standings_state SET version = version + 1 WHERE id = 1")


def standings_version(db: Database) -> int:
    return db.execute("SELECT version FROM standings_state WHERE id = 1").fetchone()[0]


def cached(db: Database, key: tuple, compute):
    """compute() once per standings version and key; a stale version drops the whole cache."""
    version = standings_version(db)
    with _cache_lock:
        if _cache.get("version") != version:
            _cache.clear()
            _cache["version"] = version
        if key in _cache:
            return _cache[key]
    value = compute()
    with _cache_lock:
        if _cache.get("version") == version:
            _cache[key] = value
    return value


def title_history(db: Database, kind: str | None = None) -> dict[int, list[dict]]:
    """Per waterbody, the periods it held the title, from the decisions that granted or revoked it.

    Derived from decisions (not from the waterbody's current status) so that back-dated
    decisions and an as_of in the past both give the right answer.
    """
    sql = (
        "SELECT a.id, a.waterbody_id, a.kind, a.status, a.decided_on, a.total_cents, "
        "w.district_code FROM assessments a JOIN waterbodies w ON w.id = a.waterbody_id "
        "WHERE a.decided_on IS NOT NULL AND (a.status = 'accepted' "
        "OR (a.kind = 'recheck' AND a.status = 'rejected'))"
    )
    params = []
    if kind:
        sql += " AND w.kind = ?"
        params.append(kind)
    sql += " ORDER BY a.decided_on, a.id"
    spans: dict[int, list[dict]] = defaultdict(list)
    for event in db.query(sql, params):
        held = spans[event["waterbody_id"]]
        current = held[-1] if held and held[-1]["revoked_on"] is None else None
        if event["status"] == "accepted" and current is None:
            held.append(
                {
                    "accepted_on": date.fromisoformat(event["decided_on"]),
                    "revoked_on": None,
                    "total": Decimal(event["total_cents"]) / 100,
                    "district_code": event["district_code"],
                    "assessment_id": event["id"],
                }
            )
        elif event["status"] == "rejected" and current is not None:
            current["revoked_on"] = date.fromisoformat(event["decided_on"])
    return spans


def acceptance_spans(db: Database, kind: str | None = None) -> list[AcceptanceSpan]:
    return [
        AcceptanceSpan(s["accepted_on"], s["revoked_on"])
        for spans in title_history(db, kind).values()
        for s in spans
    ]


def district_standings(db: Database, as_of: date, kind: str | None = None) -> list:
    def compute():
        districts = [(r["code"], r["name"]) for r in db.query("SELECT code, name FROM districts")]
        titles: dict[str, list[HeldTitle]] = defaultdict(list)
        for spans in title_history(db, kind).values():
            for s in spans:
                titles[s["district_code"]].append(
                    HeldTitle(s["accepted_on"], s["revoked_on"], s["total"])
                )
        sql = (
            "SELECT w.district_code, count(*) AS n FROM assessments a "
            "JOIN waterbodies w ON w.id = a.waterbody_id WHERE a.status = 'submitted'"
        )
        params = []
        if kind:
            sql += " AND w.kind = ?"
            params.append(kind)
        in_review = {
            r["district_code"]: r["n"] for r in db.query(sql + " GROUP BY w.district_code", params)
        }
        return rank_districts(districts, titles, in_review, as_of)

    return cached(db, ("districts", as_of, kind), compute)


def waterbody_rows(db: Database, *, kind: str | None = None, year: int | None = None) -> list[dict]:
    """Each waterbody's latest decided assessment: total and the seven dimension scores."""
    where, params = ["a.status IN ('accepted', 'conditional', 'rejected')"], []
    if kind:
        where.append("w.kind = ?")
        params.append(kind)
    if year:
        where.append("substr(a.decided_on, 1, 4) = ?")
        params.append(str(year))
    sql = (
        "SELECT a.id AS assessment_id, a.waterbody_id, a.total_cents, a.decided_on, a.status, "
        "a.result, w.name, w.kind, w.district_code, d.name AS district "
        "FROM assessments a JOIN waterbodies w ON w.id = a.waterbody_id "
        "JOIN districts d ON d.code = w.district_code "
        f"WHERE {' AND '.join(where)} AND a.id = ("
        "  SELECT a2.id FROM assessments a2 WHERE a2.waterbody_id = a.waterbody_id "
        "  AND a2.status IN ('accepted', 'conditional', 'rejected') "
        + ("AND substr(a2.decided_on, 1, 4) = ? " if year else "")
        + "  ORDER BY a2.decided_on DESC, a2.id DESC LIMIT 1)"
    )
    if year:
        params.append(str(year))
    rows = []
    for r in db.query(sql, params):
        result = json.loads(r["result"])
        rows.append(
            {
                "id": r["waterbody_id"],
                "name": r["name"],
                "kind": r["kind"],
                "district": r["district"],
                "district_code": r["district_code"],
                "assessment_id": r["assessment_id"],
                "decided_on": r["decided_on"],
                "status": r["status"],
                "total": Decimal(r["total_cents"]) / 100,
                "dimensions": {
                    code: Decimal(d["score"]) for code, d in result["dimensions"].items()
                },
            }
        )
    return rows


def waterbody_standings(db: Database, *, kind: str | None = None, year: int | None = None):
    def compute():
        rows = waterbody_rows(db, kind=kind, year=year)
        ranked = rank_waterbodies(rows)
        extra = {r["id"]: r for r in rows}
        return ranked, extra

    return cached(db, ("waterbodies", kind, year), compute)
