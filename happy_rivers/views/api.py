"""JSON API under /api/v1: bearer tokens, the pages' rules, JSON for every answer (errors too).

- Every view except /openapi.json needs `Authorization: Bearer <token>` (see `authenticate`).
- The same permissions as the pages: roles from scoring.workflow, inspectors scoped to their
  district (ids outside it are 404, exactly like ids that do not exist), the review rules from
  store.reviews.review_errors.
- Errors are `{"error": message}`; 422 adds `{"errors": {field: message}}` in Chinese and
  `{"codes": {field: code}}` (the catalog: api_schemas.PROBLEMS, docs/api.md). Bad input is
  never a 500: bodies are parsed silently, and every field's type is checked by its model in
  views/api_schemas.py before store/ or scoring/ sees it.

The OpenAPI document (views/openapi.py) is written from the same models; tests check that
every route here is in it and that every answer in the API tests matches it.
"""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from happy_rivers import clock, scoring, store
from happy_rivers.scoring import workflow
from happy_rivers.scoring.leaderboard import RANKING_RULE
from happy_rivers.scoring.progress import progress as progress_toward_targets
from happy_rivers.store import (
    assessments,
    idempotency,
    panels,
    reviews,
    standings,
    users,
    waterbodies,
)

from . import api_schemas as schemas
from . import idempotency as keys
from . import openapi
from .api_schemas import MAX_ID
from .assessment_pages import decision_basis
from .auth import User, client_ip


class ApiBlueprint(Blueprint):
    """No automatic OPTIONS answers (Flask's are an empty 200): the API has no CORS, so OPTIONS
    is an unsupported method like TRACE, a JSON 405 with Allow (see `routing_error`)."""

    def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
        options["provide_automatic_options"] = False
        super().add_url_rule(rule, endpoint, view_func, **options)


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1")


class ApiId(IntegerConverter):
    """<api_id:…> in API paths: 1 to 18 digits. A longer number does not match the route (a
    JSON 404, see `routing_error`); with <int:…> the converter's range check (ids fit SQLite's
    64 bits) would raise while routing instead."""

    regex = r"\d{1,18}"


# Registered before the routes below are added (deferred functions run in order).
bp.record_once(lambda state: state.app.url_map.converters.setdefault("api_id", ApiId))

# Views that answer without a token: the public description.
PUBLIC_ENDPOINTS = {"api.openapi", "api.public_publicity", "api.public_named"}

HTTP_MESSAGES = {
    400: "请求无效",
    401: "需要有效的 API 令牌：请在请求头中发送 Authorization: Bearer <令牌>",
    403: "您的角色无权执行此操作",
    404: "没有该资源，或它不在您有权查看的范围内",
    405: "该地址不支持这种请求方式",
    409: "与该资源的当前状态冲突",
    413: "请求内容过大",
    415: "请求内容类型不受支持，请发送 JSON",
    422: "请求内容有误",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，数据未被部分写入；请稍后重试或联系管理员",
}


