"""The form at the riverside with no signal (issue 10 §1): the service worker, drafts kept on the
device, the outbox and its badge, sign-out on a shared phone, and a deployment while offline.

Offline is Playwright's context.set_offline(True), which in this Chromium also cuts the service
worker's own fetches (checked below: a page that was never opened shows the offline page). Each
test waits for conditions the page exposes (the worker controlling the page, the draft in
IndexedDB, the badge), never for a fixed time.
"""

import base64
import hashlib
import re
import shutil
import time
from pathlib import Path
from struct import pack, unpack

import pytest
from playwright.sync_api import expect

from happy_rivers.store import assessments, audit

from .helpers import assert_no_horizontal_scroll, login, shot

PAGES_CACHE = "happy-rivers-pages"


def ready(page) -> None:
    """The offline client has started and the service worker controls the page."""
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def wait_cached(page, url: str) -> None:
    page.wait_for_function(
        "([name, url]) => caches.open(name).then(c => c.match(new URL(url, location.href).href))"
        ".then(Boolean)",
        arg=[PAGES_CACHE, url],
    )


def open_form_online(page, live_app, assessment_id: int) -> str:
    url = f"/assessments/{assessment_id}/edit"
    page.goto(url)
    ready(page)
    wait_cached(page, url)
    return url


def wait_draft(page, url: str, field: str, value: str) -> None:
    """The value typed is in IndexedDB (what a crash or a closed tab would otherwise lose)."""
    page.wait_for_function(
        """([url, field, value]) => HappyRiversStore.getCurrentUser()
             .then(user => HappyRiversStore.getDraft(user, url))
             .then(d => !!d && (d.fields[field] || []).includes(value))""",
        arg=[url, field, value],
    )


def accept_leaving(page) -> None:
    """form.js asks before leaving a changed form; the inspector says yes (the draft is kept)."""
    page.on("dialog", lambda dialog: dialog.accept())


def saved_audit_rows(live_app, assessment_id: int) -> list[dict]:
    with live_app.db() as db:
        rows = audit.history(db, "assessment", assessment_id)
    return [r for r in rows if r["action"] == "assessment_saved"]


def test_typed_offline_survives_an_offline_reload(new_page, live_app):
    river = live_app.new_waterbody("离线草稿河")
    aid = live_app.draft_assessment(river, {"gates": {}})
    page = new_page(phone=True)
    login(page, "yubei")
    url = open_form_online(page, live_app, aid)

    page.context.set_offline(True)
    page.get_by_label("防洪达标率").fill("96.5")
    page.locator("#ind-A3").get_by_label("溶解氧", exact=True).fill("6.8")
    page.get_by_label("评分说明").first.fill("古桥保存完好")
    wait_draft(page, url, "A14_note", "古桥保存完好")

    accept_leaving(page)
    started = time.perf_counter()
    response = page.reload()
    ready(page)
    elapsed = time.perf_counter() - started
    assert response.from_service_worker, "the reload was not answered by the service worker"
    expect(page.get_by_label("防洪达标率")).to_have_value("96.5")
    expect(page.locator("#ind-A3").get_by_label("溶解氧", exact=True)).to_have_value("6.8")
    expect(page.get_by_label("评分说明").first).to_have_value("古桥保存完好")
    expect(page.locator("#offline-status")).to_contain_text("已恢复本机未同步的内容")
    expect(page.locator("#offline-status")).to_contain_text("当前离线")
    paint = page.evaluate(
        """() => [performance.getEntriesByType('navigation')[0].responseEnd,
                  (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime]"""
    )
    print(
        f"\ncached form offline: answered by the worker at {paint[0]:.0f} ms, first paint "
        f"{paint[1]:.0f} ms, draft restored and client ready {elapsed * 1000:.0f} ms after reload"
    )
    shot(page, "offline-01-restored-after-reload", full_page=False)

    # and the next time it opens online, the draft is still put back (nothing was saved)
    page.context.set_offline(False)
    page.reload()
    ready(page)
    expect(page.get_by_label("防洪达标率")).to_have_value("96.5")


def test_a_page_never_opened_shows_the_offline_page(new_page, live_app):
    page = new_page(phone=True)
    login(page, "yubei")
    ready(page)
    page.context.set_offline(True)
    response = page.goto("/waterbodies?kind=reservoir&q=never-opened")
    assert response.from_service_worker
    expect(page.get_by_role("heading", name="当前离线")).to_be_visible()
    shot(page, "offline-02-never-opened", full_page=False)


