"""At the riverside with no signal: the form keeps scoring as the inspector types, on the phone,
and what it showed is what the server says once the network is back."""

from playwright.sync_api import expect

from happy_rivers import scoring
from tests.answers import full_river_answers

from .helpers import login, shot


def shown(page) -> dict:
    """Every number and class the form shows."""
    return page.evaluate(
        """() => {
          const text = sel => [...document.querySelectorAll(sel)]
            .map(e => [e.id, e.textContent.trim()]);
          return Object.fromEntries([
            ...text('[id^="points-"]'), ...text('[id^="subtotal-"]'), ...text('[id^="wq-"]'),
            ...["running-total", "missing-count", "projected-decision", "gates-held"]
              .map(id => [id, document.getElementById(id).textContent.trim()]),
          ]);
        }"""
    )


def test_form_scores_offline_and_matches_the_server_after_reconnect(new_page, live_app):
    river = live_app.new_waterbody("离线计分河")
    answers = full_river_answers()
    del answers["A1"], answers["A4"]
    aid = live_app.draft_assessment(river, answers)
    page = new_page(phone=True)
    login(page, "yubei")
    page.goto(f"/assessments/{aid}/edit")
    form = page.locator("#inspection-form")
    expect(form).to_have_attribute("data-device-scoring", "ready")
    expect(page.locator("#missing-count")).to_have_text("未填 2 项")

    page.context.set_offline(True)
    # 8 × (82.075 − 75) / 25 = 2.264 → 2.26, at once and with no network
    page.get_by_label("防洪达标率").fill("82.075")
    expect(page.locator("#points-A1")).to_have_text("2.26")
    expect(page.locator("#subtotal-safety")).to_have_text("9.26")
    expect(page.locator("#missing-count")).to_have_text("未填 1 项")
    expect(form).to_have_attribute("data-scored-by", "device")
    expect(page.locator("#explain-A1")).to_have_text("")  # the words come with the server

    # total phosphorus of 0.5 mg/L is worse than class Ⅴ: 劣Ⅴ, limited by 总磷, no points
    page.locator("#ind-A3").get_by_label("总磷").fill("0.5")
    expect(page.locator("#wq-A3")).to_have_text("水质类别：劣Ⅴ 类，限制因子：总磷")
    expect(page.locator("#points-A3")).to_have_text("0.00")
    # … so G7 holds and the projected decision is 不予通过, though A4 is still missing
    expect(page.locator("#gates-held")).to_have_text("否决条件成立：G7")
    expect(page.locator("#projected-decision")).to_have_text("预计结论：不予通过")
    expect(page.locator("#projected-decision")).to_have_attribute("data-decision", "rejected")

    # a typing mistake is marked at its field (the words come from the server once online)
    sewage = page.get_by_label("污水集中处理率")
    sewage.fill("abc")
    expect(sewage).to_have_attribute("aria-invalid", "true")
    expect(page.locator('.field-error-slot[data-for="A4"]')).to_have_text("请检查此项")
    sewage.fill("94.95")
    expect(sewage).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#points-A4")).to_have_text("2.99")

    final = full_river_answers() | {"A1": 82.075, "A4": 94.95}
    final["A3"]["tp"] = 0.5
    expected = scoring.preview(scoring.load_rubric("cq-river"), final).to_dict()
    expect(page.locator("#running-total")).to_have_text(expected["total"])
    expect(page.locator("#missing-count")).to_have_text("已全部填写")
    expect(page.locator("#projected-decision")).to_have_text("预计结论：不予通过")
    offline = shown(page)
    assert offline["subtotal-ecology"] == expected["subtotals"]["ecology"]
    # nothing on the page speaks of a failure: no error anywhere, no message but the offline one
    assert page.locator(".field-error-slot .error").count() == 0
    shot(page, "offline-form-scored-on-device", full_page=False)

    page.context.set_offline(False)
    expect(form).to_have_attribute("data-scored-by", "server")
    expect(page.locator("#explain-A1")).to_contain_text("82.075%")
    assert shown(page) == offline  # the server's numbers are the device's, to the cent


def test_an_unreachable_server_changes_nothing_the_inspector_sees(new_page, live_app):
    """A weak signal: the phone believes it is online, but the preview never arrives."""
    river = live_app.new_waterbody("弱信号河")
    aid = live_app.draft_assessment(river, {"gates": {}})
    page = new_page(phone=True)
    login(page, "yubei")
    page.goto(f"/assessments/{aid}/edit")
    form = page.locator("#inspection-form")
    expect(form).to_have_attribute("data-device-scoring", "ready")
    page.route("**/preview", lambda route: route.abort("connectionfailed"))

    page.get_by_label("防洪达标率").fill("96.5")  # 8 × 21.5 / 25 = 6.88
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/preview")):
        page.get_by_label("行洪安全性").fill("1")  # 7 − 2 × 1 = 5
    expect(page.locator("#subtotal-safety")).to_have_text("11.88")
    expect(page.locator("#running-total")).to_have_text("11.88")
    assert form.get_attribute("data-scored-by") == "device"
    assert page.locator(".field-error-slot .error, .flash-error").count() == 0
