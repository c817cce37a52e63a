"""The satisfaction survey in a real browser: an administrator opens a survey and prints its
sign; a visitor answers on a 375 px phone without signing in; the same phone cannot answer
twice; the results count the one response; closing it pre-fills A20 of the next form."""

from __future__ import annotations

from playwright.sync_api import expect

from .helpers import assert_inputs_labelled, assert_no_horizontal_scroll, login, shot


def test_a_visitor_answers_on_a_phone_and_the_result_prefills_a20(new_page, live_app):
    waterbody = live_app.new_waterbody("满意度溪")
    # a short minimum time keeps the journey quick; the page's button waits it out by itself
    live_app.app.config["SURVEY_MIN_SECONDS"] = 2
    try:
        _journey(new_page, live_app, waterbody)
    finally:
        live_app.app.config.pop("SURVEY_MIN_SECONDS", None)


def _journey(new_page, live_app, waterbody):
    admin = new_page(phone=False)
    login(admin, "admin")
    admin.goto("/admin/surveys")
    admin.get_by_label("河湖").select_option(label=f"{waterbody['name']}（渝北区）")
    admin.get_by_label("结束日期").fill("2099-12-31")
    admin.get_by_label("开始日期").fill("2025-01-01")
    # a year at most: the page says so in Chinese next to the field
    admin.get_by_role("button", name="开启调查").click()
    expect(admin.locator(".has-error .error")).to_contain_text("调查最长")
    admin.get_by_label("开始日期").fill("2099-06-01")
    admin.get_by_label("结束日期").fill("2099-12-31")
    admin.get_by_role("button", name="开启调查").click()
    expect(admin.locator("#survey-status")).to_have_text("进行中")
    link = admin.locator("#answer-link").inner_text()
    assert link.startswith(live_app.url + "/s/")

    # not open yet (it starts in 2099): the visitor is told, not shown a form
    phone = new_page(phone=True)
    phone.goto(link)
    expect(phone.locator("#survey-closed")).to_be_visible()
    with live_app.db() as db:
        db.execute("UPDATE surveys SET opens_on = '2025-01-01' WHERE token = ?", [link[-16:]])
        db.conn.commit()

    results_url = admin.url
    admin.goto(results_url + "/sign")
    expect(admin.locator(".sign-name")).to_have_text(waterbody["name"])
    expect(admin.locator(".sign-qr svg")).to_be_visible()
    admin.emulate_media(media="print")
    shot(admin, "survey-sign-print")
    admin.emulate_media(media="screen")

    phone.goto(link)
    expect(phone.get_by_role("heading", name=waterbody["name"])).to_be_visible()
    assert_no_horizontal_scroll(phone)
    assert_inputs_labelled(phone)
    # large targets: every option is a full-width row at least 44 px high
    for box in phone.locator(".choice").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    ):
        assert box >= 44
    # the honeypot is out of sight (left of the screen) and out of the tab order
    assert phone.locator("#website").evaluate("e => e.getBoundingClientRect().right") <= 0
    assert phone.locator("#website").get_attribute("tabindex") == "-1"
    phone.get_by_text("满意", exact=True).click()
    phone.get_by_text("每周", exact=True).click()
    phone.get_by_label("3. 意见和建议（选填）").fill("步道干净，希望多些座椅")
    shot(phone, "survey-answer-phone")
    # the button is enabled once the minimum time has passed; click() waits for that
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_url("**/thanks")
    expect(phone.locator("#survey-done")).to_contain_text("提交成功")
    shot(phone, "survey-thanks-phone")

    # the same phone again: refused, and told why
    phone.goto(link)
    phone.get_by_text("非常满意", exact=True).click()
    phone.get_by_role("button", name="提交").click()
    expect(phone.locator("#survey-done")).to_contain_text("已参与过")

    admin.goto(results_url)
    expect(admin.locator("#sample-size")).to_have_text("1")
    expect(admin.locator("#rate")).to_have_text("80.00")
    expect(admin.locator('#refusals [data-reason="device"] td.num')).to_have_text("1")
    expect(admin.locator("#comments")).to_contain_text("步道干净")
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="结束调查").click()
    expect(admin.locator("#survey-status")).to_have_text("已结束")

    inspector = new_page(phone=True)
    login(inspector, "yubei")
    inspector.goto(f"/waterbodies/{waterbody['id']}/assessments/new?kind=self")
    expect(inspector.locator("#A20_rate")).to_have_value("80")
    expect(inspector.locator("#A20_sample_size")).to_have_value("1")
    expect(inspector.locator("#provenance-A20")).to_contain_text("有效样本 1 份，满意率 80.00%")
    inspector.locator("#provenance-A20").scroll_into_view_if_needed()
    shot(inspector, "survey-prefilled-a20-phone", full_page=False)
