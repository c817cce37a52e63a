"""Expert panels (专家组): who is named on which assessment, each expert's answers, closing.

The rules of the panel (how many experts, when it may close) are scoring.panel's; this module
writes them down, each write in one transaction with its audit row, and re-checks the state
inside the transaction so that two racing requests cannot both win.
"""

import json

from sqlite_utils import Database

from happy_rivers.scoring.panel import MAX_EXPERTS, MIN_EXPERTS, MIN_SUBMITTED_TO_CLOSE
from happy_rivers.scoring.workflow import TransitionError

from . import audit, notifications, now, write

# Only these kinds are decided by the city, so only they get a panel (a 自评 is the district's).
PANEL_KINDS = ("acceptance", "recheck")


class PanelStateError(TransitionError):
    """The panel's state does not allow this (already named, closed, submitted, not ready)."""


def not_ready(assessment: dict) -> str | None:
    """Why a decision must wait for the panel (experts still to submit), or None; `assessment`
    carries `panel_state` and `panel_waiting` (views' decision_basis)."""
    if assessment.get("panel_state") != "open":
        return None
    return str(PanelNotReady(assessment["panel_waiting"]))


class PanelNotReady(PanelStateError):
    """A decision before every named expert has submitted (or the panel was closed)."""

    def __init__(self, waiting: int):
        super().__init__(
            f"专家组还有 {waiting} 位专家未提交评分：请等待全部提交，"
            f"或在至少 {MIN_SUBMITTED_TO_CLOSE} 位提交后结束专家评分（须说明理由）"
        )
        self.waiting = waiting


def get(db: Database, assessment_id: int) -> dict | None:
    """The panel of an assessment with its experts in naming order, or None."""
    rows = list(db.query("SELECT * FROM panels WHERE assessment_id = ?", [assessment_id]))
    if not rows:
        return None
    panel = dict(rows[0])
    panel["experts"] = [
        dict(r, answers=json.loads(r["answers"]))
        for r in db.query(
            "SELECT p.*, u.username, u.display_name FROM panel_experts p "
            "JOIN users u ON u.id = p.expert_id WHERE p.assessment_id = ? ORDER BY p.position",
            [assessment_id],
        )
    ]
    return panel


def state(panel: dict | None) -> str | None:
    """None (no panel), `open` (waiting for experts), `complete` (all submitted) or `closed`
    (the reviewer went ahead with the ones who had submitted)."""
    if panel is None:
        return None
    if panel["closed_at"]:
        return "closed"
    if all(e["submitted_at"] for e in panel["experts"]):
        return "complete"
    return "open"


def submitted(panel: dict) -> list[dict]:
    return [e for e in panel["experts"] if e["submitted_at"]]


def panel_input(panel: dict) -> dict[str, list]:
    """The submitted experts' answers as scoring.score(..., panel=…) takes them."""
    out: dict[str, list] = {}
    for expert in submitted(panel):
        for code, answer in expert["answers"].items():
            out.setdefault(code, []).append(answer)
    return out


def is_member(db: Database, assessment_id: int, user_id: int) -> bool:
    row = db.execute(
        "SELECT 1 FROM panel_experts WHERE assessment_id = ? AND expert_id = ?",
        [assessment_id, user_id],
    ).fetchone()
    return row is not None


def active_experts(db: Database) -> list[dict]:
    return list(
        db.query(
            "SELECT id, username, display_name FROM users WHERE role = 'expert' AND active = 1 "
            "ORDER BY username"
        )
    )


def for_expert(db: Database, expert_id: int) -> list[dict]:
    """An expert's queue: the assessments they are named on, still to score first (oldest
    naming first), then the ones they have submitted (latest first)."""
    return list(
        db.query(
            "SELECT a.id, a.kind, a.status, w.name AS waterbody_name, d.name AS district_name, "
            "p.named_at, p.closed_at, e.position, e.saved_at, e.submitted_at "
            "FROM panel_experts e JOIN panels p ON p.assessment_id = e.assessment_id "
            "JOIN assessments a ON a.id = e.assessment_id "
            "JOIN waterbodies w ON w.id = a.waterbody_id "
            "JOIN districts d ON d.code = w.district_code "
            "WHERE e.expert_id = ? "
            "ORDER BY (e.submitted_at IS NOT NULL OR p.closed_at IS NOT NULL), "
            "CASE WHEN e.submitted_at IS NULL THEN p.named_at END, e.submitted_at DESC, a.id",
            [expert_id],
        )
    )