class ApiError(Exception):
    """An error answer: HTTP code, a message, optionally field errors with their codes (see
    `error_response`), headers and extra keys."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        codes: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(message)
        self.code = code
        self.message = message or HTTP_MESSAGES.get(code, "错误")
        self.errors = errors
        self.codes = codes
        self.headers = headers or {}
        self.extra = extra


def invalid(errors: dict[str, str], codes: dict[str, str] | None = None, **extra: Any) -> ApiError:
    return ApiError(422, HTTP_MESSAGES[422], errors=errors, codes=codes, **extra)


# The code of a field error nobody named one for: on a 422 a domain rule's refusal (the rubric,
# the registry, the review rules), on a 403 the four-eyes rules.
DEFAULT_CODES = {422: schemas.RULE, 403: schemas.NOT_YOURS}


def error_response(
    code: int,
    message: str,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    codes: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"error": message}
    if errors is not None:
        body["errors"] = errors
        named = codes or {}
        body["codes"] = {field: named.get(field) or DEFAULT_CODES[code] for field in errors}
    body.update(extra)
    response = jsonify(body)
    response.status_code = code
    response.headers.update(headers or {})
    return response


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    return error_response(e.code, e.message, e.errors, e.headers, e.codes, **e.extra)


@bp.errorhandler(schemas.InvalidInput)
def _invalid_input(e: schemas.InvalidInput):
    return error_response(422, HTTP_MESSAGES[422], e.errors, codes=e.codes)


def _http_error(e: HTTPException):
    code = e.code or 500
    headers = {k: v for k, v in e.get_headers() if k.lower() == "allow"}
    if code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return error_response(code, HTTP_MESSAGES.get(code, e.name), headers=headers)


# By status code, not by HTTPException: Flask prefers the app's code handlers (the HTML error
# pages) over a blueprint's class handler, but a blueprint's code handler over both.
for _code in HTTP_MESSAGES:
    bp.register_error_handler(_code, _http_error)


# ---------------------------------------------------------------------------------------------
# Authentication and permissions


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "缺少 API 令牌：请在请求头中发送 Authorization: Bearer <令牌>",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    row = users.user_for_token(store.get_db(), token)
    if row is None:
        raise ApiError(
            401,
            "API 令牌无效或已撤销，或账号已停用",
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    g.api_user = User(row)
    return None


def current() -> User:
    return g.api_user


def require_role(*roles: str) -> User:
    user = current()
    if user.role not in roles:
        raise ApiError(403)
    return user


# ---------------------------------------------------------------------------------------------
# Reading input: never trust a type


def json_body(*, optional: bool = False) -> dict:
    """The request body as a JSON object, or a 422 that says what is wrong with it.

    Parsed whatever the Content-Type (the API has no form posts to confuse it with). NaN and
    Infinity, which Python's parser accepts, are refused: they are not JSON and could not be
    answered back as JSON. So are lone UTF-16 surrogates ("\\ud800"): SQLite and the answer
    are UTF-8, which cannot encode them (this was a 500).
    """
    raw = request.get_data(cache=True)
    if optional and not raw.strip():
        return {}
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:  # absurdly deep nesting: not a ValueError, so not silenced
        body = None
    if body is None and raw.strip() != b"null":
        raise invalid({"body": "请求体不是有效的 JSON"}, {"body": schemas.BAD_JSON})
    if not isinstance(body, dict):
        raise invalid({"body": "请求体须为 JSON 对象"}, {"body": schemas.NOT_OBJECT})
    bad = _unrepresentable(body)
    if bad is not None:
        path, message, code = bad
        raise invalid({path: message}, {path: code})
    return body


def body_as(model: type[schemas.Model], *, optional: bool = False) -> schemas.Model:
    """The JSON body checked by its model (views/api_schemas.py): a 422 naming every bad field.
    Called after the view's permission and existence checks, so those answer first."""
    return schemas.check(model, json_body(optional=optional))


def query_as(model: type[schemas.Model]) -> schemas.Model:
    """The query string checked by its model. A repeated parameter counts its first value."""
    return schemas.check(model, request.args.to_dict())


NON_FINITE = "不能是 NaN 或 Infinity，须为有限的数字"
LONE_SURROGATE = "含有无效的 Unicode 字符（单独的 UTF-16 代理项，如 \\ud800），请检查文字编码"


def _unrepresentable(value: Any) -> tuple[str, str, str] | None:
    """(path, message, code) of the first value in a parsed body that could be neither stored nor
    answered back: NaN/Infinity, or a lone UTF-16 surrogate ("\\ud800" is valid JSON text but
    no UTF-8 can encode it). A bad key is reported at its object's path, so the path itself
    is always printable. Iterative: the depth is unbounded."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
            return path or "body", NON_FINITE, schemas.NOT_FINITE
        if isinstance(item, str) and _has_surrogate(item):
            return path or "body", LONE_SURROGATE, schemas.BAD_ENCODING
        if isinstance(item, dict):
            if any(_has_surrogate(k) for k in item):
                return path or "body", LONE_SURROGATE, schemas.BAD_ENCODING
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(item))
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # only surrogates (U+D800–U+DFFF) fail to encode
        return True
    return False


def check_answers(rubric: scoring.Rubric, answers: Any, *, complete: bool):
    """(result dict or None, errors, missing codes) for answers against a rubric.

    Complete answers are scored. A draft (complete=False) may leave indicators out, but every
    value it does give must be valid; a submit (complete=True) needs every indicator too.
    """
    try:
        return scoring.score(rubric, answers).to_dict(), {}, []
    except scoring.InvalidAnswers as e:
        preview = scoring.preview(rubric, answers)
        return None, (e.errors if complete else preview.errors), preview.missing


def refused_answers(errors: dict[str, str], missing: list[str], message: str | None = None):
    """A 422 for answers the rubric refused: unanswered indicators are MISSING, the rest the
    rubric's rules."""
    codes = {field: schemas.MISSING for field in missing if field in errors}
    return ApiError(422, message, errors=errors, codes=codes, missing=missing)


