"""The review workflow: the state machine as data, then each rule through real HTTP.

Every HTTP test also checks the audit row the step leaves behind: action, user, before, after.
"""

import io
import json
import re
import sqlite3
from datetime import timedelta
from itertools import product

import pytest

from happy_rivers import clock, store
from happy_rivers.scoring import workflow
from happy_rivers.store import assessments, users
from tests.answers import full_river_answers
from tests.conftest import as_form, errors_in, new_assessment, review, submitted, waterbody_id

ROLES = ("inspector", "reviewer", "admin")
STATUSES = tuple(workflow.STATUS_LABELS)
ACTIONS = tuple(workflow.ACTION_ROLES)
REFUSED = [pair for pair in product(STATUSES, ACTIONS) if pair not in workflow.TRANSITIONS]


# -- the state machine --------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "action"), list(workflow.TRANSITIONS))
def test_allowed_transition(status, action):
    assert workflow.next_status(status, action) == workflow.TRANSITIONS[(status, action)]
    for role in ROLES:
        assert workflow.allowed(status, action, role) is (role in workflow.ACTION_ROLES[action])


@pytest.mark.parametrize(("status", "action"), REFUSED)
def test_refused_transition(status, action):
    with pytest.raises(workflow.TransitionError, match=workflow.STATUS_LABELS[status]):
        workflow.next_status(status, action)
    assert not any(workflow.allowed(status, action, role) for role in ROLES)


def test_the_tables_are_what_the_design_says():
    # draft → submitted → (returned → draft …) → accepted / conditional / rejected
    assert len(workflow.TRANSITIONS) + len(REFUSED) == len(STATUSES) * len(ACTIONS)
    decided = {workflow.TRANSITIONS[("submitted", a)] for a in workflow.REVIEW_ACTIONS}
    assert decided == set(workflow.DECIDED_STATUSES)
    # nothing leaves a decided status: decided assessments are locked
    assert not [pair for pair in workflow.TRANSITIONS if pair[0] in workflow.DECIDED_STATUSES]
    # inspectors fill in and submit; reviewers correct, return and decide; admins may do both
    assert {a for a, roles in workflow.ACTION_ROLES.items() if "inspector" in roles} == {
        "save",
        "submit",
    }
    assert {a for a, roles in workflow.ACTION_ROLES.items() if "reviewer" in roles} == {
        "correct",
        "return",
        *workflow.REVIEW_ACTIONS,
    }
    assert all("admin" in roles for roles in workflow.ACTION_ROLES.values())


@pytest.mark.parametrize(
    ("status", "action", "role"),
    [
        ("submitted", "accept", "guest"),
        ("submitted", "fly", "admin"),
        ("archived", "save", "admin"),
    ],
)
def test_unknown_roles_actions_and_statuses_are_refused(status, action, role):
    assert workflow.allowed(status, action, role) is False


@pytest.mark.parametrize(
    ("kind", "decision", "holds", "change"),
    [
        ("acceptance", "accepted", False, "grant"),
        ("self", "accepted", False, "grant"),
        ("recheck", "accepted", False, "grant"),
        ("acceptance", "accepted", True, None),
        ("recheck", "accepted", True, None),
        ("recheck", "rejected", True, "revoke"),
        ("recheck", "rejected", False, None),
        ("recheck", "conditional", True, None),
        ("acceptance", "rejected", True, None),
        ("self", "rejected", True, None),
    ],
)
def test_title_change(kind, decision, holds, change):
    assert workflow.title_change(kind, decision, holds) == change


# -- helpers ----------------------------------------------------------------------------------


def audit_rows(db, action, entity_id=None, entity="assessment"):
    sql = "SELECT * FROM audit_log WHERE action = ? AND entity = ?"
    params = [action, entity]
    if entity_id is not None:
        sql += " AND entity_id = ?"
        params.append(str(entity_id))
    rows = [dict(r) for r in db.query(sql + " ORDER BY id", params)]
    for r in rows:
        r["before"] = json.loads(r["before"]) if r["before"] else None
        r["after"] = json.loads(r["after"]) if r["after"] else None
    return rows


