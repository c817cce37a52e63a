"""What /api/v1 accepts, declared once: request bodies and query strings as pydantic models.

Each model does two jobs. It checks a request (strict JSON types: no "1" for 1, no true for 1,
no NaN or Infinity) and answers every field it refuses with a Chinese message naming the field
and a stable code from PROBLEMS; and it writes its part of the OpenAPI document
(views/openapi.py), so the document cannot promise what the check does not do.

The models check shapes and types. What only the domain knows (which rubrics and districts
exist, an answer's range, a waterbody's registry rules, who may review) stays where it lives
(scoring/, store/, the review rules); the view adds those errors to the same 422. Where the
document states such a rule (an enum of kinds, a minimum), the model's field says so with
`documented(...)` and the rule's own code enforces it.

Error codes (docs/api.md lists them): a 422 answers
    {"error": "请求内容有误", "errors": {field: message}, "codes": {field: "422.n"}}
with one code per field of `errors`. The codes never change meaning; new ones get new numbers.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from pydantic_core import PydanticCustomError

from happy_rivers import clock
from happy_rivers.scoring import available_rubrics, workflow
from happy_rivers.scoring.waterbodies import kind_choices_text, waterbody_kinds
from happy_rivers.store import waterbodies

# ---------------------------------------------------------------------------------------------
# The problem catalog: stable codes beside the Chinese messages (like ODK Central's problems)

BAD_JSON = "422.1"
NOT_OBJECT = "422.2"
MISSING = "422.3"
WRONG_TYPE = "422.4"
NOT_ALLOWED = "422.5"
OUT_OF_RANGE = "422.6"
BAD_FORMAT = "422.7"
NOT_FINITE = "422.8"
BAD_ENCODING = "422.9"
UNKNOWN = "422.10"
RULE = "422.11"
BAD_KEY = "422.12"
NOT_YOURS = "403.1"

PROBLEMS = {
    BAD_JSON: "The body is not JSON.",
    NOT_OBJECT: "The body is JSON but not an object.",
    MISSING: "A required field is missing (also: an indicator a submit needs is unanswered).",
    WRONG_TYPE: "A field has the wrong JSON type (text for a number, a list for an object, …).",
    NOT_ALLOWED: "A field's value is not one of those the document lists.",
    OUT_OF_RANGE: "A number or a list is outside the allowed range or length.",
    BAD_FORMAT: "Text in the wrong format (a date that is not YYYY-MM-DD, a year not 4 digits).",
    NOT_FINITE: "NaN or Infinity (not JSON, refused wherever they appear).",
    BAD_ENCODING: "Text with a lone UTF-16 surrogate (\\ud800), which UTF-8 cannot store.",
    UNKNOWN: "A reference to nothing: no such rubric, version, district or expert.",
    RULE: "A domain rule refused the value: the rubric's range for an answer, the registry's "
    "rules for a waterbody, the review rules (a reason, a comment, a date).",
    BAD_KEY: "The Idempotency-Key header is not a UUID, or was used for another request.",
    NOT_YOURS: "(403) This user may not take this action on this assessment: nobody reviews "
    "their own work, and whoever corrected the answers leaves the decision to another reviewer.",
}

# pydantic's error types → our codes; anything else is WRONG_TYPE
_PYDANTIC_CODES = {
    "missing": MISSING,
    "literal_error": NOT_ALLOWED,
    "enum": NOT_ALLOWED,
    "greater_than": OUT_OF_RANGE,
    "greater_than_equal": OUT_OF_RANGE,
    "less_than": OUT_OF_RANGE,
    "less_than_equal": OUT_OF_RANGE,
    "too_short": OUT_OF_RANGE,
    "too_long": OUT_OF_RANGE,
    "string_too_short": OUT_OF_RANGE,
    "string_too_long": OUT_OF_RANGE,
    "finite_number": NOT_FINITE,
    "string_pattern_mismatch": BAD_FORMAT,
}


@dataclass(frozen=True)
class Say:
    """A field's Chinese messages, kept beside its type (Annotated metadata, not in the document).

    invalid: any refused value ("{value}" is replaced by it); missing: the field left out
    (default: invalid); either may be a function, for a message that lists what exists now;
    items: a refused entry of a list or object, keyed by its own path
    (`field_comments.A3`); whole: report a refused entry under the field itself instead.
    """

    invalid: str | Callable[[], str]
    missing: str | Callable[[], str] | None = None
    items: str | None = None
    whole: bool = False


class InvalidInput(Exception):
    """A refused request: {field: Chinese message} and {field: code}, same keys."""

    def __init__(self, errors: dict[str, str], codes: dict[str, str]):
        super().__init__(errors)
        self.errors = errors
        self.codes = codes


def documented(**schema: Any) -> Any:
    """Field metadata that only writes the document: a rule another module enforces (an enum
    whose check lives in store/, a minimum the registry rules check). A callable value is
    called when the document is built, so it reads the rule's current table."""

    def extra(json_schema: dict) -> None:
        # on an optional field ("X or null") the rule is X's: null stays allowed
        target = next(
            (s for s in json_schema.get("anyOf", ()) if s.get("type") != "null"), json_schema
        )
        target.update({k: v() if callable(v) else v for k, v in schema.items()})

    return Field(json_schema_extra=extra)