def test_save_offline_is_synced_once_when_back_online(new_page, live_app):
    river = live_app.new_waterbody("离线保存河")
    aid = live_app.draft_assessment(river, {"gates": {}})
    before = live_app.assessment(aid)
    page = new_page(phone=True)
    login(page, "yubei")
    open_form_online(page, live_app, aid)

    page.context.set_offline(True)
    page.get_by_label("防洪达标率").fill("97")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#offline-status")).to_contain_text("已离线保存，联网后自动同步")
    expect(page.locator("#outbox-badge")).to_be_visible()
    expect(page.locator("#outbox-badge")).to_contain_text("待同步 1")
    shot(page, "offline-03-saved-to-outbox", full_page=False)
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "offline-03b-header-badge", full_page=False)
    assert live_app.assessment(aid)["version"] == before["version"]

    page.context.set_offline(False)  # the online event sends the outbox
    expect(page.locator("#outbox-badge")).to_be_hidden()
    expect(page.locator("#offline-status")).to_contain_text("已同步 1 项")
    shot(page, "offline-04-synced", full_page=False)
    after = live_app.assessment(aid)
    assert after["version"] == before["version"] + 1
    assert after["answers"]["A1"] == 97
    assert len(saved_audit_rows(live_app, aid)) == 1
    # the page now holds the new version: a second save goes through without a conflict
    expect(page.locator('input[name="version"]')).to_have_value(str(after["version"]))
    page.get_by_label("防洪达标率").fill("98")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".flash-success")).to_contain_text("草稿已保存")
    assert live_app.assessment(aid)["version"] == before["version"] + 2


def test_sign_out_with_unsynced_work_asks_then_clears_the_device(new_page, live_app):
    river = live_app.new_waterbody("共用手机河")
    aid = live_app.draft_assessment(river, {"gates": {}})
    page = new_page(phone=True)
    login(page, "yubei")
    url = open_form_online(page, live_app, aid)
    page.context.set_offline(True)
    page.get_by_label("防洪达标率").fill("91")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#outbox-badge")).to_contain_text("待同步 1")
    # the connection is back but this one save cannot get through yet (the server is unreachable)
    page.context.route(re.compile(r".*/assessments/\d+/edit$"), lambda route: route.abort())
    page.context.set_offline(False)

    with page.expect_event("dialog") as asked:
        page.get_by_role("button", name="退出").click(no_wait_after=True)
    assert "1 项未同步" in asked.value.message
    asked.value.dismiss()
    expect(page.locator("#outbox-badge")).to_contain_text("待同步 1")  # kept: the user said no
    assert page.url.endswith(url)

    with page.expect_event("dialog") as asked:
        page.get_by_role("button", name="退出").click(no_wait_after=True)
    asked.value.accept()
    page.wait_for_url("**/login")
    # the sign-in page has no offline client: read IndexedDB with the plain API
    left = page.evaluate(
        """name => Promise.all([
             new Promise(resolve => {
               const open = indexedDB.open('happy-rivers');
               open.onsuccess = () => {
                 const tx = open.result.transaction(['outbox', 'drafts']);
                 const counts = ['outbox', 'drafts'].map(name => tx.objectStore(name).count());
                 tx.oncomplete = () => resolve(counts.map(c => c.result));
               };
             }),
             caches.has(name)])""",
        PAGES_CACHE,
    )
    assert left == [[0, 0], False]
    assert live_app.assessment(aid)["answers"].get("A1") is None  # nothing was sent


@pytest.fixture
def deployable_static(live_app, tmp_path):
    """The live app serving a copy of static/ that the test may change (a new deployment)."""
    app = live_app.app
    original = app.static_folder
    copy = tmp_path / "static"
    shutil.copytree(original, copy)
    app.static_folder = str(copy)
    yield copy
    app.static_folder = original


def test_a_new_deployment_while_offline_still_opens_the_cached_form(
    new_page, live_app, deployable_static
):
    river = live_app.new_waterbody("更新后离线河")
    aid = live_app.draft_assessment(river, {"gates": {}, "A1": 93})
    page = new_page(phone=True)
    login(page, "yubei")
    url = open_form_online(page, live_app, aid)
    first = page.evaluate("navigator.serviceWorker.controller.scriptURL")

    # deploy: a changed stylesheet changes its precache revision and so the worker script
    css = deployable_static / "css" / "app.css"
    css.write_text(css.read_text() + "\n/* release 2 */\n")
    page.evaluate(
        """() => new Promise(resolve => {
             navigator.serviceWorker.addEventListener('controllerchange', resolve);
             navigator.serviceWorker.getRegistration().then(r => r.update());
           })"""
    )
    revision = hashlib.sha256(css.read_bytes()).hexdigest()[:16]
    page.wait_for_function(
        """rev => caches.keys().then(keys => Promise.all(keys.map(k => caches.open(k)
             .then(c => c.keys())))).then(lists => lists.flat().map(r => r.url)
             .some(u => u.includes('app.css') && u.includes('__WB_REVISION__=' + rev)))""",
        arg=revision,
    )
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == first

    page.context.set_offline(True)
    response = page.goto(url)
    assert response.from_service_worker
    ready(page)
    expect(page.get_by_label("防洪达标率")).to_have_value(re.compile(r"^93(\.0+)?$"))
    css_text = page.evaluate("fetch('/static/css/app.css').then(r => r.text())")
    assert "release 2" in css_text  # the new shell, served offline from the new precache


