"""Property tests: no input, however odd, makes scoring or a page fail with anything but a message.

- scoring.score() returns a valid Result or raises InvalidAnswers with field messages — never
  another exception — for arbitrary JSON (nested junk, huge numbers, NaN, strings, lists) and
  for valid answers with parts replaced by junk; scoring.preview() never raises.
- Arbitrary form posts to the inspection form and its live preview never give a 500.
- Arbitrary bodies to POST /api/v1/score get 200 or a JSON 422, never a 500.

Bounded so `make test` stays fast: 120 examples per scoring property, 60 per HTTP one (each
renders a page), no deadline.
"""

import json
import math
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from happy_rivers import create_app, scoring, store
from happy_rivers.forms.inspection import form_data_from_answers
from happy_rivers.store import users, waterbodies
from tests.answers import full_reservoir_answers, full_river_answers

RUBRICS = {"cq-river": full_river_answers, "cq-reservoir": full_reservoir_answers}
DECISIONS = {"accepted", "conditional", "rejected"}
FAST = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WEB = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --- strategies ------------------------------------------------------------------------------

# built by .map(): Hypothesis cannot even print an int of more than 4300 digits
huge_numbers = st.one_of(
    st.sampled_from([5000, 4400, 400, 18]).map(lambda digits: 10**digits),
    st.sampled_from([1023, 1024, 1025]).map(lambda bits: -(2**bits)),
    st.sampled_from([1e308, -1e308, 5e-324, 1e-320, -0.0]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    huge_numbers,
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", " ", "96.5", "NaN", "compliant", "trail", "G2", "非常好"]),
)
json_junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=12,
)


def codes(rubric_id: str) -> list[str]:
    return list(scoring.load_rubric(rubric_id).indicators)


def keyed_junk(rubric_id: str):
    """Objects keyed by the rubric's codes (and a few strangers) with junk values."""
    keys = st.sampled_from([*codes(rubric_id), "gates", "X99", "", "A1 ", "gates.G2"])
    return st.dictionaries(keys, json_junk, max_size=25)


@st.composite
def damaged_answers(draw, rubric_id: str):
    """Valid, complete answers with some values — or some of their parts — replaced by junk."""
    answers = RUBRICS[rubric_id]()
    for code in draw(st.lists(st.sampled_from(sorted(answers)), max_size=4, unique=True)):
        value = answers[code]
        if isinstance(value, dict) and value and draw(st.booleans()):
            part = draw(st.sampled_from(sorted(value) + ["extra"]))
            value[part] = draw(json_junk)
        elif isinstance(value, list) and draw(st.booleans()):
            value.append(draw(json_junk))
        elif draw(st.booleans()):
            del answers[code]
        else:
            answers[code] = draw(json_junk)
    return answers


def any_answers(rubric_id: str):
    return st.one_of(json_junk, keyed_junk(rubric_id), damaged_answers(rubric_id))


# --- scoring ---------------------------------------------------------------------------------


def check_score(rubric_id: str, answers) -> str:
    rubric = scoring.load_rubric(rubric_id)
    preview = scoring.preview(rubric, answers)  # never raises, whatever it is given
    json.dumps(preview.to_dict(), allow_nan=False, default=str)
    try:
        result = scoring.score(rubric, answers)
    except scoring.InvalidAnswers as e:
        assert e.errors, "InvalidAnswers must name at least one field"
        for path, message in e.errors.items():
            assert isinstance(path, str) and isinstance(message, str) and message.strip()
        return "invalid"
    assert isinstance(result, scoring.Result)
    assert Decimal(0) <= result.total <= result.max_total
    assert result.decision in DECISIONS
    assert set(result.dimensions) == {d.code for d in rubric.dimensions}
    # what the API would send (default=str: Python callers may pass Decimals, JSON never does)
    body = json.dumps(result.to_dict(), allow_nan=False, default=str)
    assert json.loads(body)["total"] == str(result.total)
    return "scored"


@FAST
@given(answers=any_answers("cq-river"))
def test_river_scoring_never_raises_anything_else(answers):
    check_score("cq-river", answers)


