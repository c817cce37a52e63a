"""Idempotency-Key: each client-made key is applied once per user, on the API and the pages.

A phone beside the river sends a save, loses the signal before the answer, and sends it again;
two tabs sync the same outbox at once. Each must make one effect — one assessment, one version
bump, one audit row — and get the first answer back. Real HTTP (Flask test client), a real
SQLite file; the races run in threads against that file.
"""

import io
import os
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from happy_rivers import store
from happy_rivers.store import assessments, idempotency, users
from tests.answers import full_river_answers
from tests.api_document import Api
from tests.conftest import as_form, new_assessment, waterbody_id
from tests.conftest import waterbody_id as wid

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def api(app, db):
    """api("yubei") → a client sending a fresh bearer token of that user."""

    def make(username: str) -> Api:
        token = users.create_token(db, users.by_username(db, username)["id"], "test")
        return Api(app.test_client(), token)

    return make


def key() -> str:
    return str(uuid.uuid4())


def audit_count(db, assessment_id: int, action: str) -> int:
    return db.execute(
        "SELECT count(*) FROM audit_log WHERE entity = 'assessment' AND entity_id = ? "
        "AND action = ?",
        [str(assessment_id), action],
    ).fetchone()[0]


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- API ---------------------------------------------------------------------------------------


def test_api_create_twice_with_one_key_creates_one_assessment(db, api):
    client = api("yubei")
    k = key()
    body = {"waterbody_id": wid(db, "御临河"), "kind": "self", "answers": {"A1": 90}}
    first = client.post("/assessments", body, headers={"Idempotency-Key": k})
    again = client.post("/assessments", body, headers={"Idempotency-Key": k})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert first.headers["Location"] == again.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(db, "assessments") == 1
    assert audit_count(db, first.get_json()["id"], "assessment_created") == 1


def test_api_save_twice_with_one_key_bumps_the_version_once(db, api):
    client = api("yubei")
    created = client.post("/assessments", {"waterbody_id": wid(db, "御临河")}).get_json()
    aid = created["id"]
    k = key()
    body = {"version": 1, "answers": {"A1": 90}}
    first = client.put(f"/assessments/{aid}", body, headers={"Idempotency-Key": k})
    # without the key the repeat would be a 409: version 1 is stale once the first has landed
    again = client.put(f"/assessments/{aid}", body, headers={"Idempotency-Key": k})
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    row = assessments.get(db, aid)
    assert (row["version"], row["answers"]["A1"]) == (2, 90)
    assert audit_count(db, aid, "assessment_saved") == 1
    unkeyed = client.put(f"/assessments/{aid}", body)
    assert unkeyed.status_code == 409  # the same body without a key is a new (stale) request


def test_api_submit_twice_with_one_key_submits_once(db, api):
    client = api("yubei")
    body = {"waterbody_id": wid(db, "御临河"), "answers": full_river_answers()}
    aid = client.post("/assessments", body).get_json()["id"]
    k = key()
    first = client.post(
        f"/assessments/{aid}/submit", {"version": 1}, headers={"Idempotency-Key": k}
    )
    again = client.post(
        f"/assessments/{aid}/submit", {"version": 1}, headers={"Idempotency-Key": k}
    )
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() == {"id": aid, "status": "submitted", "version": 2}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert audit_count(db, aid, "assessment_submitted") == 1


def test_api_a_used_key_with_another_body_is_refused(db, api):
    client = api("yubei")
    aid = client.post("/assessments", {"waterbody_id": wid(db, "御临河")}).get_json()["id"]
    k = key()
    ok = client.put(
        f"/assessments/{aid}", {"version": 1, "answers": {"A1": 90}}, headers={"Idempotency-Key": k}
    )
    assert ok.status_code == 200
    other = client.put(
        f"/assessments/{aid}", {"version": 2, "answers": {"A1": 80}}, headers={"Idempotency-Key": k}
    )
    assert other.status_code == 422
    assert set(other.get_json()["errors"]) == {"Idempotency-Key"}
    elsewhere = client.post(
        "/assessments", {"waterbody_id": wid(db, "长寿湖")}, headers={"Idempotency-Key": k}
    )
    assert elsewhere.status_code == 422  # another path is another request
    row = assessments.get(db, aid)
    assert (row["version"], row["answers"]["A1"]) == (2, 90)
    assert count(db, "assessments") == 1


def test_api_the_same_body_in_another_key_order_is_the_same_request(db, api):
    client = api("yubei")
    k = key()
    first = client.call(
        "POST",
        "/assessments",
        headers={"Idempotency-Key": k},
        data=f'{{"waterbody_id": {wid(db, "御临河")}, "kind": "self"}}',
    )
    again = client.call(
        "POST",
        "/assessments",
        headers={"Idempotency-Key": k},
        data=f'{{"kind":"self","waterbody_id":{wid(db, "御临河")}}}',
    )
    assert first.status_code == again.status_code == 201
    assert count(db, "assessments") == 1


