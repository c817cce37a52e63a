"""The OpenAPI 3.1 description of /api/v1, written from the routes and the models.

Nothing here repeats what another place knows. Paths, methods and path parameters come from
the api blueprint's URL rules; request bodies, query parameters and answers from the pydantic
models of views/api_schemas.py; enums from the tables they check (kinds, statuses). What is
left is what only a reader needs: each operation's summary, its answers and the errors it can
give, in OPERATIONS below (the expert panel's in views/openapi_panel.py, 公示's in
views/openapi_publicity.py: each such module has OPERATIONS and MODELS, listed in `_parts`).

Adding an endpoint (docs/architecture.md): the route in views/api.py, its models in
views/api_schemas.py, and one Operation here, keyed by the route's endpoint. `document()`
refuses to describe a route without one, and the tests check every answer against it.
"""

import re
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from flask import Flask
from pydantic import BaseModel

from happy_rivers.scoring.leaderboard import RANKING_RULE

from . import api_schemas as schemas

# The error answers every operation may give, and those an operation names in `errors`.
ERROR_ANSWERS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    422: "Unprocessable",
}
ALWAYS = (405, 500)  # a method the path does not take; a fault of the server


@dataclass(frozen=True)
class Operation:
    """One route's part of the document. `answers`: success status → (description, model, or
    list[model], or None for a body the document does not describe[, response headers])."""

    operation_id: str
    summary: str
    answers: dict[int, tuple]
    errors: tuple[int, ...] = ()
    description: str | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    example: dict | None = None
    query: type[BaseModel] | None = None
    idempotent: bool = False  # takes an Idempotency-Key header
    public: bool = False  # no token needed
    extra: dict = field(default_factory=dict)


