"""Progress, leaderboards and charts over HTTP, against a small history worked out by hand.

The history (build_history) — every total is a hand-computed change of the 100.00 answers:

    district        waterbody     decided       total   what
    渝北区 500112   御临河        2025-01-07    100.00  accepted
    渝北区 500112   长寿湖 (库)   2025-06-20     96.00  accepted (B3 = 2 → 4 − 2×2 = 0 of 4)
    北碚区 500109   龙凤溪        2025-01-07     98.00  accepted (A2 = 1 → 7 − 2 = 5 of 7)
    北碚区 500109   缙云溪        2025-03-01     98.00  accepted (A2 = 1)
    万州区 500101   苎溪河        2025-02-01    100.00  accepted
    江北区 500105   盘溪河        2025-02-01    100.00  accepted
    江北区 500105   溉澜溪        2025-01-07    100.00  accepted, then a re-check rejected on
                                  2025-04-01     86.00  2025-04-01: title revoked (A1 = 75 → 0
                                                        of 8, A2 = 3 → 1 of 7: 100 − 8 − 6)
    涪陵区 500102   黎香溪        —             100.00  submitted, in review
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from happy_rivers import clock
from happy_rivers.scoring.leaderboard import RANKING_RULE, RANKING_RULE_EN
from happy_rivers.scoring.progress import AcceptanceSpan, Target, cumulative_series, progress
from happy_rivers.store import assessments, waterbodies
from happy_rivers.store.districts import DISTRICTS
from happy_rivers.views import board, charts
from tests.answers import river
from tests.conftest import build_history, decide, get_page, waterbody_id

SVG = "{http://www.w3.org/2000/svg}"
ROLES = ("admin", "reviewer", "yubei", "beibei")
PAGES = ("/progress", "/leaderboard/districts", "/leaderboard/waterbodies", "/exports")


# --- the history ----------------------------------------------------------------------------


@pytest.fixture
def history(db):
    return build_history(db)


# --- reading pages --------------------------------------------------------------------------


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def table_rows(page: str, table_id: str, key: str) -> list[tuple]:
    """(data-<key>, cell texts…) for each row of the table with that id."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert table, f"no table #{table_id}"
    rows = []
    for attr, body in re.findall(
        rf'<tr data-{key}="([^"]+)"[^>]*>(.*?)</tr>', table.group(0), re.S
    ):
        cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
        rows.append((attr, *cells))
    return rows


# --- every role sees every page -------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_pages_render_for_every_role(login_as, history, role):
    browser = login_as(role)
    for url in PAGES:
        page = get_page(browser, url)
        assert "board-nav" in page, url
    districts = get_page(browser, "/leaderboard/districts")
    assert RANKING_RULE in districts  # the rule is printed on the page
    # inspectors too see all 41 districts: the standings are public
    assert len(table_rows(districts, "district-board", "code")) == 41


def test_pages_need_sign_in(client):
    for url in (*PAGES, "/exports/assessments.csv", "/exports/leaderboard-districts.xlsx"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]


def test_rule_is_printed_in_english_when_english_is_chosen(login_as):
    browser = login_as("reviewer")
    page = get_page(browser, "/leaderboard/districts?lang=en")
    assert RANKING_RULE_EN in page


def test_inspector_own_district_is_marked(login_as, history):
    page = get_page(login_as("yubei"), "/leaderboard/districts")
    assert re.search(r'<tr data-code="500112" class="mine">', page)
    assert not re.search(r'<tr data-code="500109" class="mine">', page)


# --- district leaderboard: ranks and ties ---------------------------------------------------