@pytest.mark.parametrize("bad", ["not-a-uuid", "", "123e4567e89b42d3a456426614174000", "x" * 36])
def test_api_a_malformed_key_is_a_422_naming_the_header(db, api, bad):
    response = api("yubei").post(
        "/assessments", {"waterbody_id": wid(db, "御临河")}, headers={"Idempotency-Key": bad}
    )
    assert response.status_code == 422
    assert "UUID" in response.get_json()["errors"]["Idempotency-Key"]
    assert count(db, "assessments") == 0


def test_api_keys_belong_to_one_user(db, api):
    """Another user's request with the same key is their own first request, not a replay."""
    k = key()
    yubei = api("yubei").post(
        "/assessments", {"waterbody_id": wid(db, "御临河")}, headers={"Idempotency-Key": k}
    )
    admin = api("admin").post(
        "/assessments", {"waterbody_id": wid(db, "长寿湖")}, headers={"Idempotency-Key": k}
    )
    assert yubei.status_code == admin.status_code == 201
    assert yubei.get_json()["id"] != admin.get_json()["id"]


def test_api_a_refused_request_leaves_its_key_unused(db, api):
    """An error writes nothing, so the key is not spent: the corrected retry with the same body
    (here: after the conflicting draft is gone) is applied."""
    client = api("yubei")
    k = key()
    body = {"waterbody_id": wid(db, "御临河"), "submit": True, "answers": {"A1": 90}}
    refused = client.post("/assessments", body, headers={"Idempotency-Key": k})
    assert refused.status_code == 422
    assert count(db, "idempotency_keys") == 0