def test_the_worker_precaches_the_shell_the_rubrics_and_the_offline_page(new_page, live_app):
    page = new_page(phone=True)
    login(page, "yubei")
    ready(page)
    cached = page.evaluate(
        """() => caches.keys()
             .then(names => names.filter(n => n.includes('precache')))
             .then(names => Promise.all(names.map(n => caches.open(n).then(c => c.keys()
               .then(reqs => Promise.all(reqs.map(r => c.match(r).then(res => res.blob())
                 .then(b => [new URL(r.url).pathname, b.size]))))))))
             .then(lists => lists.flat())"""
    )
    paths = {path for path, _size in cached}
    for path in ("/static/css/app.css", "/static/js/offline.js", "/static/js/form.js", "/offline"):
        assert path in paths
    served = {rule.rule for rule in live_app.app.url_map.iter_rules()}
    if "/rubrics/<rubric_id>/<version>.json" in served:
        assert {"/rubrics/cq-river/2025.1.json", "/rubrics/cq-reservoir/2025.1.json"} <= paths
    total = sum(size for _path, size in cached)
    print(f"\nprecached: {len(cached)} files, {total / 1024:.1f} KB")
    for path, size in sorted(cached):
        print(f"  {size / 1024:7.1f} KB  {path}")


# -- evidence photos (§3) ------------------------------------------------------------------------


def exif_app1(taken: str, latitude: float, longitude: float) -> bytes:
    """A JPEG APP1 segment with EXIF DateTimeOriginal and a GPS position, as a camera writes it
    (little-endian TIFF: IFD0 → Exif IFD and GPS IFD, then their data)."""

    def entry(tag: int, kind: int, count: int, value: bytes | int) -> bytes:
        raw = value if isinstance(value, bytes) else pack("<I", value)
        return pack("<HHI", tag, kind, count) + raw.ljust(4, b"\x00")

    def dms(value: float) -> bytes:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        millis = round(((value - degrees) * 60 - minutes) * 60 * 1000)
        return pack("<IIIIII", degrees, 1, minutes, 1, millis, 1000)

    ifd0, exif_ifd, gps_ifd, data = 8, 38, 56, 110
    stamp = taken.encode() + b"\x00"  # 20 bytes
    body = b"II*\x00" + pack("<I", ifd0)
    body += pack("<H", 2) + entry(0x8769, 4, 1, exif_ifd) + entry(0x8825, 4, 1, gps_ifd)
    body += pack("<I", 0)
    body += pack("<H", 1) + entry(0x9003, 2, len(stamp), data) + pack("<I", 0)
    body += pack("<H", 4)
    body += entry(0x0001, 2, 2, b"N\x00") + entry(0x0002, 5, 3, data + 20)
    body += entry(0x0003, 2, 2, b"E\x00") + entry(0x0004, 5, 3, data + 44)
    body += pack("<I", 0)
    assert len(body) == data
    body += stamp + dms(latitude) + dms(longitude)
    payload = b"Exif\x00\x00" + body
    return b"\xff\xe1" + pack(">H", len(payload) + 2) + payload


