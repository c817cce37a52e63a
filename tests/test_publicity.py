"""公示 and 命名: with PUBLICITY on, an accepting decision puts the waterbody in a public notice
and the title counts from the naming date — in progress, the leaderboards, the exports and the
API alike (they all read store.titles).

The story most tests share (all in 2025/2026, today being later than all of it):

    御临河 (渝北区)  decided 2025-12-10, notice 2025-12-15 (Mon) … 12-19 (Fri), named 2026-01-05
    龙凤溪 (北碚区)  decided 2025-12-01, notice 2025-12-02 (Tue) … 12-08 (Mon), named 2025-12-12
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from happy_rivers import clock, scoring, store
from happy_rivers.store import assessments, demo, publicity, standings, users, waterbodies
from happy_rivers.store.publicity import PublicityError, PublicityStateError
from tests.answers import full_river_answers
from tests.api_document import Api
from tests.conftest import waterbody_id


def decide(db, name: str, decided_on: str, *, action="accept", publicity_on=True, kind=None):
    """An acceptance of `name`, submitted by its district's inspector and decided."""
    wb = waterbodies.get(db, waterbody_id(db, name))
    rubric = scoring.rubric_for_waterbody(wb["kind"])
    answers = full_river_answers()
    scored = scoring.score(rubric, answers).to_dict()
    inspector = users.by_username(db, "yubei" if wb["district_code"] == "500112" else "beibei")
    aid = assessments.create(
        db,
        waterbody_id=wb["id"],
        kind=kind or "acceptance",
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        answers=answers,
        scored=scored,
        user=inspector,
        submit=True,
    )
    assessments.review(
        db,
        aid,
        action=action,
        user=users.by_username(db, "reviewer"),
        decided_on=decided_on,
        comment="专家组现场验收",
        publicity=publicity_on,
    )
    return aid


@pytest.fixture
def api_token(app, db):
    """api_token("reviewer") → an API client with a fresh token of that user; None: no token."""

    def make(username: str | None) -> Api:
        token = None
        if username:
            token = users.create_token(db, users.by_username(db, username)["id"], "test")
        return Api(app.test_client(), token)

    return make


def admin(db) -> dict:
    return users.by_username(db, "admin")


def notice(db, ids: list[int], starts_on: str, contact="市河长办 023-6000 0000") -> dict:
    return publicity.create(
        db,
        assessment_ids=ids,
        starts_on=date.fromisoformat(starts_on),
        working_days=None,
        contact=contact,
        user=admin(db),
    )


@pytest.fixture
def story(app, db):
    app.config["PUBLICITY"] = True
    yulin = decide(db, "御临河", "2025-12-10")
    longfeng = decide(db, "龙凤溪", "2025-12-01")
    december = notice(db, [longfeng], "2025-12-02")
    publicity.name(db, december["id"], named_on=date(2025, 12, 12), user=admin(db))
    january = notice(db, [yulin], "2025-12-15")
    return {"yulin": yulin, "longfeng": longfeng, "december": december, "january": january}


def name_january(db, story) -> None:
    publicity.name(db, story["january"]["id"], named_on=date(2026, 1, 5), user=admin(db))


def accepted_on_page(browser, as_of: str) -> int:
    page = browser.get(f"/progress?as_of={as_of}").get_data(as_text=True)
    start = page.index('id="accepted">') + len('id="accepted">')
    return int(page[start : page.index("<", start)])