# ---------------------------------------------------------------------------------------------
# Field types shared by the models

# SQLite integers are 64-bit: a larger id cannot exist, and would overflow the driver (a 500).
MAX_ID = 2**63 - 1


def _integral(value: Any) -> Any:
    """JSON has one number type, and JSON Schema counts 2.0 as the integer 2: take it as 2.
    1.5 stays a float and is refused as not an integer."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_ID:
        return int(value)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_integral)]


def iso_date(value: Any, info: ValidationInfo) -> date:
    """A YYYY-MM-DD date, read as every page reads one (clock.parse_date)."""
    try:
        return clock.parse_date(value)
    except ValueError:
        field = info.field_name
        raise PydanticCustomError(BAD_FORMAT, f"{field} 须为有效日期，格式 YYYY-MM-DD") from None


IsoDate = Annotated[
    date,
    PlainValidator(iso_date, json_schema_input_type=str),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2025-01-07"]}),
]


def _year(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) == 4:
        return int(value)
    raise PydanticCustomError(BAD_FORMAT, "year 须为四位年份，如 2025")


Year = Annotated[
    int,
    PlainValidator(_year, json_schema_input_type=str),
    WithJsonSchema({"type": "integer", "minimum": 1000, "maximum": 9999}),
]


def _kind(value: Any) -> str:
    # the API takes the codes it documents (people typing into pages may also use the labels)
    if not isinstance(value, str) or value not in waterbody_kinds():
        raise PydanticCustomError(NOT_ALLOWED, f"kind 须为{kind_choices_text()}之一")
    return value


WaterbodyKind = Annotated[
    str,
    PlainValidator(_kind, json_schema_input_type=str),
    documented(type="string", enum=lambda: list(waterbody_kinds())),
]


def _blank_is_absent(value: Any) -> Any:
    """Filters whose empty value (?sort=) has always meant "not given"."""
    return None if value == "" else value


TEXT = Say("{field} 须为文字")  # "{field}" is replaced by the field's name

# An answers object: free-form here; its indicators are the rubric's to check (scoring/).
ANSWERS_SCHEMA = {"$ref": "#/components/schemas/Answers"}


# ---------------------------------------------------------------------------------------------
# Models


class ApiModel(BaseModel):
    """Strict JSON types, no NaN/Infinity; unknown keys are ignored (a newer client may send
    more than this server knows)."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="ignore", frozen=True)


