"""The OpenAPI document written from the request models (views/api_schemas.py).

It must be a valid OpenAPI 3.1 document (openapi-spec-validator), and for the bodies below the
document and the model that checks them must agree: the document accepts a body exactly when
the model does. (Rules the document only states, such as the kinds of waterbody that store/
enforces, are left out of this table: the API tests cover them.)
"""

import jsonschema
import pytest
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from happy_rivers import create_app, store
from happy_rivers.store import waterbodies
from happy_rivers.views import api, api_publicity, openapi
from happy_rivers.views import api_schemas as schemas


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    """The document as the app serves it (no token, no users: conftest's app hashes four
    passwords per test, and the document needs none)."""
    folder = tmp_path_factory.mktemp("openapi")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE": str(folder / "test.db")})
    with app.app_context():
        store.migrate(store.get_db())
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)  # raises OpenAPIValidationError with the path of the first fault
    assert document["openapi"] == "3.1.0"


def test_every_request_body_is_a_model(document):
    # the models of every API module that declares request bodies
    models = {m.__name__ for m in schemas.REQUEST_MODELS + api_publicity.REQUEST_MODELS}
    bodies = set()
    for item in document["paths"].values():
        for operation in item.values():
            if "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                bodies.add(ref.removeprefix("#/components/schemas/"))
    assert bodies == models  # every body documented by its model, and no model left unused
    for name in models:
        assert document["components"]["schemas"][name]["type"] == "object"


def test_query_parameters_are_the_query_models_fields(document):
    parameters = document["paths"]["/waterbodies"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == list(schemas.WaterbodyListQuery.model_fields)
    status = next(p for p in parameters if p["name"] == "status")
    assert status["schema"] == {"type": "string", "enum": list(waterbodies.STATUSES)}
    year = document["paths"]["/leaderboard/waterbodies"]["get"]["parameters"][1]
    assert year["name"] == "year" and year["schema"]["type"] == "integer"


def _accepts(document: dict, name: str, body) -> bool:
    registry = Registry().with_resource(
        "urn:doc", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:doc#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry).is_valid(body)


AGREEMENT = [
    (schemas.AssessmentCreate, {"waterbody_id": 1}),
    (schemas.AssessmentCreate, {"waterbody_id": 2.0, "kind": "recheck", "submit": True}),
    (schemas.AssessmentCreate, {}),
    (schemas.AssessmentCreate, {"waterbody_id": "1"}),
    (schemas.AssessmentCreate, {"waterbody_id": True}),
    (schemas.AssessmentCreate, {"waterbody_id": 0}),
    (schemas.AssessmentCreate, {"waterbody_id": 1.5}),
    (schemas.AssessmentCreate, {"waterbody_id": 2**63}),
    (schemas.AssessmentCreate, {"waterbody_id": 1, "kind": "monthly"}),
    (schemas.AssessmentCreate, {"waterbody_id": 1, "submit": "yes"}),
    (schemas.AssessmentCreate, {"waterbody_id": 1, "answers": []}),
    (schemas.AssessmentCreate, {"waterbody_id": 1, "extra": "ignored"}),
    (schemas.AssessmentUpdate, {"answers": {}, "version": 3}),
    (schemas.AssessmentUpdate, {"answers": {}}),
    (schemas.AssessmentUpdate, {"answers": {}, "version": None}),
    (schemas.SubmitRequest, {}),
    (schemas.SubmitRequest, {"version": None}),
    (schemas.SubmitRequest, {"version": "2"}),
    (schemas.ReviewRequest, {"action": "accept", "decided_on": "2025-01-07", "comment": None}),
    (schemas.ReviewRequest, {"action": "approve"}),
    (schemas.ReviewRequest, {"action": "return", "field_comments": {"A3": 1}}),
    (schemas.ReviewRequest, {"action": "return", "field_comments": {"A3": "x"}}),
    (schemas.ReviewRequest, {"action": "accept", "override_reason": 5}),
    (schemas.WaterbodyCreate, {"name": "后河", "kind": "river", "district": "渝北区"}),
    (schemas.WaterbodyCreate, {"name": "后河", "kind": "river", "district": 500112}),
    (schemas.WaterbodyCreate, {"name": "后河", "kind": "river", "district": "x", "lon": True}),
    (schemas.WaterbodyCreate, {"name": "后河", "kind": "river", "district": "x", "through": [1]}),
    (schemas.PanelNameRequest, {"experts": ["e1", "e2"]}),
    (schemas.PanelNameRequest, {"experts": "e1,e2"}),
    (schemas.PanelCloseRequest, {"reason": "专家3 因病无法参加"}),
    (schemas.PanelCloseRequest, {}),
    (schemas.PanelCloseRequest, {"reason": 3}),
    (schemas.PanelSubmitRequest, {}),
    (schemas.ScoreRequest, {"rubric": "cq-river", "answers": {}}),
    (schemas.ScoreRequest, {"rubric": "cq-river"}),
    (schemas.ScoreRequest, {"rubric": "cq-river", "version": 2025.1, "answers": {}}),
]


@pytest.mark.parametrize(("model", "body"), AGREEMENT, ids=lambda v: str(v)[:60])
def test_the_document_and_the_model_agree(document, model, body):
    try:
        schemas.check(model, body)
        checked = True
    except schemas.InvalidInput:
        checked = False
    assert _accepts(document, model.__name__, body) == checked


def test_a_route_without_an_operation_is_not_described_silently(tmp_path):
    """Adding an endpoint means adding its Operation (views/openapi.py): the document refuses
    to be written without one, naming the endpoint."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE": str(tmp_path / "t.db")})
    app.add_url_rule("/api/v1/extra", endpoint="api.extra", view_func=lambda: "")
    with pytest.raises(LookupError, match="api.extra has no Operation"):
        openapi.document(app)


def test_operations_without_a_token_are_exactly_the_public_endpoints():
    public = {endpoint for endpoint, op in openapi.operations().items() if op.public}
    assert public == api.PUBLIC_ENDPOINTS


def test_path_parameters_come_from_the_routes(document):
    (parameter,) = document["paths"]["/assessments/{assessment_id}"]["get"]["parameters"]
    assert parameter == {
        "name": "assessment_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    }
    keyed = document["paths"]["/assessments/{assessment_id}"]["put"]["parameters"]
    assert [p["name"] for p in keyed] == ["assessment_id", "Idempotency-Key"]