def name(
    db: Database, assessment_id: int, experts: list[dict], *, user: dict, ip: str | None = None
) -> dict:
    """Name the panel of a submitted acceptance or recheck. `experts` are user rows of role
    expert, already checked by the caller; the count and the state are checked again here."""
    if not MIN_EXPERTS <= len(experts) <= MAX_EXPERTS:
        raise ValueError(f"a panel has {MIN_EXPERTS} to {MAX_EXPERTS} experts")
    with write(db):
        assessment = db.execute(
            "SELECT status, kind FROM assessments WHERE id = ?", [assessment_id]
        ).fetchone()
        if assessment is None or assessment[1] not in PANEL_KINDS:
            raise PanelStateError("只有市级验收和复核可以组建专家组")
        if assessment[0] != "submitted":
            raise PanelStateError("只有待审核的评估可以组建专家组")
        if get(db, assessment_id) is not None:
            raise PanelStateError("该评估已组建专家组")
        stamp = now()
        db["panels"].insert(
            {"assessment_id": assessment_id, "named_by": user["id"], "named_at": stamp}
        )
        db["panel_experts"].insert_all(
            {
                "assessment_id": assessment_id,
                "expert_id": expert["id"],
                "position": position,
                "answers": "{}",
            }
            for position, expert in enumerate(experts, start=1)
        )
        audit.record(
            db,
            "panel_named",
            user=user,
            ip=ip,
            entity="assessment",
            entity_id=assessment_id,
            after={"experts": [e["username"] for e in experts]},
        )
        notifications.panel_named(db, assessment_id, [e["id"] for e in experts], actor=user)
        return get(db, assessment_id)


def _own_row(db: Database, assessment_id: int, expert_id: int) -> tuple[dict, dict]:
    panel = get(db, assessment_id)
    mine = next((e for e in (panel or {}).get("experts", []) if e["expert_id"] == expert_id), None)
    if panel is None or mine is None:
        raise PanelStateError("您不在该评估的专家组中")
    return panel, mine


def save_answers(
    db: Database,
    assessment_id: int,
    expert: dict,
    answers: dict,
    *,
    submit: bool = False,
    ip: str | None = None,
) -> dict:
    """Save (or, with submit, submit) one expert's answers, checked by the caller.

    A repeated submit of the very same answers (double tap, network retry) changes nothing;
    anything else after submitting, or after the panel was closed, is refused.
    """
    with write(db):
        panel, mine = _own_row(db, assessment_id, expert["id"])
        same = mine["answers"] == json.loads(json.dumps(answers))
        if mine["submitted_at"]:
            if submit and same:
                return panel
            raise PanelStateError("您已提交评分，不能再修改")
        if panel["closed_at"]:
            raise PanelStateError("审核员已结束专家评分，不能再保存或提交")
        stamp = now()
        changes = {"answers": json.dumps(answers, ensure_ascii=False), "saved_at": stamp}
        if submit:
            changes["submitted_at"] = stamp
        db["panel_experts"].update(mine["id"], changes)
        audit.record(
            db,
            "panel_submitted" if submit else "panel_saved",
            user=expert,
            ip=ip,
            entity="assessment",
            entity_id=assessment_id,
            before={"answers": mine["answers"]},
            after={"answers": answers},
        )
        return get(db, assessment_id)


def close(
    db: Database, assessment_id: int, reason: str, *, user: dict, ip: str | None = None
) -> dict:
    """Go ahead with the experts who have submitted (at least MIN_SUBMITTED_TO_CLOSE)."""
    with write(db):
        panel = get(db, assessment_id)
        if panel is None:
            raise PanelStateError("该评估没有专家组")
        current = state(panel)
        if current == "closed":
            raise PanelStateError("专家评分已结束")
        if current == "complete":
            raise PanelStateError("全部专家已提交评分，无需提前结束")
        done = len(submitted(panel))
        if done < MIN_SUBMITTED_TO_CLOSE:
            raise PanelStateError(
                f"至少 {MIN_SUBMITTED_TO_CLOSE} 位专家提交评分后才能结束专家评分（现有 {done} 位）"
            )
        db["panels"].update(
            assessment_id,
            {"closed_by": user["id"], "closed_at": now(), "close_reason": reason},
        )
        audit.record(
            db,
            "panel_closed",
            user=user,
            ip=ip,
            entity="assessment",
            entity_id=assessment_id,
            after={
                "reason": reason,
                "submitted": [e["username"] for e in submitted(panel)],
                "not_submitted": [e["username"] for e in panel["experts"] if not e["submitted_at"]],
            },
        )
        return get(db, assessment_id)


def check_ready(db: Database, assessment_id: int) -> dict | None:
    """The panel when a decision may use it (None without a panel); PanelNotReady while experts
    are still to submit. Called inside the deciding transaction."""
    panel = get(db, assessment_id)
    if state(panel) == "open":
        raise PanelNotReady(sum(1 for e in panel["experts"] if not e["submitted_at"]))
    return panel


def in_review_progress(db: Database) -> dict[int, dict]:
    """The panels of the assessments in review: experts named and submitted, closed or not,
    by assessment id (the review queue's column)."""
    return {
        row["assessment_id"]: row
        for row in db.query(
            "SELECT p.assessment_id, p.closed_at IS NOT NULL AS closed, count(e.id) AS named, "
            "count(e.submitted_at) AS submitted FROM panels p "
            "JOIN panel_experts e ON e.assessment_id = p.assessment_id "
            "WHERE p.assessment_id IN (SELECT id FROM assessments WHERE status = 'submitted') "
            "GROUP BY p.assessment_id"
        )
    }