def district_rows(browser, as_of: str) -> dict[str, tuple[str, str]]:
    """district name → (titles held, reached on) from the CSV export of the district board."""
    response = browser.get(f"/exports/leaderboard-districts.csv?as_of={as_of}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = next(i for i, r in enumerate(rows) if "区县" in r)
    head = rows[header]
    out = {}
    for r in rows[header + 1 :]:
        if len(r) == len(head):
            record = dict(zip(head, r, strict=True))
            out[record["区县"]] = record
    return out


# --- the title counts from the naming date ---------------------------------------------------


def test_a_batch_decided_in_december_and_named_in_january_counts_in_january(
    story, db, login_as, api_token
):
    name_january(db, story)
    browser = login_as("admin")
    # 龙凤溪 was named in December, 御临河 (decided in December too) only in January
    assert accepted_on_page(browser, "2025-12-11") == 0
    assert accepted_on_page(browser, "2025-12-12") == 1
    assert accepted_on_page(browser, "2025-12-31") == 1
    assert accepted_on_page(browser, "2026-01-04") == 1
    assert accepted_on_page(browser, "2026-01-05") == 2

    december = district_rows(browser, "2025-12-31")
    assert december["北碚区"]["已验收数量"] == "1"
    assert december["渝北区"]["已验收数量"] == "0"
    january = district_rows(browser, "2026-01-05")
    assert january["渝北区"]["已验收数量"] == "1"
    assert january["渝北区"]["达到当前数量的日期"] == "2026-01-05"

    api = api_token("reviewer")
    progress = api.get("/progress?as_of=2025-12-31").get_json()
    assert progress["accepted"] == 1
    assert api.get("/progress?as_of=2026-01-05").get_json()["accepted"] == 2
    board = api.get("/leaderboard/districts?as_of=2026-01-05").get_json()
    yubei = next(r for r in board["rows"] if r["district"] == "渝北区")
    assert (yubei["accepted"], yubei["reached_at"]) == (1, "2026-01-05")


def test_the_pace_counts_titles_by_naming_date(story, db):
    name_january(db, story)
    spans = standings.acceptance_spans(db)
    assert sorted(s.accepted_on for s in spans) == [date(2025, 12, 12), date(2026, 1, 5)]


def test_before_naming_the_waterbody_is_in_publicity_and_holds_no_title(story, db, login_as):
    yulin = waterbodies.get(db, waterbody_id(db, "御临河"))
    assert (yulin["status"], yulin["accepted_on"]) == ("publicity", None)
    assert accepted_on_page(login_as("admin"), "2026-06-30") == 1  # only 龙凤溪
    page = login_as("yubei").get(f"/waterbodies/{yulin['id']}").get_data(as_text=True)
    assert "公示中" in page


def test_naming_grants_the_title_on_the_naming_date(story, db):
    name_january(db, story)
    yulin = waterbodies.get(db, waterbody_id(db, "御临河"))
    assert (yulin["status"], yulin["accepted_on"]) == ("accepted", "2026-01-05")
    assert assessments.get(db, story["yulin"])["titled_on"] == "2026-01-05"
    granted = list(
        db.query(
            "SELECT after FROM audit_log WHERE action = 'title_granted' AND entity_id = ?",
            [yulin["id"]],
        )
    )
    assert len(granted) == 1 and '"2026-01-05"' in granted[0]["after"]


def test_with_publicity_off_the_decision_date_grants_the_title(db):
    aid = decide(db, "御临河", "2025-12-10", publicity_on=False)
    yulin = waterbodies.get(db, waterbody_id(db, "御临河"))
    assert (yulin["status"], yulin["accepted_on"]) == ("accepted", "2025-12-10")
    assert assessments.get(db, aid)["titled_on"] == "2025-12-10"
    assert publicity.awaiting(db) == []


@pytest.mark.parametrize(("setting", "status"), [(True, "publicity"), (False, "accepted")])
def test_the_review_page_follows_the_publicity_setting(app, db, login_as, setting, status):
    app.config["PUBLICITY"] = setting
    wb = waterbodies.get(db, waterbody_id(db, "御临河"))
    rubric = scoring.rubric_for_waterbody("river")
    answers = full_river_answers()
    aid = assessments.create(
        db,
        waterbody_id=wb["id"],
        kind="acceptance",
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        answers=answers,
        scored=scoring.score(rubric, answers).to_dict(),
        user=users.by_username(db, "yubei"),
        submit=True,
    )
    version = assessments.get(db, aid)["version"]
    response = login_as("reviewer").post(
        f"/assessments/{aid}/review",
        data={"action": "accept", "version": str(version), "decided_on": "2025-12-10"},
    )
    assert response.status_code in (302, 303)
    assert waterbodies.get(db, wb["id"])["status"] == status
    assert [a["assessment_id"] for a in publicity.awaiting(db)] == ([aid] if setting else [])


# --- building a batch ------------------------------------------------------------------------


def test_a_batch_ends_after_its_working_days(story):
    january = story["january"]
    assert (january["starts_on"], january["ends_on"]) == ("2025-12-15", "2025-12-19")
    assert january["naming_from"] == "2025-12-20"
    assert [i["assessment_id"] for i in january["items"]] == [story["yulin"]]


def test_a_notice_across_the_spring_festival_skips_the_holidays(db):
    aid = decide(db, "御临河", "2026-02-10")
    # 2026-02-13 (Fri) + 5 working days: 02-14 is an adjusted working Saturday (调休), then the
    # Spring Festival holiday 02-15 … 02-23: 13, 14, 24, 25, 26
    batch = notice(db, [aid], "2026-02-13")
    assert batch["ends_on"] == "2026-02-26"
    assert batch["naming_from"] == "2026-02-27"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"assessment_ids": []}, "assessment_ids", "请至少选择一个待公示的评估"),
        ({"assessment_ids": [9999]}, "assessment_ids", "评估 9999 不在待公示之列"),
        ({"starts_on": date(2025, 12, 9)}, "starts_on", "不能早于验收结论日期 2025-12-10"),
        ({"contact": "  "}, "contact", "请填写联系方式"),
        ({"contact": "电" * 201}, "contact", "不能超过 200 个字"),
        ({"working_days": 0}, "working_days", "1 至 30 个工作日"),
        ({"working_days": 31}, "working_days", "1 至 30 个工作日"),
    ],
)
def test_bad_batches_are_refused_per_field_and_write_nothing(db, change, field, message):
    aid = decide(db, "御临河", "2025-12-10")
    args = {
        "assessment_ids": [aid],
        "starts_on": date(2025, 12, 15),
        "working_days": None,
        "contact": "市河长办",
    } | change
    with pytest.raises(PublicityError) as raised:
        publicity.create(db, user=admin(db), **args)
    assert message in raised.value.errors[field]
    assert db["publicity_batches"].count == 0 and db["publicity_items"].count == 0
    assert waterbodies.get(db, waterbody_id(db, "御临河"))["status"] == "publicity"


