"""Standings and progress: the rows that scoring/ ranks, kept and cached so that the first view
after a write does not recompute them from every row.

Two layers:

- **Kept rows.** A decision's transaction updates what it changes (refresh_waterbody): its
  waterbody's latest decided assessment (standings_waterbodies) and its district's sums of
  dimension scores (standings_district_dimensions). The boards read a page of those rows and
  41 districts' sums; only views of a past year or date recompute from the assessments.
- **Cached values.** Every write that can change a standing calls invalidate_standings() inside
  its transaction, which bumps a counter in the database; each worker caches what it computed
  per counter value, so all workers see a write at once. The title history has a counter of its
  own, bumped only by writes that change a title, so what is derived from titles alone
  (progress, charts, the map, the districts' counts) survives submits and most decisions.
"""

import json
import threading
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlite_utils import Database

from happy_rivers.scoring.leaderboard import (
    WaterbodyStanding,
    district_titles,
    leaders_by_dimension,
    leaders_from_sums,
    rank_among,
    rank_district_titles,
    rank_waterbodies,
)
from happy_rivers.scoring.progress import AcceptanceSpan

# when a waterbody holds its title: one query (store/titles.py), re-exported for the boards
from .titles import title_history  # noqa: F401

# per counter: the version its entries were computed at, and the entries
_cache: dict[str, dict] = {"all": {}, "titles": {}}
_cache_lock = threading.Lock()


def invalidate_standings(db: Database, *, titles: bool = True) -> None:
    """Mark cached standings stale. Call inside the write transaction that changes them;
    titles=False when the write changes no title (a submit; a decision that grants, revokes
    and dates no title), so that what is derived from titles alone stays cached."""
    db.execute(
        "UPDATE standings_state SET version = version + 1, "
        "titles_version = titles_version + ? WHERE id = 1",
        [1 if titles else 0],
    )


def standings_version(db: Database) -> int:
    return db.execute("SELECT version FROM standings_state WHERE id = 1").fetchone()[0]


def _identity(db: Database) -> str:
    """The database file: two databases (tests, a restored copy) may share a version number."""
    try:
        return db._standings_identity
    except AttributeError:
        db._standings_identity = db.execute("PRAGMA database_list").fetchone()[2]
        return db._standings_identity


def cached(db: Database, key: tuple, compute, *, limit: int = 64, titles_only: bool = False):
    """compute() once per standings version and key; a stale version drops the whole cache.

    titles_only: the value is derived from the title history alone, and is kept until a title
    changes. At most `limit` entries whose key starts like this one are kept (beyond it the
    value is computed but not stored), so crawling every as_of date cannot grow a worker's
    memory.
    """
    counter = "titles" if titles_only else "all"
    column = "titles_version" if titles_only else "version"
    version = (
        _identity(db),
        db.execute(f"SELECT {column} FROM standings_state WHERE id = 1").fetchone()[0],
    )
    with _cache_lock:
        entries = _cache[counter]
        if entries.get("version") != version:
            entries.clear()
            entries["version"] = version
        if key in entries:
            return entries[key]
    value = compute()
    with _cache_lock:
        entries = _cache[counter]
        full = sum(1 for k in entries if k[:1] == key[:1]) >= limit
        if entries.get("version") == version and not full:
            entries[key] = value
    return value


def clear_cache() -> None:
    """Forget every cached value in this worker (the benchmark times a computation cold)."""
    with _cache_lock:
        for entries in _cache.values():
            entries.clear()


def kept_title_history(db: Database, kind: str | None = None) -> dict[int, list[dict]]:
    """title_history, computed once per title change and kept: progress, the districts'
    counts, the map and the schedule all read it (each computed its own, three passes over
    every title event after each title change: ~0.5 s at ten times the city). Read-only."""
    return cached(db, ("title_history", kind), lambda: title_history(db, kind), titles_only=True)


def acceptance_spans(db: Database, kind: str | None = None) -> list[AcceptanceSpan]:
    """Every title span (progress counts them), kept until a title changes."""

    def compute():
        return [
            AcceptanceSpan(s["accepted_on"], s["revoked_on"])
            for spans in kept_title_history(db, kind).values()
            for s in spans
        ]

    return cached(db, ("acceptance_spans", kind), compute, titles_only=True)


