"""The OpenAPI 3.1 description of /api/v1, as data (served by views.api at /openapi.json).

Kept beside the views it describes; tests/test_api.py checks that every route of the api
blueprint is here with its methods, and that every $ref resolves.
"""

from copy import deepcopy

from happy_rivers.scoring import workflow
from happy_rivers.scoring.leaderboard import RANKING_RULE
from happy_rivers.scoring.waterbodies import waterbody_kinds
from happy_rivers.store.waterbodies import STATUSES

from . import api_schemas as schemas

STRING_2DP = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["93.45"]}
# the kinds of waterbody (scoring/rubrics/waterbody_kinds.toml and RUBRIC_PATH's tables)
KINDS = list(waterbody_kinds())
DATE = {"type": "string", "format": "date", "examples": ["2025-01-07"]}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
BEIJING_TIME = {
    "type": "string",
    "format": "date-time",
    "description": "Beijing time (北京时间), ISO 8601 with +08:00",
    "examples": ["2026-12-02T06:33:00+08:00"],
}
ROUNDED = {"type": "number", "description": "rounded half-up to 2 decimals"}


def ref(name: str, kind: str = "schemas") -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def obj(properties: dict, required: list[str] | None = None, **more) -> dict:
    schema = {"type": "object", "properties": properties, **more}
    if required:
        schema["required"] = required
    return schema


def json_content(schema: dict, example=None) -> dict:
    media = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def ok(description: str, schema: dict, example=None) -> dict:
    return {"description": description, "content": json_content(schema, example)}


def errors(*codes: int) -> dict:
    """The shared error responses of an operation: 401 and 403 on every authenticated one (an
    expert's token reaches only the expert panel's operations: 403 elsewhere)."""
    names = {
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        422: "Unprocessable",
    }
    return {str(code): ref(names[code], "responses") for code in sorted({401, 403, *codes})}


def body(schema: dict, example=None) -> dict:
    return {"required": True, "content": json_content(schema, example)}


EXAMPLE_ANSWERS = {
    "A1": 96.5,
    "A2": 1,
    "A3": {"do": 6.8, "codmn": 3.2, "cod": 14, "bod5": 2.6, "nh3n": 0.42, "tp": 0.09},
    "A10": ["trail", "nodes", "safety"],
    "A12": "compliant",
    "A14": {"points": 4, "note": "古桥已挂牌保护"},
    "A18": {"riverside": 6.1, "district": 5.8},
    "A20": {"rate": 93.2, "sample_size": 400},
    "gates": {},
}

