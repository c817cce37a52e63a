"""An administrator resets a colleague's password; the colleague, signed in elsewhere, is signed
out, signs in with the temporary password, is held on the change-password page until they
choose their own, and can then work; signing out ends the session on the server."""

import re

from playwright.sync_api import expect

from happy_rivers.store import users

from .helpers import assert_inputs_labelled, assert_no_horizontal_scroll, login, shot

TEMPORARY = "temporary-river-88"
OWN = "lantern-ridge-2031"
SIGN_IN = re.compile(r"/login\?next=")


def test_a_reset_password_must_be_changed_before_anything_else(new_page, live_app):
    with live_app.db() as db:
        users.create(db, "chongzhi", "first-own-pass-2024", "inspector", "渝北区", "重置演示")
        user_id = users.by_username(db, "chongzhi")["id"]

    colleague = new_page(phone=True)
    login(colleague, "chongzhi", "first-own-pass-2024")

    admin = new_page(phone=False)
    login(admin, "admin")
    admin.goto("/admin/users")
    admin.get_by_role("link", name="chongzhi", exact=True).click()
    reset = admin.locator("#reset-password")
    reset.get_by_label("临时密码").fill(TEMPORARY)
    reset.get_by_role("button", name="重置密码").click()
    expect(admin.locator(".flash")).to_contain_text("已为 chongzhi 设置临时密码")

    # the colleague's open session has ended on the server
    colleague.goto("/waterbodies")
    expect(colleague).to_have_url(SIGN_IN)

    colleague.get_by_label("用户名").fill("chongzhi")
    colleague.get_by_label("密码").fill(TEMPORARY)
    colleague.get_by_role("button", name="登录").click()
    expect(colleague).to_have_url(f"{live_app.url}/account/password")
    expect(colleague.locator(".card .flash-info")).to_contain_text("管理员已为您重置密码")
    colleague.goto("/waterbodies")  # any other page leads back here
    expect(colleague).to_have_url(f"{live_app.url}/account/password")
    assert_inputs_labelled(colleague)
    assert_no_horizontal_scroll(colleague)

    colleague.get_by_label("当前密码").fill(TEMPORARY)
    colleague.get_by_label("新密码", exact=True).fill("1234567890")
    colleague.get_by_label("再次输入新密码").fill("1234567890")
    colleague.get_by_role("button", name="修改密码").click()
    expect(colleague.locator("#new_password-error")).to_have_text(users.PASSWORD_RULES["common"])
    shot(colleague, "30-change-password-refused", full_page=False)

    colleague.get_by_label("当前密码").fill(TEMPORARY)
    colleague.get_by_label("新密码", exact=True).fill(OWN)
    colleague.get_by_label("再次输入新密码").fill(OWN)
    colleague.get_by_role("button", name="修改密码").click()
    expect(colleague).to_have_url(f"{live_app.url}/")  # the inspector's to-do list
    expect(colleague.locator(".flash")).to_contain_text("密码已修改")
    with live_app.db() as db:
        assert users.get(db, user_id)["must_change_password"] == 0

    # signing out ends the session: the same cookie, replayed, is signed out
    cookies = colleague.context.cookies()
    colleague.get_by_role("button", name="退出").click()
    expect(colleague).to_have_url(f"{live_app.url}/login")
    replay = new_page(phone=False)
    replay.context.add_cookies(cookies)
    replay.goto("/waterbodies")
    expect(replay).to_have_url(SIGN_IN)
