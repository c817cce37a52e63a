"""HTTP hardening over the Flask test client on a real SQLite file: security headers on every
response, no inline script or style on any page (so the CSP needs no 'unsafe-inline'), lone
UTF-16 surrogates in JSON bodies, and the API's small edges (OPTIONS/TRACE, odd paths, empty
query parameters, integral floats), CSV headers and literal % and _ in the waterbody search."""

import re

import pytest

from happy_rivers.store import assessments, users, waterbodies
from happy_rivers.views import charts
from tests.answers import full_river_answers
from tests.conftest import as_form, new_assessment, waterbody_id

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def token_for(db, username: str) -> dict:
    token = users.create_token(db, users.by_username(db, username)["id"], "test")
    return {"Authorization": f"Bearer {token}"}


def policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    pairs = (d.strip().split(None, 1) for d in header.split(";") if d.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in pairs}


# -- 5. Security headers ----------------------------------------------------------------------


def assert_security_headers(response, where: str) -> None:
    assert policy(response) == CSP, where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where


def test_every_kind_of_response_carries_the_security_headers(app, db, client, login_as):
    anonymous = [
        client.get("/login"),
        client.get("/waterbodies"),  # a redirect to the login page
        client.get("/no-such-page"),  # the HTML 404
        client.get("/static/css/app.css"),
        client.get("/healthz"),
        client.get("/api/v1/openapi.json"),
        client.get("/api/v1/districts"),  # a JSON 401
    ]
    for response in anonymous:
        assert_security_headers(response, response.request.path)
    signed_in = login_as("yubei")
    for url in ("/waterbodies", "/progress", "/exports/assessments.csv"):
        assert_security_headers(signed_in.get(url), url)
    api = client.get("/api/v1/districts", headers=token_for(db, "reviewer"))
    assert api.status_code == 200
    assert_security_headers(api, "api")


def test_signed_in_pages_and_the_api_are_never_stored(db, client, login_as):
    signed_in = login_as("yubei")
    for url in ("/waterbodies", f"/waterbodies/{waterbody_id(db)}", "/progress", "/no-such-page"):
        assert "no-store" in signed_in.get(url).headers.get("Cache-Control", ""), url
    for response in (
        client.get("/api/v1/districts", headers=token_for(db, "yubei")),
        client.get("/api/v1/districts"),  # even the 401
        client.get("/api/v1/openapi.json"),
    ):
        assert "no-store" in response.headers.get("Cache-Control", ""), response.request.path
    # public and shared: the login page and the stylesheets may be cached
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    css = signed_in.get("/static/css/app.css")
    assert "no-store" not in css.headers.get("Cache-Control", "")


@pytest.fixture
def decided_river(app, db, login_as) -> int:
    """A complete river acceptance, submitted and accepted: result, radar and report exist."""
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db), kind="acceptance")
    data = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "submit"}
    assert inspector.post(f"/assessments/{aid}/edit", data).status_code == 302
    decided = login_as("reviewer").post(
        f"/assessments/{aid}/review",
        {"action": "accept", "version": "2", "comment": "", "decided_on": "2026-01-15"},
    )
    assert decided.status_code == 302
    return aid


def inline_code(html: str) -> list[str]:
    """What a CSP without 'unsafe-inline' would block: inline scripts (JSON data blocks are not
    scripts), <style> elements (in inline SVG too), style="…" and on…="…" attributes."""
    found = []
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
        if "src=" not in attrs and 'type="application/json"' not in attrs:
            found.append(f"<script{attrs}>{body[:60]}")
    found += re.findall(r"<style\b[^>]*>", html, re.I)
    found += re.findall(r"<[^>]*\sstyle=[^>]*>", html, re.I)
    found += re.findall(r"<[^>]*\son[a-z]+=[^>]*>", html, re.I)
    return found


