"""City reviewers: the review queue and the decision (or sending an assessment back)."""

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from happy_rivers import clock, scoring, store
from happy_rivers.forms.review import ReviewForm
from happy_rivers.scoring import workflow
from happy_rivers.store import assessments, panels, review_queue, reviews, waterbodies
from happy_rivers.translations import N_

from .assessment_pages import decision_basis, render_result
from .auth import actor, client_ip, roles_required
from .helpers import flatten

bp = Blueprint("review", __name__)


QUEUE_STATUS_LABELS = {
    "submitted": N_("全部待审核"),
    "ready": N_("可作出结论"),
    "panel": N_("等待专家评分"),
    "returned": N_("已退回，待区县修改"),
}


def queue_filters(db) -> tuple[dict, dict[str, str]]:
    """The queue's filters from the query string, and a message per field that is not valid."""
    errors: dict[str, str] = {}
    raw = (request.args.get("district") or "").strip()
    district = waterbodies.resolve_district(db, raw)
    if raw and district is None:
        errors["district"] = gettext("区县：没有「%(name)s」", name=raw[:20])
    kind = (request.args.get("kind") or "").strip() or None
    if kind and kind not in workflow.KIND_LABELS:
        errors["kind"] = gettext("评估类型须为自评、市级验收或复核")
        kind = None
    status = (request.args.get("status") or "").strip() or "submitted"
    if status not in review_queue.STATUS_FILTERS:
        errors["status"] = gettext("状态须为列表中的一项")
        status = "submitted"
    flag = (request.args.get("resubmitted") or "").strip()
    if flag not in ("", "1", "0"):
        errors["resubmitted"] = gettext("重新提交须为“是”或“否”")
        flag = ""
    resubmitted = {"1": True, "0": False}.get(flag)
    return {
        "district": district,
        "kind": kind,
        "status": status,
        "resubmitted": resubmitted,
    }, errors


def waited(since: str | None) -> tuple[int, int] | None:
    """(days, hours) from `since` (a stored stamp) to now."""
    start = clock.parse(since)
    if start is None:
        return None
    seconds = max(int((clock.utc_now() - start).total_seconds()), 0)
    return seconds // 86400, seconds % 86400 // 3600


def answer_changes(rubric: scoring.Rubric, before: dict, after: dict) -> list[dict]:
    """What the district changed in the answers: one entry per changed value, labelled with its
    indicator (the same flattening as the audit log's diffs)."""
    old, new = flatten(before), flatten(after)
    changes = []
    for key in sorted(set(old) | set(new), key=_answer_order(rubric)):
        if old.get(key, "—") == new.get(key, "—"):
            continue
        code = key.split(".")[0]
        indicator = rubric.indicators.get(code)
        changes.append(
            {
                "field": key,
                "indicator": indicator,
                "before": old.get(key, "—"),
                "after": new.get(key, "—"),
            }
        )
    return changes


def _answer_order(rubric: scoring.Rubric):
    order = {code: n for n, code in enumerate(rubric.indicators)}
    return lambda key: (order.get(key.split(".")[0], len(order)), key)


def changes_since_return(assessment: dict) -> list[dict] | None:
    """For an assessment submitted again after a return: what changed since the return (None
    if it was never returned)."""
    then = review_queue.answers_at_last_return(store.get_db(), assessment["id"])
    if then is None:
        return None
    rubric = scoring.load_rubric(assessment["rubric_id"], assessment["rubric_version"])
    return answer_changes(rubric, then, assessment["answers"])


@bp.get("/review")
@roles_required("reviewer", "admin")
def queue():
    db = store.get_db()
    filters, errors = queue_filters(db)
    rows = review_queue.rows(db, **filters)
    for row in rows:
        row["waited"] = waited(row["waiting_since"])
        row["total"] = f"{row['total_cents'] / 100:.2f}" if row["total_cents"] is not None else None
        if row["returned_at"] and row["status"] == "submitted":
            row["changes"] = changes_since_return(json_row(row))
    return render_template(
        "review/queue.html",
        rows=rows,
        filters=filters,
        errors=errors,
        districts=waterbodies.districts(db),
        status_labels=QUEUE_STATUS_LABELS,
        panels=panels.in_review_progress(db),
        panel_kinds=panels.PANEL_KINDS,
    ), (422 if errors else 200)


def json_row(row: dict) -> dict:
    return row | {"answers": json.loads(row["answers"]) if row["answers"] else {}}


@bp.app_context_processor
def review_helpers():
    """The result page shows the reviewer what changed since the return, beside the form."""
    return {"changes_since_return": changes_since_return}


@bp.post("/assessments/<int:assessment_id>/review")
@roles_required("reviewer", "admin")
def decide(assessment_id: int):
    db = store.get_db()
    assessment = assessments.get(db, assessment_id)
    if assessment is None:
        abort(404)
    assessment, _panel = decision_basis(assessment)
    form = ReviewForm()
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
    if assessment["status"] != "submitted":
        label = workflow.STATUS_LABELS.get(assessment["status"], assessment["status"])
        flash(f"该评估当前为「{label}」，只有待审核的评估可以审核。", "error")
        return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id))
    action = form.action.data or ""
    refusal = reviews.duty_refusal(db, assessment, action, actor(), client_ip())
    if isinstance(refusal, workflow.SelfReviewError):
        # the page shows an author no review form; a hand-made post gets the reason
        flash(str(refusal), "error")
        return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id))
    if refusal is not None:  # the corrector's form offers only "return": a hand-made post
        return _back(assessment, form, {"action": str(refusal)})
    if form.errors:
        return _back(assessment, form, {"decided_on": "结论日期格式应为 YYYY-MM-DD"})
    comment = form.comment.data or ""
    override = form.override_reason.data or ""
    decided_on = form.decided_on.data
    errors = reviews.review_errors(db, assessment, action, comment, override, decided_on)
    if errors:
        return _back(assessment, form, errors)
    # only the rubric's indicators: the page shows a comment beside its field, nothing else
    rubric = scoring.load_rubric(assessment["rubric_id"], assessment["rubric_version"])
    field_comments = {
        key.removeprefix("field_comment_"): value.strip()
        for key, value in request.form.items()
        if key.startswith("field_comment_")
        and key.removeprefix("field_comment_") in rubric.indicators
        and value.strip()
    }
    try:
        assessments.review(
            db,
            assessment_id,
            action=action,
            user=actor(),
            comment=comment.strip(),
            field_comments=field_comments,
            decided_on=(decided_on or clock.today()).isoformat(),
            override_reason=override.strip(),
            expected_version=int(form.version.data)
            if (form.version.data or "").isdigit()
            else None,
            scored=assessment["result"] if assessment["panel_scored"] else None,
            ip=client_ip(),
            publicity=current_app.config["PUBLICITY"],
        )
    except assessments.Conflict as e:
        flash(e.message, "error")
        return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id))
    except workflow.TransitionError as e:
        flash(str(e), "error")
        return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id))
    if action == "return":
        flash("已退回，检查员将看到您的意见。", "success")
    else:
        flash(f"已作出结论：{workflow.STATUS_LABELS[workflow.REVIEW_ACTIONS[action]]}。", "success")
    return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id))


def _back(assessment: dict, form: ReviewForm, errors: dict[str, str]):
    """Show the page again with the messages beside their fields and everything typed kept."""
    for key, message in errors.items():
        getattr(form, key).errors = [message]
    return render_result(assessment, review_form=form), 422