def test_an_assessment_is_listed_in_one_batch_at_a_time(story, db):
    with pytest.raises(PublicityError) as raised:
        notice(db, [story["yulin"]], "2025-12-22")
    assert "不在待公示之列" in raised.value.errors["assessment_ids"]
    # named ones neither
    with pytest.raises(PublicityError):
        notice(db, [story["longfeng"]], "2025-12-22")


def test_a_rejected_or_conditional_decision_is_not_listed(db):
    conditional = decide(db, "御临河", "2025-12-10", action="conditional")
    assert publicity.awaiting(db) == []
    with pytest.raises(PublicityError):
        notice(db, [conditional], "2025-12-15")


# --- objections and naming --------------------------------------------------------------------


def open_notice(db) -> dict:
    """A notice that starts today, so it has not ended (decided five days ago)."""
    today = clock.today()
    aid = decide(db, "御临河", (today - timedelta(5)).isoformat())
    return notice(db, [aid], today.isoformat())


def test_naming_before_the_notice_has_ended_is_refused(db):
    batch = open_notice(db)
    with pytest.raises(PublicityStateError) as raised:
        publicity.name(db, batch["id"], named_on=clock.today(), user=admin(db))
    assert f"{batch['naming_from']} 起方可命名" in raised.value.message


def test_the_naming_date_must_follow_the_notice_and_not_be_in_the_future(story, db):
    for day, message in ((date(2025, 12, 19), "不能早于公示结束后的第一天 2025-12-20"),
                         (date(2099, 1, 1), "不能晚于今天")):  # fmt: skip
        with pytest.raises(PublicityError) as raised:
            publicity.name(db, story["january"]["id"], named_on=day, user=admin(db))
        assert message in raised.value.errors["named_on"]
    assert publicity.get(db, story["january"]["id"])["named_on"] is None