def test_no_page_needs_inline_script_or_style(db, login_as, decided_river, client):
    inspector, reviewer, admin = login_as("yubei"), login_as("reviewer"), login_as("admin")
    draft = new_assessment(inspector, waterbody_id(db, "长寿湖"))
    pages = [
        (client, "/login"),
        (client, "/offline"),
        (inspector, "/waterbodies"),
        (inspector, f"/waterbodies/{waterbody_id(db)}"),
        (inspector, f"/assessments/{draft}/edit"),
        (inspector, f"/assessments/{decided_river}"),  # the result with its radar chart
        (inspector, f"/assessments/{decided_river}/report"),  # the radar again, print CSS
        (reviewer, "/review"),
        (reviewer, "/progress"),  # three charts
        (reviewer, "/progress?as_of=2026-02-01"),  # drawn afresh, not from the cache
        (reviewer, "/leaderboard/districts"),
        (reviewer, "/leaderboard/waterbodies"),
        (reviewer, "/exports"),
        (admin, "/admin/users"),
        (admin, "/admin/audit"),
    ]
    for who, url in pages:
        response = who.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert inline_code(html) == [], url
    progress = reviewer.get("/progress").get_data(as_text=True)
    assert progress.count('class="pygal-chart"') >= 2  # the charts are still inline SVG
    assert "css/charts.css" in progress  # styled by the static chart stylesheet
    report = inspector.get(f"/assessments/{decided_river}/report").get_data(as_text=True)
    assert "css/charts.css" in report and "js/report.js" in report


# -- 6. Lone UTF-16 surrogates in JSON --------------------------------------------------------


@pytest.mark.parametrize(
    "method,path,text,field",
    [
        ("POST", "/score", r'{"rubric": "\ud800"}', "rubric"),
        (
            "POST",
            "/score",
            r'{"rubric": "cq-river", "answers": {"A14": {"points": 4, "note": "bad\udfffnote"}}}',
            "answers.A14.note",
        ),
        ("POST", "/score", r'{"rubric": "cq-river", "answers": {"\udc00": 1}}', "answers"),
        (
            "POST",
            "/waterbodies",
            r'{"name": "河\ud800", "kind": "river", "district": "渝北区"}',
            "name",
        ),
        (
            "POST",
            "/waterbodies",
            r'{"name": "河", "kind": "river", "district": "\udbff"}',
            "district",
        ),
        (
            "POST",
            "/assessments",
            r'{"waterbody_id": 1, "answers": {"gates": {"G1": "\ud800"}}}',
            "answers.gates.G1",
        ),
        ("PUT", "/assessments/{aid}", r'{"version": 1, "answers": {"A1": "\ud800"}}', "answers.A1"),
        (
            "POST",
            "/assessments/{aid}/review",
            r'{"action": "return", "comment": "\ud800"}',
            "comment",
        ),
        ("POST", "/assessments/{aid}/submit", r'{"\ud800": 1}', "body"),
    ],
)
def test_a_lone_surrogate_in_json_is_a_422_naming_the_field(app, db, method, path, text, field):
    client = app.test_client()
    created = client.post(
        "/api/v1/assessments",
        json={"waterbody_id": waterbody_id(db)},
        headers=token_for(db, "yubei"),
    )
    aid = created.get_json()["id"]
    # the reviewer may call every one of these (an author's review would be a 403 first)
    headers = token_for(db, "reviewer" if path.endswith("/review") else "admin")
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    response = client.open(
        "/api/v1" + path.format(aid=aid),
        method=method,
        data=text.encode(),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    errors = response.get_json()["errors"]
    assert list(errors) == [field]
    assert "Unicode" in errors[field]
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before  # nothing written


def test_an_encoded_surrogate_in_a_form_post_is_no_500(db, login_as):
    """Werkzeug decodes form posts leniently: bytes that are not UTF-8 (an encoded surrogate is
    not) stay percent-encoded, so no surrogate can arrive through a page."""
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    body = (
        f"csrf_token={inspector.token}&version=1&action=save&A14_points=4&A14_note=bad%ED%A0%80note"
    )
    response = inspector.client.post(
        f"/assessments/{aid}/edit",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 303
    note = assessments.get(db, aid)["answers"]["A14"]["note"]
    assert note == "bad%ED%A0%80note"


# -- 9. Small ones ----------------------------------------------------------------------------


def test_csv_content_type_names_the_charset_once(login_as):
    response = login_as("reviewer").get("/exports/assessments.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_percent_and_underscore_in_the_waterbody_search_are_literal(app, db, login_as):
    admin = users.by_username(db, "admin")
    waterbodies.create(
        db, {"name": "百分之百%河", "kind": "river", "district": "渝北区"}, actor=admin
    )
    waterbodies.create(db, {"name": "下划_溪", "kind": "river", "district": "渝北区"}, actor=admin)
    client = app.test_client()
    headers = token_for(db, "reviewer")

    def names(q: str) -> list[str]:
        response = client.get("/api/v1/waterbodies", query_string={"q": q}, headers=headers)
        assert response.status_code == 200
        return [w["name"] for w in response.get_json()]

    assert names("%") == ["百分之百%河"]
    assert names("_") == ["下划_溪"]
    assert names("划_") == ["下划_溪"]
    assert names("\\") == []  # the escape character itself is literal too
    page = login_as("yubei").get("/waterbodies", query_string={"q": "%"}).get_data(as_text=True)
    assert "百分之百%河" in page and "御临河" not in page


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "QUERY"])
@pytest.mark.parametrize("path", ["/districts", "/assessments/1", "/openapi.json", "/score"])
def test_options_and_trace_on_the_api_are_a_json_405_with_allow(app, db, method, path):
    response = app.test_client().open(
        "/api/v1" + path, method=method, headers=token_for(db, "admin")
    )
    assert response.status_code == 405
    assert response.is_json and response.get_json()["error"]
    allow = set(response.headers["Allow"].split(", "))
    assert allow and method not in allow


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "path", ["/assessments/%0A", "/%0A", "/assessments/1%0A", "/a%0Ab", "", "/", "/no/such"]
)
def test_odd_api_paths_are_a_json_404(app, db, method, path):
    response = app.test_client().open(
        "/api/v1" + path, method=method, headers=token_for(db, "admin")
    )
    assert response.status_code == 404
    assert response.is_json and "openapi.json" in response.get_json()["error"]
    assert_security_headers(response, path)


