"""An inspector at the riverside, on a phone: fill, save, leave, come back, attach, submit."""

import re

from playwright.sync_api import expect

from .helpers import (
    assert_inputs_labelled,
    assert_no_horizontal_scroll,
    login,
    png_bytes,
    shot,
)


def test_inspector_fills_a_river_assessment_on_a_phone(new_page, live_app):
    river = live_app.new_waterbody("手机测试河")
    page = new_page(phone=True)
    login(page, "yubei")

    # the inspector lands on their to-do list; the district's waterbodies are one tap away
    expect(page.get_by_role("heading", name="我的待办")).to_be_visible()
    page.get_by_role("link", name="河湖名录：新建评估").click()
    expect(page.get_by_role("heading", name=re.compile("河湖名录"))).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot(page, "01-inspector-waterbody-list")
    page.get_by_role("link", name=river["name"]).click()
    expect(page.get_by_role("heading", name=river["name"])).to_be_visible()
    page.get_by_label("新建评估").select_option(label="市级验收")
    page.get_by_role("button", name="开始填写").click()
    page.wait_for_url(re.compile(r"/assessments/\d+/edit$"))
    edit_url = page.url
    assert_no_horizontal_scroll(page)
    assert_inputs_labelled(page)
    shot(page, "02-inspector-form-empty", full_page=False)

    # subtotals follow the typing
    page.get_by_label("防洪达标率").fill("96.5")
    expect(page.locator("#points-A1")).to_have_text("6.88")
    expect(page.locator("#subtotal-safety")).to_have_text("6.88")
    page.get_by_label("行洪安全性").fill("1")
    expect(page.locator("#subtotal-safety")).to_have_text("11.88")
    expect(page.locator("#running-total")).to_have_text("11.88")
    page.get_by_label("行洪安全性").fill("0")
    expect(page.locator("#subtotal-safety")).to_have_text("13.88")

    # the water-quality class and its limiting parameter appear as the values are typed
    water = page.locator("#ind-A3")
    for label, value in (
        ("溶解氧", "6.8"),
        ("高锰酸盐指数", "3.2"),
        ("化学需氧量", "14"),
        ("五日生化需氧量", "2.6"),
        ("氨氮", "0.42"),
    ):
        expect(page.locator("#wq-A3")).to_contain_text("填齐各项参数后显示水质类别")
        water.get_by_label(label, exact=True).fill(value)
    water.get_by_label("总磷", exact=True).fill("0.25")
    expect(page.locator("#wq-A3")).to_have_text(re.compile(r"水质类别：Ⅳ 类，限制因子：总磷$"))
    expect(page.locator("#points-A3")).to_have_text("3.50")
    shot(page, "03-inspector-water-class-typed", full_page=False)
    water.get_by_label("总磷", exact=True).fill("0.09")
    expect(page.locator("#wq-A3")).to_contain_text("水质类别：Ⅱ 类")
    expect(page.locator("#wq-A3")).to_contain_text("总磷")
    expect(page.locator("#points-A3")).to_have_text("7.00")

    # leaving with unsaved changes asks first; staying keeps everything typed
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        if dialog.type == "confirm":  # 提交审核 asks first
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", on_dialog)
    with page.expect_event("dialog"):  # wait for the question itself, not a fixed time
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="河湖").click()
    assert dialogs == ["beforeunload"]
    assert page.url == edit_url
    expect(page.get_by_label("防洪达标率")).to_have_value("96.5")

    # saving the draft clears the warning: leaving now asks nothing
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".flash")).to_have_text("草稿已保存。")
    expect(page.get_by_label("防洪达标率")).to_have_value("96.5")
    shot(page, "04-inspector-draft-saved", full_page=False)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="河湖").click()
    page.wait_for_url("**/waterbodies")
    assert dialogs == ["beforeunload"]  # no second warning

    # coming back the way a person would: list → waterbody → assessment → continue
    page.get_by_role("link", name=river["name"]).click()
    page.get_by_role("row", name=re.compile("市级验收")).get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text(river["name"])
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="继续填写").click()
    page.wait_for_url(edit_url)
    expect(page.get_by_label("防洪达标率")).to_have_value("96.5")
    expect(page.get_by_label("行洪安全性")).to_have_value("0")
    expect(water.get_by_label("总磷", exact=True)).to_have_value("0.09")
    expect(page.locator("#wq-A3")).to_contain_text("水质类别：Ⅱ 类")
    expect(page.locator("#subtotal-safety")).to_have_text("13.88")

    # a photo taken half-way: what was typed but not saved is saved before the upload
    page.get_by_label("污水集中处理率").fill("95")
    evidence = page.locator("#evidence")
    evidence.get_by_label("对应指标").select_option("A3")
    evidence.get_by_label(re.compile("文件")).set_input_files(
        {"name": "水质采样.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    evidence.get_by_role("button", name="上传").click()
    page.wait_for_url(re.compile(r"/edit#evidence$"))
    expect(page.locator(".flash")).to_have_text("已上传「水质采样.png」")
    expect(evidence.get_by_role("link", name="水质采样.png")).to_be_visible()
    expect(page.get_by_label("污水集中处理率")).to_have_value("95")
    assert dialogs == ["beforeunload"]
    shot(page, "05-inspector-photo-attached", full_page=False)

    # the rest of the form, then submit
    for label, value in (
        ("防洪达标率", "100"),
        ("生态流量保证率", "90"),
        ("自然岸线率", "80"),
        ("鱼类多样性指数", "90"),
        ("水土保持率", "100"),
        ("水岸整洁度", "0"),
        ("供水水量保证率", "95"),
        ("幸福河湖建设任务完成情况", "100"),
    ):
        page.get_by_label(label, exact=True).fill(value)
    for code in ("A10", "A13", "A16"):
        boxes = page.locator(f"#ind-{code} input[type=checkbox]")
        for i in range(boxes.count()):
            boxes.nth(i).check()
    page.locator("#ind-A12").get_by_label("达标", exact=True).check()
    for code, note in (("A14", "古桥已挂牌保护"), ("A15", "每年办河湖文化节"), ("A17", "滨河民宿")):
        section = page.locator(f"#ind-{code}")
        section.get_by_label("评分", exact=True).select_option("5")
        section.get_by_label("评分说明").fill(note)
    page.get_by_label("沿河乡镇增长率").fill("6.1")
    page.get_by_label("区县增长率").fill("5.8")
    page.get_by_label("满意率").fill("95")
    page.get_by_label("样本量").fill("400")
    expect(page.locator("#running-total")).to_have_text("100.00")
    expect(page.locator("#missing-count")).to_have_text("已全部填写")
    for dim, subtotal in (("safety", "15.00"), ("ecology", "25.00"), ("satisfaction", "15.00")):
        expect(page.locator(f"#subtotal-{dim}")).to_have_text(subtotal)
    assert_no_horizontal_scroll(page)
    shot(page, "06-inspector-form-complete")
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(re.compile(r"/assessments/\d+$"))
    expect(page.locator(".flash")).to_have_text("已提交，等待市级审核。")
    expect(page.locator("#total")).to_have_text("100.00")
    expect(page.locator("h1 .badge")).to_have_text("待审核")
    expect(page.get_by_role("link", name="水质采样.png")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot(page, "07-inspector-result-submitted")
    assert dialogs == ["beforeunload", "confirm"]  # asked before submitting, not about leaving

    aid = int(re.search(r"/assessments/(\d+)$", page.url).group(1))
    saved = live_app.assessment(aid)
    assert saved["status"] == "submitted"
    assert saved["answers"]["A1"] == 100 and saved["answers"]["A4"] == 95
    assert saved["answers"]["A3"]["tp"] == 0.09


def test_the_form_in_english_on_a_phone(new_page, live_app):
    river = live_app.new_waterbody("英文测试河")
    aid = live_app.draft_assessment(river, {"A1": 96.5, "gates": {}})
    page = new_page(phone=True)
    login(page, "yubei")
    page.goto(f"/assessments/{aid}/edit")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"**/assessments/{aid}/edit")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#dim-safety legend")).to_contain_text("Safe and secure")
    expect(page.get_by_label("Flood-control compliance rate")).to_have_value("96.5")
    # the running texts written by the script are English too
    water = page.locator("#ind-A3")
    for label, value in (
        ("Dissolved oxygen", "6.8"),
        ("Permanganate index", "3.2"),
        ("COD", "14"),
        ("BOD₅", "2.6"),
        ("Ammonia nitrogen", "0.42"),
        ("Total phosphorus", "0.25"),
    ):
        water.get_by_label(label, exact=True).fill(value)
    expect(page.locator("#wq-A3")).to_have_text(
        "Water quality: class Ⅳ; limiting: Total phosphorus"
    )
    # 20 indicators less A1, A3 and the three checklists (an empty checklist is an answer)
    expect(page.locator("#missing-count")).to_have_text("15 not filled in")
    assert_no_horizontal_scroll(page)
    assert_inputs_labelled(page)
    shot(page, "08-inspector-form-english", full_page=False)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_label("Total phosphorus")).to_have_value("0.25")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
