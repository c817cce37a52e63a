"""The rules a review (a decision, or sending an assessment back) must meet, and separation of
duties: one place that the review page and the API both ask (docs/process.md)."""

from datetime import date

from sqlite_utils import Database

from happy_rivers import clock
from happy_rivers.scoring import workflow
from happy_rivers.scoring.progress import load_programme

from . import waterbodies
from .assessments import corrected_by, is_author, refuse_review
from .panels import not_ready


def review_errors(
    db: Database,
    assessment: dict,
    action: str,
    comment: str,
    override: str,
    decided_on,
    *,
    reviewer: dict | None = None,
) -> dict:
    """The rules a review must meet before it is written; the page and the API both ask them.

    `assessment` is the one its decision sees (views' decision_basis: with `panel_state`, and
    the panel's result once its experts have scored).

    With `reviewer` (the user dict), also refuses a review of one's own assessment with a
    message beside the field; store.assessments.review refuses it in any case.
    """
    errors: dict[str, str] = {}
    if action not in (*workflow.REVIEW_ACTIONS, "return"):
        errors["action"] = "请选择审核结论：通过、限期整改、不予通过或退回"
        return errors
    if reviewer is not None and is_author(db, assessment["id"], reviewer["id"]):
        errors["action"] = str(workflow.SelfReviewError())
        return errors
    if action == "return":
        if not comment.strip():
            errors["comment"] = "退回时必须填写审核意见，说明需要修改的内容"
        return errors
    waiting = not_ready(assessment)
    if waiting:
        errors["action"] = waiting
        return errors
    computed = assessment["computed_decision"]
    if computed is None:
        errors["action"] = "答案不完整，无法作出结论，请退回修改"
    elif workflow.REVIEW_ACTIONS[action] != computed and not override.strip():
        label = workflow.STATUS_LABELS[computed]
        errors["override_reason"] = f"计算结论为「{label}」，作出不同结论必须填写理由"
    programme = load_programme()
    if decided_on is not None and decided_on > clock.today():
        errors["decided_on"] = "结论日期不能晚于今天"
    elif decided_on is not None and decided_on < programme.start:
        errors["decided_on"] = (
            f"结论日期不能早于 {programme.start.isoformat()}"
            f"（{programme.order}发布、幸福河湖建设开始之日）"
        )
    elif computed is not None:
        message = _title_date_error(db, assessment, action, decided_on or clock.today())
        if message:
            errors["decided_on"] = message
    return errors


def duty_refusal(
    db: Database, assessment: dict, action: str, user: dict, ip: str | None
) -> workflow.TransitionError | None:
    """Separation of duties, shared by the page and the API: nobody reviews their own work, and
    a reviewer who corrected the answers leaves the decision on them to another (four eyes;
    returning stays open to them). A refusal is audited, so administrators see the attempt."""
    if is_author(db, assessment["id"], user["id"]):
        error, reason = workflow.SelfReviewError(), "own_work"
    elif action in workflow.REVIEW_ACTIONS and corrected_by(db, assessment["id"], user["id"]):
        error, reason = workflow.FourEyesError(), "corrected"
    else:
        return None
    refuse_review(db, assessment["id"], action=action[:20], reason=reason, user=user, ip=ip)
    return error


def _title_date_error(db: Database, assessment: dict, action: str, decided_on: date) -> str | None:
    """A decision that grants or revokes the title is dated no earlier than the waterbody's
    last title change: a back-dated 摘牌 before the 验收 would make the counts nonsense."""
    waterbody = waterbodies.get(db, assessment["waterbody_id"])
    if waterbody is None:
        return None
    change = workflow.title_change(
        assessment["kind"], workflow.REVIEW_ACTIONS[action], waterbody["status"] == "accepted"
    )
    day = decided_on.isoformat()
    if change == "revoke" and waterbody["accepted_on"] and day < waterbody["accepted_on"]:
        return f"摘牌日期不能早于该河湖的验收日期 {waterbody['accepted_on']}"
    if change == "grant" and waterbody["revoked_on"] and day < waterbody["revoked_on"]:
        return f"验收日期不能早于该河湖上次摘牌的日期 {waterbody['revoked_on']}"
    return None