# ---------------------------------------------------------------------------------------------
# Representations and loading


def waterbody_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "district": row["district_name"],
        "district_code": row["district_code"],
        "status": row["status"],
        "accepted_on": row["accepted_on"],
        "revoked_on": row["revoked_on"],
        "level": row["level"],
        "length_km": row["length_km"],
        "area_km2": row["area_km2"],
        "river_chief": row["river_chief"],
        "through": [
            {"code": code, "name": name}
            for code, name in zip(row["through"], row["through_names"], strict=True)
        ],
        "lon": row["lon"],
        "lat": row["lat"],
    }


def assessment_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "waterbody_id": row["waterbody_id"],
        "waterbody": row["waterbody_name"],
        "waterbody_kind": row["waterbody_kind"],
        "district": row["district_name"],
        "district_code": row["district_code"],
        "kind": row["kind"],
        "status": row["status"],
        "version": row["version"],
        "rubric": {"id": row["rubric_id"], "version": row["rubric_version"]},
        "answers": row["answers"],
        "result": row["result"],
        "computed_decision": row["computed_decision"],
        "decision": row["decision"],
        "decided_on": row["decided_on"],
        "override_reason": row["override_reason"],
        "return_comment": row["return_comment"],
        "field_comments": row["field_comments"],
        "inspector": row["inspector_name"],
        "reviewer": row["reviewer_name"],
        # stored in UTC, answered in Beijing time like every page shows them
        "created_at": clock.beijing_iso(row["created_at"]),
        "updated_at": clock.beijing_iso(row["updated_at"]),
        "submitted_at": clock.beijing_iso(row["submitted_at"]),
    }


def state_json(row: dict) -> dict:
    return {"id": row["id"], "status": row["status"], "version": row["version"]}


def load_waterbody(waterbody_id: int, *, work: bool = False) -> dict:
    """The waterbody if this token may read it (404 otherwise); with work=True also 403 unless
    it may work on it: inspectors of a district a river only runs through read, never write."""
    row = None
    if waterbody_id <= MAX_ID:
        row = waterbodies.get(store.get_db(), waterbody_id, district=current().scope)
    if row is None:
        raise ApiError(404, "没有该河湖，或它不在您的区县")
    if work and not waterbodies.is_lead(row, current().scope):
        raise ApiError(403, "该河湖由牵头区县填报评估；途经区县只能查看")
    return row


def load_assessment(assessment_id: int) -> dict:
    row = None
    if assessment_id <= MAX_ID:
        row = assessments.get(store.get_db(), assessment_id, district=current().scope)
    if row is None:
        raise ApiError(404, "没有该评估，或它不在您的区县")
    return row


def stale(current_row: dict | None, message: str = "该评估已被他人修改") -> ApiError:
    """409 with the current assessment, so a client can show both sides and let its user choose."""
    version = current_row["version"] if current_row else None
    return ApiError(
        409,
        f"{message}（当前为第 {version} 版），请重新读取后再提交您的修改",
        current_version=version,
        current=assessment_json(current_row) if current_row else None,
    )


def locked(row: dict, role: str) -> ApiError:
    """409 for an assessment this role cannot edit in its current status."""
    status = row["status"]
    label = workflow.STATUS_LABELS.get(status, status)
    if status in workflow.DECIDED_STATUSES:
        message = f"评估已作出结论（{label}），已锁定，不能再修改"
    elif status == "submitted":
        message = "评估已提交，审核期间检查员不能修改；如需修改，请审核员退回"
    elif role == "reviewer":
        message = f"评估为「{label}」：审核员只能更正已提交（待审核）的评估"
    else:
        message = f"状态为「{label}」的评估不能修改"
    return ApiError(409, message, status=status)


# ---------------------------------------------------------------------------------------------
# Idempotency-Key: each keyed write is applied once; a repeat gets the first answer back


