"""From the expert panel to the title (issue 12, "Done means"): three experts score on phones,
the reviewer decides, the administrator publishes a 公示 batch that an anonymous browser reads,
records an objection and its resolution, names the batch, and /progress counts one more
市级幸福河湖 from the naming date — not from the decision.

The journey is back-dated (decided 30 days ago, notice from 25 days ago) so that its notice is
over and the batch can be named today at the latest, as historical batches are entered.
"""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from happy_rivers import clock
from happy_rivers.scoring.process import notice_period
from happy_rivers.store import users
from tests.answers import full_river_answers

from .helpers import PASSWORD, assert_inputs_labelled, assert_no_horizontal_scroll, login, shot

EXPERTS = [("expert", "5"), ("notice_b", "4.5"), ("notice_c", "4")]


@pytest.fixture
def publicity_on(live_app):
    """The shared live app runs with PUBLICITY off (its other journeys count a decision at
    once); this journey is the one with 公示 on, as the product ships."""
    live_app.app.config["PUBLICITY"] = True
    yield
    live_app.app.config["PUBLICITY"] = False


def accepted_on(page, day) -> int:
    page.goto(f"/progress?as_of={day.isoformat()}")
    return int(page.locator("#accepted").inner_text())


def test_panel_decision_notice_objection_naming_and_progress(new_page, live_app, publicity_on):
    today = clock.today()
    decided_on = today - timedelta(30)
    starts_on = today - timedelta(25)
    named_on = notice_period(starts_on).naming_from
    assert named_on <= today
    river = live_app.new_waterbody("公示验收河")
    aid = live_app.submitted_assessment(river, full_river_answers())
    with live_app.db() as db:
        for username, _points in EXPERTS[1:]:
            if users.by_username(db, username) is None:
                users.create(db, username, PASSWORD, "expert", display_name=f"{username}（演示）")

    # the reviewer names the panel
    reviewer = new_page(phone=False)
    login(reviewer, "reviewer")
    reviewer.goto(f"/assessments/{aid}")
    naming = reviewer.locator("#panel")
    for username, _points in EXPERTS:
        naming.locator(f'input[value="{username}"]').check()
    naming.get_by_role("button", name="组建专家组").click()
    expect(reviewer.locator(".flash")).to_have_text("已组建专家组，共 3 位专家。")

    # three experts score on their phones
    for username, points in EXPERTS:
        phone = new_page(phone=True)
        login(phone, username)
        phone.locator(".panel-queue li", has_text=river["name"]).get_by_role(
            "link", name=river["name"]
        ).click()
        for code in ("A14", "A15", "A17"):
            box = phone.locator(f"#ind-{code}")
            box.get_by_label(re.compile("评分（0 至")).fill(points)
            box.get_by_label("评分说明（必填）").fill(f"现场查看 {code}")
        phone.get_by_role("button", name="提交评分").click()
        expect(phone.locator(".flash")).to_have_text("已提交评分。")
        assert_no_horizontal_scroll(phone)

    # the reviewer decides (back-dated): the waterbody goes into 公示, no title yet
    reviewer.reload()
    expect(reviewer.locator("#panel")).to_contain_text("全部 3 位专家已提交")
    review = reviewer.locator("#review")
    review.get_by_label("结论日期").fill(decided_on.isoformat())
    review.get_by_role("button", name="提交审核结论").click()
    expect(reviewer.locator(".flash")).to_have_text("已作出结论：通过验收。")
    reviewer.goto(f"/waterbodies/{river['id']}")
    expect(reviewer.locator("dl.facts")).to_contain_text("公示中")
    before = accepted_on(reviewer, named_on)

    # the administrator publishes a batch with this acceptance
    admin = new_page(phone=False)
    login(admin, "admin")
    admin.goto("/publicity")
    form = admin.locator("#new-batch")
    form.get_by_label(re.compile(river["name"])).check()
    form.get_by_label("公示开始日期").fill(starts_on.isoformat())
    form.get_by_label("联系方式（随公示发布）").fill("市河长办 023-6000 0000（演示）")
    assert_inputs_labelled(admin)
    shot(admin, "60-admin-builds-publicity-batch")
    form.get_by_role("button", name="发布公示").click()
    expect(admin.locator(".flash")).to_contain_text("已发布公示：1 项")
    period = notice_period(starts_on)
    expect(admin.locator("#batch-period")).to_contain_text(
        f"{starts_on.isoformat()} — {period.ends_on.isoformat()}"
    )
    batch_url = admin.url

    # anybody reads it, without signing in, on a phone
    public = new_page(phone=True)
    public.goto("/public/publicity")
    notice = public.locator(".public-notice", has_text=river["name"])
    expect(notice).to_contain_text("渝北区")
    expect(notice).to_contain_text("市河长办 023-6000 0000（演示）")
    assert_no_horizontal_scroll(public)
    shot(public, "61-public-reads-publicity-phone")

    # an objection, and its resolution
    objection = admin.locator("#new-objection")
    objection.get_by_label("收到日期").fill((starts_on + timedelta(1)).isoformat())
    objection.get_by_label("来源渠道").select_option(label="电话")
    objection.get_by_label("涉及的河湖（可不选）").select_option(label=river["name"])
    objection.get_by_label("异议内容").fill("来电反映河道右岸仍有建筑垃圾（演示）")
    objection.get_by_role("button", name="登记异议").click()
    expect(admin.locator(".flash")).to_have_text("已登记异议。")
    recorded = admin.locator("article.objection", has_text="建筑垃圾")
    expect(recorded).to_contain_text(river["name"])
    # naming waits for the resolution
    admin.locator("#naming").get_by_label("命名日期").fill(named_on.isoformat())
    admin.locator("#naming").get_by_role("button", name="命名", exact=True).click()
    expect(admin.locator(".flash")).to_contain_text("1 条异议未记录处理结果")
    recorded = admin.locator("article.objection", has_text="建筑垃圾")
    recorded.get_by_label("处理结果", exact=True).fill("经现场核查已清运，答复来电人（演示）")
    recorded.get_by_role("button", name="记录处理结果").click()
    expect(admin.locator(".flash")).to_have_text("已记录异议处理结果。")
    expect(admin.locator("article.objection .resolution")).to_contain_text("已清运")
    shot(admin, "62-admin-objection-resolved")

    # 命名 on the first day allowed
    admin.locator("#naming").get_by_label("命名日期").fill(named_on.isoformat())
    admin.locator("#naming").get_by_role("button", name="命名", exact=True).click()
    expect(admin.locator(".flash")).to_have_text(
        f"已命名：1 个河湖自 {named_on.isoformat()} 起为市级幸福河湖。"
    )
    expect(admin.locator("#named-on")).to_have_text(named_on.isoformat())
    assert admin.url == batch_url
    shot(admin, "63-admin-named-batch")

    # the title counts from the naming date: one more on it, none the day before
    assert accepted_on(reviewer, named_on) == before + 1
    assert accepted_on(reviewer, named_on - timedelta(1)) == before
    shot(reviewer, "64-progress-after-naming")
    public.reload()
    expect(public.locator(".public-notice", has_text=river["name"])).to_have_count(0)
