"""Expert panels (专家组): naming experts, each expert's own scoring, closing, what each role sees.

- Experts see nothing but their panels: `confine_experts` refuses every other page (403) and
  every assessment they are not named on (404, like an id that does not exist).
- An expert sees no other expert's points before submitting their own; inspectors see the
  experts as 专家1…n, reviewers and administrators see names (`panel_view`).
- Once every named expert has submitted, or the reviewer closed the panel with at least two,
  the decision scores the assessment with the submitted experts' points (`decision_basis`).

The API (views/api_panel.py) uses the same functions, so pages and API cannot disagree.
"""

from decimal import Decimal, InvalidOperation

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user

from happy_rivers import clock, scoring, store
from happy_rivers.forms import FlaskForm
from happy_rivers.scoring import workflow
from happy_rivers.scoring.panel import (
    MAX_EXPERTS,
    MIN_EXPERTS,
    MIN_SUBMITTED_TO_CLOSE,
    check_expert_answers,
    read_panel,
    rule_text,
)
from happy_rivers.scoring.process import compare
from happy_rivers.scoring.process import settings as process_settings
from happy_rivers.store import assessments, panels, users

from .auth import actor, client_ip, roles_required
from .inspect import load_assessment, render_result, rubric_of

bp = Blueprint("panel", __name__)

# The pages an expert may open; everything else answers 403 (default deny: a page added later
# is closed to experts until someone decides otherwise). Assessment pages are further limited
# to the assessments the expert is named on.
EXPERT_PAGES = {
    "auth.login",
    "auth.logout",
    # their own password and API tokens
    "auth.change_password",
    "auth.tokens",
    "auth.token_revoke",
    "set_language",
    "static",
    "inspect.assessment_view",
    "inspect.attachment_download",
    "report.assessment",
    "panel.queue",
    "panel.score",
    # their notifications (named on a panel)
    "inbox.inbox",
    "inbox.open_notification",
    "inbox.mark_read",
    "inbox.email",
    # public to everybody, signed in or not: the offline shell and the rubric documents
    "pwa.service_worker",
    "pwa.manifest",
    "pwa.offline",
    "rubrics.rubric_json",
    # the public pages (no sign-in needed)
    "public.index",
    "public.district",
    "public.waterbody",
    "publicity.public",
}
EXPERT_API = {
    "api.openapi",
    "api.public_publicity",
    "api.fallback",
    "api.assessment_get",
    "api.panel_get",
    "api.panel_save",
    "api.panel_submit",
}
MANAGERS = ("reviewer", "admin")


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


def confine_experts():
    if not current_user.is_authenticated or (request.endpoint or "").startswith("api."):
        return None  # the API confines its token users itself (views/api_panel.py)
    if current_user.role == "expert" and request.endpoint == "inspect.index":
        return redirect(url_for("panel.queue"))
    code = expert_refusal(current_user, request.endpoint, request.view_args, EXPERT_PAGES)
    if code:
        abort(code)
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
    stores that result. `panel_state` tells review_errors to wait while experts are missing.
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


def panel_not_ready(assessment: dict) -> str | None:
    """Why a decision must wait for the panel (experts still to submit), or None."""
    if assessment.get("panel_state") != "open":
        return None
    return str(panels.PanelNotReady(assessment["panel_waiting"]))


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


# ---------------------------------------------------------------------------------------------
# Reading input (shared with the API)


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


def answers_from_form(rubric: scoring.Rubric, form) -> tuple[dict, dict[str, str]]:
    """The expert's page form (`A14.points`, `A14.note`) as answers, skipping untouched
    indicators; a points box that is not a number is an error here, the rest is the rule's."""
    answers, errors = {}, {}
    for code in rubric.panel_indicators:
        raw_points = (form.get(f"{code}.points") or "").strip()
        note = form.get(f"{code}.note") or ""
        if not raw_points and not note.strip():
            continue
        answer: dict = {"note": note}
        if raw_points:
            try:
                number = Decimal(raw_points)
                if not number.is_finite():
                    raise InvalidOperation
                answer["points"] = number
            except InvalidOperation:
                errors[f"{code}.points"] = gettext("请填写数字，如 3.5")
        answers[code] = answer
    return answers, errors


def as_json_answers(answers: dict) -> dict:
    """Decimals typed on the page as plain JSON numbers (ints where whole)."""
    out = {}
    for code, answer in answers.items():
        points = answer.get("points")
        if isinstance(points, Decimal):
            points = int(points) if points == points.to_integral_value() else float(points)
        out[code] = {k: v for k, v in (answer | {"points": points}).items() if v is not None}
    return out