Keyed = tuple[str, str] | None  # (key, fingerprint), or None when the request has no key


def keyed(body: dict) -> Keyed:
    try:
        key = keys.request_key(form=False)
    except keys.BadKey as e:
        raise invalid({keys.HEADER: str(e)}, {keys.HEADER: schemas.BAD_KEY}) from None
    return (key, keys.json_fingerprint(body)) if key else None


def _answer_response(answer: idempotency.Answer, replayed: bool) -> Response:
    response = Response(answer.body, status=answer.status, mimetype="application/json")
    if answer.location:
        response.headers["Location"] = answer.location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def replayed(key: Keyed) -> Response | None:
    """The first answer to this key, if it was applied. Call after loading what the request
    acts on (see store.idempotency.replay) and before checking its state: a repeated save
    must get its 200 back, not a 409 about the version it moved on itself."""
    if key is None:
        return None
    try:
        prior = idempotency.replay(store.get_db(), current().id, *key)
    except idempotency.KeyReused:
        raise invalid({keys.HEADER: keys.REUSED_KEY}, {keys.HEADER: schemas.BAD_KEY}) from None
    return _answer_response(prior, True) if prior else None


def once(key: Keyed, effect: Callable[[], Response]) -> Response:
    """effect() (which writes through store/) and the key row, in one transaction."""
    if key is None:
        return effect()

    def remembered() -> idempotency.Answer:
        response = effect()
        return idempotency.Answer(
            response.status_code, response.headers.get("Location"), response.get_data(as_text=True)
        )

    try:
        answer, again = idempotency.apply_once(
            store.get_db(), user_id=current().id, key=key[0], fingerprint=key[1], effect=remembered
        )
    except idempotency.KeyReused:
        raise invalid({keys.HEADER: keys.REUSED_KEY}, {keys.HEADER: schemas.BAD_KEY}) from None
    return _answer_response(answer, again)


# ---------------------------------------------------------------------------------------------
# Scoring and reference data


def rubric_from(body: schemas.ScoreRequest) -> scoring.Rubric:
    """`"rubric": "cq-river"` with an optional `"version"`, or `"rubric": {"id", "version"}`:
    which rubrics exist is the rubric files' to say, so it is checked here, not by the model."""
    spec, version = body.rubric, body.version
    if isinstance(spec, dict):
        spec, version = spec.get("id"), spec.get("version", version)
    available = scoring.available_rubrics()
    if not isinstance(spec, str) or not spec:
        message = f"请指定评价标准 rubric：{'、'.join(available)}"
        raise invalid({"rubric": message}, {"rubric": schemas.WRONG_TYPE})
    if spec not in available:
        message = f"没有评价标准 {spec}；可用：{'、'.join(available)}"
        raise invalid({"rubric": message}, {"rubric": schemas.UNKNOWN})
    versions = scoring.available_versions(spec)
    if version is not None and (not isinstance(version, str) or version not in versions):
        message = f"评价标准 {spec} 没有版本 {version}；可用：{'、'.join(versions)}"
        code = schemas.UNKNOWN if isinstance(version, str) else schemas.WRONG_TYPE
        raise invalid({"version": message}, {"version": code})
    return scoring.load_rubric(spec, version)


@bp.post("/score")
def score():
    body = body_as(schemas.ScoreRequest)
    rubric = rubric_from(body)
    try:
        result = scoring.score(rubric, body.answers)
    except scoring.InvalidAnswers as e:
        raise refused_answers(e.errors, scoring.preview(rubric, body.answers).missing) from None
    return jsonify(result.to_dict())


@bp.get("/districts")
def districts():
    return jsonify(waterbodies.districts(store.get_db()))


# ---------------------------------------------------------------------------------------------
# Waterbodies


@bp.get("/waterbodies")
def waterbody_list():
    db = store.get_db()
    query = query_as(schemas.WaterbodyListQuery)
    district = current().scope  # inspectors see their own district, whatever they ask for
    if district is None and query.district:
        district = district_of(db, query.district)
    rows = waterbodies.list_waterbodies(
        db,
        district=district,
        kind=query.kind,
        status=query.status,
        q=(query.q or "").strip() or None,
        sort=query.sort,
        descending=query.order == "desc",
    )
    return jsonify([waterbody_json(r) for r in rows])