SCHEMAS = {
    "Error": obj(
        {"error": {"type": "string", "description": "a message in Chinese"}},
        ["error"],
        additionalProperties=True,
    ),
    "ValidationError": obj(
        {
            "error": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "field path → Chinese message, e.g. "
                '{"A3.tp": "总磷不能小于 0（mg/L）", "body": "请求体不是有效的 JSON"}',
            },
            "codes": {
                "type": "object",
                "additionalProperties": {"type": "string", "pattern": r"^\d{3}\.\d+$"},
                "description": "field path → stable error code (the same keys as errors), "
                'e.g. {"A3.tp": "422.11", "body": "422.1"}; the catalog is in '
                "docs/api.md: "
                + "; ".join(f"{code} {text}" for code, text in schemas.PROBLEMS.items()),
            },
            "missing": {
                "type": "array",
                "items": {"type": "string"},
                "description": "indicator codes still unanswered (answers endpoints only)",
            },
        },
        ["error", "errors", "codes"],
    ),
    "ConflictError": obj(
        {
            "error": {"type": "string"},
            "current_version": {
                "type": ["integer", "null"],
                "description": "on a stale version: the version to reload",
            },
            "existing_id": {
                "type": "integer",
                "description": "POST /assessments: the open assessment of that kind",
            },
            "existing_status": {"type": "string"},
            "status": {"type": "string", "description": "the assessment's status when locked"},
            "current": {
                "oneOf": [ref("Assessment"), {"type": "null"}],
                "description": "on a stale version: the assessment as it is now, so a client "
                "can show its user both values of each field and let them choose",
            },
        },
        ["error"],
    ),
    "Answers": {
        "type": "object",
        "description": "The answers JSON of shared/RUBRIC.md, keyed by indicator code (A1–A20 for "
        "cq-river, B1–B12 and A13–A20 for cq-reservoir); `gates` lists the manual gates "
        "that hold, each with its note.",
        "properties": {
            "gates": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "additionalProperties": True,
        "example": EXAMPLE_ANSWERS,
    },
    "Result": obj(
        {
            "rubric": ref("RubricRef"),
            "total": STRING_2DP,
            "max": STRING_2DP,
            "decision": {"type": "string", "enum": list(workflow.DECIDED_STATUSES)},
            "decision_label": {"type": "string"},
            "grade": {"type": "string", "enum": ["很幸福", "幸福", "一般", "不幸福"]},
            "gates": {"type": "array", "items": {"type": "string"}},
            "gate_details": {"type": "array", "items": {"type": "object"}},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "water_quality": {"type": ["object", "null"]},
            "dimensions": {
                "type": "object",
                "additionalProperties": obj(
                    {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "score": STRING_2DP,
                        "max": STRING_2DP,
                        "floor": STRING_2DP,
                        "floor_met": {"type": "boolean"},
                    }
                ),
            },
            "indicators": {
                "type": "object",
                "additionalProperties": obj(
                    {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "dimension": {"type": "string"},
                        "kind": {"type": "string"},
                        "input": {},
                        "points": STRING_2DP,
                        "max": STRING_2DP,
                        "explain": {"type": "string"},
                    }
                ),
            },
        },
        ["rubric", "total", "decision", "grade", "dimensions", "indicators"],
        description="The explained score. Scores are strings with exactly 2 decimals.",
    ),
    "RubricRef": obj({"id": {"type": "string"}, "version": {"type": "string"}}, ["id", "version"]),
    "District": obj(
        {"code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"}},
        ["code", "name", "kind"],
    ),
    "Waterbody": obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": list(KINDS)},
            "district": {"type": "string", "description": "district name"},
            "district_code": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "accepted_on": NULLABLE_DATE,
            "revoked_on": NULLABLE_DATE,
            "level": {"type": ["string", "null"]},
            "length_km": {"type": ["number", "null"]},
            "area_km2": {"type": ["number", "null"]},
            "river_chief": {"type": ["string", "null"]},
            "through": {
                "type": "array",
                "description": "the other districts a cross-boundary river runs through; "
                "their inspectors can read it, the lead district works on it",
                "items": obj({"code": {"type": "string"}, "name": {"type": "string"}}),
            },
            "lon": {"type": ["number", "null"], "description": "WGS-84 longitude"},
            "lat": {"type": ["number", "null"], "description": "WGS-84 latitude"},
        },
        ["id", "name", "kind", "district", "district_code", "status"],
    ),
    "AssessmentState": obj(
        {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": list(workflow.STATUS_LABELS)},
            "version": {"type": "integer"},
        },
        ["id", "status", "version"],
    ),
    "AssessmentCreated": obj(
        {
            "id": {"type": "integer"},
            "status": {"type": "string"},
            "version": {"type": "integer"},
            "result": {"oneOf": [ref("Result"), {"type": "null"}]},
        },
        ["id", "status", "version", "result"],
    ),
    "Assessment": obj(
        {
            "id": {"type": "integer"},
            "waterbody_id": {"type": "integer"},
            "waterbody": {"type": "string"},
            "waterbody_kind": {"type": "string", "enum": list(KINDS)},
            "district": {"type": "string"},
            "district_code": {"type": "string"},
            "kind": {"type": "string", "enum": list(workflow.KIND_LABELS)},
            "status": {"type": "string", "enum": list(workflow.STATUS_LABELS)},
            "version": {"type": "integer", "description": "send it back with PUT (locking)"},
            "rubric": ref("RubricRef"),
            "answers": ref("Answers"),
            "result": {
                "oneOf": [ref("Result"), {"type": "null"}],
                "description": "null while the answers are incomplete",
            },
            "computed_decision": {"type": ["string", "null"]},
            "decision": {"type": ["string", "null"]},
            "decided_on": NULLABLE_DATE,
            "override_reason": {"type": ["string", "null"]},
            "return_comment": {"type": ["string", "null"]},
            "field_comments": {"type": "object", "additionalProperties": {"type": "string"}},
            "inspector": {"type": ["string", "null"]},
            "reviewer": {"type": ["string", "null"]},
            "created_at": BEIJING_TIME,
            "updated_at": BEIJING_TIME,
            "submitted_at": {**BEIJING_TIME, "type": ["string", "null"]},
        },
        ["id", "waterbody_id", "kind", "status", "version", "rubric", "answers", "result"],
    ),
    "ReviewResult": obj(
        {
            "id": {"type": "integer"},
            "status": {"type": "string"},
            "version": {"type": "integer"},
            "decision": {"type": ["string", "null"]},
        },
        ["id", "status", "version"],
    ),
    "TargetProgress": obj(
        {
            "year": {"type": "integer"},
            "goal": {"type": "integer"},
            "deadline": DATE,
            "label": {"type": "string"},
            "remaining": {"type": "integer"},
            "days_left": {"type": "integer"},
            "required_per_year": {
                **ROUNDED,
                "type": ["number", "null"],
                "description": "remaining / (days_left / 365.25); null when days_left ≤ 0",
            },
            "pace_per_year": {
                "type": "integer",
                "description": "acceptances in the 365 days ending at as_of",
            },
            "projected": {**ROUNDED, "description": "accepted + pace × days_left / 365.25"},
            "status": {"type": "string", "enum": ["achieved", "missed", "on_track", "behind"]},
        },
        [
            "year",
            "goal",
            "deadline",
            "remaining",
            "days_left",
            "required_per_year",
            "pace_per_year",
            "projected",
            "status",
        ],
    ),
    "Progress": obj(
        {
            "as_of": DATE,
            "accepted": {"type": "integer"},
            "targets": {"type": "array", "items": ref("TargetProgress")},
        },
        ["as_of", "accepted", "targets"],
    ),
    "DistrictRow": obj(
        {
            "rank": {"type": "integer"},
            "district": {"type": "string"},
            "code": {"type": "string"},
            "accepted": {"type": "integer"},
            "mean_score": {**STRING_2DP, "type": ["string", "null"]},
            "in_review": {"type": "integer"},
            "reached_at": NULLABLE_DATE,
        },
        ["rank", "district", "code", "accepted", "mean_score", "in_review", "reached_at"],
    ),
    "DistrictLeaderboard": obj(
        {
            "rule": {"type": "string", "example": RANKING_RULE},
            "as_of": DATE,
            "kind": {"type": ["string", "null"]},
            "rows": {"type": "array", "items": ref("DistrictRow"), "minItems": 41},
        },
        ["rule", "as_of", "rows"],
    ),
    "WaterbodyRow": obj(
        {
            "rank": {"type": "integer"},
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "district": {"type": "string"},
            "total": STRING_2DP,
            "dimensions": {"type": "object", "additionalProperties": STRING_2DP},
            "kind": {"type": "string"},
            "district_code": {"type": "string"},
            "assessment_id": {"type": "integer"},
            "decided_on": DATE,
            "decision": {"type": "string"},
        },
        ["rank", "id", "name", "district", "total", "dimensions"],
    ),
    "WaterbodyLeaderboard": obj(
        {
            "kind": {"type": ["string", "null"]},
            "year": {"type": ["integer", "null"]},
            "rows": {"type": "array", "items": ref("WaterbodyRow")},
        },
        ["rows"],
    ),
}