class QueryModel(BaseModel):
    """A query string: every value arrives as text, so each field parses its own."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class ScoreRequest(ApiModel):
    rubric: Annotated[
        Any,
        WithJsonSchema(
            {
                "description": "rubric id, or {id, version}",
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "version": {"type": "string"}},
                        "required": ["id"],
                    },
                ],
            }
        ),
        Say(lambda: f"请指定评价标准 rubric：{'、'.join(available_rubrics())}"),
    ] = Field(description="which rubric exists is checked against the rubric files")
    version: Annotated[
        str | None,
        Say('评价标准没有版本 {value}：version 须为文字，如 "2025.1"'),
    ] = Field(None, description="rubric version; default the latest")
    answers: Annotated[
        dict[str, Any],
        Say(
            "答案必须是一个 JSON 对象：answers 以指标代码为键",
            missing="请提供答案对象 answers（以指标代码为键）",
        ),
        WithJsonSchema(ANSWERS_SCHEMA),
    ]


class WaterbodyCreate(ApiModel):
    """A waterbody's registry fields; the registry's rules (store.waterbodies.clean) follow."""

    name: Annotated[str | None, TEXT] = None
    kind: Annotated[str | None, TEXT, documented(enum=lambda: list(waterbody_kinds()))] = None
    district: Annotated[str | None, TEXT] = Field(None, description="district name or code")
    level: Annotated[str | None, TEXT] = Field(None, examples=["区县级"])
    length_km: Annotated[float | None, Say("length_km 须为数字"), documented(minimum=0)] = None
    area_km2: Annotated[float | None, Say("area_km2 须为数字"), documented(minimum=0)] = None
    river_chief: Annotated[str | None, TEXT] = None
    through: Annotated[list[str] | None, Say("through 须为区县名称或代码的列表", whole=True)] = (
        Field(None, description="names or codes of the other districts it runs through")
    )
    lon: Annotated[
        float | None,
        Say("lon 须为数字"),
        documented(minimum=waterbodies.BOUNDS["lon"][0], maximum=waterbodies.BOUNDS["lon"][1]),
    ] = Field(None, description="WGS-84; with lat; inside Chongqing")
    lat: Annotated[
        float | None,
        Say("lat 须为数字"),
        documented(minimum=waterbodies.BOUNDS["lat"][0], maximum=waterbodies.BOUNDS["lat"][1]),
    ] = None
    status: Annotated[
        str | None, TEXT, documented(enum=lambda: list(waterbodies.EDITABLE_STATUSES))
    ] = Field(None, description="default building; accepted / revoked are set by decisions only")

    model_config = ConfigDict(
        json_schema_extra={"required": ["name", "kind", "district"]},
    )


class AssessmentCreate(ApiModel):
    waterbody_id: Annotated[Id, Say("waterbody_id 须为河湖的 id（正整数）")]
    kind: Annotated[
        Literal[tuple(workflow.KIND_LABELS)],
        Say("kind 须为 self（自评）、acceptance（市级验收）或 recheck（复核）"),
    ] = "self"
    answers: Annotated[
        dict[str, Any], Say("answers 须为对象，以指标代码为键"), WithJsonSchema(ANSWERS_SCHEMA)
    ] = Field(default_factory=lambda: {"gates": {}})
    submit: Annotated[bool, Say("submit 须为 true 或 false")] = Field(
        False,
        description="true: answers must be complete and valid; the assessment is created and "
        "submitted in one transaction, or not at all",
    )


VERSION = Say(
    "version 须为正整数（评估的版本号）",
    missing="请提供 version：您读取该评估时的版本号，用于防止覆盖他人的修改",
)


class AssessmentUpdate(ApiModel):
    answers: Annotated[
        dict[str, Any],
        Say("请提供 answers：对象，以指标代码为键（整份替换已保存的答案）"),
        WithJsonSchema(ANSWERS_SCHEMA),
    ]
    version: Annotated[Id, VERSION] = Field(
        description="the version you read; a newer one on the server → 409"
    )


class SubmitRequest(ApiModel):
    version: Annotated[Id | None, VERSION] = Field(None, description="optional lock check")


class ReviewRequest(ApiModel):
    action: Annotated[
        Literal[(*workflow.REVIEW_ACTIONS, "return")],
        Say(
            "action 须为 accept（通过）、conditional（限期整改）、reject（不予通过）"
            "或 return（退回）"
        ),
    ]
    comment: Annotated[str | None, TEXT] = Field(None, description="required for return")
    decided_on: IsoDate | None = Field(
        None,
        description="decision date, default today (Beijing time); may be back-dated to the "
        "programme's start (2023-05-01), not future",
    )
    override_reason: Annotated[str | None, TEXT] = Field(
        None, description="required when the action differs from the computed decision"
    )
    field_comments: Annotated[
        dict[str, str] | None,
        Say("field_comments 须为对象：键为指标代码，值为意见", items="意见须为文字"),
    ] = Field(None, description="return only: {indicator code: comment}")
    version: Annotated[Id | None, VERSION] = Field(None, description="optional lock check")


class PanelNameRequest(ApiModel):
    experts: Annotated[
        list[str],
        Say("experts 须为专家用户名的列表", whole=True),
        documented(
            minItems=lambda: _panel_sizes()[0],
            maxItems=lambda: _panel_sizes()[1],
            uniqueItems=True,
        ),
    ] = Field(description="usernames of active experts")


def _panel_sizes() -> tuple[int, int]:
    from happy_rivers.scoring.panel import MAX_EXPERTS, MIN_EXPERTS

    return MIN_EXPERTS, MAX_EXPERTS


EXPERT_ANSWERS_SCHEMA = {"$ref": "#/components/schemas/ExpertAnswers"}


class PanelAnswersRequest(ApiModel):
    answers: Annotated[
        dict[str, Any],
        Say("answers 须为对象，以指标代码为键"),
        WithJsonSchema(EXPERT_ANSWERS_SCHEMA),
    ]


class PanelSubmitRequest(ApiModel):
    """Submit: the answers sent, or without them the saved ones."""

    answers: Annotated[
        dict[str, Any] | None,
        Say("answers 须为对象，以指标代码为键"),
        WithJsonSchema(EXPERT_ANSWERS_SCHEMA),
    ] = None


class PanelCloseRequest(ApiModel):
    reason: Annotated[
        str, Say("reason 须为文字", missing="请说明提前结束专家评分的理由"), documented(minLength=1)
    ]


# Query strings


class AsOfQuery(QueryModel):
    as_of: IsoDate | None = Field(None, description="YYYY-MM-DD, default today")


class DistrictLeaderboardQuery(AsOfQuery):
    kind: WaterbodyKind | None = None


class WaterbodyLeaderboardQuery(QueryModel):
    kind: WaterbodyKind | None = None
    year: Year | None = Field(None, description="only decisions of this year (four digits)")
    district: Annotated[str | None, BeforeValidator(_blank_is_absent)] = Field(
        None,
        description="only this district's waterbodies (name or code); the ranks stay the city's",
    )


class WaterbodyListQuery(QueryModel):
    district: Annotated[str | None, BeforeValidator(_blank_is_absent)] = Field(
        None, description="district name or code (ignored for inspectors)"
    )
    kind: WaterbodyKind | None = None
    status: Annotated[
        Literal[tuple(waterbodies.STATUSES)] | None,
        Say(f"status 须为 {'、'.join(waterbodies.STATUSES)} 之一"),
    ] = None
    q: Annotated[str | None, BeforeValidator(_blank_is_absent)] = Field(
        None,
        description="part of the name, or of its pinyin: whole (houhe) or initials (hh), also "
        "mixed with characters (后he, h河)",
    )
    sort: Annotated[
        Literal[tuple(waterbodies.SORTS)] | None,
        BeforeValidator(_blank_is_absent),
        Say(f"sort 须为 {'、'.join(waterbodies.SORTS)} 之一"),
    ] = Field(None, description="name sorts by pinyin")
    order: Annotated[
        Literal["asc", "desc"], BeforeValidator(lambda v: v or "asc"), Say("order 须为 asc 或 desc")
    ] = "asc"


# ---------------------------------------------------------------------------------------------
# Checking a request

Model = TypeVar("Model", bound=BaseModel)


def check(model: type[Model], data: Any) -> Model:
    """`data` as `model`, or InvalidInput with every refused field's message and code."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors: dict[str, str] = {}
        codes: dict[str, str] = {}
        for error in e.errors():
            path, message, code = _problem(model, error)
            if path not in errors:  # the first problem of a field is the one to fix first
                errors[path] = message
                codes[path] = code
        raise InvalidInput(errors, codes) from None