def test_api_racing_replays_make_one_effect(app, db, api):
    """Eight threads send one create and one save with one key each, against the real file."""
    clients = [api("yubei") for _ in range(8)]
    create_key, save_key = key(), key()
    body = {"waterbody_id": wid(db, "御临河"), "answers": {"A1": 90}}
    gate = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def create(i):
        gate.wait()
        r = clients[i].post("/assessments", body, headers={"Idempotency-Key": create_key})
        answers[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=create, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {a[0] for a in answers} == {201}
    assert len({a[1]["id"] for a in answers}) == 1
    assert count(db, "assessments") == 1
    aid = answers[0][1]["id"]

    save = {"version": 1, "answers": {"A1": 80}}

    def put(i):
        gate.wait()
        r = clients[i].put(f"/assessments/{aid}", save, headers={"Idempotency-Key": save_key})
        answers[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=put, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {a[0] for a in answers} == {200}, answers
    assert {a[1]["version"] for a in answers} == {2}
    assert assessments.get(db, aid)["version"] == 2
    assert audit_count(db, aid, "assessment_saved") == 1
    assert audit_count(db, aid, "assessment_created") == 1


# -- pages -------------------------------------------------------------------------------------


def test_page_create_twice_with_one_key_creates_one(db, login_as):
    inspector = login_as("yubei")
    k = key()
    url = f"/waterbodies/{waterbody_id(db)}/assessments"
    first = inspector.post(url, {"kind": "recheck", "idempotency_key": k})
    again = inspector.post(url, {"kind": "recheck", "idempotency_key": k})
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert count(db, "assessments") == 1
    # the repeat shows what the first showed, not "already open"
    shown = inspector.get(again.headers["Location"]).get_data(as_text=True)
    assert "已有一份未完成的同类评估" not in shown


def test_page_save_double_click_is_applied_once(db, login_as):
    """A form without JavaScript posts its hidden key twice: one version, one audit row, and the
    second click shows the same page (303 to the form, the same message)."""
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    html = inspector.get(f"/assessments/{aid}/edit").get_data(as_text=True)
    k = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', html).group(1)
    data = {"version": "1", "action": "save", "A1": "90", "idempotency_key": k}
    first = inspector.post(f"/assessments/{aid}/edit", data)
    again = inspector.post(f"/assessments/{aid}/edit", data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert "草稿已保存。" in inspector.get(again.headers["Location"]).get_data(as_text=True)
    assert assessments.get(db, aid)["version"] == 2
    assert audit_count(db, aid, "assessment_saved") == 1
    # every render carries a fresh key: the next save is a new operation
    later = inspector.get(f"/assessments/{aid}/edit").get_data(as_text=True)
    assert k not in later


def test_page_submit_twice_with_one_key_submits_once(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    k = key()
    data = as_form("cq-river", full_river_answers()) | {
        "version": "1",
        "action": "submit",
        "idempotency_key": k,
    }
    first = inspector.post(f"/assessments/{aid}/edit", data)
    again = inspector.post(f"/assessments/{aid}/edit", data, headers={"Idempotency-Key": k})
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert assessments.get(db, aid)["status"] == "submitted"
    assert audit_count(db, aid, "assessment_submitted") == 1


def test_page_upload_twice_with_one_key_stores_one_file(app, db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    k = key()

    def send():
        return inspector.post(
            f"/assessments/{aid}/attachments",
            {"indicator": "A1", "file": (io.BytesIO(PNG), "现场.png"), "idempotency_key": k},
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert len(assessments.attachments(db, aid)) == 1
    assert audit_count(db, aid, "attachment_added") == 1
    folder = app.config["UPLOAD_FOLDER"]
    assert len(os.listdir(folder)) == 1  # the repeat's bytes were not kept either
    other = inspector.post(
        f"/assessments/{aid}/attachments",
        {"indicator": "A1", "file": (io.BytesIO(PNG + b"x"), "另一张.png"), "idempotency_key": k},
    )
    assert other.status_code == 422
    assert len(os.listdir(folder)) == 1


def test_page_a_used_key_with_another_body_is_refused(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    k = key()
    ok = inspector.post(
        f"/assessments/{aid}/edit",
        {"version": "1", "action": "save", "A1": "90", "idempotency_key": k},
    )
    assert ok.status_code == 303
    other = inspector.post(
        f"/assessments/{aid}/edit",
        {"version": "2", "action": "save", "A1": "80", "idempotency_key": k},
    )
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_data(as_text=True)
    assert assessments.get(db, aid)["answers"]["A1"] == 90


def test_page_a_malformed_key_is_refused(db, login_as):
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    response = inspector.post(
        f"/assessments/{aid}/edit",
        {"version": "1", "action": "save", "A1": "90"},
        headers={"Idempotency-Key": "42"},
    )
    assert response.status_code == 422
    assert "Idempotency-Key 须为 UUID" in response.get_data(as_text=True)
    assert assessments.get(db, aid)["version"] == 1


def test_page_racing_saves_with_one_key_make_one_version(app, db, login_as):
    tabs = [login_as("yubei") for _ in range(6)]
    aid = new_assessment(tabs[0], waterbody_id(db))
    k = key()
    data = {"version": "1", "action": "save", "A1": "90", "idempotency_key": k}
    gate = threading.Barrier(len(tabs))
    statuses: list = [None] * len(tabs)

    def post(i):
        gate.wait()
        statuses[i] = tabs[i].post(f"/assessments/{aid}/edit", data).status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(tabs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) == {303}, statuses
    assert assessments.get(db, aid)["version"] == 2
    assert audit_count(db, aid, "assessment_saved") == 1


# -- keeping keys ------------------------------------------------------------------------------


def test_old_keys_are_purged(app, db, api):
    client = api("yubei")
    client.post(
        "/assessments", {"waterbody_id": wid(db, "御临河")}, headers={"Idempotency-Key": key()}
    )
    assert count(db, "idempotency_keys") == 1
    later = (datetime.now(UTC) + timedelta(days=idempotency.KEEP_DAYS + 1)).isoformat()
    with app.app_context():
        assert idempotency.purge(store.get_db(), before=later) == 1
    assert count(db, "idempotency_keys") == 0


def test_purge_command(app, db, api):
    api("yubei").post(
        "/assessments", {"waterbody_id": wid(db, "御临河")}, headers={"Idempotency-Key": key()}
    )
    result = app.test_cli_runner().invoke(args=["purge-idempotency-keys", "--days", "0"])
    assert result.exit_code == 0, result.output
    assert "已清除" in result.output


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("submit", 422, "已填写的内容已保存为草稿（第 2 版）。"),  # refused, saved as a draft
        ("save", 200, "草稿已保存；标出的字段有误，提交前请更正。"),  # saved, a field marked
    ],
)
def test_page_a_repeated_save_answered_with_the_form_is_applied_once(
    db, login_as, action, status, message
):
    """Saves answered with the form itself (errors marked) are remembered too: the repeat shows
    the same form and message, with the version the first one made, and writes nothing."""
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    data = {"version": "1", "action": action, "A1": "90", "A4": "120", "idempotency_key": key()}
    first = inspector.post(f"/assessments/{aid}/edit", data)
    again = inspector.post(f"/assessments/{aid}/edit", data)
    assert first.status_code == again.status_code == status
    for response in (first, again):
        html = response.get_data(as_text=True)
        assert message in html
        assert re.search(r'name="version" type="hidden" value="2"', html)
        assert re.search(r'name="A4"[^>]*value="120"', html)
    assert assessments.get(db, aid)["version"] == 2
    assert audit_count(db, aid, "assessment_saved") == 1
