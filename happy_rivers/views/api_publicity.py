"""公示 and 命名 in the JSON API (routes of the api blueprint): /api/v1/publicity… for
administrators; /api/v1/public/publicity (the open notices) and /api/v1/public/named (the named
list, 名录 — what 命名 produces) for anybody (no token).

The same store functions as the pages (views/publicity.py); the conventions of views/api.py:
401 without a token, 403 for another role, 404 for a batch or objection that does not exist,
409 for the batch's state (named, notice not over, objections unresolved), 422 per field.
"""

from typing import Annotated, Literal

from flask import jsonify, url_for
from pydantic import Field

from happy_rivers import store
from happy_rivers.store import public, publicity

from .api import ApiError, body_as, bp, client_ip, invalid, require_role
from .api_schemas import TEXT, ApiModel, Id, IsoDate, Say, documented

PUBLIC_FIELDS = ("id", "starts_on", "ends_on", "working_days", "naming_from", "estimated")


# ---------------------------------------------------------------------------------------------
# Request bodies (views/api_schemas.py's conventions: strict types, a Chinese message per
# field; what only the store knows — who may be listed, the dates' order — it checks itself)


class PublicityCreate(ApiModel):
    assessment_ids: Annotated[
        list[Id], Say("assessment_ids 须为评估 id（正整数）的列表", whole=True)
    ] = Field(
        description="accepted assessments waiting for a notice (not named, not in another "
        "batch; one per waterbody)"
    )
    starts_on: IsoDate = Field(description="the first day (counted when a working day)")
    working_days: Annotated[
        Id | None,
        Say("working_days 须为正整数（工作日数）"),
        documented(maximum=publicity.MAX_WORKING_DAYS),
    ] = Field(
        None,
        description="default 5 (scoring/process.toml): weekends, public holidays and adjusted "
        "working days (调休) from the official calendar are skipped",
    )
    contact: Annotated[str, Say("contact 须为文字", missing="请提供联系方式 contact")] = Field(
        description=f"published with the notice; at most {publicity.MAX_CONTACT} characters"
    )


class ObjectionCreate(ApiModel):
    received_on: IsoDate = Field(description="from the notice's first day to today")
    channel: Annotated[
        Literal[publicity.CHANNELS],
        Say(f"channel 须为 {'、'.join(publicity.CHANNELS)} 之一"),
    ]
    content: Annotated[str, TEXT] = Field(description=f"at most {publicity.MAX_TEXT} characters")
    assessment_id: Annotated[Id | None, Say("assessment_id 须为本批次中评估的 id")] = Field(
        None, description="the item it is about, if one"
    )
    resolution: Annotated[str | None, TEXT] = Field(None, description="when already known")


class ObjectionResolve(ApiModel):
    resolution: Annotated[str, Say("resolution 须为文字", missing="请提供处理结果 resolution")]


class Removal(ApiModel):
    assessment_id: Id
    reason: Annotated[str, TEXT]


class NamingRequest(ApiModel):
    named_on: IsoDate = Field(description="from naming_from, at the latest today")
    remove: Annotated[
        list[Removal],
        Say("remove 须为列表：[{assessment_id, reason}]", items="每项须为 {assessment_id, reason}"),
    ] = Field(default_factory=list, description="items not named, each with its reason")


REQUEST_MODELS = [PublicityCreate, ObjectionCreate, ObjectionResolve, NamingRequest]


# ---------------------------------------------------------------------------------------------
# Answers


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


def _state_error(e: Exception) -> ApiError:
    if isinstance(e, publicity.NotFound):
        return ApiError(404, "没有该公示批次或异议")
    if isinstance(e, publicity.PublicityStateError):
        return ApiError(409, e.message)
    return invalid(e.errors)


@bp.post("/publicity")
def publicity_create():
    user = require_role("admin")
    body = body_as(PublicityCreate)
    try:
        batch = publicity.create(
            store.get_db(),
            assessment_ids=list(body.assessment_ids),
            starts_on=body.starts_on,
            working_days=body.working_days,
            contact=body.contact,
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
    body = body_as(ObjectionCreate)
    try:
        row = publicity.add_objection(
            store.get_db(),
            batch_id,
            received_on=body.received_on,
            channel=body.channel,
            content=body.content,
            assessment_id=body.assessment_id,
            resolution=body.resolution,
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
    body = body_as(ObjectionResolve)
    try:
        row = publicity.resolve_objection(
            store.get_db(),
            batch_id,
            objection_id,
            resolution=body.resolution,
            user=user.row,
            ip=client_ip(),
        )
    except (publicity.PublicityError, publicity.PublicityStateError, publicity.NotFound) as e:
        raise _state_error(e) from None
    return jsonify(objection_json(row))


@bp.post("/publicity/<api_id:batch_id>/name")
def publicity_name(batch_id: int):
    user = require_role("admin")
    body = body_as(NamingRequest)
    removals = {r.assessment_id: r.reason for r in body.remove}
    # the store keys a reason by assessment id (remove.<id>); the body lists them by position
    position = {
        f"remove.{r.assessment_id}": f"remove.{n}.reason" for n, r in enumerate(body.remove)
    }
    try:
        batch = publicity.name(
            store.get_db(),
            batch_id,
            named_on=body.named_on,
            removals=removals,
            user=user.row,
            ip=client_ip(),
        )
    except publicity.PublicityError as e:
        raise invalid({position.get(k, k): v for k, v in e.errors.items()}) from None
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


@bp.get("/public/named")
def public_named():
    """The named list (名录) as the public pages show it: no token needed, nothing internal."""
    return jsonify(
        {
            "waterbodies": [
                {
                    "waterbody_id": w["id"],
                    "name": w["name"],
                    "kind": w["kind"],
                    "district_code": w["district_code"],
                    "district": w["district_name"],
                    "river_chief": w["river_chief"],
                    "named_on": w["accepted_on"],
                    "grade": w["grade"],
                }
                for w in public.named(store.get_db())
            ]
        }
    )
