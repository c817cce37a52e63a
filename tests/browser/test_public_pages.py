"""The public pages on a 375 px phone, signed out: the named list, progress, the map; a tap on
a district opens its named waterbodies, a name opens the waterbody's card with its radar."""

from __future__ import annotations

from playwright.sync_api import expect

from .helpers import assert_no_horizontal_scroll, shot


def test_a_visitor_taps_a_district_and_opens_a_card(new_page, live_app):
    page = new_page(phone=True)
    page.goto("/login")
    page.locator("#public-link").click()
    page.wait_for_url("**/public")
    expect(page.locator("#named tbody tr[data-id]").first).to_be_visible()
    expect(page.locator("#public-target-2027")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot(page, "public-index-phone")

    # a district holding named waterbodies: its shape on the map links to its page
    shapes = page.locator(".district-map path.district[data-code]").evaluate_all(
        "els => els.map(e => [e.dataset.code, +e.dataset.count])"
    )
    code, count = max(shapes, key=lambda s: s[1])
    assert count > 0
    page.locator(f'.district-map path.district[data-code="{code}"]').click()  # a tap
    page.wait_for_url(f"**/public/districts/{code}")
    expect(page.locator("#named tbody tr[data-id]")).to_have_count(count)
    assert_no_horizontal_scroll(page)

    name = page.locator("#named tbody tr[data-id] td.name a").first
    title = name.inner_text()
    name.click()
    expect(page.locator("#card h1")).to_contain_text(title)
    expect(page.locator("#card .radar svg")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot(page, "public-card-phone")