RESPONSES = {
    "Unauthorized": {
        "description": "No token, or an invalid or revoked one (header WWW-Authenticate: Bearer)",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "content": json_content(ref("Error")),
    },
    "Forbidden": {
        "description": "This role may not take this action (an expert's token: anything but "
        "the expert panel); on a review, errors.action when nobody may review their own work",
        "content": json_content(ref("Error")),
    },
    "NotFound": {
        "description": "Missing, or outside the inspector's district (the two look the same)",
        "content": json_content(ref("Error")),
    },
    "Conflict": {
        "description": "The resource's state forbids it: a stale version (current_version), an "
        "open assessment of that kind exists (existing_id), or the assessment is locked",
        "content": json_content(ref("ConflictError")),
    },
    "Unprocessable": {
        "description": "Invalid input: not JSON, not an object, wrong types, invalid or (when "
        "complete answers are required) missing answers — a Chinese message per field; "
        "errors.Idempotency-Key when that header is not a UUID, or was already used for a "
        "different request",
        "content": json_content(ref("ValidationError")),
    },
    "MethodNotAllowed": {
        "description": "The path exists, with other methods (header Allow)",
        "content": json_content(ref("Error")),
    },
    "InternalError": {
        "description": "A fault of the server: nothing was written (each write is one "
        "transaction); the message says to retry later, and no internals",
        "content": json_content(ref("Error")),
    },
}

