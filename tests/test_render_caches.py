"""What the page-rendering shortcuts remember (issue 14) gives what Flask, Jinja and WTForms give.

Each shortcut keeps something a request would otherwise rebuild: translated template texts per
language, URLs per script root, the offline client's texts per language, the inspection form's
bound fields. These tests switch what the kept thing depends on within one process and check
the page follows.
"""

import random
import re

import pytest
from flask import render_template_string, url_for

from happy_rivers import scoring
from happy_rivers.forms.inspection import bound_form, form_class, form_data_from_answers
from happy_rivers.store.demo import demo_answers
from tests.answers import full_reservoir_answers, full_river_answers
from tests.conftest import get_page, new_assessment, waterbody_id

TEXTS = "{{ _('河湖') }}|{{ _('未填 %(n)s 项', n=value) }}|{{ _('已全部填写') }}"


def _render(app, lang: str, value="<b>") -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return render_template_string(TEXTS, value=value)


def test_template_texts_follow_the_language_of_each_request(app):
    # alternate: a text kept for one language must not answer for the other
    assert _render(app, "zh") == "河湖|未填 &lt;b&gt; 项|已全部填写"
    assert _render(app, "en") == "Waterbodies|&lt;b&gt; not filled in|All filled in"
    assert _render(app, "zh", "3") == "河湖|未填 3 项|已全部填写"
    assert _render(app, "en", "3") == "Waterbodies|3 not filled in|All filled in"


def test_template_texts_are_markup_when_autoescaping_and_plain_otherwise(app):
    with app.test_request_context("/?lang=zh"):
        escaped = app.jinja_env.from_string("{{ _('河湖') }}").render()
        plain = app.jinja_env.overlay(autoescape=False).from_string("{{ _('100%%') }}").render()
    assert escaped == "河湖"
    assert plain == "100%"  # a format string with or without values, as Jinja's own


@pytest.mark.parametrize("root", ["", "/rivers"])
def test_urls_follow_the_script_root_of_each_request(app, root):
    # the same endpoint first under another root, then under this one: nothing carried over
    other = "/elsewhere" if root else "/rivers"
    for script_root in (other, root):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
            page = render_template_string(
                "{{ url_for('static', filename='css/app.css') }} {{ url_for('inspect.index') }}"
            )
            assert page == f"{url_for('static', filename='css/app.css')} {url_for('inspect.index')}"
            assert page.startswith(f"{script_root}/static/css/app.css ")


def test_urls_with_options_are_not_kept(app):
    with app.test_request_context("/", base_url="http://one.example"):
        first = render_template_string("{{ url_for('inspect.index', _external=True) }}")
    with app.test_request_context("/", base_url="http://two.example"):
        second = render_template_string("{{ url_for('inspect.index', _external=True) }}")
    assert (first, second) == ("http://one.example/", "http://two.example/")


def test_a_url_default_would_be_refused_at_start_up(app):
    from happy_rivers.views import helpers

    app.url_default_functions.setdefault(None, []).append(lambda endpoint, values: None)
    with pytest.raises(RuntimeError, match="template_url_for"):
        helpers.check_urls_are_plain(app)


def test_offline_texts_follow_the_language_of_each_page(login_as, db):
    browser = login_as("yubei")
    url = f"/waterbodies/{waterbody_id(db)}"
    for lang, text in (("zh", "已离线保存，联网后自动同步"), ("en", "Saved offline")):
        page = get_page(browser, f"{url}?lang={lang}")
        config = page.split('id="offline-config">', 1)[1].split("</script>", 1)[0]
        assert text in config
        assert "{n}" in config  # the script's placeholders survive the translation


RUBRICS = {"cq-river": full_river_answers, "cq-reservoir": full_reservoir_answers}


