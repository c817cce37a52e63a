"""What several blueprints show and check of one assessment: loading it within the user's
scope, its rubric, who may see which expert's points, the basis of a decision, the result page.

One module that the page blueprints and the API import, so that blueprints do not import each
other (docs/architecture.md): a route lives in its blueprint, what two of them share lives here.
"""

from decimal import Decimal

from flask import abort, render_template
from flask_login import current_user

from happy_rivers import scoring, store
from happy_rivers.forms.review import ReviewForm
from happy_rivers.scoring import workflow
from happy_rivers.scoring.panel import (
    MAX_EXPERTS,
    MIN_EXPERTS,
    MIN_SUBMITTED_TO_CLOSE,
    read_panel,
    rule_text,
)
from happy_rivers.scoring.process import compare
from happy_rivers.scoring.process import settings as process_settings
from happy_rivers.store import assessments, audit, panels, surveys, users

from .i18n import with_texts

MANAGERS = ("reviewer", "admin")


EXPERT_API = {
    "api.openapi",
    "api.public_publicity",
    "api.fallback",
    "api.assessment_get",
    "api.panel_get",
    "api.panel_save",
    "api.panel_submit",
}


def load_assessment(assessment_id: int, *, result: bool = True) -> dict:
    """The assessment, or 404 outside the user's district. result=False: a page that never
    shows the stored scoring result (the form, which scores its answers afresh) skips decoding
    its ~6 KB."""
    row = assessments.get(store.get_db(), assessment_id, district=current_user.scope, result=result)
    if row is None:
        abort(404)
    return row


def rubric_of(assessment: dict) -> scoring.Rubric:
    return scoring.load_rubric(assessment["rubric_id"], assessment["rubric_version"])


def assessment_of(view_args: dict | None) -> int | None:
    """The assessment a request is about, for the routes an expert may use."""
    args = view_args or {}
    if "assessment_id" in args:
        return args["assessment_id"]
    if "attachment_id" in args:
        row = assessments.attachment(store.get_db(), args["attachment_id"])
        return row["assessment_id"] if row else None
    return None


def expert_refusal(user, endpoint: str | None, view_args: dict | None, allowed: set) -> int | None:
    """403 for a route experts may not use, 404 for an assessment they are not named on."""
    if user.role != "expert" or endpoint is None:
        return None
    if endpoint not in allowed:
        return 403
    assessment_id = assessment_of(view_args)
    if assessment_id is not None and not panels.is_member(store.get_db(), assessment_id, user.id):
        return 404
    return None


# ---------------------------------------------------------------------------------------------
# What each role sees


def expert_label(expert: dict, viewer) -> str:
    """Names for reviewers and administrators; 专家1…n for everybody else."""
    if viewer.role in MANAGERS:
        return expert["username"]
    return f"专家{expert['position']}"


def panel_view(panel: dict | None, rubric: scoring.Rubric, viewer) -> dict | None:
    """The panel as this viewer may see it (the API's GET body, and the pages' tables).

    Only submitted answers are shown, and an expert who has not submitted yet sees only their
    own answers and no combined points: nothing may anchor their judgement.
    """
    if panel is None:
        return None
    mine = next((e for e in panel["experts"] if e["expert_id"] == viewer.id), None)
    blind = viewer.role == "expert" and (mine is None or not mine["submitted_at"])
    experts = []
    for expert in panel["experts"]:
        own = mine is not None and expert["expert_id"] == mine["expert_id"]
        shown = own or (expert["submitted_at"] and not blind)
        experts.append(
            {
                "expert": expert_label(expert, viewer),
                "submitted": bool(expert["submitted_at"]),
                "me": own,
                "answers": expert["answers"] if shown else {},
            }
        )
    indicators = {}
    if not blind:
        summaries, _errors = read_panel(rubric, panels.panel_input(panel))
        indicators = {
            code: {"combined": str(s.combined), "spread": str(s.spread), "flag": s.flag}
            for code, s in summaries.items()
        }
    submitted = len(panels.submitted(panel))
    return {
        "experts": experts,
        "indicators": indicators,
        "state": panels.state(panel),
        "submitted": submitted,
        "rule": rule_text(submitted) if submitted else "",
        "close_reason": panel["close_reason"],
    }


def decision_basis(assessment: dict) -> tuple[dict, dict | None]:
    """The assessment as its decision sees it, and its panel.

    Once the panel of a submitted assessment is complete or closed, its result (total,
    computed decision) is the one scored with the submitted experts' points; the decision
    stores that result. `panel_state` tells store.reviews.review_errors to wait while experts
    are missing.
    """
    panel = panels.get(store.get_db(), assessment["id"])
    state = panels.state(panel)
    waiting = sum(1 for e in panel["experts"] if not e["submitted_at"]) if panel else 0
    assessment = assessment | {
        "panel_state": state,
        "panel_waiting": waiting,
        "panel_scored": False,
    }
    if state in ("complete", "closed") and assessment["status"] == "submitted":
        try:
            scored = scoring.score(
                rubric_of(assessment), assessment["answers"], panel=panels.panel_input(panel)
            ).to_dict()
        except scoring.InvalidAnswers:
            return assessment, panel  # incomplete answers: the review says so, as without panel
        assessment |= {
            "result": scored,
            "computed_decision": scored["decision"],
            "panel_scored": True,
        }
    return assessment, panel