OPERATIONS = {
    "api.score": Operation(
        "score",
        "Score an answers object (writes nothing)",
        {200: ("The explained result", schemas.Result)},
        errors=(422,),
        body=schemas.ScoreRequest,
        example={"rubric": "cq-river", "answers": schemas.EXAMPLE_ANSWERS},
    ),
    "api.districts": Operation(
        "listDistricts", "The 41 districts", {200: ("Districts", list[schemas.District])}
    ),
    "api.waterbody_list": Operation(
        "listWaterbodies",
        "Waterbodies; inspectors always get their own district only",
        {200: ("Waterbodies", list[schemas.Waterbody])},
        errors=(422,),
        query=schemas.WaterbodyListQuery,
    ),
    "api.waterbody_create": Operation(
        "createWaterbody",
        "Register a waterbody (admin only)",
        {201: ("Created", schemas.Waterbody)},
        errors=(422,),
        description="A name that already exists in the district is a field error (422, "
        "errors.name), like every other invalid field — not a 409.",
        body=schemas.WaterbodyCreate,
        example={"name": "后河", "kind": "river", "district": "渝北区"},
    ),
    "api.waterbody_get": Operation(
        "getWaterbody",
        "One waterbody (inspectors: their district's, or one running through it)",
        {200: ("The waterbody", schemas.Waterbody)},
        errors=(404,),
    ),
    "api.waterbody_update": Operation(
        "updateWaterbody",
        "Replace a waterbody's registry fields (admin only)",
        {200: ("Updated", schemas.Waterbody)},
        errors=(404, 422),
        description="The same fields and rules as creating one. The status of a waterbody "
        "that holds or held the title stays as the decisions set it.",
        body=schemas.WaterbodyCreate,
        example={
            "name": "后河",
            "kind": "river",
            "district": "渝北区",
            "through": ["北碚区"],
            "lon": 106.63,
            "lat": 29.72,
        },
    ),
    "api.assessment_create": Operation(
        "createAssessment",
        "Start an assessment (inspector of the district, or admin)",
        {201: ("Created", schemas.AssessmentCreated)},
        errors=(404, 409, 422),
        description="A draft may be partial, but every value given must be valid. With "
        "submit: true the answers must be complete; it is created and submitted atomically. "
        "An open (draft/submitted/returned) assessment of the same kind → 409 with "
        "existing_id.",
        body=schemas.AssessmentCreate,
        example={"waterbody_id": 1, "kind": "self", "answers": {"A1": 96.5}, "submit": False},
        idempotent=True,
    ),
    "api.assessment_get": Operation(
        "getAssessment",
        "One assessment",
        {200: ("The assessment", schemas.Assessment)},
        errors=(404,),
    ),
    "api.assessment_update": Operation(
        "updateAssessment",
        "Replace the answers (optimistic locking on version)",
        {200: ("Updated", schemas.Assessment)},
        errors=(404, 409, 422),
        description="Inspector/admin on a draft or returned assessment (a returned one becomes "
        "a draft again); reviewer/admin on a submitted one (a correction: answers must stay "
        "complete, re-scored). Otherwise 409 (e.g. locked after the decision). A stale "
        "version → 409 with current_version and current (the assessment as it is now).",
        body=schemas.AssessmentUpdate,
        idempotent=True,
    ),
    "api.assessment_submit": Operation(
        "submitAssessment",
        "Submit for review (inspector/admin)",
        {200: ("Submitted", schemas.AssessmentState)},
        errors=(404, 409, 422),
        description="Incomplete or invalid stored answers → 422 naming every field. Repeating "
        "the submit of a submitted assessment → 200, nothing written.",
        body=schemas.SubmitRequest,
        body_required=False,
        idempotent=True,
    ),
    "api.assessment_review": Operation(
        "reviewAssessment",
        "Decide or return a submitted assessment (reviewer/admin)",
        {200: ("Reviewed", schemas.ReviewResult)},
        errors=(404, 409, 422),
        description="403: an inspector, or a reviewer/admin who created, filled in or "
        "submitted this assessment (nobody reviews their own work). 422: return without "
        "comment, an action other than the computed decision without override_reason, a bad "
        "or future decided_on (or one before the waterbody's last title change). 409: not "
        "submitted, a stale version, or (a decision) an expert panel with experts still to "
        "submit.",
        body=schemas.ReviewRequest,
        example={"action": "accept", "decided_on": "2025-01-07"},
    ),
    "api.progress": Operation(
        "progress",
        "Progress toward the 2027 and 2035 targets",
        {200: ("Progress", schemas.Progress)},
        errors=(422,),
        query=schemas.AsOfQuery,
    ),
    "api.leaderboard_districts": Operation(
        "districtLeaderboard",
        "All 41 districts ranked",
        {200: ("Standings", schemas.DistrictLeaderboard)},
        errors=(422,),
        description=RANKING_RULE,
        query=schemas.DistrictLeaderboardQuery,
    ),
    "api.leaderboard_waterbodies": Operation(
        "waterbodyLeaderboard",
        "Waterbodies by their latest decided total",
        {200: ("Standings", schemas.WaterbodyLeaderboard)},
        errors=(422,),
        query=schemas.WaterbodyLeaderboardQuery,
    ),
    "api.openapi": Operation(
        "openapi",
        "This document (no token needed)",
        {200: ("OpenAPI 3.1 document", None)},
        public=True,
    ),
}

RESPONSES = {
    "Unauthorized": {
        "description": "No token, or an invalid or revoked one (header WWW-Authenticate: Bearer)",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "schema": "Error",
    },
    "Forbidden": {
        "description": "This role may not take this action (an expert's token: anything but "
        "the expert panel); on a review, errors.action with code 403.1 when nobody may review "
        "their own work",
        "schema": "Error",
    },
    "NotFound": {
        "description": "Missing, or outside the inspector's district (the two look the same)",
        "schema": "Error",
    },
    "MethodNotAllowed": {
        "description": "The path exists, with other methods (header Allow)",
        "schema": "Error",
    },
    "Conflict": {
        "description": "The resource's state forbids it: a stale version (current_version), an "
        "open assessment of that kind exists (existing_id), or the assessment is locked",
        "schema": "ConflictError",
    },
    "Unprocessable": {
        "description": "Invalid input: not JSON, not an object, wrong types, invalid or (when "
        "complete answers are required) missing answers — a Chinese message and a stable code "
        "per field (docs/api.md); errors.Idempotency-Key when that header is not a UUID, or "
        "was already used for a different request",
        "schema": "FieldErrors",
    },
    "InternalError": {
        "description": "A fault of the server: nothing was written (each write is one "
        "transaction); the message says to retry later, and no internals",
        "schema": "Error",
    },
}
STATUS_RESPONSES = ERROR_ANSWERS | {405: "MethodNotAllowed", 500: "InternalError"}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A client-made UUID per operation. The server applies each key at most "
    "once per user, in the same transaction as the write, and answers a repeat with the "
    "first answer (same status, Location and body; header Idempotent-Replayed: true). "
    "The same key with another method, path or body → 422 naming Idempotency-Key. "
    "Keys are kept 30 days. A request refused with an error spends no key.",
    "schema": {"type": "string", "format": "uuid"},
}

