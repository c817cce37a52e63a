"""The satisfaction survey (A20): the rate and sample size against hand-computed tables, the
answer page's abuse rules (each counted by reason), the results page, the printable sign.

Time is moved with the project's one clock (clock.utc_now), never slept through.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from happy_rivers import clock
from happy_rivers.scoring import survey as rules
from happy_rivers.store import surveys, users, waterbodies
from tests.answers import full_river_answers
from tests.conftest import as_form

START = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, 2026-06-01

# --- the rate and the sample size (pure) ---------------------------------------------------

V, S, F, D, X = "very_satisfied", "satisfied", "fair", "dissatisfied", "very_dissatisfied"


@pytest.mark.parametrize(
    "answers, sample_size, rate",
    [
        ([], 0, None),
        ([X], 1, "0.00"),
        ([V], 1, "100.00"),
        ([V, V, V, S], 4, "95.00"),  # (300 + 80) / 4
        ([S, F, D], 3, "56.67"),  # 170 / 3 = 56.666…
        ([F, F, D], 3, "50.00"),  # 150 / 3
        ([V, D, X], 3, "43.33"),  # 130 / 3 = 43.333…
        # 90 / 16 = 5.625: half-up gives 5.63 (round-half-even would give 5.62)
        ([D, F] + [X] * 14, 16, "5.63"),
        # 100 × 50 + 80 × 30 + 60 × 15 + 30 × 4 + 0 × 1 = 8420 over 100
        ([V] * 50 + [S] * 30 + [F] * 15 + [D] * 4 + [X], 100, "84.20"),
    ],
)
def test_rate_and_sample_size_match_the_hand_computed_table(answers, sample_size, rate):
    result = rules.summarize(answers)
    assert result.sample_size == sample_size
    assert result.rate == (None if rate is None else Decimal(rate))


def test_distribution_counts_and_percentages():
    result = rules.summarize([V, V, S, X])
    table = {o.code: (n, str(p)) for o, n, p in result.distribution}
    assert table == {
        V: (2, "50.0"),
        S: (1, "25.0"),
        F: (0, "0.0"),
        D: (0, "0.0"),
        X: (1, "25.0"),
    }


def test_an_unknown_option_is_an_error_not_a_zero():
    with pytest.raises(ValueError):
        rules.summarize([V, "great"])


def test_a20_answer_is_the_answers_json_of_the_indicator():
    assert rules.a20_answer(412, Decimal("93.20")) == {"rate": 93.2, "sample_size": 412}
    assert rules.a20_answer(0, None) is None


# --- over HTTP ------------------------------------------------------------------------------


class Clock:
    """The app's clock, moved by hand."""

    def __init__(self, monkeypatch):
        self.now = START
        monkeypatch.setattr(clock, "utc_now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def moment(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def survey(db, moment) -> dict:
    admin = users.by_username(db, "admin")
    wid = waterbodies.list_waterbodies(db, q="御临河")[0]["id"]
    sid = surveys.open_survey(db, wid, "2026-06-01", "2026-06-30", actor=admin)
    return surveys.get(db, sid)


class Phone:
    """One visitor's phone: its own cookies, and an address."""

    def __init__(self, app, address: str = "198.51.100.7"):
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address

    def open(self, token: str):
        response = self.client.get(f"/s/{token}")
        match = re.search(r'name="form_token" value="([^"]+)"', response.get_data(as_text=True))
        self.form_token = match.group(1) if match else None
        return response

    def send(self, token: str, **fields):
        data = {"form_token": self.form_token, "overall": "satisfied"} | fields
        return self.client.post(f"/s/{token}", data=data)


def answer(app, moment, token, address="198.51.100.7", **fields):
    phone = Phone(app, address)
    assert phone.open(token).status_code == 200
    moment.advance(20)  # a person reads and taps
    return phone, phone.send(token, **fields)


def counts(db, survey_id):
    return surveys.summary(db, survey_id).sample_size, surveys.refusals(db, survey_id)


def test_a_valid_answer_is_kept_and_thanked(app, db, moment, survey):
    _phone, response = answer(app, moment, survey["token"], overall="very_satisfied")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{survey['token']}/thanks")
    n, refused = counts(db, survey["id"])
    assert n == 1 and sum(refused.values()) == 0
    # neither the cookie nor the address is stored as such
    row = db.execute("SELECT device, address FROM survey_responses").fetchone()
    assert "198.51.100.7" not in row and len(row[1]) == 32


def test_one_response_per_device(app, db, moment, survey):
    phone, first = answer(app, moment, survey["token"])
    assert first.status_code == 303
    phone.open(survey["token"])
    moment.advance(20)
    again = phone.send(survey["token"], overall="very_dissatisfied")
    assert again.status_code == 409
    assert "已参与过" in again.get_data(as_text=True)
    n, refused = counts(db, survey["id"])
    assert n == 1 and refused["device"] == 1
    assert surveys.overall_answers(db, survey["id"]) == ["satisfied"]  # the first one stands


def test_the_honeypot_is_refused_and_counted_but_looks_like_success(app, db, moment, survey):
    _phone, response = answer(app, moment, survey["token"], website="http://spam.example")
    assert response.status_code == 303  # a program learns nothing
    n, refused = counts(db, survey["id"])
    assert n == 0 and refused["honeypot"] == 1


def test_an_answer_faster_than_the_minimum_time_is_refused(app, db, moment, survey):
    phone = Phone(app)
    phone.open(survey["token"])
    moment.advance(2)  # under SURVEY_MIN_SECONDS (5)
    response = phone.send(survey["token"])
    assert response.status_code == 422
    assert "太快" in response.get_data(as_text=True)
    assert 'value="satisfied" checked' in response.get_data(as_text=True)  # choice kept
    n, refused = counts(db, survey["id"])
    assert n == 0 and refused["too_fast"] == 1
    # the form shown again carries a new stamp: answering after a while is kept
    phone.form_token = re.search(
        r'name="form_token" value="([^"]+)"', response.get_data(as_text=True)
    ).group(1)
    moment.advance(6)
    assert phone.send(survey["token"]).status_code == 303
    assert counts(db, survey["id"])[0] == 1


def test_a_forged_or_foreign_form_is_refused(app, db, moment, survey):
    phone = Phone(app)
    phone.open(survey["token"])
    moment.advance(20)
    phone.form_token = phone.form_token[:-2] + "xx"
    assert phone.send(survey["token"]).status_code == 400
    # a form token made for another phone (cookie) does not pass either
    other = Phone(app)
    other.open(survey["token"])
    other.form_token = phone.form_token
    assert other.send(survey["token"]).status_code == 400
    n, refused = counts(db, survey["id"])
    assert n == 0 and refused["form"] == 2


def test_the_rate_limit_per_address(app, db, moment, survey):
    for _ in range(surveys.ADDRESS_LIMIT):
        assert answer(app, moment, survey["token"], address="203.0.113.9")[1].status_code == 303
    _phone, over = answer(app, moment, survey["token"], address="203.0.113.9")
    assert over.status_code == 429
    # another address is not held up; the same one is welcome again an hour later
    assert answer(app, moment, survey["token"], address="203.0.113.10")[1].status_code == 303
    moment.advance(3600)
    assert answer(app, moment, survey["token"], address="203.0.113.9")[1].status_code == 303
    n, refused = counts(db, survey["id"])
    assert n == surveys.ADDRESS_LIMIT + 2 and refused["address"] == 1


def test_a_closed_survey_takes_no_answers(app, db, moment, survey, login_as):
    phone = Phone(app)
    phone.open(survey["token"])
    admin = login_as("admin")
    assert admin.post(f"/surveys/{survey['id']}/close").status_code == 303
    moment.advance(20)
    assert phone.send(survey["token"]).status_code == 409
    assert "未开放" in phone.open(survey["token"]).get_data(as_text=True)
    n, refused = counts(db, survey["id"])
    assert n == 0 and refused["closed"] == 1


def test_no_overall_answer_is_a_message_not_a_refusal(app, db, moment, survey):
    _phone, response = answer(app, moment, survey["token"], overall="")
    assert response.status_code == 422
    assert "请选择您对这条河湖的总体满意程度" in response.get_data(as_text=True)
    n, refused = counts(db, survey["id"])
    assert n == 0 and sum(refused.values()) == 0


def test_unknown_survey_is_404(client):
    assert client.get("/s/no-such-survey").status_code == 404


# --- administrators: open, results, close, sign ---------------------------------------------


def test_admin_opens_a_survey_with_checked_dates(db, moment, login_as):
    admin = login_as("admin")
    wid = waterbodies.list_waterbodies(db, q="龙凤溪")[0]["id"]
    bad = admin.post(
        "/admin/surveys", data={"waterbody": wid, "opens_on": "2026-06-10", "closes_on": "06-01"}
    )
    assert bad.status_code == 422
    assert "结束日期须按 YYYY-MM-DD 填写" in bad.get_data(as_text=True)
    backwards = admin.post(
        "/admin/surveys",
        data={"waterbody": wid, "opens_on": "2026-06-10", "closes_on": "2026-06-05"},
    )
    assert "结束日期不能早于开始日期" in backwards.get_data(as_text=True)
    good = admin.post(
        "/admin/surveys",
        data={"waterbody": wid, "opens_on": "2026-06-01", "closes_on": "2026-06-30"},
    )
    assert good.status_code == 303
    twice = admin.post(
        "/admin/surveys",
        data={"waterbody": wid, "opens_on": "2026-06-01", "closes_on": "2026-06-30"},
    )
    assert twice.status_code == 422 and "已有进行中的调查" in twice.get_data(as_text=True)
    assert len(surveys.list_surveys(db, waterbody_id=wid)) == 1


def test_results_show_sample_rate_distribution_and_comments_for_admins_only(
    app, db, moment, survey, login_as
):
    for overall, comment in ((V, "步道很干净"), (S, ""), (D, "希望增加垃圾桶")):
        answer(app, moment, survey["token"], overall=overall, comment=comment)
    answer(app, moment, survey["token"], website="x")  # one honeypot refusal
    admin = login_as("admin").get(f"/surveys/{survey['id']}").get_data(as_text=True)
    assert re.search(r'id="sample-size">3<', admin)
    assert re.search(r'id="rate">70.00<', admin)  # (100 + 80 + 30) / 3
    assert "步道很干净" in admin and "希望增加垃圾桶" in admin
    assert re.search(r'data-reason="honeypot"><td>[^<]+</td><td class="num">1<', admin)
    reviewer = login_as("reviewer").get(f"/surveys/{survey['id']}").get_data(as_text=True)
    assert re.search(r'id="rate">70.00<', reviewer)
    assert "步道很干净" not in reviewer and 'id="comments"' not in reviewer


def test_closing_keeps_the_rate_and_sample_size(app, db, moment, survey, login_as):
    for overall in (V, V, S, F):
        answer(app, moment, survey["token"], overall=overall)
    response = login_as("admin").post(f"/surveys/{survey['id']}/close")
    assert response.status_code == 303
    closed = surveys.get(db, survey["id"])
    assert closed["status"] == "closed"
    assert closed["sample_size"] == 4 and closed["rate"] == Decimal("85.00")  # 340 / 4
    again = login_as("admin").post(f"/surveys/{survey['id']}/close")
    assert again.status_code == 302  # refused with a message: already closed


def test_the_sign_carries_the_name_and_a_qr_code_of_the_link(db, survey, login_as):
    html = login_as("admin").get(f"/surveys/{survey['id']}/sign").get_data(as_text=True)
    assert "御临河" in html
    assert '<svg viewBox="0 0' in html and 'class="qr"' in html
    assert f"http://localhost/s/{survey['token']}" in html


# --- closing pre-fills A20 in the waterbody's open or next form, with its provenance ---------


def test_prefill_fills_only_an_unanswered_survey_indicator():
    kinds = {"A19": "linear", "A20": "survey"}
    answer = {"rate": 85.0, "sample_size": 120}
    assert rules.prefill(kinds, {"gates": {}}, answer) == {"gates": {}, "A20": answer}
    typed = {"A20": {"rate": 70, "sample_size": 300}}
    assert rules.prefill(kinds, typed, answer) == typed  # never overwritten
    assert rules.prefill(kinds, {"gates": {}}, None) == {"gates": {}}


def _closed_survey(app, db, moment, survey, login_as, answers):
    for overall in answers:
        answer(app, moment, survey["token"], overall=overall)
    assert login_as("admin").post(f"/surveys/{survey['id']}/close").status_code == 303
    return surveys.get(db, survey["id"])


def _field(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_closing_prefills_the_next_form_with_its_provenance(app, db, moment, survey, login_as):
    closed = _closed_survey(app, db, moment, survey, login_as, [V] * 2 + [S] * 2 + [D])
    assert closed["rate"] == Decimal("78.00")  # (200 + 160 + 30) / 5
    yubei = login_as("yubei")
    html = yubei.get(f"/waterbodies/{survey['waterbody_id']}/assessments/new?kind=self").get_data(
        as_text=True
    )
    assert _field(html, "A20_rate") == "78"
    assert _field(html, "A20_sample_size") == "5"
    provenance = re.search(r'<p class="survey-provenance"[^>]*>(.*?)</p>', html, re.S)
    assert provenance, "the provenance is shown beside A20"
    text = provenance.group(1)
    assert f"满意度调查 #{survey['id']}" in text and "2026-06-01 至 2026-06-30" in text
    assert "有效样本 5 份" in text and "满意率 78.00%" in text
    # another waterbody's form is not touched
    other = waterbodies.list_waterbodies(db, q="长寿湖")[0]["id"]
    html = yubei.get(f"/waterbodies/{other}/assessments/new?kind=self").get_data(as_text=True)
    assert _field(html, "A20_rate") == "" or "A20_rate" not in html
    assert "survey-provenance" not in html


def test_closing_prefills_the_open_draft_and_the_inspector_may_change_it(
    app, db, moment, survey, login_as
):
    yubei = login_as("yubei")
    created = yubei.post(
        f"/waterbodies/{survey['waterbody_id']}/assessments", data={"kind": "self"}
    )
    edit_url = created.headers["Location"]
    assert "A20_rate" in yubei.get(edit_url).get_data(as_text=True)
    assert _field(yubei.get(edit_url).get_data(as_text=True), "A20_rate") == ""
    _closed_survey(app, db, moment, survey, login_as, [V, S])
    html = yubei.get(edit_url).get_data(as_text=True)
    assert _field(html, "A20_rate") == "90" and _field(html, "A20_sample_size") == "2"
    assert 'class="survey-provenance"' in html
    version = re.search(r'name="version"[^>]*value="(\d+)"', html) or re.search(
        r'value="(\d+)"[^>]*name="version"', html
    )
    # the inspector keeps the survey's rate but corrects the sample size; saved as typed
    saved = yubei.post(
        edit_url,
        data={
            "version": version.group(1),
            "action": "save",
            "A20_rate": "90",
            "A20_sample_size": "120",
            "idempotency_key": "",
        },
    )
    assert saved.status_code in (302, 303)
    stored = db.execute(
        "SELECT answers FROM assessments WHERE waterbody_id = ?", [survey["waterbody_id"]]
    ).fetchone()[0]
    assert '"A20": {"rate": 90, "sample_size": 120}' in stored.replace("90.0", "90")
    html = yubei.get(edit_url).get_data(as_text=True)
    assert _field(html, "A20_sample_size") == "120"  # what was saved stands
    assert 'class="survey-provenance edited"' in html  # marked as differing from the survey


def _submit(browser, url: str, answers: dict, **extra):
    html = browser.get(url).get_data(as_text=True)
    version = re.search(r'<input[^>]*name="version"[^>]*>', html).group(0)
    version = re.search(r'value="(\d+)"', version).group(1)
    data = as_form("cq-river", answers) | {"version": version, "action": "submit"} | extra
    return browser.post(url, data=data)


def test_changing_the_survey_result_needs_a_note_which_is_kept(app, db, moment, survey, login_as):
    yubei = login_as("yubei")
    edit_url = yubei.post(
        f"/waterbodies/{survey['waterbody_id']}/assessments", data={"kind": "acceptance"}
    ).headers["Location"]
    closed = _closed_survey(app, db, moment, survey, login_as, [V, S, S])  # 260 / 3 = 86.67
    assert closed["rate"] == Decimal("86.67")
    changed = full_river_answers() | {"A20": {"rate": 88, "sample_size": 150}}
    refused = _submit(yubei, edit_url, changed)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "与满意度调查的结果不同：请填写修改说明" in html
    aid = int(edit_url.removesuffix("/edit").rsplit("/", 1)[1])
    assert db.execute("SELECT status FROM assessments WHERE id = ?", [aid]).fetchone()[0] == (
        "draft"
    )
    done = _submit(yubei, edit_url, changed, A20_note="补充了 2026-06 第二批纸质问卷 147 份")
    assert done.status_code == 302
    row = db.execute(
        "SELECT survey_id, edited, note FROM survey_notes WHERE assessment_id = ?", [aid]
    ).fetchone()
    assert row == (survey["id"], 1, "补充了 2026-06 第二批纸质问卷 147 份")
    assert db.execute("SELECT status FROM assessments WHERE id = ?", [aid]).fetchone()[0] == (
        "submitted"
    )
    # the reviewer reads where A20 came from, and why it was changed, on the result page
    page = login_as("reviewer").get(f"/assessments/{aid}").get_data(as_text=True)
    cell = re.search(r'<p class="survey-source[^"]*">(.*?)</p>', page, re.S)
    assert cell, "the provenance is on the result page"
    assert f"满意度调查 #{survey['id']}" in cell.group(1) and "86.67%" in cell.group(1)
    assert "已修改" in cell.group(1) and "补充了 2026-06 第二批纸质问卷 147 份" in cell.group(1)


def test_the_survey_result_as_given_needs_no_note_and_is_recorded(
    app, db, moment, survey, login_as
):
    yubei = login_as("yubei")
    edit_url = yubei.post(
        f"/waterbodies/{survey['waterbody_id']}/assessments", data={"kind": "acceptance"}
    ).headers["Location"]
    _closed_survey(app, db, moment, survey, login_as, [V, S, S])
    as_given = full_river_answers() | {"A20": {"rate": 86.67, "sample_size": 3}}
    # (a sample of 3 is below the rubric's 100: scoring says so, the survey does not hide it)
    response = _submit(yubei, edit_url, as_given)
    assert "样本量须为不少于 100 的整数" in response.get_data(as_text=True)
    assert "请填写修改说明" not in response.get_data(as_text=True)
    aid = int(edit_url.removesuffix("/edit").rsplit("/", 1)[1])
    row = db.execute(
        "SELECT survey_id, edited, note FROM survey_notes WHERE assessment_id = ?", [aid]
    ).fetchone()
    assert row == (survey["id"], 0, None)


def test_the_answer_page_is_never_cached_for_another_visitor(app, survey):
    response = Phone(app).open(survey["token"])
    assert response.headers["Cache-Control"] == "no-store"
    assert "hr_survey_device=" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("chosen", ["", "abc", "9" * 30, "99999"])
def test_opening_a_survey_for_no_waterbody_says_so(db, moment, login_as, chosen):
    response = login_as("admin").post(
        "/admin/surveys",
        data={"waterbody": chosen, "opens_on": "2026-06-01", "closes_on": "2026-06-30"},
    )
    assert response.status_code == 422
    assert "请选择河湖" in response.get_data(as_text=True)
    assert surveys.list_surveys(db) == []
