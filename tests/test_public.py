"""The public pages (/public): no sign-in, the named list, progress, the map, one card per named
waterbody — and nothing internal.

The world: 御临河 and 龙凤溪 named (accepted), 长寿湖 with a returned acceptance, 黑石溪 with a
draft only, 清水溪 submitted (in review), 白沙河 rejected, 溉澜溪 named and then revoked by a
failed recheck. Inspectors and the reviewer have display names of their own, and everybody
signed in from a documentation address (RFC 5737), so the audit log and the sessions hold IPs.
"""

from __future__ import annotations

import re

import pytest

from happy_rivers import scoring, store
from happy_rivers.store import assessments, public, standings, users, waterbodies
from tests.answers import full_reservoir_answers, river
from tests.conftest import PASSWORD, Browser, decide

NAMED = ("御临河", "龙凤溪")
ADDRESSES = ("198.51.100.23", "203.0.113.77", "192.0.2.150")


def _sign_in_from(app, username: str, address: str) -> None:
    browser = Browser(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = address
    assert browser.login(username).status_code == 302
    browser.login(username, "wrong-password-here")  # a failure is audited with its address too


@pytest.fixture
def world(app, db):
    users.create(db, "wangwu_inspector", PASSWORD, "inspector", "渝北区", "王五检查员")
    users.create(db, "reviewer_zhao", PASSWORD, "reviewer", None, "赵六审核员")
    for name, district in (
        ("黑石溪", "渝北区"),
        ("清水溪", "渝北区"),
        ("白沙河", "北碚区"),
        ("溉澜溪", "江北区"),
    ):
        waterbodies.create(db, {"name": name, "kind": "river", "district": district})
    inspector = users.by_username(db, "wangwu_inspector")
    ids = {
        "御临河": decide(db, "御临河", river(), "2025-01-07", inspector=inspector),
        "龙凤溪": decide(db, "龙凤溪", river(A2=1), "2025-03-01"),
        "长寿湖": decide(db, "长寿湖", full_reservoir_answers(), None, action=None),
        "清水溪": decide(db, "清水溪", river(), None, action=None),
        "白沙河": decide(db, "白沙河", river(A1=60), "2025-05-01", action="reject"),
        "溉澜溪": decide(db, "溉澜溪", river(), "2025-01-07"),
    }
    decide(db, "溉澜溪", river(A1=75, A2=3), "2025-04-01", kind="recheck", action="reject")
    assessments.review(
        db,
        ids["长寿湖"],
        action="return",
        user=users.by_username(db, "reviewer_zhao"),
        comment="请补充水质报告",
    )
    # a draft only (created, never submitted)
    wid = db.execute("SELECT id FROM waterbodies WHERE name = '黑石溪'").fetchone()[0]
    rubric = scoring.rubric_for_waterbody("river")
    assessments.create(
        db,
        waterbody_id=wid,
        kind="self",
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        answers={"gates": {}, "A1": 90},
        scored=None,
        user=inspector,
    )
    for username, address in zip(
        ("wangwu_inspector", "reviewer_zhao", "admin"), ADDRESSES, strict=True
    ):
        _sign_in_from(app, username, address)
    return ids


def public_urls(db) -> list[str]:
    """Every public page: the index, every district's page, every waterbody's card (named or
    not: an unnamed one must answer 404 and say nothing about it)."""
    urls = ["/public", "/login"]
    urls += [f"/public/districts/{d['code']}" for d in waterbodies.districts(db)]
    urls += [f"/public/waterbodies/{r[0]}" for r in db.execute("SELECT id FROM waterbodies")]
    return urls


def test_public_pages_show_nothing_internal(client, db, world):
    user_names = {
        name
        for row in db.execute("SELECT username, display_name FROM users")
        for name in row
        if name
    }
    addresses = {
        row[0]
        for table in ("audit_log", "sessions")
        for row in db.execute(f"SELECT DISTINCT ip FROM {table} WHERE ip IS NOT NULL")
    }
    internal = {
        row[0] for row in db.execute("SELECT name FROM waterbodies WHERE status != 'accepted'")
    }
    # the world really holds what must not leak
    assert {"王五检查员", "赵六审核员", "wangwu_inspector"} <= user_names
    assert set(ADDRESSES) <= addresses
    assert {"长寿湖", "黑石溪", "清水溪", "白沙河", "溉澜溪"} <= internal

    leaks = []
    for url in public_urls(db):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        html = response.get_data(as_text=True)
        for text in user_names | addresses | internal:
            if text in html:
                leaks.append((url, text))
    assert leaks == []
    # and the named ones are there
    index = client.get("/public").get_data(as_text=True)
    for name in NAMED:
        assert name in index


def test_index_lists_the_named_waterbodies_with_district_date_and_grade(client, db, world):
    html = client.get("/public").get_data(as_text=True)
    rows = re.findall(r'<tr data-id="(\d+)">(.*?)</tr>', html, re.S)
    shown = {re.sub(r"<[^>]+>", " ", cells).split()[0]: cells for _id, cells in rows}
    assert set(shown) == set(NAMED)
    assert "渝北区" in shown["御临河"] and "2025-01-07" in shown["御临河"]
    assert "很幸福" in shown["御临河"]  # the full-marks answers: 100 points
    # progress toward both targets
    assert 'id="public-target-2027"' in html and 'id="public-target-2035"' in html
    assert re.search(r'id="accepted">2<', html)
    # the map: every district links to its public page
    assert len(re.findall(r'href="/public/districts/\d+"', html)) >= 38


def test_a_district_page_lists_only_its_named_waterbodies(client, world):
    html = client.get("/public/districts/500112").get_data(as_text=True)  # 渝北区
    assert "御临河" in html and "龙凤溪" not in html
    assert client.get("/public/districts/999999").status_code == 404


def test_a_card_shows_name_district_chief_radar_and_naming_date(client, db, world):
    wid = db.execute("SELECT id FROM waterbodies WHERE name = '御临河'").fetchone()[0]
    waterbodies.update(
        db,
        wid,
        {"name": "御临河", "kind": "river", "district": "渝北区", "river_chief": "渝北区区长"},
    )
    html = client.get(f"/public/waterbodies/{wid}").get_data(as_text=True)
    assert "御临河" in html and "渝北区" in html and "渝北区区长" in html
    assert "2025-01-07" in html
    assert "<svg" in html and "七个维度得分率" in html  # the radar
    for dimension in (
        "河湖安澜",
        "生态健康",
        "亲水宜居",
        "智慧赋能",
        "文韵深厚",
        "绿色富民",
        "群众满意",
    ):
        assert dimension in html


def test_unnamed_and_revoked_waterbodies_have_no_card(client, db, world):
    for name in ("长寿湖", "黑石溪", "白沙河", "溉澜溪"):
        wid = db.execute("SELECT id FROM waterbodies WHERE name = ?", [name]).fetchone()[0]
        assert client.get(f"/public/waterbodies/{wid}").status_code == 404


def test_a_decision_shows_at_once_despite_the_cache(client, db, world):
    assert "清水溪" not in client.get("/public").get_data(as_text=True)
    assessments.review(
        db,
        world["清水溪"],
        action="accept",
        user=users.by_username(db, "reviewer"),
        decided_on="2025-06-01",
    )
    assert "清水溪" in client.get("/public").get_data(as_text=True)


def test_the_body_is_rendered_once_per_standings_version(app, client, world, monkeypatch):
    calls = []
    original = public.named
    monkeypatch.setattr(public, "named", lambda *a, **k: calls.append(1) or original(*a, **k))
    client.get("/public")
    client.get("/public")
    assert len(calls) == 1
    with app.app_context():
        db = store.get_db()
        with store.write(db):
            standings.invalidate_standings(db)
    client.get("/public")
    assert len(calls) == 2


def test_sign_in_page_links_to_the_public_pages(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/public"' in html


def test_public_pages_need_no_session_and_set_none(client, world):
    response = client.get("/public")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