@pytest.mark.parametrize("rubric_id", sorted(RUBRICS))
def test_a_filled_form_is_the_form_wtforms_builds(app, rubric_id):
    rubric = scoring.load_rubric(rubric_id)
    Form = form_class(rubric)
    answer_sets = [
        {},
        RUBRICS[rubric_id](),
        demo_answers(rubric, random.Random(3), 0.5),
        demo_answers(rubric, random.Random(4), 0.97),
    ]
    with app.test_request_context():
        forms = []
        for answers in answer_sets:
            data = form_data_from_answers(rubric, answers) | {"version": 7}
            ours = bound_form(Form, data=data)
            theirs = Form(formdata=None, data=data, meta={"csrf": False})
            assert list(ours._fields) == list(theirs._fields)
            for name, field in ours._fields.items():
                own = theirs[name]
                assert (field.data, field.object_data) == (own.data, own.object_data), name
                assert str(field()) == str(own()), name
                assert getattr(ours, name) is field
            forms.append((ours, answers))
        # each form keeps its own values: none is shared with the next or with the prototype
        for ours, answers in forms:
            again = form_data_from_answers(rubric, answers)
            for name, field in ours._fields.items():
                if name != "version":
                    assert field.data == Form(formdata=None, data=again)[name].data, name


def test_the_form_page_shows_the_saved_values_after_other_forms(login_as, db):
    """Two assessments open one after the other in one process: each page shows its own."""
    browser = login_as("yubei")
    river = waterbody_id(db)
    first = new_assessment(browser, river)
    page = get_page(browser, f"/assessments/{first}/edit")
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    saved = browser.post(
        f"/assessments/{first}/edit",
        data={"A1": "87.5", "version": "1", "action": "save", "csrf_token": token},
    )
    assert saved.status_code in (200, 302, 303)
    reservoir = waterbody_id(db, "长寿湖")
    second = new_assessment(browser, reservoir)
    empty = get_page(browser, f"/assessments/{second}/edit")
    filled = get_page(browser, f"/assessments/{first}/edit")
    assert 'value="87.5"' in filled
    assert 'value="87.5"' not in empty
    assert 'id="version" name="version" type="hidden" value="2"' in filled


def _header(html: str) -> str:
    return html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


def test_the_header_shows_each_users_own_name_badges_token_and_way_back(app, db, login_as):
    """Users of the same role one after the other, in both languages: the cached header keeps
    nobody's name, count, token or page."""
    from happy_rivers.store import notifications

    db.execute("UPDATE users SET display_name = '张<三>' WHERE username = 'yubei'")
    db.execute("UPDATE users SET display_name = '李四' WHERE username = 'beibei'")
    yubei_id = db.execute("SELECT id FROM users WHERE username = 'yubei'").fetchone()[0]
    with app.app_context():
        notifications.add(db, [yubei_id], "returned", {"id": 1, "kind": "self", "waterbody": "x"})
    db.conn.commit()
    yubei, beibei = login_as("yubei"), login_as("beibei")
    for lang in ("zh", "en", "zh"):
        for browser, name, unread, path in (
            (yubei, "张&lt;三&gt;", True, "/waterbodies"),
            (beibei, "李四", False, "/schedule"),
            (yubei, "张&lt;三&gt;", True, "/schedule"),
        ):
            header = _header(get_page(browser, f"{path}?lang={lang}"))
            assert f'<span class="who">{name} ·' in header
            assert ('id="unread-count"' in header) is unread
            assert re.search(r'id="unread-count"[^>]*>1<', header) or not unread
            token = re.search(r'name="csrf_token" value="([^"]+)"', header).group(1)
            assert token == browser.token
            other = "en" if lang == "zh" else "zh"
            assert f'href="/lang/{other}?next={path}?lang%3D{lang}"' in header
            assert ("Waterbodies" in header) is (lang == "en")


def test_signed_out_pages_have_the_header_without_the_session_part(client, login_as):
    login_as("admin")  # a signed-in header cached first must not show to a visitor
    page = client.get("/login").get_data(as_text=True)
    header = _header(page)
    assert 'class="who"' not in header and "csrf_token" not in header
    assert 'href="/lang/en?next=/login?"' in header
