"""Offline work meets the server's idempotency and conflict rules (issue 10 §1, with views/
idempotency.py): an outbox entry sent twice is applied once, an assessment created offline
appears once, and a queued save that meets a colleague's change opens the conflict view."""

import re

import pytest
from playwright.sync_api import expect

from happy_rivers.store import assessments, users

from .helpers import login, shot
from .test_offline import open_form_online, ready, saved_audit_rows, wait_cached


def test_an_outbox_entry_sent_twice_is_applied_once(new_page, live_app):
    river = live_app.new_waterbody("重发河")
    aid = live_app.draft_assessment(river, {"gates": {}})
    before = live_app.assessment(aid)
    page = new_page(phone=True)
    login(page, "yubei")
    open_form_online(page, live_app, aid)
    page.context.set_offline(True)
    page.get_by_label("防洪达标率").fill("94")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#outbox-badge")).to_contain_text("待同步 1")

    keys = []

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            return route.continue_()
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server applies the save …
            return route.abort()  # … and its answer is lost on the way back
        return route.continue_()

    page.context.route(re.compile(r".*/assessments/\d+/edit$"), lose_the_first_answer)
    page.context.set_offline(False)
    # the outbox retries by itself (back-off) and the server answers from its record
    expect(page.locator("#outbox-badge")).to_be_hidden(timeout=20_000)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert re.fullmatch(r"[0-9a-f-]{36}", keys[0])
    after = live_app.assessment(aid)
    assert after["version"] == before["version"] + 1
    assert after["answers"]["A1"] == 94
    assert len(saved_audit_rows(live_app, aid)) == 1


def test_an_assessment_created_offline_appears_once(new_page, live_app):
    river = live_app.new_waterbody("离线新建河")
    page = new_page(phone=True)
    login(page, "yubei")
    page.goto(f"/waterbodies/{river['id']}")
    ready(page)
    new_form = f"/waterbodies/{river['id']}/assessments/new?kind=acceptance"
    wait_cached(page, new_form)

    page.context.set_offline(True)
    page.get_by_label("新建评估").select_option(label="市级验收")
    page.get_by_role("button", name="开始填写").click()
    page.wait_for_url(f"**{new_form}")
    ready(page)
    page.get_by_label("防洪达标率").fill("95")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#offline-status")).to_contain_text("已离线保存，联网后自动同步")
    shot(page, "offline-05-created-offline", full_page=False)
    with live_app.db() as db:
        assert assessments.list_assessments(db, waterbody_id=river["id"]) == []

    page.context.set_offline(False)
    page.wait_for_url(re.compile(r"/assessments/\d+/edit$"))
    ready(page)
    expect(page.get_by_label("防洪达标率")).to_have_value(re.compile(r"^95(\.0+)?$"))
    with live_app.db() as db:
        rows = assessments.list_assessments(db, waterbody_id=river["id"])
    assert len(rows) == 1 and rows[0]["kind"] == "acceptance"
    assert page.url.endswith(f"/assessments/{rows[0]['id']}/edit")


@pytest.fixture
def bare_page(chromium, live_app):
    """A phone page without the error watch: this journey answers a fetch with 409 on purpose."""
    context = chromium.new_context(
        base_url=live_app.url,
        viewport={"width": 375, "height": 812},
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_a_queued_save_that_conflicts_opens_the_conflict_view(bare_page, live_app):
    river = live_app.new_waterbody("冲突河")
    aid = live_app.draft_assessment(river, {"gates": {}})
    page = bare_page
    login(page, "yubei")
    open_form_online(page, live_app, aid)
    page.context.set_offline(True)
    page.get_by_label("防洪达标率").fill("91")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#outbox-badge")).to_contain_text("待同步 1")

    # meanwhile a colleague saves the same assessment from another phone
    with live_app.db() as db:
        current = assessments.get(db, aid)
        assessments.save(
            db,
            aid,
            expected_version=current["version"],
            action="save",
            answers={"gates": {}, "A1": 80},
            scored=None,
            user=users.by_username(db, "yubei"),
        )
    page.context.set_offline(False)
    banner = page.locator("#offline-status")
    expect(banner).to_contain_text("与他人的修改冲突，尚未同步")
    expect(page.locator("#outbox-badge")).to_contain_text("待同步 1")  # kept, not lost
    shot(page, "offline-08-conflict-kept", full_page=False)
    assert live_app.assessment(aid)["answers"]["A1"] == 80  # nothing overwritten

    banner.get_by_role("button", name="打开冲突对照").click()
    conflict = page.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator("#conflict-A1")).to_contain_text("91")
    expect(conflict.locator("#conflict-A1")).to_contain_text("80")
    shot(page, "offline-09-conflict-view", full_page=False)