# ---------------------------------------------------------------------------------------------
# Pages


class PanelForm(FlaskForm):
    """CSRF only: the fields are the rubric's panel indicators, read by answers_from_form."""


@bp.get("/panel")
@roles_required("expert")
def queue():
    rows = [dict(r) for r in panels.for_expert(store.get_db(), current_user.id)]
    today = clock.today()
    for row in rows:  # how long the panel has waited for this expert (since it was named)
        named = clock.beijing_date(row["named_at"])
        row["waited_days"] = (today - named).days if named else None
    return render_template("panel/queue.html", rows=rows)


@bp.post("/assessments/<int:assessment_id>/panel")
@roles_required(*MANAGERS)
def name(assessment_id: int):
    assessment = load_assessment(assessment_id)
    if not PanelForm().validate():
        abort(400)
    if not may_manage(assessment):
        abort(403)
    experts, errors = read_experts(request.form.getlist("experts"))
    if errors:
        return render_result(assessment, panel_errors=errors), 422
    try:
        panels.name(store.get_db(), assessment_id, experts, user=actor(), ip=client_ip())
    except panels.PanelStateError as e:
        flash(str(e), "error")
        return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id))
    flash(gettext("已组建专家组，共 %(n)s 位专家。", n=len(experts)), "success")
    return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id) + "#panel")


@bp.post("/assessments/<int:assessment_id>/panel/close")
@roles_required(*MANAGERS)
def close(assessment_id: int):
    assessment = load_assessment(assessment_id)
    if not PanelForm().validate():
        abort(400)
    if not may_manage(assessment):
        abort(403)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        return render_result(
            assessment, panel_errors={"reason": gettext("请说明提前结束专家评分的理由")}
        ), 422
    if assessment["status"] != "submitted":
        flash(gettext("只有待审核的评估可以结束专家评分。"), "error")
    else:
        try:
            panels.close(store.get_db(), assessment_id, reason, user=actor(), ip=client_ip())
        except panels.PanelStateError as e:
            flash(str(e), "error")
        else:
            flash(gettext("已结束专家评分，可以作出结论。"), "success")
    return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id) + "#panel")


@bp.route("/assessments/<int:assessment_id>/panel/me", methods=["GET", "POST"])
@roles_required("expert")
def score(assessment_id: int):
    """One expert's own scoring of the panel indicators: save as often as needed, then submit."""
    db = store.get_db()
    assessment = load_assessment(assessment_id)
    rubric = rubric_of(assessment)
    panel = panels.get(db, assessment_id)
    mine = next(e for e in panel["experts"] if e["expert_id"] == current_user.id)
    form = PanelForm()
    locked = bool(mine["submitted_at"] or panel["closed_at"])
    if request.method == "GET":
        return _render_score(assessment, rubric, mine, form, mine["answers"], {}, locked)
    if not form.validate():
        abort(400)
    if locked:
        flash(gettext("您已提交评分，或审核员已结束专家评分：评分不能再修改。"), "error")
        return redirect(url_for("panel.score", assessment_id=assessment_id))
    submit = request.form.get("action") == "submit"
    typed, errors = answers_from_form(rubric, request.form)
    answers = as_json_answers(typed)
    errors = check_expert_answers(rubric, answers, complete=submit) | errors
    if errors:
        flash(
            gettext("有 %(n)s 处需要填写或更正，未保存。", n=len(errors)),
            "error",
        )
        return _render_score(assessment, rubric, mine, form, typed, errors, locked), 422
    try:
        panels.save_answers(db, assessment_id, actor(), answers, submit=submit, ip=client_ip())
    except panels.PanelStateError as e:
        flash(str(e), "error")
        return redirect(url_for("panel.score", assessment_id=assessment_id))
    if submit:
        flash(gettext("已提交评分。"), "success")
        return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id) + "#panel")
    flash(gettext("评分已保存，提交前仍可修改。"), "success")
    return redirect(url_for("panel.score", assessment_id=assessment_id), 303)


def _render_score(assessment, rubric, mine, form, answers, errors, locked):
    return render_template(
        "panel/score.html",
        assessment=assessment,
        rubric=rubric,
        indicators=[rubric.indicators[c] for c in rubric.panel_indicators],
        mine=mine,
        form=form,
        answers=answers,
        errors=errors,
        locked=locked,
        attachments=assessments.attachments(store.get_db(), assessment["id"]),
    )


def init_app(app) -> None:
    app.before_request(confine_experts)
