"""Mistakes are named in Chinese next to their field and cost nothing typed; the keyboard alone
is enough to sign in and save."""

import re

from playwright.sync_api import expect

from tests.answers import full_river_answers

from .helpers import (
    PASSWORD,
    assert_inputs_labelled,
    assert_no_horizontal_scroll,
    login,
    shot,
)

PERCENT_ERROR = "「污水集中处理率」须在 0 到 100 之间（%）"
NOTE_ERROR = "请填写「水文化遗产保护情况」的评分说明"
GATE_ERROR = "勾选否决条件 G2 时须填写说明"


def expect_error_at(page, field_name: str, message: str) -> None:
    """The message is next to the field, announced (role=alert) and tied to the input."""
    slot = page.locator(f'.field-error-slot[data-for="{field_name}"]')
    error = slot.get_by_role("alert")
    expect(error).to_have_text(message)
    control = page.locator(f'[name="{field_name}"]')
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_have_attribute("aria-describedby", error.get_attribute("id"))


def test_invalid_input_is_named_at_the_field_and_nothing_typed_is_lost(new_page, live_app):
    river = live_app.new_waterbody("纠错测试河")
    aid = live_app.draft_assessment(river, full_river_answers())
    page = new_page(phone=True)
    login(page, "yubei")
    page.goto(f"/assessments/{aid}/edit")
    expect(page.locator("#running-total")).to_have_text("100.00")

    # a percentage of 120: the message appears beside the field while typing
    sewage = page.get_by_label("污水集中处理率")
    sewage.fill("120")
    expect_error_at(page, "A4", PERCENT_ERROR)
    expect(page.locator("#ind-A4")).to_have_class(re.compile("indicator"))
    # a judged score without its note, and a gate ticked without a note
    heritage = page.locator("#ind-A14")
    heritage.get_by_label("评分说明").fill("")
    page.locator("#gates").get_by_role("checkbox", name=re.compile("G2")).check()
    expect(page.get_by_label("G2 说明")).to_be_visible()  # the note appears once ticked
    page.get_by_label("水岸整洁度").fill("2")  # typed after the last save: must survive
    page.once("dialog", lambda dialog: dialog.accept())  # 确定提交？
    page.get_by_role("button", name="提交审核").click()

    # refused: every message in Chinese at its field, everything typed still there
    expect(page.locator("#error-summary")).to_be_focused()
    summary = page.locator("#error-summary")
    for message in (PERCENT_ERROR, NOTE_ERROR, GATE_ERROR):
        expect(summary).to_contain_text(message)
    expect_error_at(page, "A4", PERCENT_ERROR)
    expect_error_at(page, "A14_note", NOTE_ERROR)
    expect_error_at(page, "gate_G2_note", GATE_ERROR)
    expect(sewage).to_have_value("120")
    expect(page.get_by_label("水岸整洁度")).to_have_value("2")
    expect(page.locator("#gates").get_by_role("checkbox", name=re.compile("G2"))).to_be_checked()
    expect(heritage.get_by_label("评分", exact=True)).to_have_value("5")
    expect(page.get_by_label("防洪达标率")).to_have_value("100")
    assert_no_horizontal_scroll(page)
    shot(page, "20-errors-summary", full_page=False)
    page.locator("#ind-A4").scroll_into_view_if_needed()
    shot(page, "21-error-at-field", full_page=False)
    page.locator("#gates").scroll_into_view_if_needed()
    shot(page, "22-gate-error", full_page=False)
    assert live_app.assessment(aid)["status"] == "draft"  # nothing was submitted

    # the refused page holds unsaved answers: leaving it asks first
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    with page.expect_event("dialog"):  # wait for the question itself, not a fixed time
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="河湖").click()
    assert dialogs == ["beforeunload"]
    expect(sewage).to_have_value("120")
    page.remove_listener("dialog", stay)

    # fixing the three fields clears their messages and the submit goes through
    sewage.fill("95")
    expect(page.locator('.field-error-slot[data-for="A4"]')).to_be_empty()
    expect(sewage).not_to_have_attribute("aria-invalid", "true")
    heritage.get_by_label("评分说明").fill("古桥已挂牌保护")
    page.locator("#gates").get_by_role("checkbox", name=re.compile("G2")).uncheck()
    page.once("dialog", lambda dialog: dialog.accept())  # 确定提交？
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".flash")).to_have_text("已提交，等待市级审核。")
    saved = live_app.assessment(aid)
    assert saved["status"] == "submitted"
    assert saved["answers"]["A4"] == 95 and saved["answers"]["A9"] == 2
    assert saved["answers"]["gates"] == {}


def tab_to(page, selector: str, limit: int = 150) -> None:
    """Press Tab until the element matching selector has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def assert_focus_visible(page) -> None:
    outline = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
    )
    assert outline[0] != "none" and outline[1] >= 2, f"focus is not visible: {outline}"


def test_keyboard_only_sign_in_and_save_a_draft(new_page, live_app):
    river = live_app.new_waterbody("键盘测试河")
    page = new_page(phone=False)
    page.goto("/login")

    # the first Tab reaches the skip link, and it shows itself
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert_focus_visible(page)
    page.keyboard.press("Enter")  # past the header: the next Tab lands in the form
    expect(page.locator("#main")).to_be_focused()
    assert_inputs_labelled(page)

    page.keyboard.press("Tab")
    expect(page.get_by_label("用户名")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("yubei")
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/(#main)?$"))  # the to-do list; the skip link's #main may stay
    tab_to(page, 'main a[href="/waterbodies"]')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/waterbodies$"))

    tab_to(page, f'a[href="/waterbodies/{river["id"]}"]')
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/waterbodies/{river['id']}")
    tab_to(page, "#kind")
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/assessments/\d+/edit$"))
    assert_inputs_labelled(page)

    tab_to(page, '[name="A1"]')
    assert_focus_visible(page)
    page.keyboard.type("98")
    page.keyboard.press("Tab")
    expect(page.get_by_label("行洪安全性")).to_be_focused()
    page.keyboard.type("1")
    expect(page.locator("#subtotal-safety")).to_have_text("12.36")  # 8 × 23/25 + (7 − 2)
    # a checkbox ticked with the space bar
    tab_to(page, '[name="A10"][value="trail"]')
    page.keyboard.press("Space")
    expect(page.locator("#points-A10")).to_have_text("2.00")
    tab_to(page, 'button[value="save"]')
    assert_focus_visible(page)
    # the focused button is not hidden under anything (the sticky bars)
    box = page.locator('button[value="save"]').bounding_box()
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.value",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit == "save"
    shot(page, "30-keyboard-save-focused", full_page=False)
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_have_text("草稿已保存。")
    expect(page.get_by_label("防洪达标率")).to_have_value("98")
    aid = int(re.search(r"/assessments/(\d+)/edit", page.url).group(1))
    answers = live_app.assessment(aid)["answers"]
    assert answers["A1"] == 98 and answers["A2"] == 1 and answers["A10"] == ["trail"]