@pytest.mark.parametrize(
    "query,field",
    [
        ("/progress?as_of=", "as_of"),
        ("/leaderboard/districts?as_of=", "as_of"),
        ("/leaderboard/districts?kind=", "kind"),
        ("/leaderboard/waterbodies?kind=", "kind"),
        ("/leaderboard/waterbodies?year=", "year"),
        ("/waterbodies?kind=", "kind"),
        ("/waterbodies?status=", "status"),
    ],
)
def test_empty_query_parameters_are_refused_like_the_document_says(app, db, query, field):
    response = app.test_client().get("/api/v1" + query, headers=token_for(db, "admin"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_integral_floats_are_integers_as_json_schema_says(app, db):
    """JSON has one number type and the document says integer: 1.0 is the integer 1."""
    client, headers = app.test_client(), token_for(db, "yubei")
    created = client.post(
        "/api/v1/assessments", json={"waterbody_id": float(waterbody_id(db))}, headers=headers
    )
    assert created.status_code == 201
    aid = created.get_json()["id"]
    saved = client.put(
        f"/api/v1/assessments/{aid}", json={"version": 1.0, "answers": {"A1": 90}}, headers=headers
    )
    assert saved.status_code == 200 and saved.get_json()["version"] == 2
    stale = client.put(
        f"/api/v1/assessments/{aid}",
        json={"version": 742929.0, "answers": {"A1": 91}},
        headers=headers,
    )
    assert stale.status_code == 409 and stale.get_json()["current_version"] == 2
    fraction = client.put(
        f"/api/v1/assessments/{aid}", json={"version": 1.5, "answers": {}}, headers=headers
    )
    assert fraction.status_code == 422 and "version" in fraction.get_json()["errors"]


def test_the_document_says_what_the_code_refuses(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    year = next(
        p
        for p in document["paths"]["/leaderboard/waterbodies"]["get"]["parameters"]
        if p.get("name") == "year"
    )
    assert year["schema"]["minimum"] == 1000 and year["schema"]["maximum"] == 9999


def test_the_chart_stylesheet_is_current():
    """static/css/charts.css is what `make charts-css` writes from pygal and views/charts.py."""
    assert charts.STYLESHEET.read_text(encoding="utf-8") == charts.stylesheet()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/waterbodies?q=%ED%A0%80",
        "/api/v1/waterbodies?district=%ED%A0%80",
        "/api/v1/progress?as_of=%ED%A0%80",
        "/api/v1/assessments/%ED%A0%80",
    ],
)
def test_encoded_surrogates_in_urls_are_no_500(app, db, url):
    """Werkzeug keeps bytes that are not UTF-8 percent-encoded in paths and query strings too,
    so they are ordinary (unmatched or invalid) text: a 200, 404 or 422, never a 500."""
    response = app.test_client().get(url, headers=token_for(db, "admin"))
    assert response.status_code in (200, 404, 422)
    assert response.is_json
