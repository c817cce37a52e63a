"""The expert panel's part of the OpenAPI document (views/openapi.py merges it in)."""

from happy_rivers.scoring.panel import MAX_EXPERTS, MIN_EXPERTS, MIN_SUBMITTED_TO_CLOSE

from .openapi import STRING_2DP, body, errors, json_content, obj, ok, ref

JUDGED = obj(
    {
        "points": {"type": "number", "minimum": 0, "multipleOf": 0.5},
        "note": {"type": "string", "minLength": 1},
    },
    ["points", "note"],
    additionalProperties=False,
)
EXPERT_ANSWERS = {
    "type": "object",
    "description": "One expert's answers of the rubric's panel indicators (A14, A15, A17 by "
    "default), each in that indicator's own form; errors are keyed like `A14.points`.",
    "additionalProperties": ref("JudgedAnswer"),
    "example": {
        "A14": {"points": 4, "note": "古桥已挂牌保护"},
        "A15": {"points": 3.5, "note": "文化节每年举办"},
        "A17": {"points": 4, "note": "带动沿岸民宿"},
    },
}

SCHEMAS = {
    "JudgedAnswer": JUDGED,
    "ExpertAnswers": EXPERT_ANSWERS,
    "PanelNamed": obj(
        {
            "experts": {"type": "array", "items": {"type": "string"}},
            "indicators": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the indicator codes the experts score",
            },
        },
        ["experts", "indicators"],
    ),
    "Panel": obj(
        {
            "experts": {
                "type": "array",
                "items": obj(
                    {
                        "expert": {
                            "type": "string",
                            "description": "the username for reviewers and administrators, "
                            "专家1…专家n (order of naming) for everybody else",
                        },
                        "submitted": {"type": "boolean"},
                        "me": {"type": "boolean", "description": "the caller's own entry"},
                        "answers": {
                            "type": "object",
                            "description": "submitted answers only (an expert also sees their "
                            "own draft); empty for an expert who has not submitted yet",
                        },
                    },
                    ["expert", "submitted", "answers"],
                ),
            },
            "indicators": {
                "type": "object",
                "description": "per indicator with submitted points: combined (scoring."
                "combine_panel), spread (max − min) and flag (分歧较大: spread above 1.5); "
                "empty for an expert who has not submitted yet",
                "additionalProperties": obj(
                    {"combined": STRING_2DP, "spread": STRING_2DP, "flag": {"type": "boolean"}},
                    ["combined", "spread", "flag"],
                ),
            },
            "state": {"type": "string", "enum": ["open", "complete", "closed"]},
            "rule": {"type": "string", "description": "the combination rule, in Chinese"},
            "close_reason": {"type": ["string", "null"]},
        },
        ["experts", "indicators", "state"],
    ),
}


def paths() -> dict:
    aid = [ref("AssessmentId", "parameters")]
    return {
        "/assessments/{assessment_id}/panel": {
            "post": {
                "operationId": "namePanel",
                "summary": f"Name {MIN_EXPERTS}–{MAX_EXPERTS} experts (reviewer/admin)",
                "description": "For a submitted acceptance or recheck, once. 403: an inspector "
                "or expert, or the assessment's author. 422: not a list of 2–9 distinct "
                "active experts (errors.experts / errors.experts.<i>). 409: not submitted, a "
                "self-assessment, or a panel already named.",
                "parameters": aid,
                "requestBody": body(
                    ref("PanelNameRequest"), {"experts": ["expert", "expert2", "expert3"]}
                ),
                "responses": {"201": ok("Named", ref("PanelNamed"))} | errors(403, 404, 409, 422),
            },
            "get": {
                "operationId": "getPanel",
                "summary": "The panel as the caller may see it",
                "description": "Reviewers and administrators see usernames, everybody else "
                "专家1…n; an expert sees no other expert's answers and no combined points "
                "before submitting their own. 404: no panel, or out of scope (an expert "
                "reaches only the assessments they are named on).",
                "parameters": aid,
                "responses": {"200": ok("The panel", ref("Panel"))} | errors(404),
            },
        },
        "/assessments/{assessment_id}/panel/me": {
            "put": {
                "operationId": "savePanelAnswers",
                "summary": "Save the calling expert's answers (a draft; may be partial)",
                "description": "Every answer given must be valid (0 to the indicator's max in "
                "0.5 steps, a note). 409 after submitting or after the panel was closed.",
                "parameters": aid,
                "requestBody": body(ref("PanelAnswersRequest")),
                "responses": {"200": ok("Saved", ref("Panel"))} | errors(403, 404, 409, 422),
            }
        },
        "/assessments/{assessment_id}/panel/me/submit": {
            "post": {
                "operationId": "submitPanelAnswers",
                "summary": "Submit the calling expert's answers (final)",
                "description": "Submits the answers sent, or the saved ones without a body; "
                "every panel indicator is required (422 names the missing ones). Repeating the "
                "same submission → 200, nothing written; anything else after it → 409.",
                "parameters": aid,
                "requestBody": {
                    "required": False,
                    "content": json_content(ref("PanelSubmitRequest")),
                },
                "responses": {"200": ok("Submitted", ref("Panel"))} | errors(403, 404, 409, 422),
            }
        },
        "/assessments/{assessment_id}/panel/close": {
            "post": {
                "operationId": "closePanel",
                "summary": "Go ahead without the experts still out (reviewer/admin; audited)",
                "description": f"Needs at least {MIN_SUBMITTED_TO_CLOSE} submitted experts and a "
                "reason (422). 409: fewer submitted, already complete or closed, or the "
                "assessment is no longer in review. The decision then uses the submitted "
                "experts' points.",
                "parameters": aid,
                "requestBody": body(ref("PanelCloseRequest"), {"reason": "专家3 因病无法参加"}),
                "responses": {"200": ok("Closed", ref("Panel"))} | errors(403, 404, 409, 422),
            }
        },
    }
