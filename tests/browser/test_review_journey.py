"""A city reviewer sends an assessment back, the inspector fixes it; then a decision that shows
on the leaderboard and the progress page at once."""

import re

from playwright.sync_api import expect

from tests.answers import full_river_answers

from .helpers import assert_inputs_labelled, assert_no_horizontal_scroll, login, shot

FIELD_COMMENT = "现场测得自然岸线约 80%，请按实测更正"
COMMENT = "自然岸线率与现场不符，请核实后重新提交"


def test_reviewer_returns_with_comments_and_the_inspector_fixes_it(new_page, live_app):
    river = live_app.new_waterbody("退回测试河")
    answers = full_river_answers()
    answers["A6"] = 45  # natural shoreline: 4 × 5/40 = 0.50 instead of 4
    aid = live_app.submitted_assessment(river, answers)

    reviewer = new_page(phone=False)
    login(reviewer, "reviewer")
    reviewer.get_by_role("navigation", name="主导航").get_by_role("link", name="待审核").click()
    reviewer.get_by_role("row", name=re.compile(river["name"])).get_by_role(
        "link", name=str(aid)
    ).click()
    expect(reviewer.locator("#total")).to_have_text("96.50")
    review = reviewer.locator("#review")
    assert_inputs_labelled(reviewer)
    review.get_by_label("退回修改").check()
    review.get_by_label("审核意见").fill(COMMENT)
    review.get_by_text("按指标填写退回意见（选填）").click()
    review.get_by_label("A6 自然岸线率").fill(FIELD_COMMENT)
    shot(reviewer, "10-reviewer-returns", full_page=False)
    review.get_by_role("button", name="提交审核结论").click()
    expect(reviewer.locator(".flash")).to_have_text("已退回，检查员将看到您的意见。")
    expect(reviewer.locator("h1 .badge")).to_have_text("已退回")

    # the inspector, on the phone, finds the comment — and the field comment at its field
    inspector = new_page(phone=True)
    login(inspector, "yubei")
    # the header's 通知 says something came in; the notification leads to the assessment
    assert int(inspector.locator("#unread-count").inner_text()) >= 1
    inspector.locator("#nav-inbox").click()
    inspector.get_by_role("link", name=re.compile(f"评估已退回修改：{river['name']}")).click()
    inspector.wait_for_url(re.compile(rf"/assessments/{aid}(/edit)?$"))
    shot(inspector, "11a-inspector-opened-notification", full_page=False)
    inspector.goto("/inbox")  # read now
    mine = inspector.locator(".notification").filter(has_text=f"评估已退回修改：{river['name']}")
    expect(mine).to_have_class(re.compile(r"\bread\b"))
    inspector.goto("/")
    # it is on the landing page, under 已退回 with the comment, and counted in the header
    returned_count = int(inspector.locator("#returned-count").inner_text())
    assert returned_count >= 1
    item = inspector.locator("#todo-returned .todo-item").filter(has_text=river["name"])
    expect(item).to_contain_text(COMMENT)
    assert_no_horizontal_scroll(inspector)
    shot(inspector, "11-inspector-sees-return", full_page=False)
    item.get_by_role("link").click()
    inspector.wait_for_url(f"**/assessments/{aid}/edit")
    expect(inspector.locator(".card.returned")).to_contain_text(COMMENT)
    comments = inspector.locator(".reviewer-comment")
    expect(comments).to_have_count(1)
    expect(inspector.locator("#ind-A6 .reviewer-comment")).to_contain_text(FIELD_COMMENT)
    # the link in the summary takes the inspector to that field
    inspector.locator(".card.returned").get_by_role("link", name="A6").click()
    expect(inspector.locator("#ind-A6 .reviewer-comment")).to_be_in_viewport()
    shoreline = inspector.get_by_label("自然岸线率")
    expect(shoreline).to_have_value("45")
    assert_no_horizontal_scroll(inspector)
    shot(inspector, "12-inspector-comment-at-field", full_page=False)
    shoreline.fill("80")
    expect(inspector.locator("#points-A6")).to_have_text("4.00")
    expect(inspector.locator("#running-total")).to_have_text("100.00")
    inspector.once("dialog", lambda dialog: dialog.accept())  # 确定提交？
    inspector.get_by_role("button", name="提交审核").click()
    expect(inspector.locator(".flash")).to_have_text("已提交，等待市级审核。")
    expect(inspector.locator("h1 .badge")).to_have_text("待审核")
    expect(inspector.locator("#total")).to_have_text("100.00")
    # resubmitted: one fewer waiting in the header
    expect(inspector.locator("#returned-count")).to_have_count(1 if returned_count > 1 else 0)

    # back in the reviewer's queue, corrected
    reviewer.get_by_role("navigation", name="主导航").get_by_role("link", name="待审核").click()
    row = reviewer.get_by_role("row", name=re.compile(river["name"]))
    expect(row).to_contain_text("100.00")
    assert live_app.assessment(aid)["answers"]["A6"] == 80
    # flagged as resubmitted, with what the district changed since the return
    expect(row).to_contain_text("退回后重新提交")
    changes = reviewer.locator(f"#changes-{aid}")
    changes.get_by_text("自退回以来修改了 1 处").click()
    expect(changes.get_by_role("row", name=re.compile("A6"))).to_contain_text("45")
    expect(changes.get_by_role("row", name=re.compile("A6"))).to_contain_text("80")
    shot(reviewer, "13-reviewer-sees-changes", full_page=False)
    # 审核 leads straight to the form at the bottom of the result page
    row.get_by_role("link", name="审核").click()
    expect(reviewer.locator("#review")).to_be_in_viewport()


def _district_count(page, district: str) -> int:
    row = page.locator("#district-board tbody tr").filter(has_text=district)
    expect(row).to_have_count(1)
    return int(row.locator("td").nth(2).inner_text())


def test_an_acceptance_shows_on_the_leaderboard_and_progress_at_once(new_page, live_app):
    river = live_app.new_waterbody("验收测试河")
    aid = live_app.submitted_assessment(river, full_river_answers())

    reviewer = new_page(phone=False)
    login(reviewer, "reviewer")
    reviewer.goto("/leaderboard/districts")
    before_district = _district_count(reviewer, "渝北区")
    reviewer.goto("/progress")
    before_total = int(reviewer.locator("#accepted").inner_text())

    reviewer.goto(f"/assessments/{aid}")
    review = reviewer.locator("#review")
    expect(review.get_by_label("通过验收")).to_be_checked()  # preselected: the computed decision
    review.get_by_label("审核意见").fill("资料齐全，现场核查通过")
    review.get_by_role("button", name="提交审核结论").click()
    expect(reviewer.locator(".flash")).to_have_text("已作出结论：通过验收。")
    expect(reviewer.locator("h1 .badge")).to_have_text("通过验收")
    shot(reviewer, "13-reviewer-accepted", full_page=False)

    nav = reviewer.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="排行榜").click()
    assert _district_count(reviewer, "渝北区") == before_district + 1
    shot(reviewer, "14-leaderboard-districts")
    nav.get_by_role("link", name="进度").click()
    expect(reviewer.locator("#accepted")).to_have_text(str(before_total + 1))
    shot(reviewer, "15-progress")

    # the waterbody itself now carries the title
    reviewer.goto(f"/waterbodies/{river['id']}")
    expect(reviewer.locator("dl.facts")).to_contain_text("市级幸福河湖")
