"""Notifications: written with the event that causes them, shown in the inbox with an unread
count in the header, and (when SMTP is configured) copied by e-mail after the commit without
holding up the request — tested against a real SMTP server (aiosmtpd) started here."""

import email
import email.policy
import logging
import re
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from happy_rivers import create_app, scoring, store
from happy_rivers.mail import Mailer, mailer
from happy_rivers.store import assessments, notifications, users, waterbodies
from tests.answers import full_river_answers
from tests.conftest import PASSWORD, Browser, as_form, new_assessment, waterbody_id


def user_id(db, username: str) -> int:
    return db.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()[0]


def unread_badge(browser) -> int | None:
    html = browser.get("/inbox").get_data(as_text=True)
    match = re.search(r'id="unread-count"[^>]*>(\d+)<', html)
    return int(match.group(1)) if match else None


def submit(inspector, aid: int, version: int):
    data = as_form("cq-river", full_river_answers()) | {
        "version": str(version),
        "action": "submit",
    }
    response = inspector.post(f"/assessments/{aid}/edit", data)
    assert response.status_code == 302, response.status_code
    return response


def review(reviewer, db, aid: int, **data):
    version = assessments.get(db, aid)["version"]
    response = reviewer.post(f"/assessments/{aid}/review", {"version": str(version), **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def kinds(db, username: str) -> list[str]:
    return [n["kind"] for n in notifications.inbox(db, user_id(db, username))]


def test_the_review_loop_tells_each_side_in_turn(db, login_as):
    users.create(db, "reviewer2", PASSWORD, "reviewer")
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    assert unread_badge(reviewer) is None
    aid = new_assessment(inspector, waterbody_id(db), kind="acceptance")
    submit(inspector, aid, 1)
    # every reviewer hears of the submission; the inspector is not told of their own act
    assert kinds(db, "reviewer") == kinds(db, "reviewer2") == ["submitted"]
    assert kinds(db, "yubei") == [] and kinds(db, "admin") == []
    assert unread_badge(reviewer) == 1
    page = reviewer.get("/inbox").get_data(as_text=True)
    assert f"新提交待审核：御临河（渝北区）· 市级验收 #{aid}" in page

    review(reviewer, db, aid, action="return", comment="请补充水质报告")
    assert kinds(db, "yubei") == ["returned"]
    assert unread_badge(inspector) == 1
    assert f"评估已退回修改：御临河 · 市级验收 #{aid}" in inspector.get("/inbox").get_data(
        as_text=True
    )

    version = assessments.get(db, aid)["version"]
    submit(inspector, aid, version)
    assert kinds(db, "reviewer") == ["resubmitted", "submitted"]

    review(reviewer, db, aid, action="accept")
    assert kinds(db, "yubei") == ["decided", "returned"]
    assert "评估已作出结论「通过验收」：御临河" in inspector.get("/inbox").get_data(as_text=True)
    # nobody else in the district or city heard of it
    assert kinds(db, "beibei") == [] and kinds(db, "admin") == []


def test_english_inbox_translates_the_message_and_its_labels(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    aid = new_assessment(inspector, waterbody_id(db), kind="acceptance")
    submit(inspector, aid, 1)
    reviewer.get("/lang/en")
    page = reviewer.get("/inbox").get_data(as_text=True)
    assert f"New submission to review: 御临河 (渝北区) · City acceptance #{aid}" in page


def test_read_and_unread(db, login_as):
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    first = new_assessment(inspector, waterbody_id(db), kind="acceptance")
    submit(inspector, first, 1)
    second = new_assessment(inspector, waterbody_id(db, "长寿湖"), kind="self")
    data = as_form("cq-reservoir", {}) | {"version": "1", "action": "save"}
    assert inspector.post(f"/assessments/{second}/edit", data).status_code in (302, 303)
    rows = notifications.inbox(db, user_id(db, "reviewer"))
    assert len(rows) == 1 and unread_badge(reviewer) == 1

    # opening a notification marks it read and leads to its assessment
    opened = reviewer.get(f"/inbox/{rows[0]['id']}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/assessments/{first}")
    assert unread_badge(reviewer) is None
    assert notifications.unread_count(db, user_id(db, "reviewer")) == 0
    # someone else's notification: 404, and it stays unread for its owner
    assert inspector.get(f"/inbox/{rows[0]['id']}").status_code == 404

    # mark some, then all, read
    with store.write(db):
        reviewer_id = user_id(db, "reviewer")
        for n in range(3):
            notifications.add(
                db,
                [reviewer_id],
                "notice_ended",
                {"title": f"批次{n}", "ends_on": "2026-01-09", "batch_id": n},
            )
    ids = [r["id"] for r in notifications.inbox(db, reviewer_id, unread_only=True)]
    assert len(ids) == 3 and unread_badge(reviewer) == 3
    done = reviewer.post("/inbox/read", {"ids": [str(ids[0])]})
    assert done.status_code == 303
    assert unread_badge(reviewer) == 2
    assert reviewer.post("/inbox/read", {"ids": [str(rows[0]["id"] + 999)]}).status_code == 303
    assert unread_badge(reviewer) == 2
    reviewer.post("/inbox/read", {"all": "1"})
    assert unread_badge(reviewer) is None
    assert len(notifications.inbox(db, reviewer_id)) == 4  # read ones stay in the inbox
    unread_page = reviewer.get("/inbox?unread=1").get_data(as_text=True)
    assert "notification-" not in unread_page


def test_experts_hear_when_named_and_are_led_to_their_form(db, app, login_as):
    for name in ("e1", "e2", "e3"):
        users.create(db, name, PASSWORD, "expert")
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db), kind="acceptance")
    submit(inspector, aid, 1)
    reviewer = login_as("reviewer")
    response = reviewer.post(f"/assessments/{aid}/panel", {"experts": ["e1", "e2"]})
    assert response.status_code == 302
    assert kinds(db, "e1") == kinds(db, "e2") == ["panel_named"] and kinds(db, "e3") == []
    expert = login_as("e1")
    assert unread_badge(expert) == 1
    (row,) = notifications.inbox(db, user_id(db, "e1"))
    opened = expert.get(f"/inbox/{row['id']}")
    assert opened.headers["Location"].endswith(f"/assessments/{aid}/panel/me")
    assert expert.get(opened.headers["Location"]).status_code == 200


def test_a_rolled_back_event_leaves_no_notification(db):
    """Written in the event's own transaction: when the decision fails, so does its message."""
    inspector = users.by_username(db, "yubei")
    rubric = scoring.load_rubric("cq-river")
    answers = full_river_answers()
    with pytest.raises(RuntimeError):
        with store.write(db):
            assessments.create(
                db,
                waterbody_id=waterbody_id(db),
                kind="acceptance",
                rubric_id=rubric.id,
                rubric_version=rubric.version,
                answers=answers,
                scored=scoring.score(rubric, answers).to_dict(),
                user=inspector,
                submit=True,
            )
            assert kinds(db, "reviewer") == ["submitted"]  # written inside the transaction
            raise RuntimeError("the request failed after the submit")
    assert kinds(db, "reviewer") == []
    assert db.execute("SELECT count(*) FROM assessments").fetchone()[0] == 0


def test_notice_ended_reaches_each_admin_once(db):
    users.create(db, "admin2", PASSWORD, "admin")
    for _ in range(2):
        with store.write(db):
            notifications.notice_ended(db, 7, title="2026 年第一批", ends_on="2026-01-09")
    assert kinds(db, "admin") == kinds(db, "admin2") == ["notice_ended"]
    assert kinds(db, "reviewer") == []
    (row,) = notifications.inbox(db, user_id(db, "admin"))
    assert notifications.text(row) == "公示已结束，可以命名：2026 年第一批（公示截止 2026-01-09）"


def test_notification_email_is_checked_and_saved(db, login_as):
    reviewer = login_as("reviewer")
    bad = reviewer.post("/inbox/email", {"email": "not an address"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="email-error"' in html and "通知邮箱格式不正确" in html
    assert 'value="not an address"' in html  # what was typed is kept
    assert notifications.email_of(db, user_id(db, "reviewer")) is None
    assert reviewer.post("/inbox/email", {"email": "shen@example.com"}).status_code == 303
    assert notifications.email_of(db, user_id(db, "reviewer")) == "shen@example.com"
    assert reviewer.post("/inbox/email", {"email": " "}).status_code == 303
    assert notifications.email_of(db, user_id(db, "reviewer")) is None


# -- e-mail against a real SMTP server -----------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it receives and signals each arrival."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        with self.arrived:
            self.messages.append(envelope)
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)


def free_port() -> int:
    """A port nothing listens on: taken from the OS, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def mail_app(tmp_path, port: int):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE": str(tmp_path / "mail.db"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_FROM": "hezhang@example.cn",
            "MAIL_TIMEOUT": 5,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    with app.app_context():
        db = store.get_db()
        store.migrate(db)
        users.create(db, "reviewer", PASSWORD, "reviewer")
        users.create(db, "yubei", PASSWORD, "inspector", "渝北区")
        waterbodies.create(db, {"name": "御临河", "kind": "river", "district": "渝北区"})
    return app


def sign_in(app, username: str) -> Browser:
    browser = Browser(app.test_client())
    assert browser.login(username).status_code == 302
    return browser


def test_email_copy_reaches_a_real_smtp_server_after_the_commit(tmp_path, smtp):
    handler, port = smtp
    app = mail_app(tmp_path, port)
    reviewer, inspector = sign_in(app, "reviewer"), sign_in(app, "yubei")
    assert reviewer.post("/inbox/email", {"email": "shen@example.com"}).status_code == 303
    with app.app_context():
        waterbody = waterbody_id(store.get_db())
    aid = new_assessment(inspector, waterbody, kind="acceptance")
    submit(inspector, aid, 1)
    assert handler.wait_for(1)
    (envelope,) = handler.messages
    assert envelope.rcpt_tos == ["shen@example.com"]
    assert envelope.mail_from == "hezhang@example.cn"
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "【重庆市幸福河湖评价】新通知"
    content = message.get_content()
    assert f"新提交待审核：御临河（渝北区）· 市级验收 #{aid}" in content
    assert "http://localhost/inbox" in content
    # the inspector has no address: nothing was sent to them when the reviewer returned it
    with app.app_context():
        db = store.get_db()
        version = assessments.get(db, aid)["version"]
    returned = reviewer.post(
        f"/assessments/{aid}/review", {"version": str(version), "action": "return", "comment": "补"}
    )
    assert returned.status_code == 302
    assert mailer(app).wait(10)
    assert len(handler.messages) == 1 and mailer(app).sent == 1


def test_a_mail_server_that_is_down_does_not_fail_the_request(tmp_path, caplog):
    app = mail_app(tmp_path, free_port())
    reviewer, inspector = sign_in(app, "reviewer"), sign_in(app, "yubei")
    reviewer.post("/inbox/email", {"email": "shen@example.com"})
    with app.app_context():
        waterbody = waterbody_id(store.get_db())
    aid = new_assessment(inspector, waterbody, kind="acceptance")
    with caplog.at_level(logging.ERROR, logger="happy_rivers.mail"):
        submit(inspector, aid, 1)  # 302 as always
        assert mailer(app).wait(20)
    assert mailer(app).failed == 1 and mailer(app).sent == 0
    assert any("could not send mail to shen@example.com" in r.getMessage() for r in caplog.records)
    with app.app_context():
        db = store.get_db()
        assert assessments.get(db, aid)["status"] == "submitted"
        assert kinds(db, "reviewer") == ["submitted"]  # the inbox has it all the same


class Hanging(Inbox):
    """A server that accepts the connection and then hangs before answering the message."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.release.wait(10)  # blocks this server's loop: every later client waits too
        return await super().handle_DATA(server, session, envelope)


def test_a_full_mail_queue_drops_instead_of_blocking(caplog):
    """The queue is bounded: when the server cannot keep up, the request does not wait."""
    handler = Hanging()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        slow = Mailer(
            {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port, "MAIL_QUEUE_SIZE": 2}
        )
        with caplog.at_level(logging.WARNING, logger="happy_rivers.mail"):
            slow.notify([f"u{n}@example.com" for n in range(6)], "测试")  # returns at once
        # at most one in the thread's hands and two queued: the rest were dropped, and logged
        assert 3 <= slow.dropped <= 4
        assert any("mail queue full" in r.getMessage() for r in caplog.records)
        handler.release.set()
        assert slow.wait(20)
        assert slow.sent == 6 - slow.dropped == len(handler.messages)
    finally:
        handler.release.set()
        controller.stop()


def test_the_header_counts_to_99_plus(db, login_as):
    reviewer = login_as("reviewer")
    reviewer_id = user_id(db, "reviewer")
    with store.write(db):
        for n in range(99):
            notifications.notice_ended(db, n, title=f"批次{n}", ends_on="2026-01-09")
    admin = login_as("admin")
    assert unread_badge(admin) == 99
    with store.write(db):
        notifications.notice_ended(db, 99, title="批次99", ends_on="2026-01-09")
    html = admin.get("/inbox").get_data(as_text=True)
    assert re.search(r'id="unread-count"[^>]*>99\+<', html)
    assert "100 条未读" in html  # the inbox itself counts them all
    assert unread_badge(reviewer) is None and reviewer_id  # nobody else's count moved


def test_an_ended_notice_leads_the_administrator_to_its_batch(db, login_as):
    with store.write(db):
        notifications.notice_ended(db, 42, title="2026 年第一批", ends_on="2026-01-09")
    (row,) = notifications.inbox(db, user_id(db, "admin"))
    opened = login_as("admin").get(f"/inbox/{row['id']}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith("/publicity/42")


def test_a_submission_is_one_row_however_many_reviewers_and_each_inbox_takes_it_once(
    db, login_as, app
):
    """Issue 14: a submit wrote a row per reviewer in its transaction (a hundred at ten times
    the city). Now one broadcast; each reviewer's inbox takes it when read, once, even when two
    tabs read at the same time; the reviewers added or made reviewer later hear only of later
    submissions; a deactivated reviewer is not mailed."""
    for n in range(2, 8):
        users.create(db, f"reviewer{n}", PASSWORD, "reviewer")
    inspector, reviewer = login_as("yubei"), login_as("reviewer")
    before = db.execute("SELECT count(*) FROM notifications").fetchone()[0]
    first = new_assessment(inspector, waterbody_id(db), kind="acceptance")
    submit(inspector, first, 1)
    assert db.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM notifications").fetchone()[0] == before
    # two tabs of one reviewer read at once: delivered once
    other_tab = login_as("reviewer")
    assert unread_badge(reviewer) == 1 and unread_badge(other_tab) == 1
    assert kinds(db, "reviewer") == ["submitted"]
    assert all(kinds(db, f"reviewer{n}") == ["submitted"] for n in range(2, 8))
    # a reviewer created now, and an inspector made reviewer now, start from now
    users.create(db, "newcomer", PASSWORD, "reviewer")
    admin = {"id": user_id(db, "admin"), "username": "admin"}
    users.update(db, user_id(db, "beibei"), "reviewer", None, actor=admin)
    assert kinds(db, "newcomer") == [] and kinds(db, "beibei") == []
    second = new_assessment(inspector, waterbody_id(db, "长寿湖"), kind="self")
    submit_data = as_form("cq-reservoir", {}) | {"version": "1", "action": "save"}
    assert inspector.post(f"/assessments/{second}/edit", submit_data).status_code in (302, 303)
    third = new_assessment(inspector, waterbody_id(db, "御临河"), kind="self")
    submit(inspector, third, 1)
    assert kinds(db, "newcomer") == kinds(db, "beibei") == ["submitted"]
    assert kinds(db, "reviewer") == ["submitted", "submitted"]
    # the inspector who submitted hears nothing of it, and nobody hears of it twice
    assert kinds(db, "yubei") == []
    counts = db.execute(
        "SELECT user_id, assessment_id, count(*) FROM notifications "
        "WHERE kind = 'submitted' GROUP BY user_id, assessment_id HAVING count(*) > 1"
    ).fetchall()
    assert counts == []


def test_marking_all_read_includes_what_the_inbox_has_not_taken_yet(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db), kind="acceptance")
    submit(inspector, aid, 1)
    reviewer_id = user_id(db, "reviewer")
    assert notifications.mark_read(db, reviewer_id) == 1  # taken, then marked
    assert notifications.unread_count(db, reviewer_id) == 0
    assert [n["read_at"] is not None for n in notifications.inbox(db, reviewer_id)] == [True]


def test_a_broadcast_is_mailed_to_the_active_members_of_the_role_but_the_actor(tmp_path, smtp):
    handler, port = smtp
    app = mail_app(tmp_path, port)
    with app.app_context():
        db = store.get_db()
        users.create(db, "reviewer2", PASSWORD, "reviewer")
        users.create(db, "away", PASSWORD, "reviewer")
        with store.write(db):
            db.execute("UPDATE users SET email = username || '@example.com'")
            db.execute("UPDATE users SET active = 0 WHERE username = 'away'")
            actor = {"id": user_id(db, "reviewer"), "username": "reviewer"}
            notifications.broadcast(
                db,
                "reviewer",
                "notice_ended",
                {"title": "批次", "ends_on": "2026-01-09"},
                actor=actor,
            )
    assert handler.wait_for(1)
    assert mailer(app).wait(10)
    assert [m.rcpt_tos for m in handler.messages] == [["reviewer2@example.com"]]