def test_district_ranks_and_ties_match_the_hand_computed_table(login_as, history):
    page = get_page(login_as("reviewer"), "/leaderboard/districts?year=2025")
    assert '<strong id="as-of">2025-12-31</strong>' in page  # 31 Dec, already past
    rows = table_rows(page, "district-board", "code")
    # (code, rank, name, accepted, mean, in review, reached at)
    assert rows[:6] == [
        # 2 held, mean (98.00 + 98.00) / 2 = 98.00, second title on 03-01 → first of the tie
        ("500109", "1", "北碚区", "2", "98.00", "0", "2025-03-01"),
        # 2 held, mean (100.00 + 96.00) / 2 = 98.00, reached 06-20: same rank 1, listed after
        ("500112", "1", "渝北区", "2", "98.00", "0", "2025-06-20"),
        # 1 held, 100.00, reached 02-01; two rows above → rank 3
        ("500101", "3", "万州区", "1", "100.00", "0", "2025-02-01"),
        # 溉澜溪 was revoked on 04-01: 1 held (盘溪河 100.00); the count last changed on 04-01
        ("500105", "3", "江北区", "1", "100.00", "0", "2025-04-01"),
        # nothing held: rank 5 for all 37 of them, in code order; 涪陵区 has one in review
        ("500102", "5", "涪陵区", "0", "—", "1", "—"),
        ("500103", "5", "渝中区", "0", "—", "0", "—"),
    ]
    assert len(rows) == 41
    assert {r[1] for r in rows[4:]} == {"5"}
    assert rows[-1][0] == "WSJK"  # letter codes sort after the numeric ones


def test_district_ranks_on_an_earlier_date(login_as, history):
    page = get_page(login_as("admin"), "/leaderboard/districts?as_of=2025-02-15")
    rows = table_rows(page, "district-board", "code")
    assert rows[:5] == [
        # 溉澜溪 (01-07) and 盘溪河 (02-01) both still held on 02-15
        ("500105", "1", "江北区", "2", "100.00", "0", "2025-02-01"),
        # (1, 100.00) twice → rank 2 twice, the earlier reached_at first
        ("500112", "2", "渝北区", "1", "100.00", "0", "2025-01-07"),
        ("500101", "2", "万州区", "1", "100.00", "0", "2025-02-01"),
        ("500109", "4", "北碚区", "1", "98.00", "0", "2025-01-07"),
        ("500102", "5", "涪陵区", "0", "—", "1", "—"),
    ]


def test_as_of_takes_precedence_over_year(login_as, history):
    page = get_page(login_as("admin"), "/leaderboard/districts?year=2025&as_of=2025-02-15")
    assert '<strong id="as-of">2025-02-15</strong>' in page


def test_year_in_the_future_means_today(login_as, history):
    page = get_page(login_as("admin"), f"/leaderboard/districts?year={clock.today().year + 3}")
    assert f'<strong id="as-of">{clock.today().isoformat()}</strong>' in page


def test_district_board_by_kind(login_as, history):
    page = get_page(login_as("admin"), "/leaderboard/districts?kind=reservoir")
    rows = table_rows(page, "district-board", "code")
    # only 长寿湖 is a reservoir: 渝北区 alone at rank 1, everyone else (0) shares rank 2;
    # 黎香溪 is a river, so 涪陵区 has nothing in review here
    assert rows[0] == ("500112", "1", "渝北区", "1", "96.00", "0", "2025-06-20")
    assert {(r[1], r[3], r[5]) for r in rows[1:]} == {("2", "0", "0")}


def test_dimension_leaders(login_as, history):
    browser = login_as("admin")
    leaders = table_rows(
        get_page(browser, "/leaderboard/districts"), "dimension-leaders", "dimension"
    )
    by_code = {code: rest for code, *rest in leaders}
    # safety means: 万州 15.00; 渝北 (15 + 11) / 2 = 13.00; 北碚 (13 + 13) / 2 = 13.00;
    # 江北 (15 + 1) / 2 = 8.00 (溉澜溪's latest decision is the failed re-check)
    assert by_code["safety"] == ["河湖安澜", "万州区", "15.00", "15"]
    # ecology: everyone 25.00 → the lowest district code, 500101 万州区
    assert by_code["ecology"] == ["生态健康", "万州区", "25.00", "25"]
    assert len(leaders) == 7
    # on 2025-01-31 only 御临河 (渝北, 15), 龙凤溪 (北碚, 13) and 溉澜溪 (江北, 15) were decided:
    # 渝北 and 江北 tie at 15.00 and the lower code, 500105 江北区, leads
    early = get_page(browser, "/leaderboard/districts?as_of=2025-01-31")
    by_code = {c: rest for c, *rest in table_rows(early, "dimension-leaders", "dimension")}
    assert by_code["safety"] == ["河湖安澜", "江北区", "15.00", "15"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("year=20x5", "year", "年份「20x5」无效"),
        ("year=1999", "year", "年份「1999」无效"),
        ("kind=lake", "kind", "类型须为河流（river）、水库（reservoir）之一"),
        ("as_of=2025-02-30", "as_of", "日期「2025-02-30」无效"),
        ("as_of=20250107", "as_of", "日期「20250107」无效"),
        ("as_of=1900-01-01", "as_of", "日期须在 2000 年至 2100 年之间"),
    ],
)
def test_bad_filters_give_a_chinese_message_not_a_500(login_as, history, query, field, message):
    page = get_page(login_as("reviewer"), f"/leaderboard/districts?{query}", 422)
    assert re.search(rf'<p class="error" id="{field}-error" role="alert">{message}', page)
    assert len(table_rows(page, "district-board", "code")) == 41  # still the standings


