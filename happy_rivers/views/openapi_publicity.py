"""公示 and 命名's part of the OpenAPI document (views/openapi.py merges it in)."""

from happy_rivers.store.publicity import CHANNELS

from . import api_schemas
from .api_publicity import REQUEST_MODELS
from .openapi import DATE, NULLABLE_DATE, STRING_2DP, body, errors, json_content, obj, ok, ref

STATES = ["upcoming", "open", "ended", "named"]
NULLABLE_TEXT = {"type": ["string", "null"]}
ID = {"type": "integer", "minimum": 1}

# the request bodies come from their models (views/api_publicity.py), the answers are here
SCHEMAS = api_schemas.component_schemas(REQUEST_MODELS) | {
    "PublicityItem": obj(
        {
            "assessment_id": ID,
            "waterbody_id": ID,
            "waterbody": {"type": "string"},
            "district": {"type": "string"},
            "decided_on": NULLABLE_DATE,
            "total": {"type": ["string", "null"], "pattern": STRING_2DP["pattern"]},
            "outcome": {"type": "string", "enum": ["listed", "named", "removed"]},
            "reason": NULLABLE_TEXT,
        },
        ["assessment_id", "waterbody_id", "waterbody", "district", "outcome"],
    ),
    "Objection": obj(
        {
            "id": ID,
            "assessment_id": {"type": ["integer", "null"]},
            "received_on": DATE,
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "content": {"type": "string"},
            "resolution": NULLABLE_TEXT,
            "resolved_on": NULLABLE_DATE,
        },
        ["id", "received_on", "channel", "content", "resolution"],
    ),
    "PublicityBatch": obj(
        {
            "id": ID,
            "starts_on": DATE,
            "working_days": ID,
            "ends_on": {**DATE, "description": "the last working day of the notice"},
            "naming_from": {**DATE, "description": "naming is allowed from this day"},
            "estimated": {
                "type": "boolean",
                "description": "a day of the notice lies in a year whose holidays are not "
                "published yet: only weekends were skipped there",
            },
            "contact": {"type": "string"},
            "state": {"type": "string", "enum": STATES},
            "named_on": NULLABLE_DATE,
            "items": {"type": "array", "items": ref("PublicityItem")},
            "objections": {"type": "array", "items": ref("Objection")},
        },
        ["id", "starts_on", "ends_on", "naming_from", "state", "items", "objections"],
    ),
    "PublicNotices": obj(
        {
            "batches": {
                "type": "array",
                "items": obj(
                    {
                        "id": ID,
                        "starts_on": DATE,
                        "ends_on": DATE,
                        "working_days": ID,
                        "naming_from": DATE,
                        "estimated": {"type": "boolean"},
                        "state": {"type": "string", "enum": STATES[:3]},
                        "contact": {"type": "string"},
                        "items": {
                            "type": "array",
                            "items": obj(
                                {
                                    "waterbody_id": ID,
                                    "waterbody": {"type": "string"},
                                    "kind": {"type": "string", "enum": ["river", "reservoir"]},
                                    "district": {"type": "string"},
                                },
                                ["waterbody_id", "waterbody", "kind", "district"],
                            ),
                        },
                    },
                    ["id", "starts_on", "ends_on", "state", "contact", "items"],
                ),
            }
        },
        ["batches"],
    ),
}


def paths() -> dict:
    batch = {"name": "batch_id", "in": "path", "required": True, "schema": ID, "example": 1}
    objection = {"name": "objection_id", "in": "path", "required": True, "schema": ID}
    return {
        "/publicity": {
            "post": {
                "operationId": "createPublicity",
                "summary": "Publish a 公示 batch (admin only)",
                "description": "Its end date is counted in working days. 422: an assessment "
                "that is not waiting for a notice, a start before an item's decision, no "
                "contact, working_days outside 1–30.",
                "requestBody": body(
                    ref("PublicityCreate"),
                    {
                        "assessment_ids": [1],
                        "starts_on": "2025-11-17",
                        "working_days": 5,
                        "contact": "市河长办 023-6000 0000",
                    },
                ),
                "responses": {
                    "201": {
                        "description": "Published (Location: the batch)",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": json_content(ref("PublicityBatch")),
                    }
                }
                | errors(403, 422),
            }
        },
        "/publicity/{batch_id}": {
            "get": {
                "operationId": "getPublicity",
                "summary": "A batch with its items and objections (admin only)",
                "parameters": [batch],
                "responses": {"200": ok("The batch", ref("PublicityBatch"))} | errors(403, 404),
            }
        },
        "/publicity/{batch_id}/objections": {
            "post": {
                "operationId": "addObjection",
                "summary": "Record an objection received during the notice (admin only)",
                "description": "received_on from the notice's first day to today. 409: the "
                "batch is named.",
                "parameters": [batch],
                "requestBody": body(
                    ref("ObjectionCreate"),
                    {"received_on": "2025-11-18", "channel": "phone", "content": "河面有漂浮物"},
                ),
                "responses": {"201": ok("Recorded", ref("Objection"))} | errors(403, 404, 409, 422),
            }
        },
        "/publicity/{batch_id}/objections/{objection_id}": {
            "put": {
                "operationId": "resolveObjection",
                "summary": "Record (or correct) an objection's resolution (admin only)",
                "description": "409: the batch is named.",
                "parameters": [batch, objection],
                "requestBody": body(ref("ObjectionResolve"), {"resolution": "已核查清理"}),
                "responses": {"200": ok("Recorded", ref("Objection"))} | errors(403, 404, 409, 422),
            }
        },
        "/publicity/{batch_id}/name": {
            "post": {
                "operationId": "namePublicity",
                "summary": "命名: the titles count from named_on (admin only)",
                "description": "409 before the notice has ended (before naming_from), while "
                "an objection has no resolution, or once named. 422: named_on before "
                "naming_from or after today; a removal without a reason "
                "(errors['remove.<i>.reason']).",
                "parameters": [batch],
                "requestBody": body(ref("NamingRequest"), {"named_on": "2025-11-24"}),
                "responses": {"200": ok("Named", ref("PublicityBatch"))}
                | errors(403, 404, 409, 422),
            }
        },
        "/public/publicity": {
            "get": {
                "operationId": "publicPublicity",
                "summary": "The notices not named yet (no token needed)",
                "description": "What the public page shows: each waterbody, its kind and "
                "district; no scores, people or objections.",
                "security": [],
                "responses": {"200": ok("Open notices", ref("PublicNotices"))},
            }
        },
    }
