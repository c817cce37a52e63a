"""Schedules (日程): which rechecks and rectifications fall due, for the 日程 page, its export
and the markers on a waterbody's page (docs/process.md, step 6).

- **Recheck (复核)**: a waterbody holding the 市级幸福河湖 title is due for its recheck
  `recheck_years` after the title date (store/titles.py: the naming date with 公示, the decision
  date without) — or after its last passed recheck, whichever is later.
- **Rectification (限期整改)**: a conditional decision must be rectified and rechecked within
  `rectification_months` of its date; it stays on the list until a later assessment of the
  same waterbody has been decided.

The date rules are scoring.process's (pure); this module finds the dates they start from.
"""

from datetime import date

from sqlite_utils import Database

from happy_rivers.scoring.process import due_status, recheck_due, rectification_due
from happy_rivers.scoring.workflow import OPEN_STATUSES

from . import notifications, standings, write

KINDS = ("recheck", "rectification")


def _held_titles(db: Database) -> dict[int, dict]:
    """waterbody id → the title span it holds today (None once revoked), from the title
    history the boards keep (one computation per title change serves both)."""
    history = standings.kept_title_history(db)
    return {
        waterbody_id: spans[-1]
        for waterbody_id, spans in history.items()
        if spans and spans[-1]["revoked_on"] is None
    }


def items(
    db: Database,
    today: date,
    *,
    district: str | None = None,
    waterbody_id: int | None = None,
) -> list[dict]:
    """Every open schedule item (recheck or rectification) with its due date and status
    (`overdue`, `due_soon`, `later`), earliest due first. `district` keeps the items of the
    waterbodies that district leads (who does the work); `waterbody_id` one waterbody's."""
    where, params = [], []
    if district:
        where.append("w.district_code = ?")
        params.append(district)
    if waterbody_id is not None:
        where.append("w.id = ?")
        params.append(waterbody_id)
    scope = (" AND " + " AND ".join(where)) if where else ""
    names = {
        r["id"]: r
        for r in db.query(
            "SELECT w.id, w.name, w.kind, w.district_code, d.name AS district_name "
            "FROM waterbodies w JOIN districts d ON d.code = w.district_code "
            f"WHERE 1 = 1{scope}",
            params,
        )
    }
    passed = dict(
        db.execute(
            "SELECT waterbody_id, max(decided_on) FROM assessments "
            "WHERE kind = 'recheck' AND status = 'accepted' AND decided_on IS NOT NULL "
            "GROUP BY waterbody_id"
        ).fetchall()
    )
    open_rechecks = {
        r["waterbody_id"]: r
        for r in db.query(
            "SELECT waterbody_id, id, status FROM assessments WHERE kind = 'recheck' AND "
            f"status IN ({', '.join('?' * len(OPEN_STATUSES))}) ORDER BY id",
            list(OPEN_STATUSES),
        )
    }
    out = []
    for wid, span in _held_titles(db).items():
        if wid not in names:
            continue
        since, basis = span["accepted_on"], "titled"
        last_recheck = passed.get(wid)
        if last_recheck and date.fromisoformat(last_recheck) > since:
            since, basis = date.fromisoformat(last_recheck), "recheck"
        out.append(
            _item("recheck", names[wid], since, basis, recheck_due(since), today)
            | {"assessment_id": span["assessment_id"], "in_progress": open_rechecks.get(wid)}
        )
    # a conditional decision stays open until a later decision on the same waterbody
    for row in db.query(
        "SELECT a.id, a.waterbody_id, a.kind, a.decided_on FROM assessments a "
        "JOIN waterbodies w ON w.id = a.waterbody_id "
        f"WHERE a.status = 'conditional' AND a.decided_on IS NOT NULL{scope} "
        "AND NOT EXISTS (SELECT 1 FROM assessments later WHERE later.waterbody_id = a.waterbody_id "
        "AND later.id != a.id AND later.decided_on IS NOT NULL "
        "AND (later.decided_on > a.decided_on OR (later.decided_on = a.decided_on "
        "AND later.id > a.id)))",
        params,
    ):
        since = date.fromisoformat(row["decided_on"])
        out.append(
            _item(
                "rectification",
                names[row["waterbody_id"]],
                since,
                "conditional",
                rectification_due(since),
                today,
            )
            | {
                "assessment_id": row["id"],
                "assessment_kind": row["kind"],
                "in_progress": open_rechecks.get(row["waterbody_id"]),
            }
        )
    out.sort(key=lambda i: (i["due_on"], i["kind"], i["waterbody_id"]))
    return out


def _item(kind: str, waterbody: dict, since: date, basis: str, due: date, today: date) -> dict:
    return {
        "kind": kind,
        "waterbody_id": waterbody["id"],
        "waterbody_name": waterbody["name"],
        "waterbody_kind": waterbody["kind"],
        "district_code": waterbody["district_code"],
        "district_name": waterbody["district_name"],
        "since": since,  # the date the period runs from
        "basis": basis,  # titled | recheck (a passed one) | conditional
        "due_on": due,
        "days_left": (due - today).days,  # negative: overdue by that many days
        "status": due_status(due, today),
    }


def announce_due(db: Database, today: date) -> int:
    """Notify about every item that is due soon or overdue and has not been announced in that
    status yet (a daily command: deadlines come due by the calendar, not by a write).
    Returns how many notifications were written."""
    written = 0
    with write(db):
        for item in items(db, today):
            if item["status"] in ("due_soon", "overdue"):
                written += notifications.schedule_due(db, item)
    return written