def test_bad_input_is_escaped(login_as):
    page = get_page(login_as("reviewer"), "/progress?as_of=<script>alert(1)</script>", 422)
    assert "<script>alert(1)" not in page
    assert "日期「&lt;script&gt;alert(1)&lt;/sc」无效" in page  # the first 20 characters


# --- waterbody leaderboard ------------------------------------------------------------------


def test_waterbody_board_ranks_by_latest_decided_total(login_as, history, db):
    page = get_page(login_as("reviewer"), "/leaderboard/waterbodies")
    rows = table_rows(page, "waterbody-board", "id")
    ids = {name: waterbody_id(db, name) for name in ("御临河", "苎溪河", "长寿湖", "溉澜溪")}
    ranks = [(int(r[0]), r[1], r[2].split()[0], r[4]) for r in rows]
    assert ranks == [
        # 100.00 three times: rank 1, ordered by waterbody id
        (ids["御临河"], "1", "御临河", "100.00"),
        (ids["苎溪河"], "1", "苎溪河", "100.00"),
        (waterbody_id(db, "盘溪河"), "1", "盘溪河", "100.00"),
        (waterbody_id(db, "龙凤溪"), "4", "龙凤溪", "98.00"),
        (waterbody_id(db, "缙云溪"), "4", "缙云溪", "98.00"),
        (ids["长寿湖"], "6", "长寿湖", "96.00"),
        # the failed re-check is 溉澜溪's latest decision
        (ids["溉澜溪"], "7", "溉澜溪", "86.00"),
    ]
    # 黎香溪 is only in review: not on the board
    assert "黎香溪" not in page
    # seven dimension columns: 长寿湖 = 11 + 25 + 15 + 8 + 10 + 12 + 15
    reservoir = next(r for r in rows if int(r[0]) == ids["长寿湖"])
    assert list(reservoir[5:12]) == ["11.00", "25.00", "15.00", "8.00", "10.00", "12.00", "15.00"]
    assert reservoir[12:] == ("通过验收", "2025-06-20")
    gailan = next(r for r in rows if int(r[0]) == ids["溉澜溪"])
    assert gailan[5] == "1.00" and gailan[12] == "不予通过"


def test_waterbody_board_filters(login_as, history, db):
    browser = login_as("beibei")
    rows = table_rows(
        get_page(browser, "/leaderboard/waterbodies?kind=reservoir"), "waterbody-board", "id"
    )
    assert [(int(r[0]), r[1]) for r in rows] == [(waterbody_id(db, "长寿湖"), "1")]
    assert (
        table_rows(get_page(browser, "/leaderboard/waterbodies?year=2024"), "waterbody-board", "id")
        == []
    )
    assert (
        len(
            table_rows(
                get_page(browser, "/leaderboard/waterbodies?year=2025"), "waterbody-board", "id"
            )
        )
        == 7
    )
    page = get_page(browser, "/leaderboard/waterbodies?year=abc", 422)
    assert "年份「abc」无效" in page


def test_inspectors_get_links_only_to_their_own_waterbodies(login_as, history, db):
    page = get_page(login_as("beibei"), "/leaderboard/waterbodies")
    assert f'href="/waterbodies/{waterbody_id(db, "龙凤溪")}"' in page  # 北碚区: own
    assert f'href="/waterbodies/{waterbody_id(db, "御临河")}"' not in page  # 渝北区: name only
    assert "御临河" in page


# --- progress -------------------------------------------------------------------------------