def district_of(db, asked: str) -> str:
    """The district code of a name or code from a query string, or a 422 naming `district`."""
    district = waterbodies.resolve_district(db, asked)
    if district is None:
        message = f"没有区县「{asked}」（可用名称或代码，见 /districts）"
        raise invalid({"district": message}, {"district": schemas.UNKNOWN})
    return district


def registry_body(db) -> dict:
    """A waterbody from the request body: every field's JSON type checked by its model, then
    the rules of store.waterbodies.clean; all the errors of both in one 422."""
    body = json_body()
    try:
        schemas.check(schemas.WaterbodyCreate, body)
    except schemas.InvalidInput as e:
        data = {k: body[k] for k in waterbodies.FIELDS if k in body and k not in e.errors}
        _row, others = waterbodies.clean(data, waterbodies.district_lookup(db))
        raise invalid(others | e.errors, e.codes) from None
    # the body's own values, not the model's: store.waterbodies.clean reads the fields it knows
    return {k: body[k] for k in waterbodies.FIELDS if k in body}


@bp.post("/waterbodies")
def waterbody_create():
    user = require_role("admin")
    db = store.get_db()
    data = registry_body(db)
    try:
        waterbody_id = waterbodies.create(db, data, actor=user.row, ip=client_ip())
    except waterbodies.WaterbodyError as e:
        raise invalid(e.errors) from None
    response = jsonify(waterbody_json(waterbodies.get(db, waterbody_id)))
    response.status_code = 201
    return response


@bp.get("/waterbodies/<api_id:waterbody_id>")
def waterbody_get(waterbody_id: int):
    return jsonify(waterbody_json(load_waterbody(waterbody_id)))


@bp.put("/waterbodies/<api_id:waterbody_id>")
def waterbody_update(waterbody_id: int):
    """Replace the registry fields (admin). accepted / revoked stay as the decisions set them."""
    user = require_role("admin")
    load_waterbody(waterbody_id)
    db = store.get_db()
    data = registry_body(db)
    try:
        row = waterbodies.update(db, waterbody_id, data, actor=user.row, ip=client_ip())
    except waterbodies.WaterbodyError as e:
        raise invalid(e.errors) from None
    return jsonify(waterbody_json(row))


# ---------------------------------------------------------------------------------------------
# Assessments


@bp.post("/assessments")
def assessment_create():
    user = require_role("inspector", "admin")
    body = json_body()
    key = keyed(body)
    if (first := replayed(key)) is not None:
        return first
    new = body_as(schemas.AssessmentCreate)
    waterbody_id, kind, answers, submit = new.waterbody_id, new.kind, new.answers, new.submit
    waterbody = load_waterbody(waterbody_id, work=True)
    rubric = scoring.rubric_for_waterbody(waterbody["kind"])
    scored, errors, missing = check_answers(rubric, answers, complete=submit)
    if errors:
        raise refused_answers(errors, missing)
    db = store.get_db()

    def create() -> Response:
        try:
            # one transaction: with submit, the assessment is created submitted or not at all
            assessment_id = assessments.create(
                db,
                waterbody_id=waterbody_id,
                kind=kind,
                rubric_id=rubric.id,
                rubric_version=rubric.version,
                answers=answers,
                scored=scored,
                user=user.row,
                ip=client_ip(),
                submit=submit,
            )
        except assessments.Conflict as e:
            existing = e.current or {}
            raise ApiError(
                409,
                f"{e.message}（id {existing.get('id')}，{existing.get('status')}）",
                existing_id=existing.get("id"),
                existing_status=existing.get("status"),
            ) from None
        row = assessments.get(db, assessment_id)
        response = jsonify(state_json(row) | {"result": row["result"]})
        response.status_code = 201
        response.headers["Location"] = url_for("api.assessment_get", assessment_id=assessment_id)
        return response

    return once(key, create)


@bp.get("/assessments/<api_id:assessment_id>")
def assessment_get(assessment_id: int):
    return jsonify(assessment_json(load_assessment(assessment_id)))


