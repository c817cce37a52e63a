"""The inspection form's fast renderers (forms/inspection.py render_widget, render_input,
render_options) write what WTForms' own widgets write, for every field of every rubric: empty,
filled, checked, with odd characters, and marked invalid. Attribute order is normalised (both
sort them today, but that is WTForms' detail, not the page's meaning).

And the page itself, built from the per-rubric, per-language skeleton (views/form_skeleton.py),
shows every value of a saved assessment where it belongs, in Chinese and in English.
"""

import random
import re
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from happy_rivers import scoring
from happy_rivers.forms import inspection
from happy_rivers.forms.inspection import (
    form_class,
    form_data_from_answers,
    render_input,
    render_options,
    render_widget,
)
from happy_rivers.store import assessments
from happy_rivers.store.demo import demo_answers
from tests.answers import full_reservoir_answers, full_river_answers
from tests.conftest import as_form, get_page, new_assessment, waterbody_id

RUBRICS = {"cq-river": full_river_answers, "cq-reservoir": full_reservoir_answers}


class _Tags(HTMLParser):
    """Tags as (name, sorted attributes) and text, whitespace between tags ignored."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("start", tag, tuple(sorted(attrs))))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.items.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


def normalised(html) -> list:
    parser = _Tags()
    parser.feed(str(html))
    parser.close()
    return parser.items


def _forms(app, rubric, data: dict):
    """The same form twice: one for WTForms' own widgets, one for the fast renderers."""
    Form = form_class(rubric)
    formdata = MultiDict()
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            formdata.add(name, "y" if item is True else item)
    return Form(formdata=formdata, meta={"csrf": False}), Form(
        formdata=formdata, meta={"csrf": False}
    )


def _answer_sets(rubric_id: str) -> list[dict]:
    rubric = scoring.load_rubric(rubric_id)
    full = RUBRICS[rubric_id]()
    sets = [{}, full, full | {"gates": {"G1": '带 "引号" & <尖括号>'}}]
    sets += [demo_answers(rubric, random.Random(seed), q) for seed, q in ((1, 0.3), (2, 0.97))]
    return sets


@pytest.mark.parametrize("rubric_id", sorted(RUBRICS))
def test_fast_renderers_write_what_wtforms_writes(app, rubric_id):
    rubric = scoring.load_rubric(rubric_id)
    odd = {"A1": '1" onfocus="x', "A2": "<b>3</b>", "A4": "&amp;"}
    with app.test_request_context():
        for answers in _answer_sets(rubric_id):
            data = form_data_from_answers(rubric, answers)
            for extra in ({}, odd):
                ours, theirs = _forms(app, rubric, data | extra)
                assert ours._fields.keys() == theirs._fields.keys()
                for name, field in ours._fields.items():
                    own = theirs[name]
                    if name == "version":
                        continue
                    if type(field).__name__ in ("MultiCheckboxField", "RadioField"):
                        # each option's input, as `for opt in field: opt()` writes it
                        fast = [html for html, _value, _label in render_options(field)]
                        assert [normalised(h) for h in fast] == [
                            normalised(opt()) for opt in own
                        ], name
                        continue
                    assert normalised(render_widget(field)) == normalised(own()), name
                    # invalid: the message is tied to the field for screen readers
                    invalid = {"aria-invalid": "true", "aria-describedby": f"{own.id}-error"}
                    assert normalised(render_widget(field, True)) == normalised(own(**invalid))


def test_render_input_is_the_input_macro(app):
    """render_input writes what templates/_macros.html's input() macro writes around the widget:
    label, unit and the error slot, with has-error and the messages when invalid."""
    rubric = scoring.load_rubric("cq-river")
    macro = app.jinja_env.get_template("_macros.html").module.input
    with app.test_request_context():
        ours, theirs = _forms(app, rubric, {"A1": "abc", "A3_tp": "0.05", "A14_note": "x<y"})
        for name, unit, label in (("A1", "%", "防洪达标率"), ("A3_tp", "mg/L", None)):
            assert normalised(render_input(ours[name], unit, label)) == normalised(
                macro(theirs[name], unit, label)
            )
            ours[name].errors = theirs[name].errors = ["「防洪达标率」必须是数字"]
            fast = render_input(ours[name], unit, label)
            assert "has-error" in fast and 'aria-invalid="true"' in fast
            assert normalised(fast) == normalised(macro(theirs[name], unit, label))


class _Fields(HTMLParser):
    """What a page's form fields show: text values, ticked boxes, chosen options, textareas."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, object] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                self.values.setdefault(a["name"], []).append(a["value"])
        elif tag == "input" and a.get("type") == "radio":
            if "checked" in a:
                self.values[a["name"]] = a["value"]
        elif tag == "input" and a.get("type") == "text":
            self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a["value"]
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            # as browsers read it: a newline right after <textarea> is not part of the value
            text = self.values[self._textarea]
            self.values[self._textarea] = text[2:] if text.startswith("\r\n") else text
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def shown_fields(html: str) -> dict:
    parser = _Fields()
    parser.feed(html)
    return {k: v for k, v in parser.values.items() if v not in ("", None)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_form_page_shows_every_saved_value_where_it_belongs(db, login_as, lang):
    rubric = scoring.load_rubric("cq-river")
    inspector = login_as("yubei")
    if lang == "en":
        inspector.get("/lang/en")
    for seed in range(3):
        answers = demo_answers(rubric, random.Random(seed), (0.4, 0.97, 0.8)[seed])
        answers["gates"] = {"G1": '说明 "引号" & <b>'} if seed == 1 else {}
        aid = new_assessment(inspector, waterbody_id(db), ("self", "acceptance", "recheck")[seed])
        posted = as_form("cq-river", answers) | {"version": "1", "action": "save"}
        assert inspector.post(f"/assessments/{aid}/edit", posted).status_code in (200, 303)
        page = get_page(inspector, f"/assessments/{aid}/edit")
        expected = form_data_from_answers(rubric, answers)
        expected = {
            k: (["y"] if v is True else v) for k, v in expected.items() if v not in ("", None, [])
        }
        shown = {k: v for k, v in shown_fields(page).items() if k not in SKIP}
        assert shown == expected, seed
        # the scoring shown beside them is the preview's
        preview = scoring.preview(rubric, assessments.get(db, aid)["answers"])
        for code, scored in preview.indicators.items():
            assert re.search(rf'id="points-{code}">{scored.points}<', page), code
        for dim, subtotal in preview.subtotals.items():
            assert re.search(rf'id="subtotal-{dim}">{subtotal}<', page), dim


SKIP = {"csrf_token", "version", "idempotency_key", "resolve_version", "indicator"}


def test_the_renderers_caches_do_not_grow_with_requests(db, login_as):
    """The fixed HTML of each field is cached per form class and field: WTForms copies a field's
    render_kw and choices for every form, so a key of their ids missed on every request (the
    work redone each time) and the cache grew by ~30 entries a request until the worker died."""
    inspector = login_as("yubei")
    aid = new_assessment(inspector, waterbody_id(db))
    get_page(inspector, f"/assessments/{aid}/edit")
    sizes = (len(inspection._static), len(inspection._option_parts), len(inspection._frames))
    for _ in range(5):
        get_page(inspector, f"/assessments/{aid}/edit")
    assert (
        len(inspection._static),
        len(inspection._option_parts),
        len(inspection._frames),
    ) == sizes
