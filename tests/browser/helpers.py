"""Helpers the browser journeys share: signing in, screenshots, layout and label checks."""

import zlib
from pathlib import Path
from struct import pack

from happy_rivers.store.demo import DEMO_PASSWORD as PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    # inspectors land on their to-do list, reviewers on the queue, administrators on waterbodies
    page.wait_for_url(lambda url: "/login" not in url)


def shot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot to screenshots/<name>.png for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def assert_no_horizontal_scroll(page) -> None:
    """Nothing sticks out sideways. Compared with the viewport set for the page, not with
    innerWidth: a phone browser zooms out to fit content that is too wide, so innerWidth grows
    with the overflow and would hide it."""
    width = page.viewport_size["width"]
    scroll_width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= width and inner <= width, (
        f"{page.url} scrolls sideways at {width}px: content {scroll_width}px wide, "
        f"layout viewport {inner}px"
    )


def assert_inputs_labelled(page) -> None:
    """Every visible form control has an accessible name (label, aria-label or aria-labelledby)."""
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden')
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.getAttribute('aria-labelledby') && !el.getAttribute('title'))
            .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""
    )
    assert unnamed == [], f"form controls without a label on {page.url}: {unnamed}"


def png_bytes(width: int = 24, height: int = 16) -> bytes:
    """A small valid PNG (a blue-to-green gradient), made here so the tests need no files."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(bytes((20, 90 + 6 * x, 200 - 8 * y)) for x in range(width))
        for y in range(height)
    )
    header = pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