def _problem(model: type[BaseModel], error: dict) -> tuple[str, str, str]:
    loc = [str(part) for part in error["loc"]]
    field = loc[0] if loc else "body"
    info = model.model_fields.get(field)
    say = next((m for m in info.metadata if isinstance(m, Say)), None) if info else None
    kind = error["type"]
    code = kind if kind[:4] in ("422.", "403.") else _PYDANTIC_CODES.get(kind, WRONG_TYPE)
    if say is not None and say.whole:
        loc = loc[:1]
    path = ".".join(loc) or "body"
    if kind[:4] == "422.":  # our own validators' messages name their field already
        message = error["msg"]
    elif say is None:
        message = _generic(field, code, error)
    elif code == MISSING:
        message = say.missing or say.invalid
    elif len(loc) > 1 and say.items:
        message = say.items
    else:
        message = say.invalid
    if callable(message):
        message = message()
    value = error.get("input")
    shown = value if isinstance(value, str) else repr(value)
    return path, message.replace("{field}", field).replace("{value}", shown), code


def _generic(field: str, code: str, error: dict) -> str:
    if code == MISSING:
        return f"请提供 {field}"
    if code == NOT_ALLOWED and "expected" in error.get("ctx", {}):
        return f"{field} 须为 {error['ctx']['expected']} 之一"
    if code == OUT_OF_RANGE:
        return f"{field} 超出允许的范围"
    return f"{field} 的类型不对"


