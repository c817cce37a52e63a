"""Dates a user can type and the one clock (hardening issue, items 6 and 8).

- Decisions are not dated before the programme began (市级总河长令第5号, 2023-05-01, read from
  scoring/targets.toml), on the page and in the API.
- No date from 0001-01-01 to 9999-12-31 makes a board, export, API answer or the audit log fail,
  even with a year-one decision already on record (stored before the rule existed).
- One clock: stamps are stored in UTC and shown in Beijing time everywhere; "today" is the date
  in Beijing. The time is set by monkeypatching clock.utc_now, the one reader of the system clock.
"""

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from happy_rivers import clock, store
from happy_rivers.scoring.leaderboard import rank_districts
from happy_rivers.scoring.progress import AcceptanceSpan, pace_per_year, progress
from happy_rivers.store import assessments, demo, users
from tests.answers import full_river_answers
from tests.conftest import csv_rows, decide, errors_in, review, submitted

ROOT = Path(__file__).resolve().parent.parent
EXTREMES = ("0001-01-01", "9999-12-31")


@pytest.fixture
def token(db):
    def make(username: str) -> dict:
        value = users.create_token(db, users.by_username(db, username)["id"], "test")
        return {"Authorization": f"Bearer {value}"}

    return make


# --- decisions before the programme began ---------------------------------------------------


def test_the_programme_start_is_data():
    from happy_rivers.scoring.progress import load_programme

    programme = load_programme()
    assert programme.start == date(2023, 5, 1)
    assert programme.order == "市级总河长令第5号"


@pytest.mark.parametrize("decided_on", ["2023-04-30", "0001-01-01"])
def test_a_decision_before_the_programme_began_is_refused_on_the_page(db, login_as, decided_on):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    response = review(reviewer, aid, db, action="accept", decided_on=decided_on)
    assert response.status_code == 422
    message = "结论日期不能早于 2023-05-01（市级总河长令第5号发布、幸福河湖建设开始之日）"
    assert message in errors_in(response.get_data(as_text=True))
    row = assessments.get(db, aid)
    assert (row["status"], row["decided_on"]) == ("submitted", None)
    assert db["waterbodies"].get(row["waterbody_id"])["status"] != "accepted"


def test_the_programme_start_itself_is_a_valid_decision_date(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    assert review(reviewer, aid, db, action="accept", decided_on="2023-05-01").status_code == 302
    assert assessments.get(db, aid)["decided_on"] == "2023-05-01"


def test_a_decision_before_the_programme_began_is_refused_in_the_api(app, db, token):
    client = app.test_client()
    created = client.post(
        "/api/v1/assessments",
        json={"waterbody_id": 1, "answers": full_river_answers(), "submit": True},
        headers=token("yubei"),
    )
    aid = created.get_json()["id"]
    refused = client.post(
        f"/api/v1/assessments/{aid}/review",
        json={"action": "accept", "decided_on": "0001-01-01"},
        headers=token("reviewer"),
    )
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"decided_on"}
    assert "2023-05-01" in refused.get_json()["errors"]["decided_on"]
    assert assessments.get(db, aid)["status"] == "submitted"


# --- any date a user can type ---------------------------------------------------------------


@pytest.fixture
def year_one_on_record(db):
    """An acceptance dated 0001-01-01, as stored before decision dates were checked, and a
    normal one: every historical board must still answer."""
    decide(db, "御临河", full_river_answers(), "0001-01-01")
    decide(db, "龙凤溪", full_river_answers(), "2025-01-07")


BOARD_PAGES = [
    "/progress?as_of={day}",
    "/leaderboard/districts?as_of={day}",
    "/leaderboard/waterbodies?year={year}",
    "/exports/leaderboard-districts.csv?as_of={day}",
    "/exports/leaderboard-districts.xlsx?as_of={day}",
    "/exports/leaderboard-waterbodies.csv?year={year}",
    "/exports/assessments.csv?since={day}",
    "/exports/assessments.xlsx?until={day}",
]
API_PAGES = [
    "/api/v1/progress?as_of={day}",
    "/api/v1/leaderboard/districts?as_of={day}",
    "/api/v1/leaderboard/waterbodies?year={year}",
]


@pytest.mark.parametrize("day", ["2024-12-31", "2023-05-01", *EXTREMES])
def test_no_board_export_or_api_answer_fails_on_any_date(
    app, login_as, token, year_one_on_record, day
):
    browser, api = login_as("admin"), app.test_client()
    for url in BOARD_PAGES:
        url = url.format(day=day, year=day[:4])
        response = browser.get(url)
        assert response.status_code in (200, 422), url
    for url in API_PAGES:
        url = url.format(day=day, year=day[:4])
        response = api.get(url, headers=token("reviewer"))
        assert response.status_code == 200, url