def titles_by_district(db: Database, kind: str | None = None) -> dict[str, list[AcceptanceSpan]]:
    """The titles each district's waterbodies held (ever), cached until a title changes."""

    def compute():
        titles: dict[str, list[AcceptanceSpan]] = defaultdict(list)
        for spans in kept_title_history(db, kind).values():
            for s in spans:
                titles[s["district_code"]].append(
                    AcceptanceSpan(s["accepted_on"], s["revoked_on"], s["total"])
                )
        return titles

    return cached(db, ("titles_by_district", kind), compute, titles_only=True)


def district_standings(db: Database, as_of: date, kind: str | None = None) -> list:
    def compute():
        districts = [(r["code"], r["name"]) for r in db.query("SELECT code, name FROM districts")]
        # what the titles give each district is kept until a title changes: a submit or a
        # decision that grants none re-ranks 41 rows, not every title (issue 14)
        held = cached(
            db,
            ("district_titles", as_of, kind),
            lambda: district_titles(titles_by_district(db, kind), as_of),
            titles_only=True,
        )
        in_review = in_review_counts(db, kind)  # kept by triggers (0015)
        return rank_district_titles(districts, held, in_review)

    return cached(db, ("districts", as_of, kind), compute)


# Each waterbody's latest decided assessment, as kept in standings_waterbodies: dimension scores
# in cents ({code: cents}), cut out of the ~6 KB result by SQLite. Driven by the waterbodies:
# one index-only lookup each (idx_assessments_waterbody_status_decided, 0003) finds the latest
# decision. Driving it from the decided assessments instead ran the lookup once per decision
# and read each row's overflow pages (6 s cold at city scale).
_DECIDED = "a2.status IN ('accepted', 'conditional', 'rejected')"
_LATEST = (
    "SELECT a2.id FROM assessments a2 WHERE a2.waterbody_id = w.id AND {decided} "
    "ORDER BY a2.decided_on DESC, a2.id DESC LIMIT 1"
)
_KEPT_COLUMNS = (
    "waterbody_id, kind, district_code, assessment_id, decided_on, status, total_cents, dimensions"
)
_KEEP = (
    f"INSERT INTO standings_waterbodies ({_KEPT_COLUMNS}) "
    "SELECT w.id, w.kind, w.district_code, a.id, a.decided_on, a.status, a.total_cents, "
    "(SELECT json_group_object(j.key, "
    "CAST(round(CAST(json_extract(j.value, '$.score') AS REAL) * 100) AS INTEGER)) "
    "FROM json_each(a.result, '$.dimensions') j) "
    f"FROM waterbodies w JOIN assessments a ON a.id = ({_LATEST.format(decided=_DECIDED)})"
)
_SUM_DIMENSIONS = (
    "INSERT INTO standings_district_dimensions (district_code, kind, dimension, sum_cents, n) "
    "SELECT s.district_code, s.kind, j.key, sum(j.value), count(*) "
    "FROM standings_waterbodies s, json_each(s.dimensions) j"
)


def refresh_waterbody(db: Database, waterbody_id: int) -> None:
    """Bring one waterbody's kept row, and its district's sums, up to date. Call inside the
    transaction of every write that changes its decided assessments (a decision) or its kind
    or district: it reads that one waterbody's decisions and one district's rows, never all."""
    districts = {
        code
        for (code,) in db.execute(
            "SELECT district_code FROM standings_waterbodies WHERE waterbody_id = ? "
            "UNION SELECT district_code FROM waterbodies WHERE id = ?",
            [waterbody_id, waterbody_id],
        )
    }
    db.execute("DELETE FROM standings_waterbodies WHERE waterbody_id = ?", [waterbody_id])
    db.execute(_KEEP + " WHERE w.id = ?", [waterbody_id])
    for code in districts:
        db.execute("DELETE FROM standings_district_dimensions WHERE district_code = ?", [code])
        db.execute(_SUM_DIMENSIONS + " WHERE s.district_code = ? GROUP BY s.kind, j.key", [code])


def rebuild(db: Database) -> None:
    """Compute every kept row and sum from the assessments: for the migration that creates
    them and for bulk loads (demo data, the benchmark's fixture) that bypass the store."""
    db.execute("DELETE FROM standings_waterbodies")
    db.execute("DELETE FROM standings_district_dimensions")
    db.execute(_KEEP)
    db.execute(_SUM_DIMENSIONS + " GROUP BY s.district_code, s.kind, j.key")


