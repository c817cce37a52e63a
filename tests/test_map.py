"""The district map on /progress: 38 shapes with their GB/T 2260 codes, coloured by the number
of 市级幸福河湖, the functional zones marked, points where coordinates exist; the boundary file
and its GCJ-02 → WGS-84 conversion; the leaderboard's district filter the map links to."""

import json
import math
import re
import runpy
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from happy_rivers import scoring
from happy_rivers.store import assessments, users, waterbodies
from happy_rivers.store.districts import DISTRICTS
from happy_rivers.views import district_map
from tests.answers import full_river_answers

ROOT = Path(__file__).resolve().parent.parent
GEOMETRY = ROOT / "happy_rivers" / "static" / "geo" / "chongqing_districts.json"
SVG = "{http://www.w3.org/2000/svg}"
STATUTORY = {code for code, _name, kind in DISTRICTS if kind != "功能区"}


def name_title(db, waterbody_id: int, decided_on: str = "2025-06-01") -> None:
    """Accept an acceptance assessment: the waterbody becomes a 市级幸福河湖 on decided_on."""
    rubric = scoring.load_rubric("cq-river")
    answers = full_river_answers()
    scored = scoring.score(rubric, answers).to_dict()
    inspector = users.by_username(db, "admin")
    aid = assessments.create(
        db,
        waterbody_id=waterbody_id,
        kind="acceptance",
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        answers=answers,
        scored=scored,
        user=inspector,
    )
    assessments.save(
        db, aid, expected_version=1, action="submit", answers=answers, scored=scored, user=inspector
    )
    assessments.review(
        db, aid, action="accept", user=users.by_username(db, "reviewer"), decided_on=decided_on
    )


def river(db, name: str, district: str, **more) -> int:
    return waterbodies.create(db, {"name": name, "kind": "river", "district": district, **more})


@pytest.fixture
def named(db):
    """渝北区 3 titles (御临河 with a point), 北碚区 1, 两江新区 2; a planned river with a
    point but no title; 万州区 a title granted in the future of as_of 2025-07-01."""
    ids = {}
    ids["yulin"] = waterbodies.list_waterbodies(db, q="御临河")[0]["id"]
    waterbodies.update(
        db,
        ids["yulin"],
        {"name": "御临河", "kind": "river", "district": "渝北区", "lon": 106.8, "lat": 29.8},
    )
    for wid in (ids["yulin"], waterbodies.list_waterbodies(db, q="长寿湖")[0]["id"]):
        name_title(db, wid)
    name_title(db, river(db, "后河", "渝北区"))
    ids["longfeng"] = waterbodies.list_waterbodies(db, q="龙凤溪")[0]["id"]
    name_title(db, ids["longfeng"])
    name_title(db, river(db, "盘溪河", "两江新区", lon=106.55, lat=29.62))
    name_title(db, river(db, "双溪河", "两江新区"))
    ids["planned"] = river(db, "规划河", "北碚区", lon=106.4, lat=29.8, status="planned")
    name_title(db, river(db, "苎溪河", "万州区"), decided_on="2025-09-01")
    return ids


def map_svg(html: str) -> ET.Element:
    match = re.search(
        r'<svg xmlns="http://www.w3.org/2000/svg" class="district-map".*?</svg>', html, re.S
    )
    assert match, "no district map on the page"
    return ET.fromstring(match.group(0))


def test_the_boundary_file_holds_38_districts_in_wgs84_and_is_small():
    document = json.loads(GEOMETRY.read_text(encoding="utf-8"))
    codes = [d["code"] for d in document["districts"]]
    assert len(codes) == 38 and set(codes) == STATUTORY
    assert {z["code"] for z in document["zones"]} == {"LJXQ", "GXQ", "WSJK"}
    low_lon, high_lon = waterbodies.BOUNDS["lon"]
    low_lat, high_lat = waterbodies.BOUNDS["lat"]
    points = [p for d in document["districts"] for r in d["rings"] for p in r]
    assert all(low_lon <= x <= high_lon and low_lat <= y <= high_lat for x, y in points)
    assert all(len(r) >= 4 and r[0] == r[-1] for d in document["districts"] for r in d["rings"])
    assert GEOMETRY.stat().st_size < 400_000
    assert "MIT" in document["source"] and "WGS-84" in document["crs"]