# ---------------------------------------------------------------------------------------------
# Writing the document


class _DocumentSchema(GenerateJsonSchema):
    """pydantic's schemas without its generated titles ("Waterbody Id"): the field names say it."""

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def handle_ref_overrides(self, json_schema):
        # a field may point at a component that is no pydantic model (Answers): leave it be
        ref = json_schema.get("$ref")
        if ref is not None and ref not in self.json_to_defs_refs:
            return json_schema
        return super().handle_ref_overrides(json_schema)

    def generate(self, schema, mode="validation"):
        generated = super().generate(schema, mode)
        generated.pop("title", None)
        return generated


REF_TEMPLATE = "#/components/schemas/{model}"


def component_schemas(models: list[type[BaseModel]]) -> dict[str, dict]:
    """{model name: JSON Schema} for components.schemas, nested models included."""
    _, top = models_json_schema(
        [(m, "validation") for m in models],
        ref_template=REF_TEMPLATE,
        schema_generator=_DocumentSchema,
    )
    schemas = top.get("$defs", {})
    for schema in schemas.values():
        schema.pop("title", None)
        if "description" in schema:  # a class docstring: its line breaks are the source's
            schema["description"] = " ".join(schema["description"].split())
        for prop in schema.get("properties", {}).values():
            if "default" in prop and prop["default"] is None:
                del prop["default"]  # "absent means nothing" says no more than leaving it out
    return schemas


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """The OpenAPI query parameters of a query model, one per field."""
    schema = model.model_json_schema(schema_generator=_DocumentSchema)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("default", None) if prop.get("default") is None else None
        # "X or null" is pydantic's way to say optional; in a query string, absent says it
        options = prop.pop("anyOf", None)
        if options:
            prop |= next(o for o in options if o.get("type") != "null")
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


# ---------------------------------------------------------------------------------------------
# Answers: what the API sends back. These models only write the document (the views build the
# dicts; every answer in the API tests is checked against the document, tests/api_document.py).


class Answer(BaseModel):
    """An answer model: a field with no default is required; `| None` means it may be null."""


Score = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["93.45"])]
Rounded = Annotated[float, Field(description="rounded half-up to 2 decimals")]
BeijingTime = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "Beijing time (北京时间), ISO 8601 with +08:00",
            "examples": ["2026-12-02T06:33:00+08:00"],
        }
    ),
]
StatusName = Annotated[str, documented(enum=lambda: list(workflow.STATUS_LABELS))]
KindName = Annotated[str, documented(enum=lambda: list(waterbody_kinds()))]
AssessmentKind = Literal[tuple(workflow.KIND_LABELS)]

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