PARAMETERS = {
    "WaterbodyId": {
        "name": "waterbody_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "A client-made UUID per operation. The server applies each key at most "
        "once per user, in the same transaction as the write, and answers a repeat with the "
        "first answer (same status, Location and body; header Idempotent-Replayed: true). "
        "The same key with another method, path or body → 422 naming Idempotency-Key. "
        "Keys are kept 30 days. A request refused with an error spends no key.",
        "schema": {"type": "string", "format": "uuid"},
    },
    "AssessmentId": {
        "name": "assessment_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "example": 1,
    },
}


def _paths() -> dict:
    aid = [ref("AssessmentId", "parameters")]
    key = ref("IdempotencyKey", "parameters")
    return {
        "/score": {
            "post": {
                "operationId": "score",
                "summary": "Score an answers object (writes nothing)",
                "requestBody": body(
                    ref("ScoreRequest"), {"rubric": "cq-river", "answers": EXAMPLE_ANSWERS}
                ),
                "responses": {"200": ok("The explained result", ref("Result"))} | errors(422),
            }
        },
        "/districts": {
            "get": {
                "operationId": "listDistricts",
                "summary": "The 41 districts",
                "responses": {"200": ok("Districts", {"type": "array", "items": ref("District")})}
                | errors(),
            }
        },
        "/waterbodies": {
            "get": {
                "operationId": "listWaterbodies",
                "summary": "Waterbodies; inspectors always get their own district only",
                "parameters": schemas.query_parameters(schemas.WaterbodyListQuery),
                "responses": {
                    "200": ok("Waterbodies", {"type": "array", "items": ref("Waterbody")})
                }
                | errors(422),
            },
            "post": {
                "operationId": "createWaterbody",
                "summary": "Register a waterbody (admin only)",
                "description": "A name that already exists in the district is a field error "
                "(422, errors.name), like every other invalid field — not a 409.",
                "requestBody": body(
                    ref("WaterbodyCreate"), {"name": "后河", "kind": "river", "district": "渝北区"}
                ),
                "responses": {"201": ok("Created", ref("Waterbody"))} | errors(403, 422),
            },
        },
        "/waterbodies/{waterbody_id}": {
            "get": {
                "operationId": "getWaterbody",
                "summary": "One waterbody (inspectors: their district's, or one running "
                "through it)",
                "parameters": [ref("WaterbodyId", "parameters")],
                "responses": {"200": ok("The waterbody", ref("Waterbody"))} | errors(404),
            },
            "put": {
                "operationId": "updateWaterbody",
                "summary": "Replace a waterbody's registry fields (admin only)",
                "description": "The same fields and rules as creating one. The status of a "
                "waterbody that holds or held the title stays as the decisions set it.",
                "parameters": [ref("WaterbodyId", "parameters")],
                "requestBody": body(
                    ref("WaterbodyCreate"),
                    {
                        "name": "后河",
                        "kind": "river",
                        "district": "渝北区",
                        "through": ["北碚区"],
                        "lon": 106.63,
                        "lat": 29.72,
                    },
                ),
                "responses": {"200": ok("Updated", ref("Waterbody"))} | errors(403, 404, 422),
            },
        },
        "/assessments": {
            "post": {
                "operationId": "createAssessment",
                "summary": "Start an assessment (inspector of the district, or admin)",
                "description": "A draft may be partial, but every value given must be valid. "
                "With submit: true the answers must be complete; it is created and submitted "
                "atomically. An open (draft/submitted/returned) assessment of the same kind "
                "→ 409 with existing_id.",
                "parameters": [key],
                "requestBody": body(
                    ref("AssessmentCreate"),
                    {"waterbody_id": 1, "kind": "self", "answers": {"A1": 96.5}, "submit": False},
                ),
                "responses": {"201": ok("Created", ref("AssessmentCreated"))}
                | errors(403, 404, 409, 422),
            }
        },
        "/assessments/{assessment_id}": {
            "get": {
                "operationId": "getAssessment",
                "parameters": aid,
                "responses": {"200": ok("The assessment", ref("Assessment"))} | errors(404),
            },
            "put": {
                "operationId": "updateAssessment",
                "summary": "Replace the answers (optimistic locking on version)",
                "description": "Inspector/admin on a draft or returned assessment (a returned one "
                "becomes a draft again); reviewer/admin on a submitted one (a correction: "
                "answers must stay complete, re-scored). Otherwise 409 (e.g. locked after "
                "the decision). A stale version → 409 with current_version and current (the "
                "assessment as it is now).",
                "parameters": [*aid, key],
                "requestBody": body(ref("AssessmentUpdate")),
                "responses": {"200": ok("Updated", ref("Assessment"))} | errors(404, 409, 422),
            },
        },
        "/assessments/{assessment_id}/submit": {
            "post": {
                "operationId": "submitAssessment",
                "summary": "Submit for review (inspector/admin)",
                "description": "Incomplete or invalid stored answers → 422 naming every field. "
                "Repeating the submit of a submitted assessment → 200, nothing written.",
                "parameters": [*aid, key],
                "requestBody": {
                    "required": False,
                    "content": json_content(ref("SubmitRequest")),
                },
                "responses": {"200": ok("Submitted", ref("AssessmentState"))}
                | errors(403, 404, 409, 422),
            }
        },
        "/assessments/{assessment_id}/review": {
            "post": {
                "operationId": "reviewAssessment",
                "summary": "Decide or return a submitted assessment (reviewer/admin)",
                "description": "403: an inspector, or a reviewer/admin who created, filled in "
                "or submitted this assessment (nobody reviews their own work). 422: return "
                "without comment, an action other than the computed decision without "
                "override_reason, a bad or future decided_on (or one before the waterbody's "
                "last title change). 409: not submitted, a stale version, or (a decision) "
                "an expert panel with experts still to submit.",
                "parameters": aid,
                "requestBody": body(
                    ref("ReviewRequest"), {"action": "accept", "decided_on": "2025-01-07"}
                ),
                "responses": {"200": ok("Reviewed", ref("ReviewResult"))}
                | errors(403, 404, 409, 422),
            }
        },
        "/progress": {
            "get": {
                "operationId": "progress",
                "summary": "Progress toward the 2027 and 2035 targets",
                "parameters": schemas.query_parameters(schemas.AsOfQuery),
                "responses": {"200": ok("Progress", ref("Progress"))} | errors(422),
            }
        },
        "/leaderboard/districts": {
            "get": {
                "operationId": "districtLeaderboard",
                "summary": "All 41 districts ranked",
                "description": RANKING_RULE,
                "parameters": schemas.query_parameters(schemas.DistrictLeaderboardQuery),
                "responses": {"200": ok("Standings", ref("DistrictLeaderboard"))} | errors(422),
            }
        },
        "/leaderboard/waterbodies": {
            "get": {
                "operationId": "waterbodyLeaderboard",
                "summary": "Waterbodies by their latest decided total",
                "parameters": schemas.query_parameters(schemas.WaterbodyLeaderboardQuery),
                "responses": {"200": ok("Standings", ref("WaterbodyLeaderboard"))} | errors(422),
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document (no token needed)",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document"}},
            }
        },
    }


