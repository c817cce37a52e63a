"""The expert panel in the JSON API (routes of the api blueprint, /api/v1/assessments/<id>/panel…).

Same rules and the same functions as the pages (views/panel.py); the conventions of
views/api.py: 401 without a token, 403 for a role, 404 outside one's scope (experts: the
assessments they are named on), 409 for the panel's state, 422 with a message per field.
"""

from flask import g, jsonify, request

from happy_rivers import store
from happy_rivers.scoring.panel import check_expert_answers
from happy_rivers.store import assessments, panels

from . import api_schemas as schemas
from .api import (
    ApiError,
    body_as,
    bp,
    client_ip,
    current,
    invalid,
    load_assessment,
    require_role,
)
from .assessment_pages import (
    EXPERT_API,
    MANAGERS,
    expert_refusal,
    panel_view,
    read_experts,
    rubric_of,
)


@bp.before_request
def confine_experts():
    """Experts' tokens reach only their panels (runs after api.authenticate)."""
    user = g.get("api_user")
    if user is None:
        return None
    code = expert_refusal(user, request.endpoint, request.view_args, EXPERT_API)
    if code == 403:
        raise ApiError(403)
    if code == 404:
        raise ApiError(404, "没有该评估，或您不在它的专家组中")
    return None


def load_panel(assessment_id: int) -> tuple[dict, dict]:
    row = load_assessment(assessment_id)
    panel = panels.get(store.get_db(), assessment_id)
    if panel is None:
        raise ApiError(404, "该评估没有专家组")
    return row, panel


def panel_json(row: dict, panel: dict) -> dict:
    view = panel_view(panel, rubric_of(row), current())
    return {k: view[k] for k in ("experts", "indicators", "state", "rule", "close_reason")}


def manager_for(row: dict):
    user = require_role(*MANAGERS)
    if assessments.is_author(store.get_db(), row["id"], user.id):
        raise ApiError(403, "不能为自己填写或提交的评估组建或结束专家组")
    return user


@bp.post("/assessments/<api_id:assessment_id>/panel")
def panel_name(assessment_id: int):
    require_role(*MANAGERS)
    row = load_assessment(assessment_id)
    user = manager_for(row)
    experts, errors = read_experts(body_as(schemas.PanelNameRequest).experts)
    if errors:  # who the experts are is the accounts' to say: each name is checked there
        raise invalid(errors, dict.fromkeys(errors, schemas.UNKNOWN))
    try:
        panel = panels.name(store.get_db(), assessment_id, experts, user=user.row, ip=client_ip())
    except panels.PanelStateError as e:
        raise ApiError(409, str(e), status=row["status"]) from None
    response = jsonify(
        {
            "experts": [e["username"] for e in panel["experts"]],
            "indicators": list(rubric_of(row).panel_indicators),
        }
    )
    response.status_code = 201
    return response


@bp.get("/assessments/<api_id:assessment_id>/panel")
def panel_get(assessment_id: int):
    row, panel = load_panel(assessment_id)
    return jsonify(panel_json(row, panel))


def _own_answers(row: dict, answers: dict, *, complete: bool) -> dict:
    errors = check_expert_answers(rubric_of(row), answers, complete=complete)
    if errors:
        raise invalid(errors)
    return answers


@bp.put("/assessments/<api_id:assessment_id>/panel/me")
def panel_save(assessment_id: int):
    user = require_role("expert")
    row, _panel = load_panel(assessment_id)
    answers = _own_answers(row, body_as(schemas.PanelAnswersRequest).answers, complete=False)
    return _save(row, user, answers, submit=False)


@bp.post("/assessments/<api_id:assessment_id>/panel/me/submit")
def panel_submit(assessment_id: int):
    """Submit the saved answers, or the answers sent with the request."""
    user = require_role("expert")
    row, panel = load_panel(assessment_id)
    answers = body_as(schemas.PanelSubmitRequest, optional=True).answers
    if answers is None:
        answers = next(e for e in panel["experts"] if e["expert_id"] == user.id)["answers"]
    answers = _own_answers(row, answers, complete=True)
    return _save(row, user, answers, submit=True)


def _save(row: dict, user, answers: dict, *, submit: bool):
    try:
        panel = panels.save_answers(
            store.get_db(), row["id"], user.row, answers, submit=submit, ip=client_ip()
        )
    except panels.PanelStateError as e:
        raise ApiError(409, str(e)) from None
    return jsonify(panel_json(row, panel))


@bp.post("/assessments/<api_id:assessment_id>/panel/close")
def panel_close(assessment_id: int):
    require_role(*MANAGERS)
    row, _panel = load_panel(assessment_id)
    user = manager_for(row)
    reason = body_as(schemas.PanelCloseRequest).reason.strip()
    if not reason:
        raise invalid({"reason": "请说明提前结束专家评分的理由"}, {"reason": schemas.MISSING})
    if row["status"] != "submitted":
        raise ApiError(409, "只有待审核的评估可以结束专家评分", status=row["status"])
    try:
        panel = panels.close(store.get_db(), row["id"], reason, user=user.row, ip=client_ip())
    except panels.PanelStateError as e:
        raise ApiError(409, str(e)) from None
    return jsonify(panel_json(row, panel))