class Answers(Answer):
    """The answers JSON of docs/scoring.md, keyed by indicator code (A1–A20 for cq-river,
    B1–B12 and A13–A20 for cq-reservoir); `gates` lists the manual gates that hold, each with
    its note. Each indicator's value is checked by the rubric (errors keyed like `A3.tp`)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE_ANSWERS]})
    gates: dict[str, str] = Field(default_factory=dict)


class Error(Answer):
    model_config = ConfigDict(extra="allow")
    error: str = Field(description="a message in Chinese")


class FieldErrors(Answer):
    """A 422: a Chinese message and a stable code per refused field."""

    error: str
    errors: dict[str, str] = Field(
        description="field path → Chinese message, e.g. "
        '{"A3.tp": "总磷不能小于 0（mg/L）", "body": "请求体不是有效的 JSON"}'
    )
    codes: dict[str, Annotated[str, Field(pattern=r"^\d{3}\.\d+$")]] = Field(
        description="field path → stable error code (the same keys as errors), e.g. "
        '{"A3.tp": "422.11", "body": "422.1"}; the catalog (docs/api.md): '
        + "; ".join(f"{code} {text}" for code, text in PROBLEMS.items())
    )
    missing: list[str] = Field(
        default_factory=list,
        description="indicator codes still unanswered (answers endpoints only)",
    )


class RubricRef(Answer):
    id: str
    version: str


class DimensionScore(Answer):
    code: str
    name: str
    score: Score
    max: Score
    floor: Score
    floor_met: bool


class IndicatorScore(Answer):
    code: str
    name: str
    dimension: str
    kind: str
    input: Any
    points: Score
    max: Score
    explain: str


class Result(Answer):
    """The explained score. Scores are strings with exactly 2 decimals."""

    rubric: RubricRef
    total: Score
    max: Score
    decision: Literal[tuple(workflow.DECIDED_STATUSES)]
    decision_label: str
    grade: Literal["很幸福", "幸福", "一般", "不幸福"]
    gates: list[str]
    gate_details: list[dict[str, Any]]
    reasons: list[str]
    water_quality: dict[str, Any] | None
    dimensions: dict[str, DimensionScore]
    indicators: dict[str, IndicatorScore]


class District(Answer):
    code: str
    name: str
    kind: str


class DistrictName(Answer):
    code: str
    name: str


class Waterbody(Answer):
    id: int
    name: str
    kind: KindName
    district: str = Field(description="district name")
    district_code: str
    status: Annotated[str, documented(enum=lambda: list(waterbodies.STATUSES))]
    accepted_on: date | None
    revoked_on: date | None
    level: str | None
    length_km: float | None
    area_km2: float | None
    river_chief: str | None
    through: list[DistrictName] = Field(
        description="the other districts a cross-boundary river runs through; their inspectors "
        "can read it, the lead district works on it"
    )
    lon: float | None = Field(description="WGS-84 longitude")
    lat: float | None = Field(description="WGS-84 latitude")


class AssessmentState(Answer):
    id: int
    status: StatusName
    version: int


class AssessmentCreated(AssessmentState):
    result: Result | None = Field(description="null while the answers are incomplete")


class ReviewResult(AssessmentState):
    decision: str | None


class Assessment(Answer):
    id: int
    waterbody_id: int
    waterbody: str
    waterbody_kind: KindName
    district: str
    district_code: str
    kind: AssessmentKind
    status: StatusName
    version: int = Field(description="send it back with PUT (locking)")
    rubric: RubricRef
    answers: Answers
    result: Result | None = Field(description="null while the answers are incomplete")
    computed_decision: str | None
    decision: str | None
    decided_on: date | None
    override_reason: str | None
    return_comment: str | None
    field_comments: dict[str, str]
    inspector: str | None
    reviewer: str | None
    created_at: BeijingTime
    updated_at: BeijingTime
    submitted_at: BeijingTime | None


class ConflictError(Answer):
    error: str
    current_version: int | None = Field(
        None, description="on a stale version: the version to reload"
    )
    existing_id: int = Field(
        None, description="POST /assessments: the open assessment of that kind"
    )
    existing_status: str = Field(None)
    status: str = Field(None, description="the assessment's status when locked")
    current: Assessment | None = Field(
        None,
        description="on a stale version: the assessment as it is now, so a client can show its "
        "user both values of each field and let them choose",
    )


class TargetProgress(Answer):
    year: int
    goal: int
    deadline: date
    label: str
    remaining: int
    days_left: int
    required_per_year: Rounded | None = Field(
        description="remaining / (days_left / 365.25); null when days_left ≤ 0"
    )
    pace_per_year: int = Field(description="acceptances in the 365 days ending at as_of")
    projected: Rounded = Field(description="accepted + pace × days_left / 365.25")
    status: Literal["achieved", "missed", "on_track", "behind"]


class Progress(Answer):
    as_of: date
    accepted: int
    targets: list[TargetProgress]


class DistrictRow(Answer):
    rank: int
    district: str
    code: str
    accepted: int
    mean_score: Score | None
    in_review: int
    reached_at: date | None


class DistrictLeaderboard(Answer):
    rule: str
    as_of: date
    kind: str | None
    rows: list[DistrictRow] = Field(min_length=41)


class WaterbodyRow(Answer):
    rank: int
    id: int
    name: str
    district: str
    total: Score
    dimensions: dict[str, Score]
    kind: str
    district_code: str
    assessment_id: int
    decided_on: date
    decision: str


class WaterbodyLeaderboard(Answer):
    kind: str | None
    year: int | None
    rows: list[WaterbodyRow]


# The expert panel


class JudgedAnswer(Answer):
    model_config = ConfigDict(extra="forbid")
    points: float = Field(ge=0, multiple_of=0.5)
    note: str = Field(min_length=1)


class ExpertAnswers(Answer):
    """One expert's answers of the rubric's panel indicators (A14, A15, A17 by default), each
    in that indicator's own form; errors are keyed like `A14.points`."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": {"$ref": "#/components/schemas/JudgedAnswer"},
            "examples": [
                {
                    "A14": {"points": 4, "note": "古桥已挂牌保护"},
                    "A15": {"points": 3.5, "note": "文化节每年举办"},
                    "A17": {"points": 4, "note": "带动沿岸民宿"},
                }
            ],
        },
    )