def test_historical_boards_count_a_year_one_acceptance(app, login_as, token, year_one_on_record):
    """Not merely no error: the figures are right on both sides of the odd date."""
    api, headers = app.test_client(), token("reviewer")
    for day, accepted in (("0001-01-01", 1), ("2024-12-31", 1), ("9999-12-31", 2)):
        body = api.get(f"/api/v1/progress?as_of={day}", headers=headers).get_json()
        assert (body["as_of"], body["accepted"]) == (day, accepted)
    rows = api.get("/api/v1/leaderboard/districts?as_of=2024-12-31", headers=headers).get_json()
    yubei = next(r for r in rows["rows"] if r["district"] == "渝北区")
    assert (yubei["rank"], yubei["accepted"], yubei["reached_at"]) == (1, 1, "0001-01-01")
    page = login_as("admin").get("/leaderboard/districts?as_of=2024-12-31")
    assert page.status_code == 200
    assert "0001-01-01" in page.get_data(as_text=True)


def test_the_pages_refuse_far_dates_with_a_field_message(login_as, year_one_on_record):
    page = login_as("admin").get("/progress?as_of=0001-01-01")
    assert page.status_code == 422
    assert "日期须在 2000 年至 2100 年之间" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "until=9999-12-31",
        "since=0001-01-01",
        "since=0001-01-01&until=9999-12-31",
        "since=9999-12-31",
        "until=0001-01-01",
    ],
)
def test_the_audit_log_takes_any_date(login_as, query):
    page = login_as("admin").get(f"/admin/audit?{query}")
    assert page.status_code == 200
    logins = page.get_data(as_text=True).count("<td>登录</td>")
    # every sign-in so far is within the first three ranges, none within the last two
    assert (logins > 0) == (not query.startswith("since=9999") and query != "until=0001-01-01")


def test_scoring_is_safe_at_both_ends_of_the_calendar():
    first, last = date.min, date.max
    spans = [AcceptanceSpan(first), AcceptanceSpan(date(2025, 1, 7), last)]
    assert pace_per_year(spans, first) == 1
    assert progress(spans, first)["accepted"] == 1
    assert progress(spans, last)["accepted"] == 1
    titles = {"500112": [AcceptanceSpan(first, None, 100), AcceptanceSpan(last, None, 90)]}
    (row,) = rank_districts([("500112", "渝北区")], titles, {}, first)
    assert (row.accepted, row.reached_at) == (1, first)
    (row,) = rank_districts([("500112", "渝北区")], titles, {}, last)
    assert (row.accepted, row.reached_at) == (2, last)


def test_clock_day_bounds_never_overflow():
    assert clock.utc_start_of(date.min) == "0001-01-01T00:00:00+00:00"
    assert clock.utc_start_of(date(2026, 12, 2)) == "2026-12-01T16:00:00+00:00"
    assert clock.utc_end_of(date(2026, 12, 2)) == "2026-12-02T16:00:00+00:00"
    assert clock.utc_end_of(date.max) == "9999-12-31T16:00:00+00:00"


# --- one clock ------------------------------------------------------------------------------

INSTANT = datetime(2026, 12, 1, 22, 33, tzinfo=UTC)


@pytest.fixture
def at_instant(monkeypatch):
    monkeypatch.setattr(clock, "utc_now", lambda: INSTANT)


def test_an_instant_is_stored_in_utc_and_shown_in_beijing_time_everywhere(
    app, db, login_as, token, at_instant
):
    inspector, reviewer, admin = login_as("yubei"), login_as("reviewer"), login_as("admin")
    aid = submitted(db, inspector)
    row = assessments.get(db, aid)
    assert row["submitted_at"] == "2026-12-01T22:33:00+00:00"  # stored: UTC

    shown, utc_shown = "2026-12-02 06:33", "2026-12-01 22:33"
    for browser, url in (
        (inspector, f"/assessments/{aid}"),
        (reviewer, "/review"),
        (inspector, f"/assessments/{aid}/report"),
        (admin, f"/admin/audit?entity=assessment&entity_id={aid}"),
    ):
        html = browser.get(url).get_data(as_text=True)
        assert shown in html, url
        assert utc_shown not in html, url

    _header, rows = csv_rows(admin.get("/exports/assessments.csv"))
    assert rows[0]["提交时间"] == shown
    book = load_workbook(io.BytesIO(admin.get("/exports/assessments.xlsx").data))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("提交时间") + 1)
    assert cell.value == datetime(2026, 12, 2, 6, 33)
    assert cell.number_format == "yyyy-mm-dd hh:mm"
    notes = dict(book["说明"].iter_rows(values_only=True))
    assert notes["导出时间"] == "2026-12-02 06:33（北京时间）"

    body = app.test_client().get(f"/api/v1/assessments/{aid}", headers=token("yubei")).get_json()
    assert body["submitted_at"] == "2026-12-02T06:33:00+08:00"
    assert body["created_at"] == "2026-12-02T06:33:00+08:00"