def self_comparison(assessment: dict, viewer) -> dict | None:
    """自评 vs 市级验收: per indicator, the waterbody's latest scored self-assessment beside this
    acceptance or recheck; large differences are marked for reviewers and administrators only
    (a hint toward G6 弄虚作假 for them to look at, never a verdict)."""
    if assessment["kind"] == "self" or not assessment["result"] or viewer.role == "expert":
        return None
    own = [
        a
        for a in assessments.list_assessments(
            store.get_db(),
            waterbody_id=assessment["waterbody_id"],
            kind="self",
            status=["submitted", *workflow.DECIDED_STATUSES],
        )
        if a["result"]
    ]
    if not own:
        return None
    mine = own[0]
    rubric = rubric_of(assessment)

    def points(result: dict) -> dict[str, Decimal]:
        return {c: Decimal(i["points"]) for c, i in result["indicators"].items()}

    rows = compare(rubric.indicators, points(mine["result"]), points(assessment["result"]))
    return {
        "self": mine,
        "rows": rows,
        "highlight": viewer.role in MANAGERS,
        "large": sum(1 for r in rows if r.large),
        "percent": f"{Decimal(str(process_settings()['compare']['large_difference'])) * 100:g}",
    }


def may_manage(assessment: dict) -> bool:
    """Reviewers and administrators who did not fill in the assessment (four eyes)."""
    return current_user.role in MANAGERS and not assessments.is_author(
        store.get_db(), assessment["id"], current_user.id
    )


def result_context(assessment: dict, panel: dict | None) -> dict:
    """What the result page and the report show of the panel and the comparison."""
    rubric = rubric_of(assessment)
    can_name = (
        panel is None
        and assessment["status"] == "submitted"
        and assessment["kind"] in panels.PANEL_KINDS
        and may_manage(assessment)
    )
    view = panel_view(panel, rubric, current_user)
    can_close = (
        view is not None
        and view["state"] == "open"
        and view["submitted"] >= MIN_SUBMITTED_TO_CLOSE
        and assessment["status"] == "submitted"
        and may_manage(assessment)
    )
    return {
        "panel": view,
        "panel_codes": rubric.panel_indicators,
        "can_name_panel": can_name,
        "can_close_panel": can_close,
        "available_experts": panels.active_experts(store.get_db()) if can_name else [],
        "panel_sizes": (MIN_EXPERTS, MAX_EXPERTS),
        "comparison": self_comparison(assessment, current_user),
    }


def render_result(assessment: dict, review_form=None, panel_errors: dict | None = None):
    """The result page; reviewers also get the review form (pre-set to the computed decision,
    which is the expert panel's once its experts have scored)."""
    # imported when a page is drawn, not with the API that imports this module: pygal installs
    # an import hook that makes later imports (jsonschema's) warn
    from . import charts

    db = store.get_db()
    assessment, panel = decision_basis(assessment)
    history = audit.history(db, "assessment", assessment["id"])
    if current_user.role not in MANAGERS:
        # the experts' names and their points before the others have scored stay with the
        # reviewers; the panel table shows everybody else what they may see
        history = [h for h in history if not h["action"].startswith("panel_")]
    rubric = rubric_of(assessment)
    can_review = workflow.allowed(
        assessment["status"], "accept", current_user.role
    ) and not assessments.is_author(db, assessment["id"], current_user.id)
    # four eyes: whoever corrected the answers may only return it; another reviewer decides
    only_return = can_review and assessments.corrected_by(db, assessment["id"], current_user.id)
    if can_review and review_form is None:
        computed = assessment["computed_decision"]
        preselect = {v: k for k, v in workflow.REVIEW_ACTIONS.items()}.get(computed, "return")
        if only_return:
            preselect = "return"
        review_form = ReviewForm(
            formdata=None, data={"action": preselect, "version": assessment["version"]}
        )
    return render_template(
        "inspect/result.html",
        assessment=assessment,
        rubric=rubric,
        result=with_texts(assessment, rubric, panel),
        preview=scoring.preview(rubric, assessment["answers"]),
        attachments=assessments.attachments(db, assessment["id"]),
        history=history,
        can_edit=workflow.edit_action(assessment["status"], current_user.role) is not None,
        can_review=can_review,
        only_return=only_return,
        review_form=review_form,
        radar_svg=charts.result_radar(assessment, rubric),
        survey_source=surveys.provenance(db, assessment["id"]),
        panel_errors=panel_errors or {},
        **result_context(assessment, panel),
    )


def read_experts(usernames) -> tuple[list[dict], dict[str, str]]:
    """The named experts' user rows, or field errors (Chinese) keyed `experts` / `experts.<i>`."""
    if not isinstance(usernames, list) or not all(isinstance(u, str) for u in usernames):
        return [], {"experts": "experts 须为专家用户名的列表"}
    names = [u.strip() for u in usernames if u.strip()]
    if not MIN_EXPERTS <= len(names) <= MAX_EXPERTS:
        message = f"专家组须由 {MIN_EXPERTS} 至 {MAX_EXPERTS} 位专家组成（现为 {len(names)} 位）"
        return [], {"experts": message}
    if len(set(names)) != len(names):
        return [], {"experts": "同一位专家不能重复选择"}
    db = store.get_db()
    experts, errors = [], {}
    for position, name in enumerate(names):
        row = users.by_username(db, name)
        if row is None or row["role"] != "expert" or not row["active"]:
            errors[f"experts.{position}"] = f"「{name}」不是在用的验收专家账号"
        else:
            experts.append(row)
    return experts, errors