def test_progress_figures_match_the_design_formulas(login_as, history):
    page = get_page(login_as("admin"), "/progress?as_of=2025-06-30")
    # held on 06-30: 7 acceptances − 溉澜溪 (revoked 04-01) = 6
    assert '<span class="kpi-num" id="accepted">6</span>' in page
    targets = table_rows(page.replace('<tr id="target-', '<tr data-year="'), "targets", "year")
    # 2027: days_left = 2027-12-31 − 2025-06-30 = 365 + 365 + 184 = 914; remaining 100 − 6 = 94
    #   required = 94 / (914 / 365.25) = 37.564… → 37.56
    #   pace = acceptances in (2024-06-30, 2025-06-30] = all 7 (the revoked one too)
    #   projected = 6 + 7 × 914 / 365.25 = 23.516… → 23.52 < 100 → 进度落后
    assert targets[0] == (
        "2027",
        "2027年建成100条市级幸福河湖",
        "100",
        "2027-12-31",
        "94",
        "914",
        "37.56",
        "7",
        "23.52",
        "进度落后",
    )
    # 2035: days_left = 3652 (ten years, two leap days) + 184 = 3836; remaining 994
    #   required = 994 × 365.25 / 3836 = 94.645… → 94.65; projected = 6 + 7 × 3836 / 365.25
    #   = 79.517… → 79.52
    assert targets[1][2:] == (
        "1000",
        "2035-12-31",
        "994",
        "3836",
        "94.65",
        "7",
        "79.52",
        "进度落后",
    )
    contributions = table_rows(page, "contributions", "code")
    # held on 06-30: 渝北 2 (98.00), 北碚 2 (98.00), 万州 1, 江北 1 — shares of 6
    assert contributions == [
        ("500109", "北碚区", "2", "33.3%", "98.00"),
        ("500112", "渝北区", "2", "33.3%", "98.00"),
        ("500101", "万州区", "1", "16.7%", "100.00"),
        ("500105", "江北区", "1", "16.7%", "100.00"),
    ]


def test_progress_status_labels_in_chinese(login_as, history, monkeypatch):
    # as of 2025-06-30: 6 held, pace 7 a year
    monkeypatch.setattr(
        board,
        "targets",
        lambda: [
            Target(2025, 5, date(2025, 12, 31), "甲"),  # 6 ≥ 5 → achieved
            Target(2024, 50, date(2025, 3, 31), "乙"),  # due and not reached → missed
            # 6 + 7 × 184 / 365.25 = 9.53 ≥ 8 → on track
            Target(2026, 8, date(2025, 12, 31), "丙"),
            Target(2027, 100, date(2027, 12, 31), "丁"),  # 23.52 < 100 → behind
        ],
    )
    page = get_page(login_as("admin"), "/progress?as_of=2025-06-30")
    rows = table_rows(page.replace('<tr id="target-', '<tr data-year="'), "targets", "year")
    assert [(r[1], r[-1]) for r in rows] == [
        ("甲", "已实现"),
        ("乙", "已逾期未完成"),
        ("丙", "按期可完成"),
        ("丁", "进度落后"),
    ]
    assert rows[1][5:7] == ("-91", "—")  # days_left 2025-03-31 − 2025-06-30; no required pace


def test_progress_bad_date_shows_error_next_to_the_field(login_as, history):
    page = get_page(login_as("yubei"), "/progress?as_of=2025-06-31", 422)
    field = re.search(r'<div class="field has-error">(.*?)</div>', page, re.S)
    assert field and 'name="as_of"' in field.group(1)
    assert "日期「2025-06-31」无效：请按 YYYY-MM-DD 填写" in field.group(1)
    assert 'aria-invalid="true"' in field.group(1)
    assert f"{clock.today().isoformat()}" in page  # the figures fall back to today


def test_progress_page_has_self_contained_charts(login_as, history):
    page = get_page(login_as("reviewer"), "/progress")
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 4  # both targets; the 2027 close-up; districts; the district map
    for svg in svgs:
        assert "<script" not in svg and "kozea" not in svg and "<!--" not in svg
        assert not re.search(r'(href|src)="(https?:)?//', svg)
        assert 'role="img"' in svg
    # the numbers are printed on the chart, not left to hover tooltips
    assert "已验收 6" in svgs[0] and "2035 年目标 1000" in svgs[0]
    assert "2027 年目标 100" in svgs[1]
    assert "江北区" in svgs[2]
    assert 'class="district-map"' in svgs[3]