@bp.put("/assessments/<api_id:assessment_id>")
def assessment_update(assessment_id: int):
    user = current()
    row = load_assessment(assessment_id)
    body = json_body()
    key = keyed(body)
    if (first := replayed(key)) is not None:
        return first
    update = body_as(schemas.AssessmentUpdate)
    version, answers = update.version, update.answers
    action = workflow.edit_action(row["status"], user.role)
    if action is None:
        raise locked(row, user.role)
    if version != row["version"]:
        raise stale(row)
    # A correction keeps a submitted assessment decidable, so its answers must stay complete.
    scored, errors, missing = check_answers(
        scoring.load_rubric(row["rubric_id"], row["rubric_version"]),
        answers,
        complete=action == "correct",
    )
    if errors:
        raise refused_answers(errors, missing)

    def save() -> Response:
        try:
            updated = assessments.save(
                store.get_db(),
                assessment_id,
                expected_version=version,
                action=action,
                answers=answers,
                scored=scored,
                user=user.row,
                ip=client_ip(),
            )
        except assessments.Conflict as e:
            raise stale(e.current) from None
        except workflow.TransitionError:  # the status changed under us
            raise locked(load_assessment(assessment_id), user.role) from None
        return jsonify(assessment_json(updated))

    return once(key, save)


@bp.post("/assessments/<api_id:assessment_id>/submit")
def assessment_submit(assessment_id: int):
    user = require_role("inspector", "admin")
    row = load_assessment(assessment_id)
    body = json_body(optional=True)
    key = keyed(body)
    if (first := replayed(key)) is not None:
        return first
    version = body_as(schemas.SubmitRequest, optional=True).version
    if row["status"] == "submitted":
        # A repeated submit (double tap, network retry): already done, nothing is written.
        return jsonify(state_json(row))
    if not workflow.allowed(row["status"], "submit", user.role):
        raise locked(row, user.role)
    if version is not None and version != row["version"]:
        raise stale(row)
    rubric = scoring.load_rubric(row["rubric_id"], row["rubric_version"])
    scored, errors, missing = check_answers(rubric, row["answers"], complete=True)
    if errors:
        raise refused_answers(errors, missing, f"答案还有 {len(errors)} 处需要填写或更正，未提交")

    def submit() -> Response:
        try:
            updated = assessments.save(
                store.get_db(),
                assessment_id,
                expected_version=row["version"],
                action="submit",
                answers=row["answers"],
                scored=scored,
                user=user.row,
                ip=client_ip(),
            )
        except assessments.Conflict as e:
            if e.current and e.current["status"] == "submitted":  # a concurrent submit won
                return jsonify(state_json(e.current))
            raise stale(e.current) from None
        except workflow.TransitionError:
            raise locked(load_assessment(assessment_id), user.role) from None
        return jsonify(state_json(updated))

    return once(key, submit)


@bp.post("/assessments/<api_id:assessment_id>/review")
def assessment_review(assessment_id: int):
    user = require_role("reviewer", "admin")
    row = load_assessment(assessment_id)
    action = json_body().get("action")
    # an administrator holds both roles, but nobody reviews their own work; and whoever
    # corrected the answers leaves the decision to another reviewer (four eyes): a 403 that
    # comes before any complaint about the body
    refusal = reviews.duty_refusal(
        store.get_db(), row, action if isinstance(action, str) else "", user.row, client_ip()
    )
    if refusal is not None:
        raise ApiError(403, str(refusal), errors={"action": str(refusal)})
    review = body_as(schemas.ReviewRequest)
    action, version, decided_on = review.action, review.version, review.decided_on
    comment, override = review.comment or "", review.override_reason or ""
    field_comments = _field_comments(row, review.field_comments or {})
    if row["status"] != "submitted":
        label = workflow.STATUS_LABELS.get(row["status"], row["status"])
        raise ApiError(
            409, f"只有待审核的评估可以审核；该评估当前为「{label}」", status=row["status"]
        )
    if version is not None and version != row["version"]:
        raise stale(row)
    row, _panel = decision_basis(row)
    waiting = panels.not_ready(row)
    if waiting and action != "return":
        raise ApiError(409, waiting, panel_state=row["panel_state"])
    errors = reviews.review_errors(store.get_db(), row, action, comment, override, decided_on)
    if errors:
        raise invalid(errors)
    try:
        updated = assessments.review(
            store.get_db(),
            assessment_id,
            action=action,
            user=user.row,
            comment=comment.strip(),
            field_comments=field_comments,
            decided_on=(decided_on or clock.today()).isoformat(),
            override_reason=override.strip(),
            expected_version=row["version"],
            scored=row["result"] if row["panel_scored"] else None,
            ip=client_ip(),
            publicity=current_app.config["PUBLICITY"],
        )
    except assessments.Conflict as e:
        raise stale(e.current) from None
    except (workflow.SelfReviewError, workflow.FourEyesError) as e:
        raise ApiError(403, str(e), errors={"action": str(e)}) from None
    except panels.PanelNotReady as e:  # an expert's submission raced the check above
        raise ApiError(409, str(e)) from None
    except workflow.TransitionError:
        raise ApiError(409, "该评估已不是待审核状态，请刷新后查看") from None
    return jsonify(state_json(updated) | {"decision": updated["decision"]})