def test_gcj02_to_wgs84_conversion_inverts_the_published_offset():
    script = runpy.run_path(str(ROOT / "scripts" / "make_district_map.py"))
    for lon, lat in ((106.55, 29.56), (108.4, 30.8), (105.7, 28.5)):  # 渝中, 万州, 永川-ish
        glon, glat = script["wgs_to_gcj"](lon, lat)
        # the offset in Chongqing is a few hundred metres, never zero
        metres = math.hypot((glon - lon) * 96_000, (glat - lat) * 111_000)
        assert 100 < metres < 800
        back = script["gcj_to_wgs"](glon, glat)
        assert math.hypot(back[0] - lon, back[1] - lat) < 1e-7  # about a centimetre


def test_progress_map_has_38_coded_shapes_coloured_by_their_counts(login_as, named):
    html = login_as("admin").get("/progress?as_of=2025-07-01").get_data(as_text=True)
    svg = map_svg(html)
    shapes = svg.findall(f".//{SVG}path[@data-code]")
    districts = [s for s in shapes if "district" in s.get("class").split()]
    codes = [s.get("data-code") for s in districts]
    assert len(codes) == 38 and len(set(codes)) == 38 and set(codes) == STATUTORY
    # largest count 3 (渝北区): classes step by one, q0 none … q3 three
    expected = {"500112": ("3", "q3"), "500109": ("1", "q1"), "500101": ("0", "q0")}
    for shape in districts:
        count, colour = expected.get(shape.get("data-code"), ("0", "q0"))
        assert (shape.get("data-count"), shape.get("class")) == (count, f"district {colour}"), (
            shape.get("data-code")
        )
    assert sum(int(s.get("data-count")) for s in districts) == 4  # 万州区's is after as_of
    zones = {z.get("data-code"): z for z in svg.findall(f".//{SVG}g[@class='zone']")}
    assert set(zones) == {"LJXQ", "GXQ", "WSJK"}
    assert zones["LJXQ"].get("data-count") == "2"
    assert zones["LJXQ"].find(f"{SVG}path").get("class") == "zone-mark q2"
    assert "两江新区 2" in "".join(zones["LJXQ"].itertext())
    # a tap opens the district's waterbodies
    links = {
        a.find(f"{SVG}path").get("data-code"): a.get("href")
        for a in svg.findall(f".//{SVG}a")
        if a.find(f"{SVG}path") is not None
    }
    assert links["500112"] == "/leaderboard/waterbodies?district=500112"
    # points: the titled waterbodies with coordinates only (not the planned one)
    points = svg.findall(f".//{SVG}circle[@class='wb-point']")
    assert sorted(p.find(f"{SVG}title").text for p in points) == ["御临河", "盘溪河"]
    # legend classes match the steps
    legend = [t.text for t in svg.findall(f".//{SVG}text[@class='legend-label']")]
    assert legend == ["0", "1", "2", "3", "4", "5"]
    # nothing styled inline (the CSP allows no inline style)
    assert "style=" not in ET.tostring(svg, encoding="unicode")


def absolute_rings(data: str) -> list[list[tuple[int, int]]]:
    """An SVG path's subpaths as absolute points, read by the SVG rules: M/L absolute, m/l
    relative, a command's numbers repeat it (after M, as L; after m, as l), Z closes."""
    rings: list[list[tuple[int, int]]] = []
    x = y = 0
    for command, numbers in re.findall(r"([MmLlZz])([^MmLlZz]*)", data):
        values = [int(n) for n in re.findall(r"-?\d+", numbers)]
        assert len(values) % 2 == 0 and not re.search(r"\.", numbers), (command, numbers)
        for i in range(0, len(values), 2):
            dx, dy = values[i], values[i + 1]
            x, y = (x + dx, y + dy) if command in "ml" else (dx, dy)
            if command in "Mm" and i == 0:
                rings.append([])
            rings[-1].append((x, y))
    return rings