def test_an_objection_without_a_resolution_holds_the_naming_back(story, db):
    batch_id = story["january"]["id"]
    objection = publicity.add_objection(
        db,
        batch_id,
        received_on=date(2025, 12, 16),
        channel="phone",
        content="河道仍有垃圾",
        assessment_id=story["yulin"],
        user=admin(db),
    )
    with pytest.raises(PublicityStateError) as raised:
        name_january(db, story)
    assert "1 条异议未记录处理结果" in raised.value.message
    publicity.resolve_objection(
        db, batch_id, objection["id"], resolution="已现场核查并清理", user=admin(db)
    )
    name_january(db, story)
    batch = publicity.get(db, batch_id)
    assert batch["named_on"] == "2026-01-05"
    assert batch["objections"][0]["resolution"] == "已现场核查并清理"
    # a named batch is closed
    with pytest.raises(PublicityStateError):
        publicity.resolve_objection(db, batch_id, objection["id"], resolution="改", user=admin(db))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"received_on": None}, "received_on"),
        ({"received_on": date(2025, 12, 14)}, "received_on"),  # before the notice
        ({"received_on": date(2099, 1, 1)}, "received_on"),
        ({"channel": "pigeon"}, "channel"),
        ({"content": " "}, "content"),
        ({"assessment_id": 9999}, "assessment_id"),
    ],
)
def test_bad_objections_are_refused_per_field(story, db, change, field):
    args = {
        "received_on": date(2025, 12, 16),
        "channel": "letter",
        "content": "异议",
        "assessment_id": None,
    } | change
    with pytest.raises(PublicityError) as raised:
        publicity.add_objection(db, story["january"]["id"], user=admin(db), **args)
    assert field in raised.value.errors
    assert db["publicity_objections"].count == 0


def test_naming_may_remove_an_item_with_a_reason(db):
    yulin = decide(db, "御临河", "2025-12-10")
    longfeng = decide(db, "龙凤溪", "2025-12-10")
    batch = notice(db, [yulin, longfeng], "2025-12-15")
    with pytest.raises(PublicityError) as raised:
        publicity.name(
            db, batch["id"], named_on=date(2026, 1, 5), removals={yulin: " "}, user=admin(db)
        )
    assert raised.value.errors == {f"remove.{yulin}": "请填写移出理由"}
    publicity.name(
        db,
        batch["id"],
        named_on=date(2026, 1, 5),
        removals={yulin: "异议属实，整改后重新公示"},
        user=admin(db),
    )
    items = publicity.get(db, batch["id"])["items"]
    outcome = {i["assessment_id"]: (i["outcome"], i["reason"]) for i in items}
    assert outcome == {yulin: ("removed", "异议属实，整改后重新公示"), longfeng: ("named", None)}
    assert waterbodies.get(db, waterbody_id(db, "御临河"))["status"] == "building"
    assert [s.accepted_on for s in standings.acceptance_spans(db)] == [date(2026, 1, 5)]
    # removed, it may be listed again later
    assert [a["assessment_id"] for a in publicity.awaiting(db)] == [yulin]
    again = notice(db, [yulin], "2026-02-02")
    assert waterbodies.get(db, waterbody_id(db, "御临河"))["status"] == "publicity"
    assert again["items"][0]["outcome"] == "listed"


def test_a_batch_is_named_once(story, db):
    name_january(db, story)
    with pytest.raises(PublicityStateError) as raised:
        name_january(db, story)
    assert "已于 2026-01-05 命名" in raised.value.message


def test_notices_that_ended_wait_for_their_naming(story, db):
    ended = publicity.notices_ended(db, date(2025, 12, 20))
    assert [b["id"] for b in ended] == [story["january"]["id"]]
    assert publicity.notices_ended(db, date(2025, 12, 19)) == []
    name_january(db, story)
    assert publicity.notices_ended(db, date(2026, 1, 6)) == []


def test_a_failed_recheck_after_naming_revokes_from_its_decision_date(story, db):
    name_january(db, story)
    decide(db, "御临河", "2026-03-01", action="reject", kind="recheck")
    spans = standings.title_history(db)[waterbody_id(db, "御临河")]
    assert [(s["accepted_on"], s["revoked_on"]) for s in spans] == [
        (date(2026, 1, 5), date(2026, 3, 1))
    ]


# --- the demo story -------------------------------------------------------------------------