def jpeg_size(jpeg: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment."""
    i = 2
    while i < len(jpeg):
        marker, length = jpeg[i + 1], unpack(">H", jpeg[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = unpack(">HH", jpeg[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise ValueError("no start of frame")


def camera_photo(page, width: int, height: int) -> bytes:
    """A JPEG the size of a phone camera's, drawn by the browser (no image library needed)."""
    encoded = page.evaluate(
        """([w, h]) => new Promise(resolve => {
             const canvas = document.createElement('canvas');
             canvas.width = w; canvas.height = h;
             const g = canvas.getContext('2d');
             const sky = g.createLinearGradient(0, 0, 0, h);
             sky.addColorStop(0, '#7fb2e5'); sky.addColorStop(1, '#2f6b3a');
             g.fillStyle = sky; g.fillRect(0, 0, w, h);
             canvas.toBlob(blob => {
               const reader = new FileReader();
               reader.onload = () => resolve(reader.result.split(',')[1]);
               reader.readAsDataURL(blob);
             }, 'image/jpeg', 0.92);
           })""",
        [width, height],
    )
    return base64.b64decode(encoded)


def test_a_photo_taken_offline_is_uploaded_once_with_its_exif(new_page, live_app):
    river = live_app.new_waterbody("取证河")
    aid = live_app.draft_assessment(river, {"gates": {}})
    page = new_page(phone=True)
    login(page, "yubei")
    open_form_online(page, live_app, aid)
    plain = camera_photo(page, 2400, 1800)
    photo = plain[:2] + exif_app1("2026:12:04 10:15:30", 29.71234, 106.63456) + plain[2:]

    page.context.set_offline(True)
    page.get_by_label("对应指标").select_option("A1")
    page.set_input_files(
        "#evidence-camera",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}],
    )
    expect(page.locator("#upload-status")).to_have_text("已保存在本机，联网后自动上传")
    expect(page.locator("#evidence-pending li")).to_have_count(1)
    expect(page.locator("#evidence-pending img")).to_be_visible()
    expect(page.locator("#outbox-badge")).to_contain_text("待同步 1")
    page.locator("#evidence").scroll_into_view_if_needed()
    shot(page, "offline-06-photo-waiting", full_page=False)
    with live_app.db() as db:
        assert assessments.attachments(db, aid) == []

    posts = []
    page.context.route(
        re.compile(r".*/attachments$"),
        lambda route: (posts.append(route.request.method), route.continue_()),
    )
    page.context.set_offline(False)
    expect(page.locator("#outbox-badge")).to_be_hidden(timeout=15_000)
    expect(page.locator("#evidence ul.attachments").first).to_contain_text("IMG_0001.jpg")
    expect(page.locator("#evidence")).to_contain_text("拍摄于 2026-12-04 10:15:30")
    shot(page, "offline-07-photo-uploaded", full_page=False)
    assert posts == ["POST"]
    with live_app.db() as db:
        rows = assessments.attachments(db, aid)
    assert len(rows) == 1
    row = rows[0]
    assert row["indicator"] == "A1" and row["has_exif"] == 1
    assert row["taken_at"] == "2026-12-04T10:15:30"
    assert abs(row["latitude"] - 29.71234) < 1e-4 and abs(row["longitude"] - 106.63456) < 1e-4
    assert row["created_at"]  # the server's receive time, beside the camera's
    stored = (Path(live_app.app.config["UPLOAD_FOLDER"]) / row["stored_name"]).read_bytes()
    assert jpeg_size(stored) == (1600, 1200)  # compressed on the phone
    assert len(stored) < len(photo)
    # the printable report lists the evidence: indicator, file, time and place
    page.goto(f"/assessments/{aid}/report")
    evidence = page.locator("#report-evidence")
    expect(evidence).to_contain_text("IMG_0001.jpg")
    expect(evidence).to_contain_text("2026-12-04 10:15:30")
    expect(evidence).to_contain_text("29.71234, 106.63456")


def test_a_gallery_photo_without_exif_is_marked(new_page, live_app):
    river = live_app.new_waterbody("相册河")
    aid = live_app.draft_assessment(river, {"gates": {}})
    page = new_page(phone=True)
    login(page, "yubei")
    open_form_online(page, live_app, aid)
    screenshot = {
        "name": "截图.jpg",
        "mimeType": "image/jpeg",
        "buffer": camera_photo(page, 800, 600),
    }
    page.locator("#evidence-file").set_input_files(files=[screenshot])
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="上传").click()
    expect(page.locator("#evidence ul.attachments").first).to_contain_text(
        "无拍摄信息（可能来自相册）"
    )
    with live_app.db() as db:
        (row,) = assessments.attachments(db, aid)
    assert row["has_exif"] == 0 and row["taken_at"] is None
    page.goto(f"/assessments/{aid}")
    expect(page.locator("img.thumb")).to_have_count(1)


def test_a_save_that_fails_on_a_weak_signal_goes_to_the_outbox(new_page, live_app):
    """The phone believes it is online (navigator.onLine stays true) but the post cannot get
    through: the service worker queues it instead of the browser's error page."""
    river = live_app.new_waterbody("弱信号河")
    aid = live_app.draft_assessment(river, {"gates": {}})
    before = live_app.assessment(aid)
    page = new_page(phone=True)
    login(page, "yubei")
    open_form_online(page, live_app, aid)
    page.context.set_offline(True)
    page.evaluate("() => Object.defineProperty(navigator, 'onLine', { get: () => true })")
    page.get_by_label("防洪达标率").fill("92")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(f"**/assessments/{aid}/edit")
    ready(page)
    expect(page.locator("#offline-status")).to_contain_text("已离线保存，联网后自动同步")
    expect(page.get_by_label("防洪达标率")).to_have_value("92")
    expect(page.locator("#outbox-badge")).to_contain_text("待同步 1")
    assert live_app.assessment(aid)["version"] == before["version"]

    page.context.set_offline(False)
    expect(page.locator("#outbox-badge")).to_be_hidden(timeout=15_000)
    after = live_app.assessment(aid)
    assert after["version"] == before["version"] + 1 and after["answers"]["A1"] == 92
    assert len(saved_audit_rows(live_app, aid)) == 1
