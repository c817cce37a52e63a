"""日程: rechecks due 3 years after the title date (or the last passed recheck), rectification
deadlines 6 months after a conditional decision; overdue and due within 90 days, at the
boundaries, per district; the markers on the waterbody page; the export."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from happy_rivers import clock, scoring
from happy_rivers.store import assessments, notifications, schedule, users, waterbodies
from tests.answers import full_river_answers

# 2026-06-01 in Beijing (it is already that day there at 20:00 UTC on 2026-05-31)
NOW = datetime(2026, 5, 31, 20, 0, tzinfo=UTC)
TODAY = date(2026, 6, 1)


def decided(db, name, district, kind, action, decided_on) -> tuple[int, int]:
    """A waterbody (created when new) with a submitted assessment decided on `decided_on`."""
    found = db.execute("SELECT id FROM waterbodies WHERE name = ?", [name]).fetchone()
    wid = (
        found[0]
        if found
        else waterbodies.create(db, {"name": name, "kind": "river", "district": district})
    )
    rubric = scoring.load_rubric("cq-river")
    answers = full_river_answers()
    author = "yubei" if district == "渝北区" else "beibei"
    aid = assessments.create(
        db,
        waterbody_id=wid,
        kind=kind,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        answers=answers,
        scored=scoring.score(rubric, answers).to_dict(),
        user=users.by_username(db, author),
        submit=True,
    )
    assessments.review(
        db,
        aid,
        action=action,
        user=users.by_username(db, "reviewer"),
        decided_on=decided_on,
        override_reason="测试" if action != "accept" else None,
    )
    return wid, aid


@pytest.fixture
def world(db, monkeypatch):
    ids = {}
    ids["today"], _ = decided(db, "今日河", "渝北区", "acceptance", "accept", "2023-06-01")
    ids["yesterday"], _ = decided(db, "昨日河", "渝北区", "acceptance", "accept", "2023-05-31")
    ids["day90"], _ = decided(db, "九十河", "渝北区", "acceptance", "accept", "2023-08-30")
    ids["day91"], _ = decided(db, "九一河", "渝北区", "acceptance", "accept", "2023-08-31")
    ids["beibei"], _ = decided(db, "北碚河", "北碚区", "acceptance", "accept", "2023-06-15")
    # conditional acceptances: rectify within 6 months
    ids["cond_today"], _ = decided(
        db, "整改河", "渝北区", "acceptance", "conditional", "2025-12-01"
    )
    ids["cond_late"], _ = decided(db, "逾期河", "渝北区", "acceptance", "conditional", "2025-11-30")
    # a passed recheck restarts the three years
    ids["rechecked"], _ = decided(db, "复核河", "渝北区", "acceptance", "accept", "2023-01-10")
    decided(db, "复核河", "渝北区", "recheck", "accept", "2026-01-10")
    # a failed recheck revokes the title: nothing left to recheck
    ids["revoked"], _ = decided(db, "摘牌河", "渝北区", "acceptance", "accept", "2023-03-01")
    decided(db, "摘牌河", "渝北区", "recheck", "reject", "2026-03-01")
    monkeypatch.setattr(clock, "utc_now", lambda: NOW)
    return ids


def by_waterbody(items, kind):
    return {i["waterbody_id"]: i for i in items if i["kind"] == kind}


def test_due_dates_and_statuses_at_the_boundaries(world, db):
    assert clock.today() == TODAY
    items = schedule.items(db, TODAY)
    rechecks = by_waterbody(items, "recheck")
    expected = {
        "today": (date(2026, 6, 1), 0, "due_soon"),  # due today: due, not overdue
        "yesterday": (date(2026, 5, 31), -1, "overdue"),
        "day90": (date(2026, 8, 30), 90, "due_soon"),  # the 90th day is within the window
        "day91": (date(2026, 8, 31), 91, "later"),
        "rechecked": (date(2029, 1, 10), 954, "later"),  # from the passed recheck
    }
    for key, (due, left, status) in expected.items():
        item = rechecks[world[key]]
        assert (item["due_on"], item["days_left"], item["status"]) == (due, left, status), key
    assert rechecks[world["rechecked"]]["basis"] == "recheck"
    assert rechecks[world["today"]]["basis"] == "titled"
    assert world["revoked"] not in rechecks
    fixes = by_waterbody(items, "rectification")
    assert fixes[world["cond_today"]]["due_on"] == date(2026, 6, 1)
    assert fixes[world["cond_today"]]["status"] == "due_soon"
    assert fixes[world["cond_late"]]["due_on"] == date(2026, 5, 30)
    assert fixes[world["cond_late"]]["status"] == "overdue"
    # earliest due first
    dues = [i["due_on"] for i in items]
    assert dues == sorted(dues)


def test_a_later_decision_settles_a_rectification(world, db):
    decided(db, "逾期河", "渝北区", "recheck", "accept", "2026-05-20")
    fixes = by_waterbody(schedule.items(db, TODAY), "rectification")
    assert world["cond_late"] not in fixes
    assert world["cond_today"] in fixes
    # and the waterbody now holds the title: its recheck runs from that decision
    rechecks = by_waterbody(schedule.items(db, TODAY), "recheck")
    assert rechecks[world["cond_late"]]["due_on"] == date(2029, 5, 20)


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr id="schedule-(\w+-\d+)"', html)


def test_the_page_lists_overdue_and_due_soon_for_the_city(world, login_as):
    html = login_as("admin").get("/schedule").get_data(as_text=True)
    listed = rows_of(html)
    for key, kind in (
        ("yesterday", "recheck"),
        ("today", "recheck"),
        ("day90", "recheck"),
        ("beibei", "recheck"),
        ("cond_today", "rectification"),
        ("cond_late", "rectification"),
    ):
        assert f"{kind}-{world[key]}" in listed, key
    assert f"recheck-{world['day91']}" not in listed
    assert f"recheck-{world['rechecked']}" not in listed
    assert "逾期 1 天" in html and "今天到期" in html and "还有 90 天" in html
    assert re.search(r'class="badge due-overdue">已逾期 2<', html)
    assert re.search(r'class="badge due-due_soon">即将到期 4<', html)
    every = login_as("reviewer").get("/schedule?window=all").get_data(as_text=True)
    assert f"recheck-{world['day91']}" in rows_of(every)
    assert f"recheck-{world['rechecked']}" in rows_of(every)
    only = login_as("admin").get("/schedule?kind=rectification&district=渝北区")
    assert rows_of(only.get_data(as_text=True)) == [
        f"rectification-{world['cond_late']}",
        f"rectification-{world['cond_today']}",
    ]


def test_a_district_sees_its_own(world, login_as):
    html = login_as("beibei").get("/schedule").get_data(as_text=True)
    assert rows_of(html) == [f"recheck-{world['beibei']}"]
    # asking for another district changes nothing for an inspector
    html = login_as("beibei").get("/schedule?district=500112").get_data(as_text=True)
    assert rows_of(html) == [f"recheck-{world['beibei']}"]
    assert f"recheck-{world['today']}" in rows_of(
        login_as("yubei").get("/schedule").get_data(as_text=True)
    )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("district=火星区", "district", "区县：没有「火星区」"),
        ("kind=annual", "kind", "事项须为复核到期或整改期限"),
        ("window=soon", "window", "范围须为“逾期和即将到期”或“全部”"),
    ],
)
def test_a_bad_filter_is_named(world, login_as, query, field, message):
    response = login_as("admin").get(f"/schedule?{query}")
    assert response.status_code == 422
    assert f'id="{field}-error">{message}<' in response.get_data(as_text=True)
    assert login_as("admin").get(f"/schedule.csv?{query}").status_code == 422


def test_the_waterbody_page_shows_its_markers(world, login_as):
    inspector = login_as("yubei")
    page = inspector.get(f"/waterbodies/{world['yesterday']}").get_data(as_text=True)
    assert re.search(r'<li class="badge due-overdue">复核到期 2026-05-31 ·\s+逾期 1 天', page)
    page = inspector.get(f"/waterbodies/{world['cond_today']}").get_data(as_text=True)
    assert re.search(r'<li class="badge due-due_soon">整改期限 2026-06-01 ·\s+今天到期', page)
    page = inspector.get(f"/waterbodies/{world['day91']}").get_data(as_text=True)
    assert re.search(r'<li class="badge due-later">复核到期 2026-08-31 ·\s+还有 91 天', page)
    page = inspector.get(f"/waterbodies/{world['revoked']}").get_data(as_text=True)
    assert 'id="schedule-markers"' not in page


def test_the_export_in_both_formats(world, login_as):
    admin = login_as("admin")
    response = admin.get("/schedule.csv?district=渝北区")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["事项", "河湖", "区县"]
    assert [
        "复核到期",
        "昨日河",
        "渝北区",
        "河流",
        "2023-05-31",
        "取得称号",
        "2026-05-31",
        "-1",
        "已逾期",
        "",
    ] in table
    assert all(r[2] == "渝北区" for r in table[1:])
    assert len(table) == 1 + 5  # yesterday, today, day90, both conditionals (北碚河 is elsewhere)

    response = admin.get("/schedule.xlsx?window=all")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book["日程"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 8  # 6 rechecks (not the revoked one), 2 rectifications
    first = rows[0]
    assert first[1] == "逾期河" and first[6].date() == date(2026, 5, 30) and first[7] == -2
    notes = dict(book["说明"].iter_rows(values_only=True))
    assert notes["范围"] == "全市" and notes["记录数"] == "8" and notes["今天"] == "2026-06-01"


def test_due_items_are_announced_once_per_status(world, db, app, login_as, monkeypatch):
    def inbox_of(username):
        uid = db.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()[0]
        return sorted(
            (n["kind"], n["params"]["waterbody"])
            for n in notifications.inbox(db, uid)
            if n["kind"].startswith(("recheck_", "rectification_"))
        )

    result = app.test_cli_runner().invoke(args=["announce-due-schedules"])
    assert result.exit_code == 0, result.output
    # 渝北区: 今日河 and 九十河 due soon, 昨日河 overdue, 整改河 due soon, 逾期河 overdue
    expected_yubei = [
        ("recheck_due_soon", "九十河"),
        ("recheck_due_soon", "今日河"),
        ("recheck_overdue", "昨日河"),
        ("rectification_due_soon", "整改河"),
        ("rectification_overdue", "逾期河"),
    ]
    assert inbox_of("yubei") == expected_yubei
    assert inbox_of("beibei") == [("recheck_due_soon", "北碚河")]  # due 2026-06-15
    assert inbox_of("admin") == sorted([*expected_yubei, ("recheck_due_soon", "北碚河")])
    assert inbox_of("reviewer") == []
    assert "已发送 12 条日程提醒。" in result.output
    # the next day's run repeats nothing, except what has turned overdue since
    monkeypatch.setattr(clock, "utc_now", lambda: NOW + timedelta(days=1))
    again = app.test_cli_runner().invoke(args=["announce-due-schedules"])
    # 今日河 and 整改河 turned overdue, 九一河 came within 90 days: each to yubei and admin
    assert "已发送 6 条日程提醒。" in again.output
    assert ("recheck_due_soon", "九一河") in inbox_of("yubei")
    assert ("recheck_overdue", "今日河") in inbox_of("yubei")
    # the notification leads to the waterbody's page with its markers
    uid = db.execute("SELECT id FROM users WHERE username = 'yubei'").fetchone()[0]
    row = next(n for n in notifications.inbox(db, uid) if n["params"]["waterbody"] == "昨日河")
    assert notifications.text(row) == "复核已逾期：昨日河（渝北区），到期日 2026-05-31"
    opened = login_as("yubei").get(f"/inbox/{row['id']}")
    assert opened.headers["Location"].endswith(f"/waterbodies/{world['yesterday']}")
