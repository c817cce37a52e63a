"""公示 and 命名 in the JSON API (routes of the api blueprint): /api/v1/publicity… for
administrators, /api/v1/public/publicity for anybody (no token).

The same store functions as the pages (views/publicity.py); the conventions of views/api.py:
401 without a token, 403 for another role, 404 for a batch or objection that does not exist,
409 for the batch's state (named, notice not over, objections unresolved), 422 per field.
"""

from datetime import date
from typing import Any

from flask import jsonify, url_for

from happy_rivers import store
from happy_rivers.store import publicity

from .api import (
    ApiError,
    bp,
    client_ip,
    invalid,
    json_body,
    parse_date,
    positive_int,
    require_role,
)

PUBLIC_FIELDS = ("id", "starts_on", "ends_on", "working_days", "naming_from", "estimated")


def batch_json(batch: dict) -> dict:
    """A batch as administrators see it: its dates, state, items and objections."""
    return {
        "id": batch["id"],
        "starts_on": batch["starts_on"],
        "working_days": batch["working_days"],
        "ends_on": batch["ends_on"],
        "naming_from": batch["naming_from"],
        "estimated": batch["estimated"],
        "contact": batch["contact"],
        "state": batch["state"],
        "named_on": batch["named_on"],
        "items": [
            {
                "assessment_id": i["assessment_id"],
                "waterbody_id": i["waterbody_id"],
                "waterbody": i["waterbody"],
                "district": i["district"],
                "decided_on": i["decided_on"],
                "total": i["total"],
                "outcome": i["outcome"],
                "reason": i["reason"],
            }
            for i in batch["items"]
        ],
        "objections": [objection_json(o) for o in batch["objections"]],
    }


def objection_json(row: dict) -> dict:
    return {
        k: row[k]
        for k in (
            "id",
            "assessment_id",
            "received_on",
            "channel",
            "content",
            "resolution",
            "resolved_on",
        )
    }


def _date(body: dict, field: str, errors: dict[str, str]) -> date | None:
    if body.get(field) is None:
        errors[field] = f"请提供 {field}（YYYY-MM-DD）"
        return None
    try:
        return parse_date(body[field], field)
    except ApiError as e:
        errors.update(e.errors or {})
        return None


def _optional_id(body: dict, field: str, errors: dict[str, str]) -> int | None:
    if body.get(field) is None:
        return None
    value = positive_int(body[field])
    if value is None:
        errors[field] = f"{field} 须为正整数"
    return value


def _text(body: dict, field: str, errors: dict[str, str]) -> Any:
    """A text field as sent (the store checks emptiness and length); a type error here."""
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        errors[field] = f"{field} 须为文字"
        return ""
    return value


def _state_error(e: Exception) -> ApiError:
    if isinstance(e, publicity.NotFound):
        return ApiError(404, "没有该公示批次或异议")
    if isinstance(e, publicity.PublicityStateError):
        return ApiError(409, e.message)
    return invalid(e.errors)


@bp.post("/publicity")
def publicity_create():
    user = require_role("admin")
    body = json_body()
    errors: dict[str, str] = {}
    ids = body.get("assessment_ids")
    if not isinstance(ids, list) or not all(positive_int(i) is not None for i in ids):
        errors["assessment_ids"] = "assessment_ids 须为评估 id（正整数）的列表"
        ids = []
    starts_on = _date(body, "starts_on", errors)
    working_days = None
    if body.get("working_days") is not None:
        working_days = positive_int(body["working_days"])
        if working_days is None:
            errors["working_days"] = "working_days 须为正整数（工作日数）"
    contact = _text(body, "contact", errors)
    if errors:
        raise invalid(errors)
    try:
        batch = publicity.create(
            store.get_db(),
            assessment_ids=[positive_int(i) for i in ids],
            starts_on=starts_on,
            working_days=working_days,
            contact=contact,
            user=user.row,
            ip=client_ip(),
        )
    except publicity.PublicityError as e:
        raise invalid(e.errors) from None
    response = jsonify(batch_json(batch))
    response.status_code = 201
    response.headers["Location"] = url_for("api.publicity_get", batch_id=batch["id"])
    return response


