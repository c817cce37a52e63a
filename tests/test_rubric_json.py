"""GET /rubrics/<id>/<version>.json: the rubric data the device scores with offline."""

from decimal import Decimal

import pytest

from happy_rivers import scoring
from happy_rivers.scoring.client import rubric_document
from happy_rivers.scoring.water import LIMITS

EVERY_VERSION = [(r, v) for r in scoring.available_rubrics() for v in scoring.available_versions(r)]


@pytest.mark.parametrize("rubric_id, version", EVERY_VERSION)
def test_every_rubric_version_is_served_to_anyone(client, rubric_id, version):
    response = client.get(f"/rubrics/{rubric_id}/{version}.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == rubric_document(scoring.load_rubric(rubric_id, version))
    assert (body["id"], body["version"]) == (rubric_id, version)
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    again = client.get(
        f"/rubrics/{rubric_id}/{version}.json", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_signed_in_users_get_the_same_cacheable_document(login_as):
    """Not private (views.headers stores nothing for signed-in pages): the phone keeps it."""
    response = login_as("yubei").get("/rubrics/cq-river/2025.1.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=86400"


@pytest.mark.parametrize(
    "url",
    [
        "/rubrics/cq-river/2024.9.json",
        "/rubrics/cq-lake/2025.1.json",
        "/rubrics/../cq-river/2025.1.json",
        "/rubrics/cq-river/2025.1.toml",
        "/rubrics/cq-river-2025/1.json",
    ],
)
def test_unknown_rubrics_are_404(client, url):
    assert client.get(url).status_code == 404


def test_the_document_is_the_rubric_the_server_scores_with():
    """Every number is the Rubric object's, as a string (no float on the way)."""
    rubric = scoring.load_rubric("cq-reservoir")
    doc = rubric_document(rubric)
    indicators = {i["code"]: i for d in doc["dimensions"] for i in d["indicators"]}
    assert list(indicators) == list(rubric.indicators)
    for code, ind in rubric.indicators.items():
        assert Decimal(indicators[code]["max"]) == ind.max
        for key in ("full", "zero", "per", "input_min", "input_max"):
            if key in ind.params:
                assert indicators[code]["params"][key] == str(ind.params[key])
        assert [(o["code"], Decimal(o["value"])) for o in indicators[code]["options"]] == [
            (o.code, o.value) for o in ind.options
        ]
    water = indicators["B4"]["params"]
    assert water["limits"]["tp"] == ["0.01", "0.025", "0.05", "0.1", "0.2"]
    assert water["limits"] == {k: [str(x) for x in v] for k, v in LIMITS["reservoir"].items()}
    assert indicators["A14"]["params"]["step"] == "0.5"  # a default filled in
    assert indicators["A20"]["params"]["min_sample"] == "100"
    assert doc["decision"] == {"accept_total": "90", "conditional_total": "85",
                               "dimension_floor": "0.6"}  # fmt: skip
    assert [g["code"] for g in doc["gates"]] == [g.code for g in rubric.gates]
    g4 = next(g for g in doc["gates"] if g["code"] == "G4")
    assert g4["when_option"] == {"indicator": "B1", "option": "class3"} and g4["manual"]