@FAST
@given(answers=any_answers("cq-reservoir"))
def test_reservoir_scoring_never_raises_anything_else(answers):
    check_score("cq-reservoir", answers)


@pytest.mark.parametrize(
    "answers",
    [
        {"A2": 10**5000},  # str() of it raises ValueError past 4300 digits
        {"A20": {"rate": 90, "sample_size": 10**5000}},
        {"A1": math.nan},
        {"A18": {"riverside": math.inf, "district": 1}},
        {"A14": {"points": 10**400, "note": "x"}},
    ],
)
def test_known_nasty_values_are_field_errors(answers):
    bad = full_river_answers() | answers
    assert check_score("cq-river", bad) == "invalid"
    with pytest.raises(scoring.InvalidAnswers) as e:
        scoring.score(scoring.load_rubric("cq-river"), bad)
    assert next(iter(answers)) in {path.split(".")[0] for path in e.value.errors}


def test_the_properties_can_tell_a_score_from_an_error():
    assert check_score("cq-river", full_river_answers()) == "scored"
    assert check_score("cq-reservoir", full_reservoir_answers()) == "scored"
    assert check_score("cq-river", []) == "invalid"


# --- the inspection form over HTTP -----------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app for all examples (CSRF off, so the junk reaches scoring and the store)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fuzz",
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp / "fuzz.db"),
            "UPLOAD_FOLDER": str(tmp / "uploads"),
        }
    )
    with app.app_context():
        db = store.get_db()
        store.migrate(db)
        users.create(db, "fuzzer", "correct-horse-1", "inspector", "渝北区")
        admin_id = users.create(db, "fuzzadmin", "correct-horse-1", "admin")
        river = waterbodies.create(db, {"name": "御临河", "kind": "river", "district": "渝北区"})
        lake = waterbodies.create(db, {"name": "长寿湖", "kind": "reservoir", "district": "渝北区"})
        app.config["FUZZ_TOKEN"] = users.create_token(db, admin_id, "fuzz")
    client = app.test_client()
    assert (
        client.post(
            "/login", data={"username": "fuzzer", "password": "correct-horse-1"}
        ).status_code
        == 302
    )
    ids = {}
    for rubric_id, wb in (("cq-river", river), ("cq-reservoir", lake)):
        location = client.post(f"/waterbodies/{wb}/assessments", data={"kind": "self"}).headers[
            "Location"
        ]
        ids[rubric_id] = int(re.search(r"/assessments/(\d+)/edit", location).group(1))
    return app, client, ids


number_text = st.one_of(
    st.from_regex(r"-?[0-9]{0,25}([.,，][0-9]{0,25})?([eE][-+]?[0-9]{1,7})?", fullmatch=True),
    st.sampled_from(["NaN", "inf", "-Infinity", "1e999999", "1e-999999", "１２３", "9" * 5000]),
)
form_value = st.one_of(number_text, st.text(max_size=30), st.lists(st.text(max_size=10)))


@st.composite
def form_posts(draw, rubric_id: str):
    rubric = scoring.load_rubric(rubric_id)
    valid = {
        k: ("y" if v is True else v)
        for k, v in form_data_from_answers(rubric, RUBRICS[rubric_id]()).items()
    }
    base = valid if draw(st.booleans()) else {}
    names = st.sampled_from(sorted(valid) + ["gate_G1", "gate_G2_note", "X1", "version"])
    junk = draw(st.dictionaries(names, form_value, max_size=12))
    data = base | junk
    data["action"] = draw(st.sampled_from(["save", "submit", "", "delete", "保存"]))
    return data


def post_form(fuzz_app, rubric_id: str, data: dict, use_current_version: bool):
    app, client, ids = fuzz_app
    aid = ids[rubric_id]
    with app.app_context():
        db = store.get_db()
        # a submitted example must not close the form for the next one
        db.execute("UPDATE assessments SET status = 'draft' WHERE id = ?", [aid])
        db.conn.commit()
        version = db.execute("SELECT version FROM assessments WHERE id = ?", [aid]).fetchone()[0]
    if use_current_version:
        data = data | {"version": str(version)}
    edit = client.post(f"/assessments/{aid}/edit", data=data)
    assert edit.status_code in (200, 302, 303, 409, 422), edit.status_code
    preview = client.post(f"/assessments/{aid}/preview", data=data)
    assert preview.status_code == 200
    body = preview.get_json()
    assert set(body) >= {"indicators", "errors", "missing", "subtotals", "total"}
    return edit.status_code