def test_the_demo_names_its_batches_after_notices_and_has_one_open(tmp_path):
    db = store.connect(str(tmp_path / "demo.db"))
    store.migrate(db)
    demo.seed(db)
    batches = sorted(publicity.list_batches(db), key=lambda b: b["starts_on"])
    first = batches[0]
    # the first 16: a notice from 2024-12-23 (Mon) to 12-27, named on 2025-01-07
    assert (first["starts_on"], first["ends_on"], first["named_on"]) == (
        "2024-12-23",
        "2024-12-27",
        "2025-01-07",
    )
    assert first["named"] == 16
    decided = {
        assessments.get(db, i["assessment_id"])["decided_on"]
        for i in publicity.get(db, first["id"])["items"]
    }
    assert decided == {"2024-12-17"}
    # the titles count from the naming dates: none in 2024, 16 on 2025-01-07
    spans = standings.acceptance_spans(db)
    assert min(s.accepted_on for s in spans) == date(2025, 1, 7)
    assert sum(1 for s in spans if s.accepted_on == date(2025, 1, 7)) == 16
    # later batches likewise, and one is in its notice now with one objection recorded
    assert [b["state"] for b in batches] == ["named"] * 5 + ["open"]
    current = batches[-1]
    assert date.fromisoformat(current["starts_on"]) <= clock.today()
    assert (current["items"], current["objections"], current["unresolved"]) == (3, 1, 1)
    statuses = [
        waterbodies.get(db, i["waterbody_id"])["status"]
        for i in publicity.get(db, current["id"])["items"]
    ]
    assert statuses == ["publicity"] * 3


# --- the pages ------------------------------------------------------------------------------