# Path parameters by converter: <api_id:…> takes 1 to 18 digits (views/api.py, ApiId).
CONVERTERS = {
    "api_id": {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID},
    "": {"type": "string"},
}


def ref(name: str, kind: str = "schemas") -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _content(answer: Any) -> dict:
    if get_origin(answer) is list:
        (item,) = get_args(answer)
        schema = {"type": "array", "items": ref(item.__name__)}
    else:
        schema = ref(answer.__name__)
    return {"application/json": {"schema": schema}}


def _parts() -> list:
    """The modules that add their routes' operations and models to the document."""
    from . import openapi_panel, openapi_publicity  # they build on the Operation above

    return [openapi_panel, openapi_publicity]


def operations() -> dict[str, Operation]:
    merged = dict(OPERATIONS)
    for part in _parts():
        merged |= part.OPERATIONS
    return merged


def _operation(endpoint: str, parameters: list[dict]) -> dict:
    spec = operations().get(endpoint)
    if spec is None:
        raise LookupError(f"{endpoint} has no Operation in views/openapi.py (docs/api.md)")
    operation: dict[str, Any] = {"operationId": spec.operation_id, "summary": spec.summary}
    if spec.description:
        operation["description"] = spec.description
    if spec.query is not None:
        parameters = parameters + schemas.query_parameters(spec.query)
    if spec.idempotent:
        parameters = [*parameters, IDEMPOTENCY_KEY]
    if parameters:
        operation["parameters"] = parameters
    if spec.body is not None:
        media: dict[str, Any] = {"schema": ref(spec.body.__name__)}
        if spec.example is not None:
            media["example"] = spec.example
        operation["requestBody"] = {
            "required": spec.body_required,
            "content": {"application/json": media},
        }
    responses: dict[str, Any] = {}
    for status, (description, answer, *headers) in spec.answers.items():
        responses[str(status)] = {"description": description}
        if headers:
            responses[str(status)]["headers"] = headers[0]
        if answer is not None:
            responses[str(status)]["content"] = _content(answer)
    errors = ALWAYS if spec.public else (401, 403, *spec.errors, *ALWAYS)
    for status in sorted(errors):
        responses[str(status)] = ref(STATUS_RESPONSES[status], "responses")
    operation["responses"] = responses
    if spec.public:
        operation["security"] = []
    return operation | spec.extra


def _paths(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": dict(CONVERTERS[converter])}
            for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule)
        ]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, parameters)
    return paths


def document(app: Flask) -> dict:
    """The whole document for this app (its rules, and its tables of kinds and statuses)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "幸福河湖评价系统 API",
            "version": "1",
            "description": "Chongqing 幸福河湖 assessment. Bearer tokens "
            "(`flask --app app create-token NAME`); the same permissions as the pages. "
            "Scores are strings with 2 decimals; rates and projections are numbers rounded "
            'to 2 decimals. Every error is JSON: {"error": message}, and 422 adds '
            '{"errors": {field: message}, "codes": {field: code}}: a Chinese message and a '
            "stable code per field (the catalog: docs/api.md and FieldErrors.codes). An "
            "integer field (ids, version) takes any JSON number with no fraction (2 and 2.0 "
            "alike, as JSON Schema counts them); an empty query parameter (as_of=) is a value "
            "like any other, refused when invalid, never taken for an absent one.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(app),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer <token>",
                }
            },
            "schemas": schemas.component_schemas(
                schemas.RESPONSE_MODELS
                + schemas.REQUEST_MODELS
                + [model for part in _parts() for model in part.MODELS]
            ),
            "responses": {
                name: {
                    "description": answer["description"],
                    **({"headers": answer["headers"]} if "headers" in answer else {}),
                    "content": {"application/json": {"schema": ref(answer["schema"])}},
                }
                for name, answer in RESPONSES.items()
            },
        },
    }
