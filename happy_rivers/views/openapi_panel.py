"""The expert panel's operations in the OpenAPI document (views/openapi.py merges them in)."""

from happy_rivers.scoring.panel import MAX_EXPERTS, MIN_EXPERTS, MIN_SUBMITTED_TO_CLOSE

from . import api_schemas as schemas
from .openapi import Operation

MODELS: list = []  # its bodies and answers are in views/api_schemas.py

OPERATIONS = {
    "api.panel_name": Operation(
        "namePanel",
        f"Name {MIN_EXPERTS}–{MAX_EXPERTS} experts (reviewer/admin)",
        {201: ("Named", schemas.PanelNamed)},
        errors=(404, 409, 422),
        description="For a submitted acceptance or recheck, once. 403: an inspector or expert, "
        "or the assessment's author. 422: not a list of 2–9 distinct active experts "
        "(errors.experts / errors.experts.<i>). 409: not submitted, a self-assessment, or a "
        "panel already named.",
        body=schemas.PanelNameRequest,
        example={"experts": ["expert", "expert2", "expert3"]},
    ),
    "api.panel_get": Operation(
        "getPanel",
        "The panel as the caller may see it",
        {200: ("The panel", schemas.Panel)},
        errors=(404,),
        description="Reviewers and administrators see usernames, everybody else 专家1…n; an "
        "expert sees no other expert's answers and no combined points before submitting "
        "their own. 404: no panel, or out of scope (an expert reaches only the assessments "
        "they are named on).",
    ),
    "api.panel_save": Operation(
        "savePanelAnswers",
        "Save the calling expert's answers (a draft; may be partial)",
        {200: ("Saved", schemas.Panel)},
        errors=(404, 409, 422),
        description="Every answer given must be valid (0 to the indicator's max in 0.5 steps, "
        "a note). 409 after submitting or after the panel was closed.",
        body=schemas.PanelAnswersRequest,
    ),
    "api.panel_submit": Operation(
        "submitPanelAnswers",
        "Submit the calling expert's answers (final)",
        {200: ("Submitted", schemas.Panel)},
        errors=(404, 409, 422),
        description="Submits the answers sent, or the saved ones without a body; every panel "
        "indicator is required (422 names the missing ones). Repeating the same submission → "
        "200, nothing written; anything else after it → 409.",
        body=schemas.PanelSubmitRequest,
        body_required=False,
    ),
    "api.panel_close": Operation(
        "closePanel",
        "Go ahead without the experts still out (reviewer/admin; audited)",
        {200: ("Closed", schemas.Panel)},
        errors=(404, 409, 422),
        description=f"Needs at least {MIN_SUBMITTED_TO_CLOSE} submitted experts and a reason "
        "(422). 409: fewer submitted, already complete or closed, or the assessment is no "
        "longer in review. The decision then uses the submitted experts' points.",
        body=schemas.PanelCloseRequest,
        example={"reason": "专家3 因病无法参加"},
    ),
}
