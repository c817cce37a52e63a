"""The printable acceptance report over HTTP: content, district scoping, both languages."""

import re

import pytest

from happy_rivers import store
from tests.answers import full_river_answers
from tests.conftest import as_form, new_assessment, waterbody_id


@pytest.fixture
def accepted(app, login_as):
    """A river acceptance filled in by yubei (渝北区) and accepted by the reviewer."""
    with app.app_context():
        wid = waterbody_id(store.get_db())
    inspector = login_as("yubei")
    aid = new_assessment(inspector, wid, kind="acceptance")
    answers = full_river_answers()
    answers["A6"] = 60  # natural shoreline 60 %: 4 × 20/40 = 2.00, total 98.00
    data = as_form("cq-river", answers) | {"version": "1", "action": "submit"}
    assert inspector.post(f"/assessments/{aid}/edit", data).status_code == 302
    reviewer = login_as("reviewer")
    decided = reviewer.post(
        f"/assessments/{aid}/review",
        {"action": "accept", "version": "2", "comment": "现场核查通过", "decided_on": "2026-01-15"},
    )
    assert decided.status_code == 302
    return aid


def test_report_has_everything_to_sign(accepted, login_as):
    html = login_as("yubei").get(f"/assessments/{accepted}/report").get_data(as_text=True)
    assert "<title>御临河 · 市级幸福河湖验收报告" in html
    for text in (
        "渝北区",  # district
        "御临河",  # waterbody
        "2026-01-15",  # decision date
        'id="report-total">98.00<',
        'id="report-decision">通过验收<',
        "现场核查通过",  # the reviewer's comment
        "很幸福",  # grade
        "河湖安澜",  # dimension table
        "自然岸线率",  # indicator table
        "2.00 / 4.00",
        "G2</strong> 存在中央或市级督察交办",  # gates, each with its answer
        "css/report.css",  # the A4 print stylesheet
    ):
        assert text in html, text
    assert re.search(r'<svg[^>]*role="img"', html)  # the radar, inline
    assert html.count('class="sign"') == 2  # 检查员 and 审核员 signature lines
    for role in ("检查员", "审核员", "日期"):
        assert f'<span class="role">{role}</span>' in html
    assert "尚未作出审核结论" not in html  # decided: not marked provisional


def test_report_is_scoped_like_the_result_page(accepted, login_as, client):
    assert login_as("beibei").get(f"/assessments/{accepted}/report").status_code == 404
    assert login_as("reviewer").get(f"/assessments/{accepted}/report").status_code == 200
    anonymous = client.get(f"/assessments/{accepted}/report")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert login_as("yubei").get("/assessments/999999/report").status_code == 404


def test_result_page_links_to_the_report(accepted, login_as):
    html = login_as("yubei").get(f"/assessments/{accepted}").get_data(as_text=True)
    assert f'href="/assessments/{accepted}/report"' in html


def test_an_undecided_report_says_it_is_provisional(app, login_as):
    with app.app_context():
        wid = waterbody_id(store.get_db())
    inspector = login_as("yubei")
    aid = new_assessment(inspector, wid)
    html = inspector.get(f"/assessments/{aid}/report").get_data(as_text=True)
    assert "当前状态：草稿。尚未作出审核结论" in html
    assert "答案尚未填写完整，暂无总分。" in html


def test_report_in_english(accepted, login_as):
    reviewer = login_as("reviewer")
    reviewer.get("/lang/en")
    html = reviewer.get(f"/assessments/{accepted}/report").get_data(as_text=True)
    for text in (
        "City-level Happy River Acceptance Report",
        "Safe and secure",
        "Natural shoreline ratio",
        'id="report-decision">Accepted<',
        "Inspector",
        "Reviewer",
        "Seven dimensions: share of the maximum scored",
    ):
        assert text in html, text
    assert "市级幸福河湖验收报告" not in html
