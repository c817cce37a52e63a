"""The reviewer's queue: waiting time, filters, the resubmitted flag with what changed since the
return, and the way straight to the review form."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from happy_rivers import clock, scoring
from happy_rivers.store import assessments, panels, review_queue, users
from tests.answers import full_reservoir_answers, full_river_answers
from tests.conftest import PASSWORD

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
NOW = T0 + timedelta(days=3, hours=5, minutes=20)


def waterbody(db, name: str) -> int:
    return db.execute("SELECT id FROM waterbodies WHERE name = ?", [name]).fetchone()[0]


def submitted(db, name, kind, rubric_id, answers, username, at) -> int:
    rubric = scoring.load_rubric(rubric_id)
    with clock.at(at):
        return assessments.create(
            db,
            waterbody_id=waterbody(db, name),
            kind=kind,
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            answers=answers,
            scored=scoring.score(rubric, answers).to_dict(),
            user=users.by_username(db, username),
            submit=True,
        )


def returned(db, aid, at, comment="请核实"):
    with clock.at(at):
        assessments.review(
            db, aid, action="return", user=users.by_username(db, "reviewer"), comment=comment
        )


def resubmit(db, aid, rubric_id, answers, username, at):
    rubric = scoring.load_rubric(rubric_id)
    with clock.at(at):
        current = assessments.get(db, aid)
        user = users.by_username(db, username)
        scored = scoring.score(rubric, answers).to_dict()
        assessments.save(
            db,
            aid,
            expected_version=current["version"],
            action="save",
            answers=answers,
            scored=scored,
            user=user,
        )
        assessments.save(
            db,
            aid,
            expected_version=current["version"] + 1,
            action="submit",
            answers=answers,
            scored=scored,
            user=user,
        )


@pytest.fixture
def world(db, monkeypatch):
    """acceptance 御临河 (渝北区) submitted at T0 with a panel waiting for experts;
    self 龙凤溪 (北碚区) submitted a day later; acceptance 长寿湖 (渝北区) returned and submitted
    again with A14 lowered; a second 御临河 assessment (self) back with the district."""
    for name in ("e1", "e2"):
        users.create(db, name, PASSWORD, "expert")
    ids = {}
    ids["panel"] = submitted(
        db, "御临河", "acceptance", "cq-river", full_river_answers(), "yubei", T0
    )
    ids["first"] = submitted(
        db, "龙凤溪", "self", "cq-river", full_river_answers(), "beibei", T0 + timedelta(days=1)
    )
    ids["again"] = submitted(
        db,
        "长寿湖",
        "acceptance",
        "cq-reservoir",
        full_reservoir_answers(),
        "yubei",
        T0 - timedelta(days=3),
    )
    returned(db, ids["again"], T0 - timedelta(days=2), comment="A14 评分依据不足")
    changed = full_reservoir_answers()
    changed["A14"] = {"points": 3.5, "note": "古桥已挂牌，古码头未挂牌"}
    resubmit(db, ids["again"], "cq-reservoir", changed, "yubei", T0 + timedelta(days=2))
    ids["back"] = submitted(
        db, "御临河", "self", "cq-river", full_river_answers(), "yubei", T0 - timedelta(days=1)
    )
    returned(db, ids["back"], T0 + timedelta(hours=2))
    e1, e2 = users.by_username(db, "e1"), users.by_username(db, "e2")
    with clock.at(T0 + timedelta(hours=1)):
        panels.name(db, ids["panel"], [e1, e2], user=users.by_username(db, "reviewer"))
    monkeypatch.setattr(clock, "utc_now", lambda: NOW)
    return ids


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="queue-(\d+)"', html)]


def page(browser, url: str, status: int = 200) -> str:
    response = browser.get(url)
    assert response.status_code == status
    return response.get_data(as_text=True)


def test_longest_wait_first_with_the_time_waited(world, login_as):
    html = page(login_as("reviewer"), "/review")
    # submitted ones only, oldest wait first: the resubmission waits from its new submission
    assert listed(html) == [world["panel"], world["first"], world["again"]]
    row = html[html.index(f'id="queue-{world["panel"]}"') :]
    assert re.search(r'class="waited"[^>]*>3 天 5 小时<', row)
    row = html[html.index(f'id="queue-{world["again"]}"') :]
    assert re.search(r'class="waited"[^>]*>1 天 5 小时<', row)


def test_waiting_time_at_the_day_boundary(world, login_as, monkeypatch):
    """One second short of a full day is 0 days 23 hours; the full day is 1 day 0 hours."""
    reviewer = login_as("reviewer")
    first_submitted = T0 + timedelta(days=1)
    monkeypatch.setattr(clock, "utc_now", lambda: first_submitted + timedelta(days=1, seconds=-1))
    row = page(reviewer, "/review")
    row = row[row.index(f'id="queue-{world["first"]}"') :]
    assert re.search(r'class="waited"[^>]*>0 天 23 小时<', row)
    monkeypatch.setattr(clock, "utc_now", lambda: first_submitted + timedelta(days=1))
    row = page(reviewer, "/review")
    row = row[row.index(f'id="queue-{world["first"]}"') :]
    assert re.search(r'class="waited"[^>]*>1 天 0 小时<', row)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("district=500112", ["panel", "again"]),  # 渝北区 by code
        ("district=北碚区", ["first"]),  # or by name
        ("kind=acceptance", ["panel", "again"]),
        ("kind=self", ["first"]),
        ("status=ready", ["first", "again"]),  # no panel waiting for experts
        ("status=panel", ["panel"]),
        ("status=returned", ["back"]),
        ("resubmitted=1", ["again"]),
        ("resubmitted=0", ["panel", "first"]),
        ("district=500112&kind=acceptance&status=ready&resubmitted=1", ["again"]),
        ("district=500109&resubmitted=1", []),
    ],
)
def test_filters(world, login_as, query, expected):
    html = page(login_as("reviewer"), f"/review?{query}")
    assert listed(html) == [world[k] for k in expected]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("district=火星区", "district", "区县：没有「火星区」"),
        ("kind=annual", "kind", "评估类型须为自评、市级验收或复核"),
        ("status=lost", "status", "状态须为列表中的一项"),
        ("resubmitted=maybe", "resubmitted", "重新提交须为“是”或“否”"),
    ],
)
def test_a_bad_filter_is_named(world, login_as, query, field, message):
    html = page(login_as("reviewer"), f"/review?{query}", 422)
    assert f'id="{field}-error">{message}<' in html


def test_resubmission_is_flagged_with_what_changed_since_the_return(world, db, login_as):
    reviewer = login_as("reviewer")
    html = page(reviewer, "/review")
    again = html[html.index(f'id="queue-{world["again"]}"') :]
    again = again[: again.index("</details>")]
    assert "退回后重新提交" in again
    assert "自退回以来修改了 2 处" in again
    assert "退回意见：A14 评分依据不足" in again
    assert re.search(r"<td>A14.note [^<]*</td><td>古桥、古码头均已挂牌保护</td>", again)
    assert re.search(r"<td>A14.points [^<]*</td><td>5</td><td>3.5</td>", again)
    # a first submission has neither flag nor changes
    first = html[html.index(f'id="queue-{world["first"]}"') :]
    first = first[: first.index("</tr>")]
    assert "退回后重新提交" not in first
    assert f'id="changes-{world["first"]}"' not in html
    # the result page shows the same beside the review form, and a link straight to it
    result = page(reviewer, f"/assessments/{world['again']}")
    assert '<a class="button primary" href="#review" id="to-review">' in result
    form = result[result.index('id="review"') :]
    assert f'id="changes-{world["again"]}" open' in form
    assert "自退回以来修改了 2 处" in form
    # the queue's button goes straight to that form
    assert f'href="/assessments/{world["again"]}#review"' in html


def test_unchanged_resubmission_says_so(db, login_as):
    aid = submitted(db, "御临河", "acceptance", "cq-river", full_river_answers(), "yubei", T0)
    returned(db, aid, T0 + timedelta(hours=1))
    resubmit(db, aid, "cq-river", full_river_answers(), "yubei", T0 + timedelta(hours=2))
    html = page(login_as("reviewer"), "/review")
    assert "自退回以来答案没有修改" in html


def test_answers_at_last_return_reads_the_trail(world, db):
    then = review_queue.answers_at_last_return(db, world["again"])
    assert then["A14"] == {"points": 5, "note": "古桥、古码头均已挂牌保护"}
    assert review_queue.answers_at_last_return(db, world["first"]) is None


def test_inspectors_and_experts_have_no_review_queue(world, login_as):
    assert login_as("yubei").get("/review").status_code == 403
    assert login_as("e1").get("/review").status_code == 403


def test_an_expert_queue_shows_the_wait_and_the_way_to_the_form(world, login_as):
    html = page(login_as("e1"), "/panel")
    assert "已等待 3 天" in html  # named 2026-03-02 (Beijing), today 2026-03-05
    assert f'<a class="button primary" href="/assessments/{world["panel"]}/panel/me">' in html
