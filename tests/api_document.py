"""Every answer of the API tests, checked against the OpenAPI document the app serves.

`Api` is the API tests' client (tests/test_api.py, test_panel_http.py, test_idempotency.py,
test_publicity.py): each answer it receives goes through `conforms`.

`conforms(document, method, path, response)` fails (AssertionError) unless the answer's status
is one the document lists for that operation and its JSON body matches that status's schema.
A path the document does not have must be the JSON 404, a method it does not list the JSON
405: both are Error bodies. The schemas are JSON Schema 2020-12 (OpenAPI 3.1), checked with
jsonschema, formats included (date, date-time, uuid).
"""

import re
from functools import cache

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "/api/v1"
ROOT = "urn:happy-rivers:openapi"


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@cache
def _templates(paths: tuple[str, ...]) -> list[tuple[re.Pattern, str]]:
    # literal paths before templated ones, so /panel/me is not taken for a parameter
    ordered = sorted(paths, key=lambda p: p.count("{"))
    patterns = []
    for template in ordered:
        pattern = re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template))
        patterns.append((re.compile(f"^{pattern}$"), template))
    return patterns


def _validator(document: dict, location: str) -> jsonschema.Draft202012Validator:
    registry = Registry().with_resource(
        ROOT, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator(
        {"$ref": f"{ROOT}#/{location}"},
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def conforms(document: dict, method: str, path: str, response) -> None:
    path = path.split("?", 1)[0].removeprefix(BASE)
    method = "get" if method.upper() == "HEAD" else method.lower()
    status = str(response.status_code)
    template = next((t for rx, t in _templates(tuple(document["paths"])) if rx.match(path)), None)
    if template is None or method not in document["paths"][template]:
        # no operation: the router's JSON answers
        assert status in ("404", "405"), f"{method.upper()} {path} → {status}, not documented"
        location = _pointer("components", "schemas", "Error")
    else:
        responses = document["paths"][template][method]["responses"]
        assert status in responses, (
            f"{method.upper()} {template} answered {status}, which the document does not list "
            f"({', '.join(sorted(responses))}): {response.get_data(as_text=True)[:500]}"
        )
        answer = responses[status]
        location = _pointer("paths", template, method, "responses", status)
        if "$ref" in answer:
            location = answer["$ref"].removeprefix("#/")
            answer = _resolve(document, location)
        if "application/json" not in answer.get("content", {}):
            return
        location += "/" + _pointer("content", "application/json", "schema")
    assert response.is_json, f"{method.upper()} {path} → {status} is not JSON"
    errors = sorted(
        _validator(document, location).iter_errors(response.get_json()), key=lambda e: e.path
    )
    assert not errors, f"{method.upper()} {path} → {status} does not match the document:\n" + (
        "\n".join(f"  at {'/'.join(map(str, e.path)) or '(body)'}: {e.message}" for e in errors)
    )


def _resolve(document: dict, location: str) -> dict:
    node = document
    for part in location.split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


class Api:
    """A test client that sends one user's bearer token with every request, and checks every
    answer against the OpenAPI document the app serves (tests/api_document.py): a status the
    document does not list, or a body that does not match its schema, fails the test."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._document = None

    def call(self, method: str, path: str, **kw):
        headers = self.headers | kw.pop("headers", {})
        response = self.client.open("/api/v1" + path, method=method, headers=headers, **kw)
        conforms(self.document(), method, path, response)
        return response

    def document(self) -> dict:
        if self._document is None:
            self._document = self.client.get("/api/v1/openapi.json").get_json()
        return self._document

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)
