"""One reading of a date (clock.parse_date) and of a district (store.waterbodies.resolve_district):
the boards, the exports, the audit log, the review form and the API accept and refuse the same
texts."""

import re
from datetime import date

import pytest

from happy_rivers import clock
from happy_rivers.store import assessments, users
from happy_rivers.store.waterbodies import resolve_district
from tests.conftest import errors_in, review, submitted

# fromisoformat takes the first two, strptime the third; the rest are not dates at all
NOT_DATES = ["20250107", "2025-W02-2", "2025-1-7", "２０２５-01-07", "2025-02-30", "2025-01-07T00"]


@pytest.mark.parametrize("text", NOT_DATES)
def test_parse_date_refuses_everything_but_yyyy_mm_dd(text):
    with pytest.raises(ValueError):
        clock.parse_date(text)


def test_parse_date_reads_yyyy_mm_dd():
    assert clock.parse_date("2025-01-07") == date(2025, 1, 7)
    with pytest.raises(ValueError):
        clock.parse_date(None)


@pytest.mark.parametrize("text", NOT_DATES)
def test_every_page_and_the_api_refuse_the_same_dates(app, db, login_as, text):
    admin = login_as("admin")
    audit = admin.get(f"/admin/audit?since={text}").get_data(as_text=True)
    assert re.search(r'class="error"[^>]*>起始日期格式应为 YYYY-MM-DD<', audit)
    board = admin.get(f"/progress?as_of={text}")
    assert board.status_code == 422
    assert f"日期「{text}」无效" in board.get_data(as_text=True)
    export = admin.get(f"/exports/assessments.csv?since={text}")
    assert export.status_code == 422
    assert f"日期「{text}」无效" in export.get_data(as_text=True)
    token = users.create_token(db, users.by_username(db, "admin")["id"], "test")
    api = app.test_client().get(
        f"/api/v1/progress?as_of={text}", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 422
    assert api.get_json()["errors"] == {"as_of": "as_of 须为有效日期，格式 YYYY-MM-DD"}
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    decided = review(reviewer, aid, db, action="accept", decided_on=text)
    assert decided.status_code == 422
    assert "结论日期格式应为 YYYY-MM-DD" in errors_in(decided.get_data(as_text=True))
    assert assessments.get(db, aid)["status"] == "submitted"


def test_every_page_and_the_api_read_yyyy_mm_dd(app, db, login_as):
    admin = login_as("admin")
    audit = admin.get("/admin/audit?since=2025-01-07").get_data(as_text=True)
    assert 'class="error"' not in audit
    assert admin.get("/progress?as_of=2025-01-07").status_code == 200
    assert admin.get("/exports/assessments.csv?since=2025-01-07").status_code == 200
    token = users.create_token(db, users.by_username(db, "admin")["id"], "test")
    api = app.test_client().get(
        "/api/v1/progress?as_of=2025-01-07", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    assert review(reviewer, aid, db, action="accept", decided_on="2025-01-07").status_code == 302
    assert assessments.get(db, aid)["decided_on"] == "2025-01-07"


@pytest.mark.parametrize(("text", "known"), [("渝北区", True), ("500112", True), ("渝北", False)])
def test_a_district_is_read_the_same_by_the_boards_the_exports_the_api_and_accounts(
    app, db, login_as, text, known
):
    admin = login_as("admin")
    board = admin.get(f"/leaderboard/waterbodies?district={text}")
    assert board.status_code == (200 if known else 422)
    export = admin.get(f"/exports/assessments.csv?district={text}")
    assert export.status_code == (200 if known else 422)
    token = users.create_token(db, users.by_username(db, "admin")["id"], "test")
    api = app.test_client().get(
        f"/api/v1/waterbodies?district={text}", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == (200 if known else 422)
    if known:
        assert {w["district_code"] for w in api.get_json()} == {"500112"}
    else:
        assert "district" in api.get_json()["errors"]
    assert resolve_district(db, text) == ("500112" if known else None)
