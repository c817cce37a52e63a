"""The acceptance report, printed by Chromium: one or two A4 pages, nothing cut off."""

import re

from playwright.sync_api import expect

from tests.answers import full_river_answers

from .helpers import SCREENSHOTS, assert_no_horizontal_scroll, login, shot

A4_POINTS = (595, 842)  # 210 × 297 mm in PostScript points


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """Sizes (width, height in points) of the page objects of a PDF (not the /Pages tree)."""
    sizes = []
    for match in re.finditer(rb"/Type\s*/Page(?!s)\b", pdf):
        # the page's dictionary: from the preceding "obj" to the next "endobj"
        start = pdf.rfind(b" obj", 0, match.start())
        end = pdf.find(b"endobj", match.end())
        box = re.search(
            rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf[start:end]
        )
        assert box, "a page without a MediaBox"
        x0, y0, x1, y1 = (float(v) for v in box.groups())
        sizes.append((x1 - x0, y1 - y0))
    return sizes


def test_acceptance_report_prints_on_one_or_two_a4_pages(new_page, live_app):
    river = live_app.new_waterbody("报告测试河")
    answers = full_river_answers()
    answers["A6"] = 60
    aid = live_app.accepted_assessment(river, answers, comment="现场核查通过，资料齐全")

    page = new_page(phone=False)
    login(page, "yubei")
    page.goto(f"/assessments/{aid}")
    page.get_by_role("link", name="打印验收报告").click()
    page.wait_for_url(f"**/assessments/{aid}/report")
    report = page.locator("#report")
    expect(report.get_by_role("heading", level=1)).to_have_text("市级幸福河湖验收报告")
    expect(report).to_contain_text(river["name"])
    expect(report).to_contain_text("渝北区")
    expect(page.locator("#report-total")).to_have_text("98.00")
    expect(page.locator("#report-decision")).to_have_text("通过验收")
    expect(report.get_by_role("img")).to_have_count(1)  # the radar
    for role in ("检查员", "审核员"):
        expect(report.locator(".sign .role", has_text=role)).to_have_count(1)
    expect(report.locator(".sign .role", has_text="日期")).to_have_count(2)
    shot(page, "40-report-screen")

    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印 / 另存为 PDF")).to_be_hidden()
    page.set_viewport_size({"width": 680, "height": 1010})  # 180 × 267 mm: A4 inside the margins
    shot(page, "41-report-print-media")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (SCREENSHOTS / "41-report.pdf").write_bytes(pdf)
    pages = pdf_pages(pdf)
    assert 1 <= len(pages) <= 2, f"the report prints on {len(pages)} pages"
    for width, height in pages:
        assert abs(width - A4_POINTS[0]) < 2 and abs(height - A4_POINTS[1]) < 2, (width, height)

    # the same report on a phone screen: readable, nothing wider than the screen
    phone = new_page(phone=True)
    login(phone, "yubei")
    phone.goto(f"/assessments/{aid}/report")
    expect(phone.locator("#report-total")).to_have_text("98.00")
    assert_no_horizontal_scroll(phone)
    shot(phone, "42-report-phone", full_page=False)
