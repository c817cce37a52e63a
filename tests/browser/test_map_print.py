"""The district map on the progress page, printed by Chromium: 38 coloured districts, the three
functional zones, points; a tap on a district opens its waterbodies."""

import json
from pathlib import Path

from playwright.sync_api import expect

from happy_rivers.store import waterbodies

from .helpers import SCREENSHOTS, login, shot

GEOMETRY = (
    Path(__file__).resolve().parents[2]
    / "happy_rivers"
    / "static"
    / "geo"
    / "chongqing_districts.json"
)


def _inside(district_code: str) -> tuple[float, float]:
    """A point near the middle of a district (the mean of its largest ring): good enough to
    show a waterbody where it belongs."""
    document = json.loads(GEOMETRY.read_text(encoding="utf-8"))
    district = next(d for d in document["districts"] if d["code"] == district_code)
    ring = max(district["rings"], key=len)
    return (
        round(sum(p[0] for p in ring) / len(ring), 4),
        round(sum(p[1] for p in ring) / len(ring), 4),
    )


def test_progress_map_prints_and_a_district_opens_its_waterbodies(new_page, live_app):
    with live_app.db() as db:
        named = [w for w in waterbodies.list_waterbodies(db, status="accepted")]
        for w in named[:12]:  # the demo's named waterbodies get a point in their district
            if not w["district_code"].isdigit():
                continue
            lon, lat = _inside(w["district_code"])
            waterbodies.update(
                db,
                w["id"],
                {
                    "name": w["name"],
                    "kind": w["kind"],
                    "district": w["district_code"],
                    "level": w["level"],
                    "lon": lon,
                    "lat": lat,
                },
            )
        counts = {
            r["district_code"]: r["n"]
            for r in db.query(
                "SELECT district_code, count(*) AS n FROM waterbodies WHERE status = 'accepted' "
                "GROUP BY district_code"
            )
        }
    page = new_page(phone=False)
    login(page, "admin")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 1010})  # A4 inside the margins
    page.goto("/progress")
    figure = page.locator("#district-map")
    expect(figure.locator("path.district[data-code]")).to_have_count(38)
    expect(figure.locator("g.zone")).to_have_count(3)
    box = figure.locator("svg").bounding_box()
    assert box and box["width"] > 500 and box["height"] > 400
    # the colours come from the CSS classes (no inline style): none and the most differ
    fills = page.evaluate(
        """() => Array.from(document.querySelectorAll('#district-map path.district[data-code]'))
              .map(p => [p.dataset.code, p.dataset.count, getComputedStyle(p).fill])"""
    )
    by_count = {}
    for code, count, fill in fills:
        assert int(count) == counts.get(code, 0), code
        by_count.setdefault(int(count), set()).add(fill)
    assert all(len(f) == 1 for f in by_count.values()), by_count  # one colour per count
    assert by_count[0] == {"rgb(238, 241, 244)"}
    assert len({next(iter(f)) for f in by_count.values()}) == len(by_count) or len(by_count) > 6
    expect(figure.locator("circle.wb-point").first).to_be_visible()
    figure.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(exist_ok=True)
    figure.screenshot(path=str(SCREENSHOTS / "50-progress-map-print.png"))
    shot(page, "51-progress-print-media")

    # on screen, a tap on a district opens its waterbodies on the leaderboard
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    code, _count, _fill = max(fills, key=lambda f: int(f[1]))
    page.locator(f'#district-map path.district[data-code="{code}"]').click()
    page.wait_for_url(f"**/leaderboard/waterbodies?district={code}")
    expect(page.locator("#f-district")).to_have_value(code)
    expect(page.locator("#waterbody-board tbody tr")).not_to_have_count(0)