# What the triggers of 0015_kept_review_counts keep in standings_in_review, counted afresh.
IN_REVIEW_FROM_SCRATCH = (
    "SELECT w.district_code, w.kind, count(*) AS n FROM assessments a "
    "JOIN waterbodies w ON w.id = a.waterbody_id WHERE a.status = 'submitted' "
    "GROUP BY w.district_code, w.kind"
)


def rebuild_in_review(db: Database) -> None:
    """Count the assessments under review per district and kind from scratch (the migration
    that creates the kept counts; the triggers keep them from then on)."""
    db.execute("DELETE FROM standings_in_review")
    db.execute(f"INSERT INTO standings_in_review (district_code, kind, n) {IN_REVIEW_FROM_SCRATCH}")


def in_review_counts(db: Database, kind: str | None = None) -> dict[str, int]:
    """Per district, its assessments under review (of waterbodies of `kind`), as kept."""
    sql, params = "SELECT district_code, sum(n) AS n FROM standings_in_review", []
    if kind:
        sql += " WHERE kind = ?"
        params.append(kind)
    return {
        r["district_code"]: r["n"]
        for r in db.query(sql + " GROUP BY district_code", params)
        if r["n"]
    }


def _kept_until(db: Database, until: date | None) -> bool:
    """Are the kept rows the rows as they stood on `until`? Yes unless a kept decision is
    dated after it (or undated, which a dated view leaves out)."""
    if until is None:
        return True
    # two index lookups (idx_standings_waterbodies_decided), not a pass over every kept row
    latest = db.execute("SELECT max(decided_on) FROM standings_waterbodies").fetchone()[0]
    undated = db.execute(
        "SELECT count(*) FROM standings_waterbodies WHERE decided_on IS NULL"
    ).fetchone()[0]
    return not undated and (latest is None or latest <= until.isoformat())


def _kept_row(r: dict) -> dict:
    return {
        "id": r["waterbody_id"],
        "name": r["name"],
        "kind": r["kind"],
        "district": r["district"],
        "district_code": r["district_code"],
        "assessment_id": r["assessment_id"],
        "decided_on": r["decided_on"],
        "status": r["status"],
        "total": Decimal(r["total_cents"]) / 100,
        "total_cents": r["total_cents"],
        "dimensions": {
            code: Decimal(cents) / 100 for code, cents in json.loads(r["dimensions"]).items()
        },
    }


_KEPT_SELECT = (
    "SELECT s.*, w.name, d.name AS district FROM standings_waterbodies s "
    "JOIN waterbodies w ON w.id = s.waterbody_id JOIN districts d ON d.code = s.district_code"
)