class PanelNamed(Answer):
    experts: list[str]
    indicators: list[str] = Field(description="the indicator codes the experts score")


class PanelExpert(Answer):
    expert: str = Field(
        description="the username for reviewers and administrators, 专家1…专家n (order of "
        "naming) for everybody else"
    )
    submitted: bool
    me: bool = Field(description="the caller's own entry")
    answers: dict[str, Any] = Field(
        description="submitted answers only (an expert also sees their own draft); empty for "
        "an expert who has not submitted yet"
    )


class PanelIndicator(Answer):
    combined: Score
    spread: Score
    flag: bool


class Panel(Answer):
    experts: list[PanelExpert]
    indicators: dict[str, PanelIndicator] = Field(
        description="per indicator with submitted points: combined (scoring.combine_panel), "
        "spread (max − min) and flag (分歧较大: spread above 1.5); empty for an expert who has "
        "not submitted yet"
    )
    state: Literal["open", "complete", "closed"]
    rule: str = Field(description="the combination rule, in Chinese")
    close_reason: str | None


RESPONSE_MODELS: list[type[BaseModel]] = [
    Answers,
    Error,
    FieldErrors,
    ConflictError,
    Result,
    District,
    Waterbody,
    AssessmentState,
    AssessmentCreated,
    Assessment,
    ReviewResult,
    Progress,
    DistrictLeaderboard,
    WaterbodyLeaderboard,
    JudgedAnswer,
    ExpertAnswers,
    PanelNamed,
    Panel,
]


# Every model that is a request body: each becomes components.schemas.<its name>.
REQUEST_MODELS: list[type[BaseModel]] = [
    ScoreRequest,
    WaterbodyCreate,
    AssessmentCreate,
    AssessmentUpdate,
    SubmitRequest,
    ReviewRequest,
    PanelNameRequest,
    PanelAnswersRequest,
    PanelSubmitRequest,
    PanelCloseRequest,
]
