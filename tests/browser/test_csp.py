"""The Content-Security-Policy in Chromium: the main pages run and look right with no violation.

Every page is opened with a listener for `securitypolicyviolation` events (installed before any
page script) and for the console's "Content Security Policy" messages; one blocked inline
script, style or attribute fails the test. The charts are checked for the styling that used to
come from pygal's inline <style>: fonts from static/css/charts.css, series colours and dashes
from presentation attributes.
"""

from tests.answers import full_river_answers

from .helpers import PASSWORD, login

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} `
                    + `at ${e.sourceFile || location.pathname}:${e.lineNumber}`);
});
window.print = () => { window.__printed = true; };  // no print dialog in a test
"""

BLUE = "rgb(11, 95, 165)"  # views.charts.BLUE, the accepted series


def watch(page) -> list[str]:
    console = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return console


def visit(page, console: list[str], url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    events = page.evaluate("window.__csp")
    assert events == [] and console == [], f"CSP violations on {url}: {events + console}"


def chart_style(page, selector: str) -> dict:
    return page.evaluate(
        """(selector) => {
            const svg = document.querySelector(selector);
            const css = (el, p) => el ? getComputedStyle(el).getPropertyValue(p) : null;
            const line = svg.querySelector(".series.serie-0 .line, .series.serie-0 .reactive");
            return {
              titleSize: css(svg.querySelector(".title"), "font-size"),
              titleFont: css(svg.querySelector(".title"), "font-family"),
              background: css(svg.querySelector(".graph > .background"), "fill"),
              seriesStroke: css(line, "stroke"),
              guide: css(svg.querySelector(".axis .guide.line"), "stroke-dasharray"),
              valueFill: css(svg.querySelector(".text-overlay text"), "fill"),
            };
        }""",
        selector,
    )


def test_main_pages_run_without_a_csp_violation(new_page, live_app):
    river = live_app.new_waterbody("安全策略河")
    accepted = live_app.accepted_assessment(river, full_river_answers())
    draft = live_app.draft_assessment(live_app.new_waterbody("安全策略溪"), {"A1": 96.5})

    page = new_page(phone=False)
    console = watch(page)
    visit(page, console, "/login")
    login(page, "yubei")
    for url in (
        "/waterbodies",
        f"/waterbodies/{river['id']}",
        f"/assessments/{draft}/edit",
        f"/assessments/{accepted}",
        "/progress",
        "/leaderboard/districts",
        "/leaderboard/waterbodies",
        "/exports",
    ):
        visit(page, console, url)

    # the inspection form's script read its texts from the JSON block and runs: typing a value
    # updates the indicator's points
    visit(page, console, f"/assessments/{draft}/edit")
    before = page.locator("#points-A1").text_content()
    page.locator("#A1").fill("80")
    page.wait_for_function(
        "(before) => document.querySelector('#points-A1').textContent !== before", arg=before
    )

    # the charts keep the look pygal's inline <style> gave them
    visit(page, console, "/progress")
    progress = chart_style(page, "figure.chart svg")
    assert progress["titleSize"] == "17px" and "Noto Sans CJK SC" in progress["titleFont"]
    assert progress["background"] == "rgb(255, 255, 255)"
    assert progress["seriesStroke"] == BLUE
    assert progress["guide"] == "4px, 4px"  # the dashed grid
    visit(page, console, f"/assessments/{accepted}")
    radar = chart_style(page, ".radar svg")
    assert radar["seriesStroke"] == BLUE and radar["valueFill"] == "rgb(0, 0, 0)"

    # the report's print button, now wired by static/js/report.js instead of onclick="…"
    visit(page, console, f"/assessments/{accepted}/report")
    assert chart_style(page, ".radar svg")["seriesStroke"] == BLUE
    page.get_by_role("button", name="打印 / 另存为 PDF").click()
    page.wait_for_function("window.__printed === true")

    for username, urls in (
        (
            "admin",
            ("/review", "/admin/users", "/admin/audit")
            + ("/admin/waterbodies/new", "/admin/waterbodies/import", "/waterbodies?sort=name")
            + ("/schedule?window=all", "/inbox", "/review?status=returned"),
        ),
        ("expert", ("/panel", "/offline", "/inbox")),  # an expert signs in to the panel queue
    ):
        other = new_page(phone=False)
        console = watch(other)
        other.goto("/login")
        other.get_by_label("用户名").fill(username)
        other.get_by_label("密码").fill(PASSWORD)
        other.get_by_role("button", name="登录").click()
        other.wait_for_url(lambda url: not url.endswith("/login"))
        for url in urls:
            visit(other, console, url)