def hidden_version(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d*)"', html).group(1)


def days_ago(n: int) -> str:
    return (clock.today() - timedelta(days=n)).isoformat()


# -- returning ----------------------------------------------------------------------------------


def test_return_requires_a_comment_and_the_inspector_sees_it_beside_the_field(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)

    refused = review(reviewer, aid, db, action="return", comment="   ")
    assert refused.status_code == 422
    assert "退回时必须填写审核意见，说明需要修改的内容" in errors_in(refused.get_data(as_text=True))
    assert assessments.get(db, aid)["status"] == "submitted"
    assert audit_rows(db, "assessment_returned", aid) == []

    response = review(
        reviewer,
        aid,
        db,
        action="return",
        comment="请补充岸线数据",
        field_comment_A6="生态岸线比例与现场不符",
        field_comment_Z99="不存在的指标",  # not in the rubric: dropped
    )
    assert response.status_code == 302
    row = assessments.get(db, aid)
    assert row["status"] == "returned"
    assert row["return_comment"] == "请补充岸线数据"
    assert row["field_comments"] == {"A6": "生态岸线比例与现场不符"}
    (audit,) = audit_rows(db, "assessment_returned", aid)
    assert audit["username"] == "reviewer"
    assert audit["before"] == {"status": "submitted"}
    assert audit["after"]["status"] == "returned"
    assert audit["after"]["return_comment"] == "请补充岸线数据"
    assert json.loads(audit["after"]["field_comments"]) == {"A6": "生态岸线比例与现场不符"}

    page = inspector.get(f"/assessments/{aid}/edit").get_data(as_text=True)
    assert "审核员退回意见" in page and "请补充岸线数据" in page
    section = re.search(r'id="ind-A6".*?</section>', page, re.S).group(0)
    assert "生态岸线比例与现场不符" in section  # next to the field it is about
    assert "生态岸线比例与现场不符" not in re.search(r'id="ind-A5".*?</section>', page, re.S)[0]
    assert "不存在的指标" not in page

    # editing a returned assessment makes it a draft again; it can be submitted again
    data = as_form("cq-river", full_river_answers() | {"A6": 75})
    saved = inspector.post(f"/assessments/{aid}/edit", data | {"version": "3", "action": "save"})
    assert saved.status_code == 303
    assert assessments.get(db, aid)["status"] == "draft"
    (save_audit,) = audit_rows(db, "assessment_saved", aid)
    assert save_audit["before"]["status"] == "returned"
    assert save_audit["after"]["status"] == "draft"
    assert save_audit["after"]["answers"]["A6"] == 75
    again = inspector.post(f"/assessments/{aid}/edit", data | {"version": "4", "action": "submit"})
    assert again.status_code == 302
    assert assessments.get(db, aid)["status"] == "submitted"
    assert len(audit_rows(db, "assessment_submitted", aid)) == 2


# -- deciding -----------------------------------------------------------------------------------