def waterbody_rows(
    db: Database,
    *,
    kind: str | None = None,
    year: int | None = None,
    until: date | None = None,
) -> list[dict]:
    """Each waterbody's latest decided assessment: total and the seven dimension scores.

    ``year`` keeps only decisions of that year, ``until`` those on or before that date (the
    rows as they stood then). Without them the kept rows are read as they are.
    """
    if year is None and _kept_until(db, until):
        sql, params = _KEPT_SELECT, []
        if kind:
            sql += " WHERE s.kind = ?"
            params.append(kind)
        return [_kept_row(r) for r in db.query(sql, params)]
    decided, params = [_DECIDED], []
    if year:
        decided.append("substr(a2.decided_on, 1, 4) = ?")
        params.append(str(year))
    if until:
        decided.append("a2.decided_on <= ?")
        params.append(until.isoformat())
    latest = _LATEST.format(decided=" AND ".join(decided))
    sql = (
        "SELECT a.id AS assessment_id, a.waterbody_id, a.total_cents, a.decided_on, a.status, "
        "json_extract(a.result, '$.dimensions') AS dimensions, "
        "w.name, w.kind, w.district_code, d.name AS district "
        f"FROM waterbodies w JOIN assessments a ON a.id = ({latest}) "
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
    """Every waterbody ranked (scoring's rank_waterbodies), with its row by id: for the API
    and the exports, which list them all."""

    def compute():
        rows = waterbody_rows(db, kind=kind, year=year, until=until)
        ranked = rank_waterbodies(rows)
        extra = {r["id"]: r for r in rows}
        return ranked, extra

    return cached(db, ("waterbodies", kind, year, until), compute)


def waterbody_page(
    db: Database,
    *,
    kind: str | None = None,
    year: int | None = None,
    district: str | None = None,
    page: int = 1,
    size: int = 100,
) -> tuple[int, int, list[WaterbodyStanding], dict[int, dict]]:
    """One page of the waterbody leaderboard: (rows in all, the page, its standings, their rows
    by id). Ranked among the waterbodies of `kind` city-wide; `district` shows one district's
    rows with their city ranks; a page past the end is the last page.

    Without a year the page is read from the kept rows: the page's own rows, and the totals
    ahead of them to rank by (scoring's rank_among), rather than every row ranked.
    """
    if year is not None:
        ranked, extra = waterbody_standings(db, kind=kind, year=year)
        if district:
            ranked = [r for r in ranked if extra[r.id]["district_code"] == district]
        page = min(max(page, 1), max(1, -(-len(ranked) // size)))
        shown = ranked[(page - 1) * size : page * size]
        return len(ranked), page, shown, {r.id: extra[r.id] for r in shown}
    where, params = [], []
    if kind:
        where.append("s.kind = ?")
        params.append(kind)
    if district:
        where.append("s.district_code = ?")
        params.append(district)
    condition = (" WHERE " + " AND ".join(where)) if where else ""
    count = db.execute(
        f"SELECT count(*) FROM standings_waterbodies s{condition}", params
    ).fetchone()[0]
    page = min(max(page, 1), max(1, -(-count // size)))
    rows = [
        _kept_row(r)
        for r in db.query(
            f"{_KEPT_SELECT}{condition} ORDER BY s.total_cents DESC, s.waterbody_id "
            "LIMIT ? OFFSET ?",
            [*params, size, (page - 1) * size],
        )
    ]
    if not rows:
        return count, page, [], {}
    # the totals (in the ranking's scope: the kind, city-wide) above the page's lowest: an
    # index range, read highest first; a row's rank is 1 + how many of them are higher
    lowest = min(r["total_cents"] for r in rows)
    ahead = [
        cents
        for (cents,) in db.execute(
            "SELECT total_cents FROM standings_waterbodies s "
            f"WHERE s.total_cents > ?{' AND s.kind = ?' if kind else ''} "
            "ORDER BY s.total_cents DESC",
            [lowest, kind] if kind else [lowest],
        )
    ]
    shown = [
        WaterbodyStanding(
            rank=rank_among(ahead, r["total_cents"]),
            id=r["id"],
            name=r["name"],
            district=r["district"],
            total=r["total"],
            dimensions=r["dimensions"],
        )
        for r in rows
    ]
    return count, page, shown, {r["id"]: r for r in rows}


def dimension_leaders(
    db: Database, dimension_codes: list[str], *, kind: str | None = None, until: date | None = None
) -> dict:
    """Per dimension, the district whose waterbodies lead it (scoring's leaders_from_sums).

    From the kept sums per district (41 districts × 7 dimensions) unless `until` is before a
    kept decision; then from the waterbodies' rows as they stood.
    """

    def compute():
        if not _kept_until(db, until):
            _ranked, extra = waterbody_standings(db, kind=kind, until=until)
            return leaders_by_dimension(extra.values(), dimension_codes)
        sql = (
            "SELECT g.district_code, d.name, g.dimension, sum(g.sum_cents) AS cents, "
            "sum(g.n) AS n FROM standings_district_dimensions g "
            "JOIN districts d ON d.code = g.district_code"
        )
        params = []
        if kind:
            sql += " WHERE g.kind = ?"
            params.append(kind)
        sums: dict[str, dict[str, tuple[Decimal, int]]] = defaultdict(dict)
        names = {}
        for code, name, dimension, cents, n in db.execute(
            sql + " GROUP BY g.district_code, g.dimension", params
        ):
            sums[dimension][code] = (Decimal(cents) / 100, n)
            names[code] = name
        return leaders_from_sums(sums, names, dimension_codes)

    return cached(db, ("dimension_leaders", tuple(dimension_codes), kind, until), compute)