def document() -> dict:
    from . import openapi_panel, openapi_publicity  # they build on the helpers above

    paths = _paths() | openapi_panel.paths() | openapi_publicity.paths()
    for path_item in paths.values():
        for operation in path_item.values():
            operation["responses"].setdefault("405", ref("MethodNotAllowed", "responses"))
            operation["responses"].setdefault("500", ref("InternalError", "responses"))
    return deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "幸福河湖评价系统 API",
                "version": "1",
                "description": "Chongqing 幸福河湖 assessment. Bearer tokens "
                "(`flask --app app create-token NAME`); the same permissions as the pages. "
                "Scores are strings with 2 decimals; rates and projections are numbers rounded "
                'to 2 decimals. Every error is JSON: {"error": message}, and 422 adds '
                '{"errors": {field: message}} in Chinese. An integer field (ids, version) takes '
                "any JSON number with no fraction (2 and 2.0 alike, as JSON Schema counts them); "
                "an empty query parameter (as_of=) is a value like any other, refused when "
                "invalid, never taken for an absent one.",
            },
            "servers": [{"url": "/api/v1"}],
            "security": [{"bearerAuth": []}],
            "paths": paths,
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "Authorization: Bearer <token>",
                    }
                },
                "schemas": SCHEMAS
                | openapi_panel.SCHEMAS
                | openapi_publicity.SCHEMAS
                | schemas.component_schemas(schemas.REQUEST_MODELS),
                "responses": RESPONSES,
                "parameters": PARAMETERS,
            },
        }
    )
