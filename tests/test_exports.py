"""CSV and Excel exports: readable Chinese labels, every score, district scoping for inspectors.

The data is tests/test_board.py's hand-made history (see its docstring), plus one draft.
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from happy_rivers.store import assessments, users, waterbodies
from tests.answers import river
from tests.conftest import build_history, csv_rows, decide, get_page, waterbody_id

HEADER = [
    "评估编号",
    "评估类型",
    "河湖",
    "河湖类型",
    "区县",
    "区县代码",
    "状态",
    "河湖安澜",
    "生态健康",
    "亲水宜居",
    "智慧赋能",
    "文韵深厚",
    "绿色富民",
    "群众满意",
    "总分",
    "否决条件",
    "计算结论",
    "审核结论",
    "结论依据",
    "改变结论的理由",
    "审核意见",
    "评价标准",
    "标准版本",
    "检查员",
    "审核员",
    "提交时间",
    "结论日期",
]


@pytest.fixture
def history(db):
    ids = build_history(db)
    # a draft of 御临河's self-assessment: no result yet, so no scores
    ids["草稿"] = assessments.create(
        db,
        waterbody_id=waterbody_id(db, "御临河"),
        kind="self",
        rubric_id="cq-river",
        rubric_version="2025.1",
        answers={"A1": 90, "gates": {}},
        scored=None,
        user=users.by_username(db, "yubei"),
    )
    return ids


def xlsx_rows(response) -> tuple[list, list[dict]]:
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[1] == "说明"
    sheet = book.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    return header, [dict(zip(header, row, strict=True)) for row in values[1:]]


def by_id(rows: list[dict], key="评估编号") -> dict:
    return {int(r[key]): r for r in rows}


# --- assessments ----------------------------------------------------------------------------


def test_xlsx_has_the_header_and_readable_values(login_as, history):
    response = login_as("admin").get("/exports/assessments.xlsx")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="assessments-')
    header, rows = xlsx_rows(response)
    assert header == HEADER
    assert len(rows) == 10  # 9 in the history + the draft
    rows = by_id(rows)

    reservoir = rows[history["长寿湖"]]
    assert reservoir["评估类型"] == "市级验收"
    assert reservoir["河湖"] == "长寿湖" and reservoir["河湖类型"] == "水库"
    assert reservoir["区县"] == "渝北区" and reservoir["区县代码"] == "500112"
    assert reservoir["状态"] == "通过验收"
    # numbers stay numbers: 11 + 25 + 15 + 8 + 10 + 12 + 15 = 96
    dims = [reservoir[h] for h in HEADER[7:14]]
    assert dims == [11, 25, 15, 8, 10, 12, 15]
    assert reservoir["总分"] == 96
    assert reservoir["否决条件"] == "无"
    assert reservoir["计算结论"] == "通过验收" and reservoir["审核结论"] == "通过验收"
    assert reservoir["结论依据"].startswith("总分 96.00 分")
    assert reservoir["审核意见"] == "现场验收"
    assert (reservoir["评价标准"], reservoir["标准版本"]) == ("cq-reservoir", "2025.1")
    assert reservoir["检查员"] == "yubei" and reservoir["审核员"] == "reviewer"
    assert reservoir["结论日期"] == datetime(2025, 6, 20)
    assert isinstance(reservoir["提交时间"], datetime)

    recheck = rows[history["溉澜溪复核"]]
    assert (recheck["评估类型"], recheck["状态"], recheck["审核结论"]) == (
        "复核",
        "不予通过",
        "不予通过",
    )
    assert recheck["河湖安澜"] == 1 and recheck["总分"] == 86

    pending = rows[history["黎香溪"]]
    assert (pending["状态"], pending["审核员"], pending["结论日期"]) == ("待审核", None, None)

    draft = rows[history["草稿"]]
    assert draft["状态"] == "草稿" and draft["评估类型"] == "自评"
    assert draft["总分"] is None and draft["河湖安澜"] is None and draft["否决条件"] is None


def test_xlsx_shows_gates_and_an_overridden_decision(login_as, db):
    answers = river() | {"gates": {"G2": "督察交办的“四乱”问题尚未整改"}}
    aid = decide(db, "御临河", answers, None, action=None)
    reviewer = login_as("reviewer")
    response = reviewer.post(
        f"/assessments/{aid}/review",
        {
            "action": "conditional",
            "override_reason": "问题已在验收后整改完毕",
            "version": str(assessments.get(db, aid)["version"]),
        },
    )
    assert response.status_code == 302
    _header, rows = xlsx_rows(reviewer.get("/exports/assessments.xlsx"))
    row = by_id(rows)[aid]
    assert row["否决条件"].startswith("G2 ")
    assert row["计算结论"] == "不予通过"
    assert row["审核结论"] == "限期整改" and row["状态"] == "限期整改"
    assert row["改变结论的理由"] == "问题已在验收后整改完毕"


def test_csv_has_bom_and_the_same_rows(login_as, history):
    header, rows = csv_rows(login_as("reviewer").get("/exports/assessments.csv"))
    assert header == HEADER
    assert len(rows) == 10
    rows = by_id(rows)
    longfeng = rows[history["龙凤溪"]]
    assert longfeng["河湖"] == "龙凤溪" and longfeng["区县"] == "北碚区"
    assert longfeng["状态"] == "通过验收"
    assert longfeng["河湖安澜"] == "13.00" and longfeng["总分"] == "98.00"
    assert longfeng["检查员"] == "beibei" and longfeng["审核员"] == "reviewer"
    assert longfeng["结论日期"] == "2025-01-07"
    assert rows[history["草稿"]]["总分"] == "" and rows[history["草稿"]]["状态"] == "草稿"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_inspector_export_is_only_their_district(login_as, history, fmt):
    yubei = login_as("yubei")
    response = yubei.get(f"/exports/assessments.{fmt}?district=500109")  # asks for 北碚区
    _header, rows = (csv_rows if fmt == "csv" else xlsx_rows)(response)
    # 御临河's acceptance and draft, 长寿湖's acceptance: all 渝北区, nothing of 北碚区
    assert {int(r["评估编号"]) for r in rows} == {
        history["御临河"],
        history["长寿湖"],
        history["草稿"],
    }
    assert {r["区县"] for r in rows} == {"渝北区"}


def test_filters(login_as, history):
    admin = login_as("admin")
    _h, rows = csv_rows(admin.get("/exports/assessments.csv?district=北碚区"))
    assert {int(r["评估编号"]) for r in rows} == {history["龙凤溪"], history["缙云溪"]}
    _h, rows = csv_rows(admin.get("/exports/assessments.csv?status=submitted&status=draft"))
    assert {r["状态"] for r in rows} == {"待审核", "草稿"} and len(rows) == 2
    _h, rows = csv_rows(admin.get("/exports/assessments.csv?kind=recheck"))
    assert [int(r["评估编号"]) for r in rows] == [history["溉澜溪复核"]]
    # decided 2025-02-01 … 2025-03-31: 苎溪河 and 盘溪河 (02-01), 缙云溪 (03-01)
    _h, rows = csv_rows(admin.get("/exports/assessments.csv?since=2025-02-01&until=2025-03-31"))
    assert {int(r["评估编号"]) for r in rows} == {
        history["苎溪河"],
        history["盘溪河"],
        history["缙云溪"],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=2025-13-01", "日期「2025-13-01」无效"),
        ("since=2025-05-01&until=2025-04-01", "结束日期不能早于开始日期"),
        ("status=approved", "状态须为：草稿、待审核"),
        ("kind=audit", "评估类型须为：自评、市级验收、复核"),
        ("district=火星区", "没有名为「火星区」的区县"),
    ],
)
def test_bad_export_filters_give_a_chinese_message(login_as, history, query, message):
    page = get_page(login_as("admin"), f"/exports/assessments.xlsx?{query}", 422)
    assert message in page
    assert 'class="error"' in page


def test_text_that_looks_like_a_formula_stays_text(login_as, db):
    name = '=HYPERLINK("http://example.invalid","点我")'
    waterbodies.create(db, {"name": name, "kind": "river", "district": "渝北区"})
    aid = decide(db, name, river(), "2025-05-01")
    admin = login_as("admin")
    _h, rows = csv_rows(admin.get("/exports/assessments.csv"))
    assert by_id(rows)[aid]["河湖"] == "'" + name
    book = load_workbook(io.BytesIO(admin.get("/exports/assessments.xlsx").data))
    sheet = book.worksheets[0]
    cell = next(c for c in sheet["C"] if c.value == name)
    assert cell.data_type == "s"  # a string, not a formula


# --- leaderboards ---------------------------------------------------------------------------

DISTRICT_HEADER = [
    "名次",
    "区县",
    "区县代码",
    "已验收数量",
    "平均得分",
    "待审核",
    "达到当前数量的日期",
]


def test_district_leaderboard_csv(login_as, history):
    header, rows = csv_rows(login_as("admin").get("/exports/leaderboard-districts.csv?year=2025"))
    assert header == DISTRICT_HEADER
    assert len(rows) == 41
    assert [list(r.values()) for r in rows[:5]] == [
        ["1", "北碚区", "500109", "2", "98.00", "0", "2025-03-01"],
        ["1", "渝北区", "500112", "2", "98.00", "0", "2025-06-20"],
        ["3", "万州区", "500101", "1", "100.00", "0", "2025-02-01"],
        ["3", "江北区", "500105", "1", "100.00", "0", "2025-04-01"],
        ["5", "涪陵区", "500102", "0", "", "1", ""],
    ]


def test_district_leaderboard_xlsx_for_an_inspector_is_city_wide(login_as, history):
    response = login_as("beibei").get("/exports/leaderboard-districts.xlsx?as_of=2025-02-15")
    header, rows = xlsx_rows(response)
    assert header == DISTRICT_HEADER
    assert len(rows) == 41  # public standings, like the page
    assert list(rows[0].values()) == [1, "江北区", "500105", 2, 100, 0, datetime(2025, 2, 1)]
    notes = load_workbook(io.BytesIO(response.data))["说明"]
    notes = {row[0]: row[1] for row in notes.iter_rows(values_only=True)}
    assert notes["截至日期"] == "2025-02-15"
    assert notes["排序规则"].startswith("排序：已验收数量从多到少")


def test_waterbody_leaderboard_exports(login_as, history):
    admin = login_as("admin")
    header, rows = xlsx_rows(admin.get("/exports/leaderboard-waterbodies.xlsx?kind=reservoir"))
    assert header[:5] == ["名次", "河湖", "区县", "类型", "总分"]
    assert header[5:12] == HEADER[7:14]
    assert [list(r.values()) for r in rows] == [
        [
            1,
            "长寿湖",
            "渝北区",
            "水库",
            96,
            11,
            25,
            15,
            8,
            10,
            12,
            15,
            "通过验收",
            datetime(2025, 6, 20),
        ]
    ]
    _h, rows = csv_rows(admin.get("/exports/leaderboard-waterbodies.csv"))
    assert [(r["名次"], r["总分"]) for r in rows] == [
        ("1", "100.00"),
        ("1", "100.00"),
        ("1", "100.00"),
        ("4", "98.00"),
        ("4", "98.00"),
        ("6", "96.00"),
        ("7", "86.00"),
    ]


def test_bad_leaderboard_export_filter(login_as):
    page = get_page(login_as("admin"), "/exports/leaderboard-districts.csv?year=abcd", 422)
    assert "年份「abcd」无效" in page


# --- the export page and links --------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "reviewer", "yubei"])
def test_export_page_and_links(login_as, role):
    browser = login_as(role)
    page = get_page(browser, "/exports")
    assert 'action="/exports/assessments.csv"' in page
    assert 'formaction="/exports/assessments.xlsx"' in page
    # inspectors get no district choice: theirs is the only one
    assert ('name="district"' in page) is (role != "yubei")
    assert 'href="/exports"' in get_page(browser, "/waterbodies")
    assert "/exports/leaderboard-districts.xlsx" in get_page(browser, "/leaderboard/districts")