def test_an_admin_publishes_records_and_names_through_the_pages(app, db, login_as, client):
    app.config["PUBLICITY"] = True
    yulin = decide(db, "御临河", "2025-12-10")
    admin_page = login_as("admin")
    page = admin_page.get("/publicity").get_data(as_text=True)
    assert f'name="assessment_ids" value="{yulin}"' in page

    response = admin_page.post(
        "/publicity",
        data={
            "assessment_ids": [str(yulin)],
            "starts_on": "2025-12-15",
            "working_days": "5",
            "contact": "市河长办 023-6000 0000",
        },
    )
    assert response.status_code == 303
    batch_url = response.headers["Location"]
    batch_id = int(batch_url.rsplit("/", 1)[1])
    page = admin_page.get(batch_url).get_data(as_text=True)
    assert "2025-12-15 — 2025-12-19" in page and "御临河" in page

    # anybody reads the notice, without signing in; nothing internal shows
    public = client.get("/public/publicity").get_data(as_text=True)
    assert "御临河" in public and "市河长办 023-6000 0000" in public
    assert "100.00" not in public and "reviewer" not in public

    response = admin_page.post(
        f"/publicity/{batch_id}/objections",
        data={
            "received_on": "2025-12-16",
            "channel": "letter",
            "content": "来信反映岸线仍有违建",
            "assessment_id": str(yulin),
        },
    )
    assert response.status_code == 303
    assert "来信反映岸线仍有违建" not in client.get("/public/publicity").get_data(as_text=True)
    (objection,) = publicity.get(db, batch_id)["objections"]

    # naming waits for the objection's resolution
    response = admin_page.post(f"/publicity/{batch_id}/name", data={"named_on": "2026-01-05"})
    assert response.status_code == 409
    assert "1 条异议未记录处理结果" in response.get_data(as_text=True)
    response = admin_page.post(
        f"/publicity/{batch_id}/objections/{objection['id']}/resolution",
        data={"resolution": "经核查已拆除"},
    )
    assert response.status_code == 303
    response = admin_page.post(f"/publicity/{batch_id}/name", data={"named_on": "2026-01-05"})
    assert response.status_code == 303
    assert waterbodies.get(db, waterbody_id(db, "御临河"))["accepted_on"] == "2026-01-05"
    assert "御临河" not in client.get("/public/publicity").get_data(as_text=True)
    assert accepted_on_page(admin_page, "2026-01-04") == 0
    assert accepted_on_page(admin_page, "2026-01-05") == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"starts_on": "2025-13-01"}, "starts_on", "日期格式应为 YYYY-MM-DD"),
        ({"starts_on": ""}, "starts_on", "请填写日期"),
        ({"working_days": "五"}, "working_days", "公示期须为整数"),
        ({"contact": ""}, "contact", "请填写联系方式"),
        ({"assessment_ids": []}, "assessment_ids", "请至少选择一个待公示的评估"),
    ],
)
def test_a_bad_batch_form_shows_the_message_beside_its_field(db, login_as, data, field, message):
    yulin = decide(db, "御临河", "2025-12-10")
    form = {
        "assessment_ids": [str(yulin)],
        "starts_on": "2025-12-15",
        "working_days": "5",
        "contact": "市河长办",
    } | data
    response = login_as("admin").post("/publicity", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<p class="error" id="{field}-error" role="alert">{message}' in page
    assert db["publicity_batches"].count == 0


def test_a_removal_without_a_reason_is_shown_beside_its_item(story, db, login_as):
    batch_id = story["january"]["id"]
    response = login_as("admin").post(
        f"/publicity/{batch_id}/name",
        data={"named_on": "2026-01-05", "remove": [str(story["yulin"])]},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="reason-{story["yulin"]}-error" role="alert">请填写移出理由' in page
    assert publicity.get(db, batch_id)["named_on"] is None


def test_naming_too_early_is_refused_with_the_first_possible_day(db, login_as):
    batch = open_notice(db)
    admin_page = login_as("admin")
    page = admin_page.get(f"/publicity/{batch['id']}").get_data(as_text=True)
    assert f"{batch['naming_from']} 起方可命名" in page
    assert f'action="/publicity/{batch["id"]}/name"' not in page
    response = admin_page.post(
        f"/publicity/{batch['id']}/name", data={"named_on": clock.today().isoformat()}
    )
    assert response.status_code == 409
    assert publicity.get(db, batch["id"])["named_on"] is None


def test_administrators_hear_once_that_a_notice_has_ended(story, db, login_as):
    def told() -> list[str]:
        return [
            r["params"]
            for r in db.query(
                "SELECT n.params FROM notifications n JOIN users u ON u.id = n.user_id "
                "WHERE u.username = 'admin' AND n.kind = 'notice_ended'"
            )
        ]

    assert told() == []
    admin_page = login_as("admin")
    assert admin_page.get("/publicity").status_code == 200
    (params,) = told()
    assert f'"batch_id": {story["january"]["id"]}' in params and "2025-12-19" in params
    admin_page.get(f"/publicity/{story['january']['id']}")
    assert len(told()) == 1
    page = admin_page.get("/inbox").get_data(as_text=True)
    assert "公示已结束，可以命名" in page


# --- the API --------------------------------------------------------------------------------


def test_the_api_publishes_records_and_names(db, api_token):
    yulin = decide(db, "御临河", "2025-12-10")
    admin_api = api_token("admin")
    response = admin_api.post(
        "/publicity",
        json={"assessment_ids": [yulin], "starts_on": "2025-12-15", "contact": "市河长办"},
    )
    assert response.status_code == 201, response.get_json()
    batch = response.get_json()
    assert response.headers["Location"] == f"/api/v1/publicity/{batch['id']}"
    assert (batch["ends_on"], batch["naming_from"], batch["working_days"]) == (
        "2025-12-19",
        "2025-12-20",
        5,
    )
    assert [i["assessment_id"] for i in batch["items"]] == [yulin]

    public = api_token(None).get("/public/publicity")
    assert public.status_code == 200
    (notice_json,) = public.get_json()["batches"]
    assert notice_json["items"] == [
        {
            "waterbody_id": waterbody_id(db, "御临河"),
            "waterbody": "御临河",
            "kind": "river",
            "district": "渝北区",
        }  # fmt: skip
    ]
    assert "objections" not in notice_json and "total" not in str(notice_json)

    path = f"/publicity/{batch['id']}"
    response = admin_api.post(
        path + "/objections",
        json={"received_on": "2025-12-16", "channel": "online", "content": "网络留言：水体发绿"},
    )
    assert response.status_code == 201
    objection = response.get_json()
    response = admin_api.post(path + "/name", json={"named_on": "2026-01-05"})
    assert response.status_code == 409
    assert "异议未记录处理结果" in response.get_json()["error"]
    response = admin_api.put(
        f"{path}/objections/{objection['id']}", json={"resolution": "经监测水质达标"}
    )
    assert response.status_code == 200 and response.get_json()["resolved_on"]
    response = admin_api.post(path + "/name", json={"named_on": "2026-01-05"})
    assert response.status_code == 200
    assert response.get_json()["state"] == "named"
    assert api_token(None).get("/public/publicity").get_json() == {"batches": []}
    assert admin_api.get("/progress?as_of=2026-01-05").get_json()["accepted"] == 1
    assert admin_api.get("/progress?as_of=2026-01-04").get_json()["accepted"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/publicity", {"assessment_ids": "1", "starts_on": "2025-12-15", "contact": "c"},
         "assessment_ids"),
        ("/publicity", {"assessment_ids": [0], "starts_on": "2025-12-15", "contact": "c"},
         "assessment_ids"),
        ("/publicity", {"assessment_ids": [1], "starts_on": "20251215", "contact": "c"},
         "starts_on"),
        ("/publicity", {"assessment_ids": [1], "starts_on": "9999-12-31", "contact": "c"},
         "starts_on"),
        ("/publicity", {"assessment_ids": [1], "starts_on": "2025-12-15", "contact": 5},
         "contact"),
        ("/publicity", {"assessment_ids": [1], "starts_on": "2025-12-15", "contact": "c",
                        "working_days": "5"}, "working_days"),
        ("/publicity/{batch}/objections", {"received_on": "2025-12-16", "channel": "fax",
                                           "content": "x"}, "channel"),
        ("/publicity/{batch}/objections", {"received_on": "2025-12-16", "channel": "phone",
                                           "content": ["x"]}, "content"),
        ("/publicity/{batch}/name", {"named_on": "2026-01-05", "remove": [{"assessment_id": 1}]},
         "remove.0.reason"),
        ("/publicity/{batch}/name", {"named_on": "2026-01-05", "remove": [{"reason": "x"}]},
         "remove.0.assessment_id"),
        ("/publicity/{batch}/name", {"named_on": "2025-12-19"}, "named_on"),
    ],
)  # fmt: skip
def test_api_input_errors_are_422_per_field_and_write_nothing(
    story, db, api_token, path, body, field
):
    before = [db[t].count for t in ("publicity_batches", "publicity_items", "publicity_objections")]
    response = api_token("admin").post(path.format(batch=story["january"]["id"]), json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    after = [db[t].count for t in ("publicity_batches", "publicity_items", "publicity_objections")]
    assert after == before
    assert publicity.get(db, story["january"]["id"])["named_on"] is None


API_ROUTES = [
    # (method, path, body, the administrator's answer)
    ("POST", "/publicity", {"assessment_ids": ["{awaiting}"], "starts_on": "2025-12-22",
                            "contact": "市河长办"}, 201),
    ("GET", "/publicity/{batch}", None, 200),
    ("GET", "/publicity/9999", None, 404),
    ("POST", "/publicity/{batch}/objections", {"received_on": "2025-12-16", "channel": "visit",
                                               "content": "来访"}, 201),
    ("PUT", "/publicity/{batch}/objections/{objection}", {"resolution": "已答复"}, 200),
    ("PUT", "/publicity/{batch}/objections/9999", {"resolution": "已答复"}, 404),
    ("POST", "/publicity/{batch}/name", {"named_on": "2026-01-05"}, 200),
    ("POST", "/publicity/9999/name", {"named_on": "2026-01-05"}, 404),
]  # fmt: skip


@pytest.fixture
def api_world(story, db):
    """The story, plus an accepted assessment waiting for a notice, an objection, an expert."""
    users.create(db, "e1", "correct-horse-1", "expert")
    waterbodies.create(db, {"name": "后河", "kind": "river", "district": "渝北区"})
    awaiting = decide(db, "后河", "2025-12-12")
    objection = publicity.add_objection(
        db,
        story["january"]["id"],
        received_on=date(2025, 12, 16),
        channel="phone",
        content="来电",
        resolution="已答复",
        user=admin(db),
    )
    return {"batch": story["january"]["id"], "objection": objection["id"], "awaiting": awaiting}


@pytest.mark.parametrize(("method", "path", "body", "admin_status"), API_ROUTES)
@pytest.mark.parametrize("role", [None, "reviewer", "yubei", "e1", "admin"])
def test_api_authorization(api_world, db, api_token, role, method, path, body, admin_status):
    def fill(value):
        if isinstance(value, str) and value.startswith("{"):
            return int(value.format(**api_world))
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    client = api_token(role)
    url = path.format(**api_world)
    before = [db[t].count for t in ("publicity_batches", "publicity_objections")]
    if method == "GET":
        response = client.get(url)
    elif method == "PUT":
        response = client.put(url, json=fill(body))
    else:
        response = client.post(url, json=fill(body))
    expected = {None: 401, "admin": admin_status}.get(role, 403)
    assert response.status_code == expected, response.get_json()
    if expected in (401, 403):
        after = [db[t].count for t in ("publicity_batches", "publicity_objections")]
        assert after == before and publicity.get(db, api_world["batch"])["named_on"] is None


@pytest.mark.parametrize("role", [None, "reviewer", "yubei", "e1", "admin"])
def test_everybody_reads_the_public_notices(api_world, api_token, role):
    response = api_token(role).get("/public/publicity")
    assert response.status_code == 200
    assert [b["id"] for b in response.get_json()["batches"]] == [api_world["batch"]]


@pytest.mark.parametrize("role", [None, "reviewer", "yubei", "e1", "admin"])
def test_everybody_reads_the_named_list(api_world, api_token, db, role):
    response = api_token(role).get("/public/named")
    assert response.status_code == 200
    named = response.get_json()["waterbodies"]
    holders = {
        r["id"]: r
        for r in db.query("SELECT id, accepted_on FROM waterbodies WHERE status = 'accepted'")
    }
    assert holders, "the story names waterbodies"
    assert {w["waterbody_id"] for w in named} == set(holders)
    assert all(w["named_on"] == holders[w["waterbody_id"]]["accepted_on"] for w in named)
    assert "后河" not in {w["name"] for w in named}  # accepted, but waiting for its notice
    assert not set(named[0]) & {"total", "assessment_id", "inspector", "reviewer", "status"}


# --- upgrading a database, and racing writers ---------------------------------------------


def test_upgrading_keeps_every_title_on_its_decision_date(tmp_path):
    """0010_publicity on a database decided before it: titles granted stay where they were."""
    from happy_rivers.store.migrations import migrations

    db = store.connect(str(tmp_path / "old.db"))
    migrations.apply(db, stop_before="0010_publicity")
    db.execute(
        "INSERT INTO waterbodies (name, kind, district_code, status, accepted_on) "
        "VALUES ('御临河', 'river', '500112', 'accepted', '2025-01-07')"
    )
    rows = [("accepted", "2025-01-07", 9850), ("conditional", "2025-03-01", 8800)]
    for kind, (status, decided_on, cents) in zip(("acceptance", "self"), rows, strict=True):
        db.execute(
            "INSERT INTO assessments (waterbody_id, kind, rubric_id, rubric_version, answers, "
            "status, version, decided_on, total_cents) "
            "VALUES (1, ?, 'cq-river', '2025.1', '{}', ?, 2, ?, ?)",
            [kind, status, decided_on, cents],
        )
    db.conn.commit()
    store.migrate(db)
    titled = [r["titled_on"] for r in db.query("SELECT titled_on FROM assessments ORDER BY id")]
    assert titled == ["2025-01-07", None]
    (span,) = standings.title_history(db)[1]
    assert (span["accepted_on"], span["revoked_on"], span["total"]) == (
        date(2025, 1, 7),
        None,
        Decimal("98.50"),
    )
    db.close()


def test_an_assessment_cannot_be_live_in_two_batches(story, db):
    """The unique index behind the check: even a write that skipped it could not list an
    assessment in a second batch while the first still holds it."""
    import sqlite3

    waterbodies.create(db, {"name": "后河", "kind": "river", "district": "渝北区"})
    other = notice(db, [decide(db, "后河", "2025-12-10")], "2025-12-15")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO publicity_items (batch_id, assessment_id, waterbody_id, outcome) "
            "VALUES (?, ?, ?, 'listed')",
            [other["id"], story["yulin"], waterbody_id(db, "御临河")],
        )


def test_a_daily_command_announces_ended_notices_once(app, story, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["announce-ended-notices"])
    assert result.exit_code == 0 and "1 个公示批次" in result.output
    result = runner.invoke(args=["announce-ended-notices"])
    assert "0 个公示批次" in result.output
    (count,) = db.execute(
        "SELECT count(*) FROM notifications WHERE kind = 'notice_ended'"
    ).fetchone()
    assert count == 1  # the one administrator
