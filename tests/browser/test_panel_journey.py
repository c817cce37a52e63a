"""An expert panel (专家组): the reviewer names three experts, each scores on a phone without
seeing the others, and the reviewer decides on the combined points."""

import re

from playwright.sync_api import expect

from happy_rivers.store import users
from tests.answers import full_river_answers

from .helpers import PASSWORD, assert_inputs_labelled, assert_no_horizontal_scroll, shot

# (username, A14, A15, A17): A14 → (5 + 3 + 4.5) / 3 = 4.17, spread 2 → 分歧较大;
# A15 → 4.50 and A17 → 4.50; total 100 − 0.83 − 0.5 − 0.5 = 98.17 → 通过验收
EXPERTS = [
    ("expert", "5", "5", "5"),  # the demo expert
    ("panel_b", "3", "4.5", "4"),
    ("panel_c", "4.5", "4", "4.5"),
]


def expert_login(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/panel")  # an expert lands on their own queue


def fill_points(page, a14: str, a15: str, a17: str) -> None:
    for code, points in (("A14", a14), ("A15", a15), ("A17", a17)):
        box = page.locator(f"#ind-{code}")
        box.get_by_label(re.compile("评分（0 至")).fill(points)
        box.get_by_label("评分说明（必填）").fill(f"现场查看 {code}，打 {points} 分")


def test_three_experts_score_on_phones_and_the_reviewer_decides(new_page, live_app):
    river = live_app.new_waterbody("专家组验收河")
    aid = live_app.submitted_assessment(river, full_river_answers())
    with live_app.db() as db:
        for username in ("panel_b", "panel_c"):
            if users.by_username(db, username) is None:
                users.create(db, username, PASSWORD, "expert", display_name=f"{username}（演示）")

    reviewer = new_page(phone=False)
    reviewer.goto("/login")
    reviewer.get_by_label("用户名").fill("reviewer")
    reviewer.get_by_label("密码").fill(PASSWORD)
    reviewer.get_by_role("button", name="登录").click()
    reviewer.wait_for_load_state()
    reviewer.goto(f"/assessments/{aid}")
    naming = reviewer.locator("#panel")
    for username, *_points in EXPERTS:
        naming.locator(f'input[value="{username}"]').check()
    assert_inputs_labelled(reviewer)
    shot(reviewer, "40-reviewer-names-panel", full_page=False)
    naming.get_by_role("button", name="组建专家组").click()
    expect(reviewer.locator(".flash")).to_have_text("已组建专家组，共 3 位专家。")
    expect(reviewer.locator("#panel")).to_contain_text("已提交 0 / 3 位专家")

    for number, (username, a14, a15, a17) in enumerate(EXPERTS, start=1):
        phone = new_page(phone=True)
        expert_login(phone, username)
        queue_item = phone.locator(".panel-queue li", has_text=river["name"])
        expect(queue_item).to_contain_text("待评分")
        expect(queue_item).to_contain_text(f"您是专家{number}")
        if number == 1:
            assert_no_horizontal_scroll(phone)
            shot(phone, "41-expert-queue-phone")
        queue_item.get_by_role("link", name=river["name"]).click()
        expect(phone.locator("h1")).to_contain_text(river["name"])
        assert_inputs_labelled(phone)

        if number == 1:
            # a value off the 0.5 step and a missing note: messages beside the fields
            fill_points(phone, "4.2", a15, a17)
            phone.locator("#ind-A15").get_by_label("评分说明（必填）").fill("")
            phone.get_by_role("button", name="提交评分").click()
            expect(phone.locator("#A14-points-error")).to_contain_text("0.5 的整数倍")
            expect(phone.locator("#A15-note-error")).to_contain_text("请填写")
            expect(phone.locator("#A14-points")).to_have_value("4.2")  # nothing typed is lost
            assert_no_horizontal_scroll(phone)
            shot(phone, "42-expert-form-errors-phone")
        if number == 2:
            # before submitting, the others' points are hidden, even on the result page
            phone.get_by_role("link", name="查看评估全文").click()
            panel = phone.locator("#panel")
            expect(panel).to_contain_text("提交您的评分之后，才能看到其他专家的评分")
            expect(panel).not_to_contain_text("合成得分")
            expect(panel).not_to_contain_text("现场查看")
            phone.get_by_role("link", name="填写我的评分").click()

        fill_points(phone, a14, a15, a17)
        phone.get_by_role("button", name="保存").click()
        expect(phone.locator(".flash")).to_have_text("评分已保存，提交前仍可修改。")
        expect(phone.locator("#A14-points")).to_have_value(a14)
        phone.get_by_role("button", name="提交评分").click()
        expect(phone.locator(".flash")).to_have_text("已提交评分。")
        expect(phone.locator("#panel")).to_contain_text("（我）")
        if number == 3:
            # after submitting: the others' points (as 专家1…n) and the combined points
            expect(phone.locator("#panel tfoot")).to_contain_text("4.17")
            assert_no_horizontal_scroll(phone)
            phone.locator("#panel").scroll_into_view_if_needed()
            shot(phone, "43-expert-sees-panel-after-submitting-phone", full_page=False)
        if number == 2:
            reviewer.reload()
            expect(reviewer.locator("#review")).to_contain_text("专家组尚有 1 位专家未提交评分")

    reviewer.reload()
    panel = reviewer.locator("#panel")
    expect(panel).to_contain_text("全部 3 位专家已提交")
    expect(panel.get_by_role("row", name=re.compile("^panel_b"))).to_contain_text("3")
    expect(panel.locator("tfoot")).to_contain_text("4.17")
    expect(panel.locator(".spread-flag")).to_have_count(1)
    expect(panel.locator(".spread-flag")).to_contain_text("分歧较大")
    expect(panel).to_contain_text("3 位专家评分，取平均，四舍五入到 0.01")
    expect(reviewer.locator("#total")).to_have_text("98.17")
    review = reviewer.locator("#review")
    expect(review.get_by_label("通过验收")).to_be_checked()  # the panel's decision, preselected
    panel.scroll_into_view_if_needed()
    shot(reviewer, "44-reviewer-sees-panel", full_page=False)
    review.scroll_into_view_if_needed()
    shot(reviewer, "45-reviewer-decides-on-panel-points", full_page=False)
    review.get_by_role("button", name="提交审核结论").click()
    expect(reviewer.locator(".flash")).to_have_text("已作出结论：通过验收。")
    decided = live_app.assessment(aid)
    assert decided["status"] == "accepted"
    assert decided["result"]["indicators"]["A14"]["points"] == "4.17"
    assert decided["result"]["total"] == "98.17"
