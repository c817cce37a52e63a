"""The reviewer's queue: what waits for the city, since when, and what changed since a return.

- `rows`: assessments waiting for a reviewer (or, with status `returned`, for their district),
  oldest wait first, with the filters the queue page offers;
- `answers_at_last_return`: the answers as they stood when the assessment was last returned,
  read back from the audit trail (every write of the answers is audited with them), so the
  reviewer sees exactly what the district changed before submitting again.
"""

import json

from sqlite_utils import Database

# What the queue's status filter offers: every submitted one, those a reviewer can decide now
# (no panel, or its experts are done), those waiting for experts, and those back with the
# district after a return.
STATUS_FILTERS = ("submitted", "ready", "panel", "returned")

_OPEN_PANEL = (
    "EXISTS (SELECT 1 FROM panels p WHERE p.assessment_id = a.id AND p.closed_at IS NULL "
    "AND EXISTS (SELECT 1 FROM panel_experts e WHERE e.assessment_id = a.id "
    "AND e.submitted_at IS NULL))"
)
# the last return of an assessment (audit_log is indexed on entity, entity_id)
_RETURNED_AT = (
    "(SELECT max(l.at) FROM audit_log l WHERE l.entity = 'assessment' "
    "AND l.entity_id = CAST(a.id AS TEXT) AND l.action = 'assessment_returned')"
)


def rows(
    db: Database,
    *,
    district: str | None = None,
    kind: str | None = None,
    status: str = "submitted",
    resubmitted: bool | None = None,
) -> list[dict]:
    """The queue, longest wait first. `waiting_since` is when the item started waiting for its
    current turn: the submission (for the reviewer) or the return (for the district).
    `returned_at` is the last return, so a submitted row with one was submitted again."""
    if status not in STATUS_FILTERS:
        raise ValueError(f"unknown queue status {status!r}")
    where = ["a.status = ?"]
    params: list = ["returned" if status == "returned" else "submitted"]
    if status == "ready":
        where.append(f"NOT {_OPEN_PANEL}")
    elif status == "panel":
        where.append(_OPEN_PANEL)
    if district:
        where.append("w.district_code = ?")
        params.append(district)
    if kind:
        where.append("a.kind = ?")
        params.append(kind)
    if resubmitted is not None:
        where.append(f"{_RETURNED_AT} IS {'NOT ' if resubmitted else ''}NULL")
    since = "a.updated_at" if status == "returned" else "coalesce(a.submitted_at, a.updated_at)"
    sql = (
        "SELECT a.id, a.kind, a.status, a.version, a.total_cents, a.computed_decision, "
        "a.submitted_at, a.updated_at, a.return_comment, a.rubric_id, a.rubric_version, "
        "a.answers, w.id AS waterbody_id, "
        "w.name AS waterbody_name, w.district_code, d.name AS district_name, "
        f"{since} AS waiting_since, {_RETURNED_AT} AS returned_at "
        "FROM assessments a JOIN waterbodies w ON w.id = a.waterbody_id "
        "JOIN districts d ON d.code = w.district_code "
        f"WHERE {' AND '.join(where)} ORDER BY waiting_since, a.id"
    )
    return [dict(r) for r in db.query(sql, params)]


# The audited writes that carry the answers (`after.answers`), and the return itself.
_ANSWER_ACTIONS = (
    "assessment_created",
    "assessment_saved",
    "assessment_submitted",
    "assessment_corrected",
)


def answers_at_last_return(db: Database, assessment_id: int) -> dict | None:
    """The answers when the assessment was last returned; None if it never was (or the trail
    does not reach back that far)."""
    trail = db.execute(
        "SELECT action, after FROM audit_log WHERE entity = 'assessment' AND entity_id = ? "
        f"AND action IN ({', '.join('?' * (len(_ANSWER_ACTIONS) + 1))}) ORDER BY id",
        [str(assessment_id), *_ANSWER_ACTIONS, "assessment_returned"],
    ).fetchall()
    answers = at_return = None
    for action, after in trail:
        if action == "assessment_returned":
            at_return = answers
            continue
        written = json.loads(after) if after else {}
        if isinstance(written, dict) and isinstance(written.get("answers"), dict):
            answers = written["answers"]
    return at_return