def test_a_decision_other_than_the_computed_one_needs_a_reason_which_is_audited(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    assert assessments.get(db, aid)["computed_decision"] == "accepted"

    refused = review(reviewer, aid, db, action="reject", comment="现场检查发现问题")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "计算结论为「通过验收」，作出不同结论必须填写理由" in errors_in(html)
    assert "现场检查发现问题" in html  # what was typed is kept
    assert assessments.get(db, aid)["status"] == "submitted"
    assert audit_rows(db, "assessment_decided", aid) == []

    reason = "现场发现未整改的非法排污口"
    response = review(reviewer, aid, db, action="reject", override_reason=reason)
    assert response.status_code == 302
    row = assessments.get(db, aid)
    assert (row["status"], row["decision"], row["override_reason"]) == (
        "rejected",
        "rejected",
        reason,
    )
    assert row["decided_on"] == clock.today().isoformat()
    (audit,) = audit_rows(db, "assessment_decided", aid)
    assert audit["username"] == "reviewer"
    assert audit["before"] == {"status": "submitted"}
    assert audit["after"]["decision"] == "rejected"
    assert audit["after"]["override_reason"] == reason
    assert audit["after"]["computed_decision"] == "accepted"
    page = reviewer.get(f"/assessments/{aid}").get_data(as_text=True)
    assert reason in page and "改变结论的理由" in page
    # a rejected acceptance grants nothing
    assert audit_rows(db, "title_granted", entity="waterbody") == []


def test_accepting_grants_the_title_on_the_back_dated_decision_date(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    response = review(reviewer, aid, db, action="accept", decided_on="2025-01-07")
    assert response.status_code == 302
    assert assessments.get(db, aid)["decided_on"] == "2025-01-07"
    waterbody = db["waterbodies"].get(waterbody_id(db))
    assert (waterbody["status"], waterbody["accepted_on"]) == ("accepted", "2025-01-07")
    (grant,) = audit_rows(db, "title_granted", waterbody_id(db), entity="waterbody")
    assert grant["username"] == "reviewer"
    assert grant["before"] == {"status": "building", "accepted_on": None, "revoked_on": None}
    assert grant["after"] == {
        "status": "accepted",
        "accepted_on": "2025-01-07",
        "revoked_on": None,
        "assessment_id": aid,
    }


@pytest.mark.parametrize(
    ("decided_on", "message"),
    [
        ((clock.today() + timedelta(days=1)).isoformat(), "结论日期不能晚于今天"),
        ("2099-01-01", "结论日期不能晚于今天"),
        ("2025-13-45", "结论日期格式应为 YYYY-MM-DD"),
        ("明天", "结论日期格式应为 YYYY-MM-DD"),
    ],
)
def test_decided_on_cannot_be_in_the_future_or_malformed(db, login_as, decided_on, message):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    response = review(reviewer, aid, db, action="accept", decided_on=decided_on)
    assert response.status_code == 422
    assert message in errors_in(response.get_data(as_text=True))
    row = assessments.get(db, aid)
    assert (row["status"], row["decided_on"], row["version"]) == ("submitted", None, 2)
    assert db["waterbodies"].get(waterbody_id(db))["status"] == "building"


def test_a_failed_recheck_revokes_the_title_from_its_decision_date(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    acceptance = submitted(db, inspector)
    assert review(reviewer, acceptance, db, action="accept", decided_on="2025-01-07").status_code
    wid = waterbody_id(db)
    assert db["waterbodies"].get(wid)["status"] == "accepted"

    recheck = submitted(db, inspector, kind="recheck")
    # a revocation dated before the acceptance is refused: the counts would make no sense
    early = review(
        reviewer,
        recheck,
        db,
        action="reject",
        override_reason="复核不合格",
        decided_on="2024-12-31",
    )
    assert early.status_code == 422
    assert "摘牌日期不能早于该河湖的验收日期 2025-01-07" in errors_in(early.get_data(as_text=True))
    assert db["waterbodies"].get(wid)["status"] == "accepted"
    assert assessments.get(db, recheck)["status"] == "submitted"

    revoked_on = days_ago(40)  # back-dated, and honoured
    response = review(
        reviewer, recheck, db, action="reject", override_reason="复核不合格", decided_on=revoked_on
    )
    assert response.status_code == 302
    row = assessments.get(db, recheck)
    assert (row["status"], row["decided_on"]) == ("rejected", revoked_on)
    waterbody = db["waterbodies"].get(wid)
    assert (waterbody["status"], waterbody["accepted_on"], waterbody["revoked_on"]) == (
        "revoked",
        "2025-01-07",
        revoked_on,
    )
    (audit,) = audit_rows(db, "title_revoked", wid, entity="waterbody")
    assert audit["username"] == "reviewer"
    assert audit["before"] == {"status": "accepted", "revoked_on": None}
    assert audit["after"] == {
        "status": "revoked",
        "revoked_on": revoked_on,
        "assessment_id": recheck,
    }

    # a new acceptance may restore the title, but not dated before the revocation
    again = submitted(db, inspector, kind="acceptance")
    before_revoke = review(reviewer, again, db, action="accept", decided_on=days_ago(41))
    assert before_revoke.status_code == 422
    assert f"验收日期不能早于该河湖上次摘牌的日期 {revoked_on}" in errors_in(
        before_revoke.get_data(as_text=True)
    )
    assert review(reviewer, again, db, action="accept", decided_on=days_ago(1)).status_code == 302
    waterbody = db["waterbodies"].get(wid)
    assert (waterbody["status"], waterbody["accepted_on"], waterbody["revoked_on"]) == (
        "accepted",
        days_ago(1),
        None,
    )


def test_a_decided_assessment_is_locked(db, login_as):
    inspector, reviewer, admin = login_as("yubei"), login_as("reviewer"), login_as("admin")
    aid = submitted(db, inspector)
    assert review(reviewer, aid, db, action="accept").status_code == 302
    before = assessments.get(db, aid)
    audit_count = db["audit_log"].count
    data = as_form("cq-river", full_river_answers() | {"A1": 50})

    edit = inspector.get(f"/assessments/{aid}/edit")
    assert (edit.status_code, edit.headers["Location"]) == (302, f"/assessments/{aid}")
    shown = inspector.post(
        f"/assessments/{aid}/edit", data | {"version": "3", "action": "save"}, follow_redirects=True
    )
    assert "该评估当前不能修改。" in shown.get_data(as_text=True)
    for browser in (inspector, reviewer, admin):
        for action in ("save", "submit"):
            response = browser.post(
                f"/assessments/{aid}/edit", data | {"version": "3", "action": action}
            )
            assert response.status_code == 302
        page = browser.get(f"/assessments/{aid}", follow_redirects=True).get_data(as_text=True)
        assert f'action="/assessments/{aid}/review"' not in page  # no review form
    for action, extra in (
        ("reject", {"override_reason": "改判"}),
        ("return", {"comment": "重新填写"}),
        ("accept", {}),
    ):
        response = reviewer.post(
            f"/assessments/{aid}/review", {"version": "3", "action": action} | extra
        )
        assert response.status_code == 302
    upload = inspector.post(
        f"/assessments/{aid}/attachments",
        {"file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")},
    )
    assert upload.status_code == 403
    after = assessments.get(db, aid)
    assert after == before
    assert db["audit_log"].count == audit_count  # nothing written, nothing audited
    with pytest.raises(workflow.TransitionError):
        assessments.review(
            db, aid, action="reject", user=users.by_username(db, "reviewer"), comment="x"
        )
    assert assessments.get(db, aid) == before


# -- concurrency -------------------------------------------------------------------------------


def test_optimistic_lock_conflict_keeps_the_loser_input(db, login_as):
    first, second = login_as("yubei"), login_as("yubei")
    aid = new_assessment(first, waterbody_id(db))
    assert hidden_version(first.get(f"/assessments/{aid}/edit").get_data(as_text=True)) == "1"
    assert hidden_version(second.get(f"/assessments/{aid}/edit").get_data(as_text=True)) == "1"

    saved = first.post(f"/assessments/{aid}/edit", {"version": "1", "action": "save", "A1": "90"})
    assert saved.status_code == 303
    assert hidden_version(first.get(saved.headers["Location"]).get_data(as_text=True)) == "2"
    lost = second.post(f"/assessments/{aid}/edit", {"version": "1", "action": "save", "A1": "80"})
    assert lost.status_code == 409
    html = lost.get_data(as_text=True)
    assert "该评估已被他人修改（您编辑的是第 1 版，当前为第 2 版）" in html
    assert re.search(r'name="A1"[^>]*value="80"', html)  # what they typed is still there
    row = assessments.get(db, aid)
    assert (row["answers"]["A1"], row["version"]) == (90, 2)
    assert len(audit_rows(db, "assessment_saved", aid)) == 1

    # saving again after comparing is a deliberate overwrite of version 2, not a loop of 409s
    assert hidden_version(html) == "2"
    resaved = second.post(
        f"/assessments/{aid}/edit", {"version": "2", "action": "save", "A1": "80"}
    )
    assert resaved.status_code == 303
    row = assessments.get(db, aid)
    assert (row["answers"]["A1"], row["version"]) == (80, 3)
    saves = audit_rows(db, "assessment_saved", aid)
    assert [
        (s["username"], s["before"]["answers"].get("A1"), s["after"]["answers"]["A1"])
        for s in saves
    ] == [
        ("yubei", None, 90),
        ("yubei", 90, 80),
    ]


def test_double_submit_changes_the_status_once(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    data = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "submit"}
    first = inspector.post(f"/assessments/{aid}/edit", data)
    second = inspector.post(f"/assessments/{aid}/edit", data)
    assert first.status_code == second.status_code == 302
    row = assessments.get(db, aid)
    assert (row["status"], row["version"]) == ("submitted", 2)
    (audit,) = audit_rows(db, "assessment_submitted", aid)
    assert audit["username"] == "yubei"
    assert audit["before"]["status"] == "draft"
    assert audit["after"] == {"status": "submitted", "answers": full_river_answers()}

    # the browser shows the last answer of a double click: it must say "submitted", not "failed"
    shown = inspector.post(f"/assessments/{aid}/edit", data, follow_redirects=True)
    assert "已提交，等待市级审核。" in shown.get_data(as_text=True)
    assert "该评估当前不能修改" not in shown.get_data(as_text=True)
    assert len(audit_rows(db, "assessment_submitted", aid)) == 1


def test_racing_submits_write_once_and_a_stale_one_with_other_answers_conflicts(db, login_as):
    """Two requests that both read the draft before either wrote: the store decides."""
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    yubei = users.by_username(db, "yubei")
    answers = full_river_answers()
    scored = assessments.get(db, aid)["result"]
    kwargs = {"expected_version": 1, "action": "submit", "scored": scored, "user": yubei}
    first = assessments.save(db, aid, answers=answers, **kwargs)
    repeat = assessments.save(db, aid, answers=full_river_answers(), **kwargs)
    assert first == repeat
    assert (repeat["status"], repeat["version"]) == ("submitted", 2)
    assert len(audit_rows(db, "assessment_submitted", aid)) == 1
    with pytest.raises(assessments.Conflict):
        assessments.save(db, aid, answers=answers | {"A1": 60}, **kwargs)
    assert assessments.get(db, aid)["answers"]["A1"] == 100
    assert len(audit_rows(db, "assessment_submitted", aid)) == 1


# -- corrections and separation of duties -----------------------------------------------------


def test_a_reviewer_correction_is_rescored_and_audited(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    page = reviewer.get(f"/assessments/{aid}/edit")
    assert page.status_code == 200
    assert "保存更正并重新计分" in page.get_data(as_text=True)

    data = as_form("cq-river", full_river_answers() | {"A1": 50})
    response = reviewer.post(f"/assessments/{aid}/edit", data | {"version": "2", "action": "save"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/assessments/{aid}/edit")
    page = reviewer.get(response.headers["Location"]).get_data(as_text=True)
    assert "已更正答案并重新计分" in page
    row = assessments.get(db, aid)
    assert row["status"] == "submitted"  # still waiting for a decision
    assert row["answers"]["A1"] == 50
    assert row["result"]["total"] != "100.00"
    assert row["total_cents"] < 10000
    (audit,) = audit_rows(db, "assessment_corrected", aid)
    assert audit["username"] == "reviewer"
    assert (audit["before"]["status"], audit["after"]["status"]) == ("submitted", "submitted")
    assert (audit["before"]["answers"]["A1"], audit["after"]["answers"]["A1"]) == (100, 50)


def test_a_correction_must_leave_the_assessment_complete(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    data = as_form("cq-river", full_river_answers()) | {"A1": "", "A4": "abc"}
    response = reviewer.post(f"/assessments/{aid}/edit", data | {"version": "2", "action": "save"})
    assert response.status_code == 422
    messages = errors_in(response.get_data(as_text=True))
    assert "请填写「防洪达标率」" in messages
    assert "「污水集中处理率」必须是数字" in messages
    row = assessments.get(db, aid)
    assert (row["version"], row["answers"]["A1"], row["result"]["total"]) == (2, 100, "100.00")
    assert audit_rows(db, "assessment_corrected", aid) == []


@pytest.mark.parametrize("author_step", ["creates", "submits"])
def test_nobody_reviews_their_own_assessment(db, login_as, author_step):
    """An administrator holds both roles; they may fill in an assessment or decide it, not both."""
    admin, reviewer, inspector = login_as("admin"), login_as("reviewer"), login_as("yubei")
    if author_step == "creates":
        aid = submitted(db, admin)
    else:
        aid = new_assessment(inspector, waterbody_id(db))
        data = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "submit"}
        assert admin.post(f"/assessments/{aid}/edit", data).status_code == 302
    page = admin.get(f"/assessments/{aid}").get_data(as_text=True)
    assert f'action="/assessments/{aid}/review"' not in page  # no review form for the author

    for action in ("accept", "return"):
        response = review(admin, aid, db, action=action, comment="自审")
        assert (response.status_code, response.headers["Location"]) == (302, f"/assessments/{aid}")
        shown = admin.get(response.headers["Location"]).get_data(as_text=True)
        assert "不能审核自己填写或提交的评估，请由其他审核员审核" in shown
    assert assessments.get(db, aid)["status"] == "submitted"
    with pytest.raises(workflow.SelfReviewError):
        assessments.review(db, aid, action="accept", user=users.by_username(db, "admin"))
    assert assessments.get(db, aid)["status"] == "submitted"
    assert audit_rows(db, "assessment_decided", aid) == []

    assert f'action="/assessments/{aid}/review"' in reviewer.get(f"/assessments/{aid}").get_data(
        as_text=True
    )
    assert review(reviewer, aid, db, action="accept").status_code == 302
    assert assessments.get(db, aid)["status"] == "accepted"


FOUR_EYES = "您更正过该评估的答案，结论须由另一位审核员作出；您可以退回修改"


def correct(browser, aid, db, **changes):
    """A reviewer's correction through the form (audited as assessment_corrected)."""
    data = as_form("cq-river", full_river_answers() | changes)
    version = str(assessments.get(db, aid)["version"])
    response = browser.post(f"/assessments/{aid}/edit", data | {"version": version})
    assert response.status_code == 303
    return response


@pytest.mark.parametrize(("corrector", "decider"), [("reviewer", "admin"), ("admin", "reviewer")])
def test_whoever_corrected_the_answers_cannot_decide_them(db, login_as, corrector, decider):
    """Four eyes: the corrector may return the assessment; another reviewer decides it."""
    inspector, fixer, other = login_as("yubei"), login_as(corrector), login_as(decider)
    aid = submitted(db, inspector)
    correct(fixer, aid, db, A1=96.5)

    page = fixer.get(f"/assessments/{aid}").get_data(as_text=True)
    assert 'id="four-eyes"' in page
    assert 'value="return"' in page and 'value="accept"' not in page  # only "return" offered
    assert 'value="accept"' in other.get(f"/assessments/{aid}").get_data(as_text=True)

    for action in ("accept", "conditional", "reject"):
        refused = review(fixer, aid, db, action=action, override_reason="理由", comment="意见")
        assert refused.status_code == 422
        assert FOUR_EYES in errors_in(refused.get_data(as_text=True))
    row = assessments.get(db, aid)
    assert (row["status"], row["decision"], row["reviewer_id"]) == ("submitted", None, None)
    assert audit_rows(db, "assessment_decided", aid) == []
    refusals = audit_rows(db, "review_refused", aid)
    assert [(r["username"], r["after"]) for r in refusals] == [
        (corrector, {"action": action, "reason": "corrected"})
        for action in ("accept", "conditional", "reject")
    ]
    with pytest.raises(workflow.FourEyesError):  # the store refuses it in any case
        assessments.review(db, aid, action="accept", user=users.by_username(db, corrector))

    assert review(other, aid, db, action="accept").status_code == 302
    row = assessments.get(db, aid)
    assert (row["status"], row["reviewer_name"]) == ("accepted", decider)


def test_the_corrector_may_still_return_it(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = submitted(db, inspector)
    correct(reviewer, aid, db, A1=96.5)
    response = review(reviewer, aid, db, action="return", comment="请核实防洪达标率")
    assert response.status_code == 302
    assert assessments.get(db, aid)["status"] == "returned"
    assert audit_rows(db, "review_refused", aid) == []


def test_a_refused_self_review_is_audited(db, login_as):
    admin = login_as("admin")
    aid = submitted(db, admin)
    assert review(admin, aid, db, action="accept").status_code == 302
    (refusal,) = audit_rows(db, "review_refused", aid)
    assert refusal["after"] == {"action": "accept", "reason": "own_work"}
    assert assessments.get(db, aid)["status"] == "submitted"


def test_demo_data_keeps_four_eyes_and_never_self_review(tmp_path):
    from happy_rivers.store import demo

    demo_db = store.connect(str(tmp_path / "demo.db"))
    store.migrate(demo_db)
    demo.seed(demo_db)
    decided = list(
        demo_db.query("SELECT id, reviewer_id FROM assessments WHERE decided_on IS NOT NULL")
    )
    assert decided
    for row in decided:
        assert not assessments.is_author(demo_db, row["id"], row["reviewer_id"])
        assert not assessments.corrected_by(demo_db, row["id"], row["reviewer_id"])
    demo_db.close()


def test_a_reviewer_cannot_fill_in_or_submit(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = new_assessment(inspector, waterbody_id(db))
    data = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "submit"}
    assert reviewer.post(f"/assessments/{aid}/edit", data).status_code == 302
    assert (
        reviewer.post(
            f"/waterbodies/{waterbody_id(db)}/assessments", {"kind": "recheck"}
        ).status_code
        == 403
    )
    row = assessments.get(db, aid)
    assert (row["status"], row["version"], row["answers"]) == ("draft", 1, {"gates": {}})


# -- the audit log itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET username = 'someone-else'",
        "UPDATE audit_log SET after = NULL WHERE action = 'user_created'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = 1",
    ],
)
def test_the_audit_log_is_append_only(db, sql):
    rows = [tuple(r) for r in db.execute("SELECT * FROM audit_log ORDER BY id").fetchall()]
    assert rows  # the fixture's users and waterbodies were audited
    with pytest.raises(sqlite3.IntegrityError, match="audit_log is append-only"):
        with db.conn:
            db.execute(sql)
    assert [tuple(r) for r in db.execute("SELECT * FROM audit_log ORDER BY id").fetchall()] == rows


@pytest.mark.parametrize(
    ("status", "role", "action"),
    [
        ("draft", "inspector", "save"),
        ("returned", "admin", "save"),
        ("submitted", "reviewer", "correct"),
        ("submitted", "admin", "correct"),
        ("submitted", "inspector", None),
        ("draft", "reviewer", None),
        ("accepted", "admin", None),
        ("draft", "expert", None),
    ],
)
def test_edit_action_is_the_one_rule_the_pages_and_the_api_ask(status, role, action):
    assert workflow.edit_action(status, role) == action