def test_today_is_the_date_in_beijing(app, db, login_as, token, monkeypatch):
    late_evening_utc = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "utc_now", lambda: late_evening_utc)
    assert clock.today() == date(2026, 12, 2)

    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    # "today" in Beijing is not "in the future", and is the default decision date
    accepted = review(reviewer, aid, db, action="accept", decided_on="2026-12-02")
    assert accepted.status_code == 302
    other = submitted(db, login_as("beibei"), waterbody="龙凤溪")
    assert review(reviewer, other, db, action="accept").status_code == 302
    assert assessments.get(db, other)["decided_on"] == "2026-12-02"
    too_late = submitted(db, inspector, kind="self")
    refused = review(reviewer, too_late, db, action="accept", decided_on="2026-12-03")
    assert "结论日期不能晚于今天" in errors_in(refused.get_data(as_text=True))

    body = app.test_client().get("/api/v1/progress", headers=token("reviewer")).get_json()
    assert (body["as_of"], body["accepted"]) == ("2026-12-02", 2)
    page = reviewer.get("/leaderboard/districts").get_data(as_text=True)
    assert '<strong id="as-of">2026-12-02</strong>' in page


def test_demo_submissions_precede_their_decisions(tmp_path):
    db = store.connect(str(tmp_path / "demo.db"))
    store.migrate(db)
    demo.seed(db)
    decided = list(
        db.query(
            "SELECT id, created_at, submitted_at, updated_at, decided_on FROM assessments "
            "WHERE decided_on IS NOT NULL"
        )
    )
    # 58 accepted and named, 3 accepted in their 公示 now, a failed re-check, 4 conditional,
    # 3 rejected
    assert len(decided) == 69
    for row in decided:
        assert row["created_at"] < row["submitted_at"] < row["updated_at"], row
        assert clock.beijing_date(row["submitted_at"]) < date.fromisoformat(row["decided_on"])
        assert clock.beijing_date(row["updated_at"]) == date.fromisoformat(row["decided_on"])
        trail = {
            r["action"]: r["at"]
            for r in db.query(
                "SELECT action, at FROM audit_log WHERE entity = 'assessment' AND entity_id = ?",
                [str(row["id"])],
            )
        }
        assert trail["assessment_submitted"] < trail["assessment_decided"], row
    db.close()


SYSTEM_CLOCK = re.compile(r"datetime\.now\(|date\.today\(|utcnow\(")


def test_only_the_clock_module_reads_the_system_clock():
    offenders = []
    for folder in ("views", "store", "scoring", "forms"):
        for path in sorted((ROOT / "happy_rivers" / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(ROOT)}: {m}" for m in SYSTEM_CLOCK.findall(text)]
    for path in sorted((ROOT / "bench").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {m}" for m in SYSTEM_CLOCK.findall(text)]
    init = ROOT / "happy_rivers" / "__init__.py"
    offenders += [f"happy_rivers/__init__.py: {m}" for m in SYSTEM_CLOCK.findall(init.read_text())]
    assert offenders == []


RAW_STAMP = re.compile(r"\b(\w*at)\)?\s*(?:\[\s*:|\.replace\()|\b(\w*_at) or ''\)\s*\[")
# the camera's own wall time from EXIF: it carries no zone and is shown as the camera wrote it
NOT_STORED_STAMPS = {"taken_at"}


def test_templates_show_stored_stamps_only_in_beijing_time():
    """A stamp cut with [:10] shows the UTC date: between 16:00 and 24:00 UTC, yesterday's."""
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / "happy_rivers" / "templates").rglob("*.html"))
        for name in map("".join, RAW_STAMP.findall(path.read_text(encoding="utf-8")))
        if (name == "at" or name.endswith("_at")) and name not in NOT_STORED_STAMPS
    ]
    assert offenders == []