def test_map_path_data_draws_exactly_the_projected_boundary_points(login_as):
    """The compact path data (relative, implicit repeats) is read back to the same whole-unit
    points as projecting the boundary file gives, ring by ring, for all 38 districts."""
    svg = map_svg(login_as("admin").get("/progress").get_data(as_text=True))
    drawn = {p.get("data-code"): p.get("d") for p in svg.iter(f"{SVG}path") if p.get("data-code")}
    project = district_map.projection()
    document = json.loads(GEOMETRY.read_text(encoding="utf-8"))
    for district in document["districts"]:
        expected = []
        for ring in district["rings"]:
            points = [tuple(round(v) for v in project(lon, lat)) for lon, lat in ring]
            expected.append([p for i, p in enumerate(points) if i == 0 or p != points[i - 1]])
        data = drawn[district["code"]]
        assert absolute_rings(data) == expected, district["name"]
        assert data.count("M") == len(expected) == data.count("Z")
        assert re.fullmatch(r"(M\d+,\d+(l[-\d, ]+)?Z)+", data)  # relative lines, no L
    # about 32 KB for the 38 shapes, was 73 KB with absolute L pairs
    assert sum(len(d) for d in drawn.values()) < 40_000


def test_map_follows_the_date_and_each_new_title(login_as, db, named):
    admin = login_as("admin")
    later = map_svg(admin.get("/progress?as_of=2025-09-02").get_data(as_text=True))
    wanzhou = later.find(f".//{SVG}path[@data-code='500101']")
    assert wanzhou.get("data-count") == "1" and wanzhou.get("class") == "district q1"
    name_title(db, river(db, "新河", "渝北区"), decided_on="2025-09-02")
    again = map_svg(admin.get("/progress?as_of=2025-09-02").get_data(as_text=True))
    yubei = again.find(f".//{SVG}path[@data-code='500112']")
    assert yubei.get("data-count") == "4"
    assert yubei.get("class") == "district q4"  # 4 is now the top: steps of one, q4


def test_inspectors_see_the_same_city_map(login_as, named):
    svg = map_svg(login_as("beibei").get("/progress?as_of=2025-07-01").get_data(as_text=True))
    assert len(svg.findall(".//*[@data-count]")) == 38 + 3
    assert svg.find(f".//{SVG}path[@data-code='500112']").get("data-count") == "3"


def test_leaderboard_district_filter(login_as, named):
    admin = login_as("admin")
    whole = admin.get("/leaderboard/waterbodies").get_data(as_text=True)
    yubei = admin.get("/leaderboard/waterbodies?district=500112")
    assert yubei.status_code == 200
    html = yubei.get_data(as_text=True)
    rows = re.findall(r'<tr data-id="(\d+)"', html)
    assert len(rows) == 3 and len(re.findall(r'<tr data-id="', whole)) == 7
    assert "龙凤溪" not in html and "御临河" in html
    assert '<option value="500112" selected>' in html
    by_name = admin.get("/leaderboard/waterbodies?district=北碚区").get_data(as_text=True)
    assert re.findall(r'<tr data-id="(\d+)"', by_name) == [str(named["longfeng"])]
    bad = admin.get("/leaderboard/waterbodies?district=火星区")
    assert bad.status_code == 422 and "没有区县「火星区」" in bad.get_data(as_text=True)


def test_map_css_colours_every_class():
    css = (ROOT / "happy_rivers" / "static" / "css" / "map.css").read_text(encoding="utf-8")
    fills = re.findall(r"\.district-map \.q(\d) \{ fill: (#[0-9a-f]{6}); \}", css)
    assert [int(q) for q, _ in fills] == list(range(6))
    assert len({f for _, f in fills}) == 6  # six different colours

    # darker as the count grows (luminance strictly decreasing), so the order survives grey print
    def luminance(hex_colour):
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    levels = [luminance(f) for _, f in fills]
    assert levels == sorted(levels, reverse=True) and len(set(levels)) == 6


def test_api_leaderboard_district_filter(app, db, named):
    token = users.create_token(db, users.by_username(db, "beibei")["id"], "t")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    whole = client.get("/api/v1/leaderboard/waterbodies", headers=headers).get_json()["rows"]
    yubei = client.get("/api/v1/leaderboard/waterbodies?district=渝北区", headers=headers)
    rows = yubei.get_json()["rows"]
    assert len(whole) == 7 and len(rows) == 3
    assert {r["district_code"] for r in rows} == {"500112"}
    assert [r["rank"] for r in rows] == [r["rank"] for r in whole if r["district_code"] == "500112"]
    bad = client.get("/api/v1/leaderboard/waterbodies?district=火星区", headers=headers)
    assert bad.status_code == 422 and "district" in bad.get_json()["errors"]