def _field_comments(row: dict, comments: dict[str, str]) -> dict[str, str]:
    """Per-indicator comments for a return: {indicator code: comment}, blanks dropped; a code
    the rubric does not have is a 422 (as on the page: a comment sits beside its field)."""
    rubric = scoring.load_rubric(row["rubric_id"], row["rubric_version"])
    unknown = {
        f"field_comments.{code}": f"评价标准 {rubric.id} 中没有指标 {code}"
        for code in comments
        if code not in rubric.indicators
    }
    if unknown:
        raise invalid(unknown, dict.fromkeys(unknown, schemas.UNKNOWN))
    return {code: comment.strip() for code, comment in comments.items() if comment.strip()}


# ---------------------------------------------------------------------------------------------
# Progress and leaderboards


@bp.get("/progress")
def progress():
    as_of = query_as(schemas.AsOfQuery).as_of or clock.today()
    spans = standings.acceptance_spans(store.get_db())
    return jsonify(progress_toward_targets(spans, as_of))


@bp.get("/leaderboard/districts")
def leaderboard_districts():
    query = query_as(schemas.DistrictLeaderboardQuery)
    kind, as_of = query.kind, query.as_of or clock.today()
    rows = standings.district_standings(store.get_db(), as_of, kind=kind)
    return jsonify(
        {
            "rule": RANKING_RULE,
            "as_of": as_of.isoformat(),
            "kind": kind,
            "rows": [r.to_dict() for r in rows],
        }
    )


@bp.get("/leaderboard/waterbodies")
def leaderboard_waterbodies():
    query = query_as(schemas.WaterbodyLeaderboardQuery)
    kind, year = query.kind, query.year
    db = store.get_db()
    district = district_of(db, query.district) if query.district else None
    ranked, extra = standings.waterbody_standings(db, kind=kind, year=year)
    rows = []
    for standing in ranked:
        more = extra[standing.id]
        if district and more["district_code"] != district:
            continue  # one district's rows; the ranks stay the city's
        rows.append(
            standing.to_dict()
            | {
                "kind": more["kind"],
                "district_code": more["district_code"],
                "assessment_id": more["assessment_id"],
                "decided_on": more["decided_on"],
                "decision": more["status"],
            }
        )
    return jsonify({"kind": kind, "year": year, "rows": rows})


# ---------------------------------------------------------------------------------------------
# The description, and JSON 404/405 for everything else under /api/v1


@bp.get("/openapi.json", endpoint="openapi")
def openapi_document():
    return jsonify(openapi.document(current_app))


def routing_error():
    """Unknown paths and methods under /api/v1 answer JSON, not the site's HTML error pages.

    Routing errors (no rule for the path: a 404; a path with other methods, OPTIONS, TRACE or
    an unknown one such as QUERY: a 405 with Allow) are raised before any blueprint is chosen,
    so neither this blueprint's handlers nor its before_request see them. An app-level hook,
    first of all, answers them here; it needs no token, like the 404 of a missing page.
    """
    error = request.routing_exception
    under_api = request.path == bp.url_prefix or request.path.startswith(f"{bp.url_prefix}/")
    if not under_api or not isinstance(error, HTTPException) or error.code not in (404, 405):
        return None  # e.g. the redirect to a canonical trailing slash
    if error.code == 404:
        return error_response(404, "没有这个 API 地址；可用的地址见 /api/v1/openapi.json")
    return _http_error(error)


bp.record_once(
    lambda state: state.app.before_request_funcs.setdefault(None, []).insert(0, routing_error)
)