def test_empty_database_progress_and_boards(login_as):
    browser = login_as("admin")
    page = get_page(browser, "/progress")
    assert '<span class="kpi-num" id="accepted">0</span>' in page
    assert "截至该日期还没有市级幸福河湖" in page
    rows = table_rows(get_page(browser, "/leaderboard/districts"), "district-board", "code")
    assert {r[1] for r in rows} == {"1"} and len(rows) == 41  # all tied at 0


# --- a decision shows everywhere at once ----------------------------------------------------


def test_progress_page_weight_on_a_two_year_history(login_as, db):
    """/progress stays light as the history grows: 150 titles, each decided on a day of its
    own over two years (300 corners in each step line), spread over the 41 districts and
    zones, each with a point on the map. Measured 108 KB: the page around the charts 15 KB,
    the two cumulative charts 11 + 8 KB, the district bars 14 KB, the map 60 KB (boundaries
    32 KB, the 150 points 15 KB). It was 257 KB with a dot at every corner (~170 bytes each),
    coordinates of 15 digits and the boundaries as absolute L pairs (63 KB). What still grows
    is ~14 bytes a corner per step line and ~100 bytes a point. The budget is on the charts
    and the map, 94 KB of the 108: 98 KB is 5 % of room, and any one of those three
    regressions breaks it (the smallest, coordinates unrounded, makes 103 KB). The page as a
    whole has a looser bound, as its frame (base.html) changes for reasons of its own."""
    start = date(2025, 1, 6)
    for i in range(150):
        code, _name, _kind = DISTRICTS[i % len(DISTRICTS)]
        name = f"河{i:03d}"
        waterbodies.create(
            db,
            {
                "name": name,
                "kind": "river",
                "district": code,
                "lon": 106.0 + (i % 30) * 0.1,
                "lat": 29.0 + (i // 30) * 0.3,
            },
        )
        decide(db, name, river(), (start + timedelta(days=4 * i + i // 5)).isoformat())
    page = login_as("admin").get("/progress?as_of=2026-12-31")
    assert page.status_code == 200
    html_text = page.get_data(as_text=True)
    assert "已验收 150" in html_text and html_text.count('class="wb-point"') == 150
    figures = re.findall(r"<svg.*?</svg>", html_text, re.S)
    assert len(figures) == 4  # the cumulative chart, its close-up, the district bars, the map
    assert sum(len(svg.encode()) for svg in figures) < 98_000
    assert len(page.get_data()) < 130_000


def test_decision_shows_on_leaderboard_and_progress_at_once(login_as, history, db):
    reviewer = login_as("reviewer")
    before = get_page(reviewer, "/leaderboard/districts")
    assert ("500102", "5", "涪陵区", "0", "—", "1", "—") in table_rows(
        before, "district-board", "code"
    )
    assert 'id="accepted">6</span>' in get_page(reviewer, "/progress")
    assert "黎香溪" not in get_page(reviewer, "/leaderboard/waterbodies")

    aid = history["黎香溪"]
    version = assessments.get(db, aid)["version"]
    response = reviewer.post(
        f"/assessments/{aid}/review", {"action": "accept", "version": str(version)}
    )
    assert response.status_code == 302
    assert assessments.get(db, aid)["status"] == "accepted"

    today = clock.today().isoformat()
    rows = table_rows(get_page(reviewer, "/leaderboard/districts"), "district-board", "code")
    assert ("500102", "3", "涪陵区", "1", "100.00", "0", today) in rows
    page = get_page(reviewer, "/progress")
    assert 'id="accepted">7</span>' in page
    assert "已验收 7" in page  # the cached chart was redrawn too
    assert "黎香溪" in get_page(reviewer, "/leaderboard/waterbodies")


# --- charts ---------------------------------------------------------------------------------


def test_radar_on_the_result_page_escapes_the_waterbody_name(login_as, db):
    name = '<script>alert("x")</script>&河'
    waterbodies.create(db, {"name": name, "kind": "river", "district": "渝北区"})
    aid = decide(db, name, river(A2=1), "2025-05-01")
    page = get_page(login_as("admin"), f"/assessments/{aid}")
    radar = re.search(r'<div class="radar">(<svg.*?</svg>)</div>', page, re.S)
    assert radar, "no radar chart on the result page"
    svg = radar.group(1)
    assert '<script>alert("x")' not in page
    assert "&lt;script&gt;alert(" in svg and "&amp;河" in svg
    assert "<script" not in svg and "kozea" not in svg
    # safety 13 of 15 = 86.7 %; the other six dimensions at 100 %
    printed = re.findall(r'<text[^>]*class="value"[^>]*>([^<]*)<', svg)
    assert printed == ["86.7%"] + ["100%"] * 6
    assert "河湖安澜" in svg and "群众满意" in svg


def test_no_radar_while_answers_are_incomplete(login_as, db):
    inspector = login_as("yubei")
    response = inspector.post(
        f"/waterbodies/{waterbody_id(db, '御临河')}/assessments", {"kind": "self"}
    )
    aid = int(re.search(r"/assessments/(\d+)/edit", response.headers["Location"]).group(1))
    page = get_page(inspector, f"/assessments/{aid}")
    assert '<div class="radar">' not in page


def test_dimension_percents():
    dims = [
        {"name": "河湖安澜", "score": "13.00", "max": "15.00"},
        {"name": "智慧赋能", "score": "0.00", "max": "8.00"},
        {"name": "空", "score": "0", "max": "0"},
    ]
    # 13 / 15 = 86.666… → 86.7; 0 / 8 = 0; a zero maximum is 0, not a division error
    assert charts.dimension_percents(dims) == [("河湖安澜", 86.7), ("智慧赋能", 0.0), ("空", 0.0)]


def test_step_corners():
    d = date
    series = [(d(2025, 1, 7), 2), (d(2025, 3, 1), 3), (d(2025, 4, 1), 3), (d(2025, 6, 1), 1)]
    assert charts._steps(series) == [
        (d(2025, 1, 7), 2),
        (d(2025, 3, 1), 2),
        (d(2025, 3, 1), 3),
        (d(2025, 4, 1), 3),
        (d(2025, 6, 1), 3),
        (d(2025, 6, 1), 1),
    ]


def a_long_history() -> tuple[list, dict, list[Target], date]:
    """40 acceptances a week apart: a step line of 80 corners, two targets ahead."""
    spans = [AcceptanceSpan(date(2025, 1, 6) + timedelta(weeks=i)) for i in range(40)]
    as_of = date(2025, 12, 1)
    targets = [
        Target(2027, 100, date(2027, 12, 31), "2027 年 100 条"),
        Target(2030, 300, date(2030, 12, 31), "2030 年 300 条"),
    ]
    series = cumulative_series(spans, spans[0].accepted_on, as_of)
    return series, progress(spans, as_of, targets), targets, as_of


def dots_by_series(svg: str) -> dict[str, list[tuple[float, float]]]:
    """(cx, cy) of each dot, by series class (serie-N)."""
    root = ET.fromstring(svg)
    overlay = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "plot overlay")
    return {
        next(c for c in serie.get("class").split() if c.startswith("serie-")): [
            (float(c.get("cx")), float(c.get("cy"))) for c in serie.iter(f"{SVG}circle")
        ]
        for serie in overlay
    }


def test_step_line_has_no_corner_dots_but_keeps_its_labelled_last_point():
    series, report, targets, as_of = a_long_history()
    svg = str(charts.progress_chart(series, report, targets, as_of, "进度"))
    dots = dots_by_series(svg)
    # the step line: only the dot of its printed label "已验收 40", at its last corner
    (last,) = dots["serie-0"]
    label = re.search(r'<text x="([\d.]+)" y="([\d.]+)" class="label">已验收 40<', svg)
    assert label, "the last point's label is not printed"
    # pygal prints a label one font size right of and below its dot
    assert (float(label.group(1)), float(label.group(2))) == pytest.approx(
        (last[0] + charts.FONT_SIZE, last[1] + charts.FONT_SIZE * 4 / 3), abs=0.02
    )
    end = re.search(r'class="series serie-0[^"]*"[^>]*><path d="([^"]+)"', svg).group(1)
    assert [float(v) for v in end.split()[-2:]] == pytest.approx(last, abs=0.02)
    # the goals keep theirs: each required pace line (today → deadline) and the projection
    assert len(dots["serie-1"]) == len(dots["serie-2"]) == 2
    assert len(dots["serie-3"]) == 3
    assert len(re.findall("<circle", svg)) == 1 + 2 + 2 + 3


def test_lines_are_drawn_at_their_series_widths():
    """The step line is 3 wide, the pace lines 2 (progress_chart's stroke_style), not the
    hairline of pygal's .reactive rule; the line is the only mark of the steps."""
    series, report, targets, as_of = a_long_history()
    root = ET.fromstring(str(charts.progress_chart(series, report, targets, as_of, "进度")))
    widths = {
        next(c for c in g.get("class").split() if c.startswith("serie-")): [
            p.get("stroke-width") for p in g.iter(f"{SVG}path") if "line" in p.get("class")
        ]
        for g in root.iter(f"{SVG}g")
        if "series" in (g.get("class") or "").split() and g.find(f"{SVG}path") is not None
    }
    assert widths == {"serie-0": ["3"], "serie-1": ["2"], "serie-2": ["2"], "serie-3": ["2"]}


def test_chart_coordinates_are_written_with_at_most_two_decimals():
    series, report, targets, as_of = a_long_history()
    for svg in (
        str(charts.progress_chart(series, report, targets, as_of, "进度")),
        str(charts.district_bar_chart([("渝北区", 3), ("北碚区", 1), ("江北区", 7)])),
    ):
        numbers = [
            number
            for name, value in re.findall(r' ([\w-]+)="([^"]*)"', svg)
            if name in ("d", "x", "y", "cx", "cy", "width", "height", "transform")
            for number in re.findall(r"[\d.]+", value)
        ]
        assert len(numbers) > 50
        assert not [n for n in numbers if re.search(r"\.\d{3}", n)]


def test_bar_chart_labels_have_no_hover_title_and_nothing_for_pygal_script():
    svg = str(charts.district_bar_chart([("渝北区", 2), ("巫溪县", 1)], "区县"))
    # the one <title> is the chart's; pygal hovered 巫溪县 with "0", its position
    assert re.findall(r"<title>([^<]*)</title>", svg) == ["区县"]
    assert "巫溪县" in svg and re.search(r'class="value[^"]*"[^>]*>2<', svg)
    assert "tooltip-trigger" not in svg and ' class=""' not in svg and 'rx="0"' not in svg


def test_district_bar_chart_leaves_out_zeros_and_prints_counts():
    svg = str(charts.district_bar_chart([("渝北区", 2), ("北碚区", 0), ("<b>区</b>", 1)]))
    assert "北碚区" not in svg
    assert "&lt;b&gt;区&lt;/b&gt;" in svg and "<b>" not in svg
    assert re.search(r'class="value[^"]*"[^>]*>2<', svg)  # printed, not only on hover
    assert "<script" not in svg


# --- the pager ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "pages", "window"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 100, [1, 2, 3, None, 100]),
        (50, 100, [1, None, 48, 49, 50, 51, 52, None, 100]),
        (4, 100, [1, 2, 3, 4, 5, 6, None, 100]),  # one page left out is shown, not "…"
        (5, 100, [1, 2, 3, 4, 5, 6, 7, None, 100]),
        (6, 100, [1, None, 4, 5, 6, 7, 8, None, 100]),
        (100, 100, [1, None, 98, 99, 100]),
        (97, 100, [1, None, 95, 96, 97, 98, 99, 100]),
    ],
)
def test_the_pager_shows_the_ends_and_the_pages_around_this_one(page, pages, window):
    assert board.page_window(page, pages) == window


def test_the_waterbody_board_links_a_window_of_its_pages(login_as, history, monkeypatch):
    monkeypatch.setattr(board, "PAGE_SIZE", 1)  # a page per decided waterbody
    page = get_page(login_as("admin"), "/leaderboard/waterbodies?page=1")
    total = int(re.search(r"共 (\d+) 条", page).group(1))
    assert total >= 7  # more pages than the window shows
    pager = re.search(r'<nav class="pager".*?</nav>', page, re.S).group(0)
    assert re.findall(r'aria-current="page">(\d+)<', pager) == ["1"]
    numbered = {int(n) for n in re.findall(r'[?&]page=(\d+)">\d+<', pager)}
    assert numbered == {n for n in board.page_window(1, total) if n not in (None, 1)}
    assert numbered == {2, 3, total}
    assert "…" in pager
