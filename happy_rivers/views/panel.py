"""Expert panels (专家组): naming experts, each expert's own scoring, closing, what each role sees.

- Experts see nothing but their panels: `confine_experts` refuses every other page (403) and
  every assessment they are not named on (404, like an id that does not exist).
- An expert sees no other expert's points before submitting their own; inspectors see the
  experts as 专家1…n, reviewers and administrators see names (`panel_view`).
- Once every named expert has submitted, or the reviewer closed the panel with at least two,
  the decision scores the assessment with the submitted experts' points (`decision_basis`).

The API (views/api_panel.py) uses the same functions (the shared ones in
views/assessment_pages.py), so pages and API cannot disagree.
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
from happy_rivers.scoring.panel import (
    check_expert_answers,
)
from happy_rivers.store import assessments, panels

from .assessment_pages import (
    MANAGERS,
    expert_refusal,
    load_assessment,
    may_manage,
    read_experts,
    render_result,
    rubric_of,
)
from .auth import actor, client_ip, roles_required

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
    # the public pages and the satisfaction survey's answer pages (no sign-in needed)
    "public.index",
    "public.district",
    "public.waterbody",
    "publicity.public",
    "survey.answer",
    "survey.answer_post",
    "survey.thanks",
}


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


# ---------------------------------------------------------------------------------------------
# Reading input (shared with the API)


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