@bp.get("/publicity/<api_id:batch_id>")
def publicity_get(batch_id: int):
    require_role("admin")
    batch = publicity.get(store.get_db(), batch_id)
    if batch is None:
        raise ApiError(404, "没有该公示批次")
    return jsonify(batch_json(batch))


@bp.post("/publicity/<api_id:batch_id>/objections")
def publicity_objection_add(batch_id: int):
    user = require_role("admin")
    body = json_body()
    errors: dict[str, str] = {}
    received_on = _date(body, "received_on", errors)
    channel = _text(body, "channel", errors)
    content = _text(body, "content", errors)
    resolution = _text(body, "resolution", errors)
    about = _optional_id(body, "assessment_id", errors)
    if errors:
        raise invalid(errors)
    try:
        row = publicity.add_objection(
            store.get_db(),
            batch_id,
            received_on=received_on,
            channel=channel or "",
            content=content,
            assessment_id=about,
            resolution=resolution,
            user=user.row,
            ip=client_ip(),
        )
    except (publicity.PublicityError, publicity.PublicityStateError, publicity.NotFound) as e:
        raise _state_error(e) from None
    response = jsonify(objection_json(row))
    response.status_code = 201
    return response


@bp.put("/publicity/<api_id:batch_id>/objections/<api_id:objection_id>")
def publicity_objection_resolve(batch_id: int, objection_id: int):
    user = require_role("admin")
    body = json_body()
    errors: dict[str, str] = {}
    resolution = _text(body, "resolution", errors)
    if errors:
        raise invalid(errors)
    try:
        row = publicity.resolve_objection(
            store.get_db(),
            batch_id,
            objection_id,
            resolution=resolution,
            user=user.row,
            ip=client_ip(),
        )
    except (publicity.PublicityError, publicity.PublicityStateError, publicity.NotFound) as e:
        raise _state_error(e) from None
    return jsonify(objection_json(row))


@bp.post("/publicity/<api_id:batch_id>/name")
def publicity_name(batch_id: int):
    user = require_role("admin")
    body = json_body()
    errors: dict[str, str] = {}
    named_on = _date(body, "named_on", errors)
    removals: dict[int, Any] = {}
    position: dict[int, int] = {}  # assessment id → its index in `remove`, for the messages
    remove = body.get("remove", [])
    if not isinstance(remove, list):
        errors["remove"] = "remove 须为列表：[{assessment_id, reason}]"
        remove = []
    for n, item in enumerate(remove):
        assessment_id = positive_int(item.get("assessment_id")) if isinstance(item, dict) else None
        if assessment_id is None:
            errors[f"remove.{n}.assessment_id"] = "assessment_id 须为正整数"
            continue
        reason = item.get("reason")
        if reason is not None and not isinstance(reason, str):
            errors[f"remove.{n}.reason"] = "reason 须为文字"
            continue
        removals[assessment_id] = reason
        position[assessment_id] = n
    if errors:
        raise invalid(errors)
    try:
        batch = publicity.name(
            store.get_db(),
            batch_id,
            named_on=named_on,
            removals=removals,
            user=user.row,
            ip=client_ip(),
        )
    except publicity.PublicityError as e:
        # the store keys a reason by assessment id (remove.<id>); the body lists them
        named = {f"remove.{i}": f"remove.{n}.reason" for i, n in position.items()}
        raise invalid({named.get(k, k): v for k, v in e.errors.items()}) from None
    except (publicity.PublicityStateError, publicity.NotFound) as e:
        raise _state_error(e) from None
    return jsonify(batch_json(batch))


@bp.get("/public/publicity")
def public_publicity():
    """The open notices, as the public page shows them: no token needed, nothing internal."""
    batches = publicity.public_batches(store.get_db())
    return jsonify(
        {
            "batches": [
                {k: b[k] for k in PUBLIC_FIELDS}
                | {
                    "state": b["state"],
                    "contact": b["contact"],
                    "items": [
                        {
                            "waterbody_id": i["waterbody_id"],
                            "waterbody": i["waterbody"],
                            "kind": i["waterbody_kind"],
                            "district": i["district"],
                        }
                        for i in b["items"]
                    ],
                }
                for b in batches
            ]
        }
    )
