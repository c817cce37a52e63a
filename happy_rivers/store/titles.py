"""When a waterbody holds its 市级幸福河湖 title: the one query everything that counts titles
reads (progress, leaderboards, the map, exports, the API).

A title is granted on the accepting assessment's `titled_on` — the decision date where 公示 is
off, the naming date of its 公示 batch where it is on (NULL while the notice is pending, so it
does not count yet) — and revoked on the decision date of a failed recheck (摘牌). Derived from
these events, not from the waterbody's current status, so that back-dated decisions and an
as_of in the past both give the right answer.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlite_utils import Database

# One row per event: a grant on its title date, a revocation on its decision date.
EVENTS_SQL = (
    "SELECT a.id, a.waterbody_id, a.status, a.total_cents, w.district_code, "
    "CASE WHEN a.status = 'accepted' THEN a.titled_on ELSE a.decided_on END AS on_day "
    "FROM assessments a JOIN waterbodies w ON w.id = a.waterbody_id "
    "WHERE ((a.status = 'accepted' AND a.titled_on IS NOT NULL) "
    "OR (a.kind = 'recheck' AND a.status = 'rejected' AND a.decided_on IS NOT NULL))"
)


def title_history(
    db: Database, kind: str | None = None, *, waterbody_id: int | None = None
) -> dict[int, list[dict]]:
    """Per waterbody, the periods it held the title: accepted_on (inclusive) to revoked_on
    (exclusive, None while held), with the granting assessment's total and district.
    `waterbody_id`: that one waterbody's (a decision compares it before and after)."""
    sql, params = EVENTS_SQL, []
    if kind:
        sql += " AND w.kind = ?"
        params.append(kind)
    if waterbody_id is not None:
        sql += " AND a.waterbody_id = ?"
        params.append(waterbody_id)
    spans: dict[int, list[dict]] = defaultdict(list)
    # tuples, not sqlite-utils' dicts: ten thousand events at ten times the city, after every
    # title change (the columns are EVENTS_SQL's, in its order)
    for assessment_id, wid, status, total_cents, district_code, on_day in db.execute(
        f"SELECT * FROM ({sql}) ORDER BY on_day, id", params
    ):
        held = spans[wid]
        current = held[-1] if held and held[-1]["revoked_on"] is None else None
        if status == "accepted" and current is None:
            held.append(
                {
                    "accepted_on": date.fromisoformat(on_day),
                    "revoked_on": None,
                    "total": Decimal(total_cents) / 100,
                    "district_code": district_code,
                    "assessment_id": assessment_id,
                }
            )
        elif status == "rejected" and current is not None:
            current["revoked_on"] = date.fromisoformat(on_day)
    return spans
