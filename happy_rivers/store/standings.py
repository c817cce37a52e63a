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

from happy_rivers.scoring.leaderboard import (
    HeldTitle,
    leaders_by_dimension,
    rank_districts,
    rank_waterbodies,
)
from happy_rivers.scoring.progress import AcceptanceSpan

# when a waterbody holds its title: one query (store/titles.py), re-exported for the boards
from .titles import title_history  # noqa: F401

_cache: dict[tuple, object] = {}
_cache_lock = threading.Lock()


def invalidate_standings(db: Database) -> None:
    """Mark every cached standing stale. Call inside the write transaction that changes them."""
    db.execute("UPDATE standings_state SET version = version + 1 WHERE id = 1")


def standings_version(db: Database) -> int:
    return db.execute("SELECT version FROM standings_state WHERE id = 1").fetchone()[0]


def _identity(db: Database) -> str:
    """The database file: two databases (tests, a restored copy) may share a version number."""
    try:
        return db._standings_identity
    except AttributeError:
        db._standings_identity = db.execute("PRAGMA database_list").fetchone()[2]
        return db._standings_identity


def cached(db: Database, key: tuple, compute, *, limit: int = 64):
    """compute() once per standings version and key; a stale version drops the whole cache.

    At most `limit` entries whose key starts like this one are kept (beyond it the value is
    computed but not stored), so crawling every as_of date cannot grow a worker's memory.
    """
    version = (_identity(db), standings_version(db))
    with _cache_lock:
        if _cache.get("version") != version:
            _cache.clear()
            _cache["version"] = version
        if key in _cache:
            return _cache[key]
    value = compute()
    with _cache_lock:
        full = sum(1 for k in _cache if k[:1] == key[:1]) >= limit
        if _cache.get("version") == version and not full:
            _cache[key] = value
    return value


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


def waterbody_rows(
    db: Database,
    *,
    kind: str | None = None,
    year: int | None = None,
    until: date | None = None,
) -> list[dict]:
    """Each waterbody's latest decided assessment: total and the seven dimension scores.

    ``until`` keeps only decisions on or before that date (the rows as they stood then).
    """
    # Driven by the waterbodies: one index-only lookup each (idx_assessments_waterbody_status_
    # decided, 0003) finds its latest decision. Driving it from the decided assessments instead
    # ran the lookup once per decision (19,000 at city scale) and read each row's overflow pages:
    # 6 s cold. Only the dimensions are pulled out of the ~7 KB result JSON, by SQLite.
    decided, params = ["a2.status IN ('accepted', 'conditional', 'rejected')"], []
    if year:
        decided.append("substr(a2.decided_on, 1, 4) = ?")
        params.append(str(year))
    if until:
        decided.append("a2.decided_on <= ?")
        params.append(until.isoformat())
    sql = (
        "SELECT a.id AS assessment_id, a.waterbody_id, a.total_cents, a.decided_on, a.status, "
        "json_extract(a.result, '$.dimensions') AS dimensions, "
        "w.name, w.kind, w.district_code, d.name AS district "
        "FROM waterbodies w JOIN assessments a ON a.id = ("
        "  SELECT a2.id FROM assessments a2 WHERE a2.waterbody_id = w.id "
        f"  AND {' AND '.join(decided)} ORDER BY a2.decided_on DESC, a2.id DESC LIMIT 1) "
        "JOIN districts d ON d.code = w.district_code"
    )
    if kind:
        sql += " WHERE w.kind = ?"
        params.append(kind)
    rows = []
    for r in db.query(sql, params):
        dimensions = json.loads(r["dimensions"])
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
                "dimensions": {code: Decimal(d["score"]) for code, d in dimensions.items()},
            }
        )
    return rows


def waterbody_standings(
    db: Database,
    *,
    kind: str | None = None,
    year: int | None = None,
    until: date | None = None,
):
    def compute():
        rows = waterbody_rows(db, kind=kind, year=year, until=until)
        ranked = rank_waterbodies(rows)
        extra = {r["id"]: r for r in rows}
        return ranked, extra

    return cached(db, ("waterbodies", kind, year, until), compute)


def dimension_leaders(
    db: Database, dimension_codes: list[str], *, kind: str | None = None, until: date | None = None
) -> dict:
    """Per dimension, the district whose waterbodies lead it (scoring's leaders_by_dimension).

    Cached with the standings: computed fresh it is 7 means over every waterbody's decided
    scores, which at city scale was two thirds of the district leaderboard's time.
    """

    def compute():
        _ranked, extra = waterbody_standings(db, kind=kind, until=until)
        return leaders_by_dimension(extra.values(), dimension_codes)

    return cached(db, ("dimension_leaders", tuple(dimension_codes), kind, until), compute)
