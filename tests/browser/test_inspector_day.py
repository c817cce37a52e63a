"""The inspector's day in a real browser: thumb-sized targets on a 375 px phone, the conflict
view (nothing overwritten), and the question before 提交审核."""

import re

from playwright.sync_api import expect

from tests.answers import full_river_answers

from .helpers import assert_no_horizontal_scroll, login, shot

# Every visible link and button, with its size: what a thumb has to hit.
SMALL_TARGETS = """() => [...document.querySelectorAll('a[href], button, summary')]
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width > 0 && r.height > 0 && r.right > 0
                       && getComputedStyle(el).visibility !== 'hidden')
  .filter(([el, r]) => r.width < 43.5 || r.height < 43.5)
  .map(([el, r]) => `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 24)}" `
                    + `${Math.round(r.width)}×${Math.round(r.height)}`)"""


def test_every_link_and_button_is_44_px_on_a_phone(new_page, live_app):
    river = live_app.new_waterbody("触控测试河")
    aid = live_app.draft_assessment(river, {"gates": {}}, kind="self")
    page = new_page(phone=True)
    login(page, "yubei")
    pages = [
        "/",
        "/waterbodies",
        f"/waterbodies/{river['id']}",
        f"/waterbodies/{river['id']}/assessments/new?kind=recheck",
        f"/assessments/{aid}/edit",
        f"/assessments/{aid}",
    ]
    measured = 0
    for url in pages:
        page.goto(url)
        expect(page.locator("main h1")).to_be_visible()
        small = page.evaluate(SMALL_TARGETS)
        assert small == [], f"{url}: {small}"
        measured += page.locator("a[href], button").count()
    assert measured > 50  # the pages really were measured
    page.goto(f"/waterbodies/{river['id']}")
    shot(page, "30-waterbody-touch-targets", full_page=False)


def test_the_conflict_view_shows_both_values_and_keeps_a_colleagues_change(new_page, live_app):
    river = live_app.new_waterbody("冲突测试河")
    aid = live_app.draft_assessment(river, {"gates": {}}, kind="self")
    mine, colleague = new_page(phone=True), new_page(phone=False)
    login(mine, "yubei")
    login(colleague, "yubei")
    mine.goto(f"/assessments/{aid}/edit")
    colleague.goto(f"/assessments/{aid}/edit")

    colleague.get_by_label("自然岸线率").fill("80")  # A6, saved first
    colleague.get_by_role("button", name="保存草稿").click()
    expect(colleague.locator(".flash")).to_have_text("草稿已保存。")

    mine.get_by_label("防洪达标率").fill("90")  # A1, on a page still at version 1
    mine.get_by_role("button", name="保存草稿").click()
    conflict = mine.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(mine.locator("#conflict-A1 .choice-mine")).to_contain_text("90")
    expect(mine.locator("#conflict-A6 .choice-theirs")).to_contain_text("80")
    # A1 is what I changed: mine by default; A6 I never touched: the colleague's by default
    expect(mine.locator('#conflict-A1 input[value="mine"]')).to_be_checked()
    expect(mine.locator('#conflict-A6 input[value="theirs"]')).to_be_checked()
    expect(mine.get_by_label("防洪达标率")).to_have_value("90")
    assert_no_horizontal_scroll(mine)
    shot(mine, "31-conflict-view", full_page=False)

    mine.get_by_role("button", name="保存草稿").click()
    expect(mine.locator(".flash")).to_have_text("草稿已保存。")
    saved = live_app.assessment(aid)
    assert (saved["answers"]["A1"], saved["answers"]["A6"]) == (90, 80)
    expect(mine.get_by_label("自然岸线率")).to_have_value("80")


def test_submit_asks_first_and_cancelling_submits_nothing(new_page, live_app):
    river = live_app.new_waterbody("确认测试河")
    aid = live_app.draft_assessment(river, full_river_answers(), kind="self")
    page = new_page(phone=True)
    login(page, "yubei")
    page.goto(f"/assessments/{aid}/edit")
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        if len(questions) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_role("button", name="提交审核")).to_be_visible()
    assert questions and "不能再修改或撤回" in questions[0]
    assert live_app.assessment(aid)["status"] == "draft"  # cancelled: nothing sent

    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(re.compile(rf"/assessments/{aid}$"))
    expect(page.locator(".flash")).to_have_text("已提交，等待市级审核。")
    assert len(questions) == 2
    assert live_app.assessment(aid)["status"] == "submitted"
