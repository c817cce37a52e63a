"""The draft save and the submit do only what they need (issue 14: save and submit ≤ 4× the
trivial request). Each test pins one cost that was paid on every save: WTForms' own catalog
parsed again for every form, a second CSRF check, a third read of the assessment.
"""

from __future__ import annotations

import re

import pytest

from happy_rivers import scoring
from happy_rivers.forms import FlaskForm, wtforms_translations
from happy_rivers.forms.inspection import InspectionForm
from happy_rivers.forms.review import ReviewForm
from happy_rivers.store import assessments, users
from tests.answers import full_river_answers
from tests.conftest import waterbody_id


def test_every_form_class_shares_the_cached_catalog():
    """Flask-WTF parses WTForms' .mo file again on every request (1.7 ms, three times a whole
    trivial request); the app's forms take it from a per-process cache instead."""
    for form in (InspectionForm, ReviewForm):
        assert issubclass(form, FlaskForm)


def test_wtforms_messages_stay_translated_and_are_loaded_once(app):
    wtforms_translations.cache_clear()
    for lang, message in (("zh", "不是有效的选择。"), ("en", "Not a valid choice."), ("zh", None)):
        with app.test_request_context(f"/?lang={lang}"):
            form = ReviewForm(meta={"csrf": False})
            text = form.meta.get_translations(form).gettext("Not a valid choice.")
            assert text == (message or "不是有效的选择。")
    info = wtforms_translations.cache_info()
    assert info.misses == 2 and info.hits >= 1  # zh and en parsed once each, then reused


def _draft(db, inspector):
    wid = waterbody_id(db, "御临河")
    return assessments.create(
        db,
        waterbody_id=wid,
        kind="self",
        rubric_id="cq-river",
        rubric_version="2025.1",
        answers={"A1": 90, "gates": {}},
        scored=None,
        user=inspector,
    )


def test_a_save_without_the_csrf_token_is_still_refused(app, login_as, db):
    """One CSRF check (Flask-WTF's CSRFProtect, before the view), not two: it still holds."""
    aid = _draft(db, users.by_username(db, "yubei"))
    yubei = login_as("yubei")
    response = yubei.client.post(
        f"/assessments/{aid}/edit", data={"version": "1", "action": "save", "A1": "91"}
    )
    assert response.status_code == 400
    assert assessments.get(db, aid)["version"] == 1
    response = yubei.client.post(
        f"/assessments/{aid}/edit",
        data={"version": "1", "action": "save", "A1": "91", "csrf_token": "forged"},
    )
    assert response.status_code == 400
    assert assessments.get(db, aid)["version"] == 1


def test_save_returns_the_row_as_stored(app, db):
    """assessments.save answers with the saved row without reading it back: the same as a
    fresh read, field for field."""
    inspector = users.by_username(db, "yubei")
    aid = _draft(db, inspector)
    answers = full_river_answers()
    scored = scoring.score(scoring.load_rubric("cq-river"), answers).to_dict()
    for version, action in ((1, "save"), (2, "submit")):
        saved = assessments.save(
            db,
            aid,
            expected_version=version,
            action=action,
            answers=answers,
            scored=scored,
            user=inspector,
        )
        assert saved == assessments.get(db, aid)
    assert saved["status"] == "submitted" and saved["version"] == 3


def test_the_rendered_form_after_a_refused_submit_carries_a_working_token(login_as, db):
    """The form shown again (422, marked errors) still carries a CSRF token that the next save
    is accepted with."""
    aid = _draft(db, users.by_username(db, "yubei"))
    yubei = login_as("yubei")
    response = yubei.post(
        f"/assessments/{aid}/edit", {"version": "1", "action": "submit", "A1": "91"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    again = yubei.client.post(
        f"/assessments/{aid}/edit",
        data={"version": version, "action": "save", "A1": "92", "csrf_token": token},
    )
    assert again.status_code == 303
    assert assessments.get(db, aid)["answers"]["A1"] == 92


def test_nested_writes_roll_back_alone_and_commit_with_the_outer(db):
    """store.write inside store.write is a savepoint: a failing inner write leaves the outer
    one's rows, twice over (the savepoint name is reused), and nothing is kept when the outer
    fails; after-commit callbacks follow their savepoint."""
    from happy_rivers import store

    db.execute("CREATE TABLE t (n INTEGER)")
    ran = []
    with store.write(db):
        db.execute("INSERT INTO t VALUES (1)")
        for n in (2, 3):
            with pytest.raises(ValueError), store.write(db):
                db.execute("INSERT INTO t VALUES (?)", [n])
                store.after_commit(db, lambda n=n: ran.append(n))
                with store.write(db):  # nested twice under the same name
                    db.execute("INSERT INTO t VALUES (?)", [n * 10])
                raise ValueError
        with store.write(db):
            db.execute("INSERT INTO t VALUES (4)")
            store.after_commit(db, lambda: ran.append(4))
    assert [r[0] for r in db.execute("SELECT n FROM t ORDER BY n")] == [1, 4]
    assert ran == [4]
    with pytest.raises(ValueError), store.write(db):
        with store.write(db):
            db.execute("INSERT INTO t VALUES (5)")
        raise ValueError
    assert [r[0] for r in db.execute("SELECT n FROM t ORDER BY n")] == [1, 4]
    assert not db.conn.in_transaction


@pytest.mark.parametrize("app_config", [{"WAL_CHECKPOINT_EVERY": 3}])
def test_the_wal_is_copied_back_after_the_response_not_inside_a_save(app, login_as, db):
    """SQLite's own checkpoint ran inside the save that crossed 1,000 WAL pages (5–14 ms that
    request waited). Connections now leave it to the request that made the N-th commit, once
    its response has been sent; SQLite's remains as a safety net far above."""
    from happy_rivers import store

    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == store.AUTOCHECKPOINT_PAGES
    stats = app.extensions["happy_rivers_wal"]
    aid = _draft(db, users.by_username(db, "yubei"))
    yubei = login_as("yubei")
    before = dict(stats)
    for version in range(1, 7):  # six saves: six commits on this thread's connection
        saved = yubei.post(f"/assessments/{aid}/edit", {"version": str(version), "action": "save"})
        assert saved.status_code == 303  # the test client has read and closed the response
    assert stats["checkpoints"] >= before["checkpoints"] + 2
    assert stats["frames"] > before["frames"] and stats["failed"] == 0
    # nothing of the saves was lost in the copy
    assert assessments.get(db, aid)["version"] == 7
