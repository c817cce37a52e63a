"""公示 and 命名's part of the OpenAPI document (views/openapi.py merges it in): the answer
models of views/api_publicity.py's routes and one Operation per route. The request bodies are
the models beside those routes (api_publicity.REQUEST_MODELS)."""

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from happy_rivers.scoring.waterbodies import waterbody_kinds
from happy_rivers.store.publicity import CHANNELS

from .api_publicity import (
    REQUEST_MODELS,
    NamingRequest,
    ObjectionCreate,
    ObjectionResolve,
    PublicityCreate,
)
from .api_schemas import Answer, Score, documented
from .openapi import Operation

State = Literal["upcoming", "open", "ended", "named"]
Positive = Annotated[int, Field(ge=1)]


class PublicityItem(Answer):
    assessment_id: Positive
    waterbody_id: Positive
    waterbody: str
    district: str
    decided_on: date | None
    total: Score | None
    outcome: Literal["listed", "named", "removed"]
    reason: str | None


class Objection(Answer):
    id: Positive
    assessment_id: int | None
    received_on: date
    channel: Literal[CHANNELS]
    content: str
    resolution: str | None
    resolved_on: date | None


class PublicityBatch(Answer):
    id: Positive
    starts_on: date
    working_days: Positive
    ends_on: date = Field(description="the last working day of the notice")
    naming_from: date = Field(description="naming is allowed from this day")
    estimated: bool = Field(
        description="a day of the notice lies in a year whose holidays are not published yet: "
        "only weekends were skipped there"
    )
    contact: str
    state: State
    named_on: date | None
    items: list[PublicityItem]
    objections: list[Objection]


class PublicItem(Answer):
    waterbody_id: Positive
    waterbody: str
    kind: Annotated[str, documented(enum=lambda: list(waterbody_kinds()))]
    district: str


class PublicBatch(Answer):
    id: Positive
    starts_on: date
    ends_on: date
    working_days: Positive
    naming_from: date
    estimated: bool
    state: Literal["upcoming", "open", "ended"]
    contact: str
    items: list[PublicItem]


class PublicNotices(Answer):
    batches: list[PublicBatch]


class NamedWaterbody(Answer):
    waterbody_id: Positive
    name: str
    kind: Annotated[str, documented(enum=lambda: list(waterbody_kinds()))]
    district_code: str
    district: str
    river_chief: str | None
    named_on: date
    grade: str | None


class NamedList(Answer):
    waterbodies: list[NamedWaterbody]


MODELS = [*REQUEST_MODELS, PublicityBatch, Objection, PublicNotices, NamedList]

LOCATION = {"Location": {"schema": {"type": "string"}, "description": "the batch"}}

OPERATIONS = {
    "api.publicity_create": Operation(
        "createPublicity",
        "Publish a 公示 batch (admin only)",
        {201: ("Published (Location: the batch)", PublicityBatch, LOCATION)},
        errors=(422,),
        description="Its end date is counted in working days. 422: an assessment that is not "
        "waiting for a notice, a start before an item's decision, no contact, working_days "
        "outside 1–30.",
        body=PublicityCreate,
        example={
            "assessment_ids": [1],
            "starts_on": "2025-11-17",
            "working_days": 5,
            "contact": "市河长办 023-6000 0000",
        },
    ),
    "api.publicity_get": Operation(
        "getPublicity",
        "A batch with its items and objections (admin only)",
        {200: ("The batch", PublicityBatch)},
        errors=(404,),
    ),
    "api.publicity_objection_add": Operation(
        "addObjection",
        "Record an objection received during the notice (admin only)",
        {201: ("Recorded", Objection)},
        errors=(404, 409, 422),
        description="received_on from the notice's first day to today. 409: the batch is named.",
        body=ObjectionCreate,
        example={"received_on": "2025-11-18", "channel": "phone", "content": "河面有漂浮物"},
    ),
    "api.publicity_objection_resolve": Operation(
        "resolveObjection",
        "Record (or correct) an objection's resolution (admin only)",
        {200: ("Recorded", Objection)},
        errors=(404, 409, 422),
        description="409: the batch is named.",
        body=ObjectionResolve,
        example={"resolution": "已核查清理"},
    ),
    "api.publicity_name": Operation(
        "namePublicity",
        "命名: the titles count from named_on (admin only)",
        {200: ("Named", PublicityBatch)},
        errors=(404, 409, 422),
        description="409 before the notice has ended (before naming_from), while an objection "
        "has no resolution, or once named. 422: named_on before naming_from or after today; a "
        "removal without a reason (errors['remove.<i>.reason']).",
        body=NamingRequest,
        example={"named_on": "2025-11-24"},
    ),
    "api.public_publicity": Operation(
        "publicPublicity",
        "The notices not named yet (no token needed)",
        {200: ("Open notices", PublicNotices)},
        description="What the public page shows: each waterbody, its kind and district; no "
        "scores, people or objections.",
        public=True,
    ),
    "api.public_named": Operation(
        "publicNamed",
        "The named 市级幸福河湖 (名录; no token needed)",
        {200: ("Every waterbody holding the title, newest naming first", NamedList)},
        description="What the public pages show: name, kind, district, river chief, naming "
        "date and grade; nothing internal.",
        public=True,
    ),
}