@WEB
@given(data=form_posts("cq-river"), current=st.booleans())
def test_river_form_posts_never_500(fuzz_app, data, current):
    post_form(fuzz_app, "cq-river", data, current)


@WEB
@given(data=form_posts("cq-reservoir"), current=st.booleans())
def test_reservoir_form_posts_never_500(fuzz_app, data, current):
    post_form(fuzz_app, "cq-reservoir", data, current)


def test_form_posts_reach_every_outcome(fuzz_app):
    """The fuzzed endpoint really saves, submits and refuses: the property is not vacuous."""
    valid = {
        k: ("y" if v is True else v)
        for k, v in form_data_from_answers(
            scoring.load_rubric("cq-river"), full_river_answers()
        ).items()
    }
    assert post_form(fuzz_app, "cq-river", valid | {"action": "save"}, True) == 303  # saved
    assert post_form(fuzz_app, "cq-river", {"A1": "abc", "action": "save"}, True) == 200  # marked
    assert post_form(fuzz_app, "cq-river", valid | {"action": "submit"}, True) == 302
    assert post_form(fuzz_app, "cq-river", {"A1": "1e999999", "action": "submit"}, True) == 422
    assert post_form(fuzz_app, "cq-river", valid | {"version": "0"}, False) == 409


# --- the JSON API ----------------------------------------------------------------------------


api_bodies = st.one_of(
    st.builds(
        lambda rubric, answers: {"rubric": rubric, "answers": answers},
        st.sampled_from(["cq-river", "cq-reservoir"]),
        st.one_of(any_answers("cq-river"), any_answers("cq-reservoir")),
    ),
    st.dictionaries(st.sampled_from(["rubric", "answers", "version"]), json_junk, max_size=3),
    json_junk,
)


def _dumps(body) -> bytes:
    try:
        return json.dumps(body, default=str).encode()
    except ValueError:  # an int too long for str(): send such a number as JSON text instead
        return b'{"rubric": "cq-river", "answers": {"A1": 1' + b"0" * 5000 + b"}}"


@WEB
@given(body=st.one_of(api_bodies.map(_dumps), st.binary(max_size=200)))
def test_api_score_answers_json_never_500(fuzz_app, body):
    app, client, _ = fuzz_app
    response = client.post(
        "/api/v1/score",
        data=body,
        headers={
            "Authorization": f"Bearer {app.config['FUZZ_TOKEN']}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code in (200, 422), response.status_code
    payload = response.get_json()
    if response.status_code == 200:
        assert payload["decision"] in DECISIONS
    else:
        assert payload["errors"] and all(isinstance(v, str) for v in payload["errors"].values())


def test_api_score_accepts_a_valid_body(fuzz_app):
    app, client, _ = fuzz_app
    response = client.post(
        "/api/v1/score",
        json={"rubric": "cq-river", "answers": full_river_answers()},
        headers={"Authorization": f"Bearer {app.config['FUZZ_TOKEN']}"},
    )
    assert response.status_code == 200
    assert response.get_json()["total"] == "100.00"


# --- the boards' query strings ---------------------------------------------------------------

query_value = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["2025", "2025-06-31", "2025-02-29", "0001-01-01", "9999-12-31", "river"]),
    st.sampled_from(["reservoir", "lake", "1e999999", "９", "2", "0", "-1", "99999999999"]),
)


@WEB
@given(
    page=st.sampled_from(["/leaderboard/districts", "/leaderboard/waterbodies", "/progress"]),
    args=st.dictionaries(
        st.sampled_from(["year", "kind", "as_of", "page", "lang"]), query_value, max_size=4
    ),
)
def test_board_query_strings_never_500(fuzz_app, page, args):
    _app, client, _ids = fuzz_app
    response = client.get(page, query_string=args)
    assert response.status_code in (200, 422), (page, args, response.status_code)
    assert "<table" in response.get_data(as_text=True) or page == "/progress"
