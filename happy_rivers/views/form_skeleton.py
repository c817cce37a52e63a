"""The inspection form's fields, rendered from a skeleton filled with the request's values.

The fields section (templates/inspect/_fields.html and the kinds' partials) is most of the
inspection page and nearly all of it is fixed for a rubric version and a language: labels,
help texts, options, ids, units. Rendering it with Jinja on every request was most of the form
GET's time (issue 14: 13.6× the trivial endpoint against a target of 4×). So it is rendered
once per rubric version and language, with every call that depends on the request —
render_input, render_options, render_widget and the `slot` texts — writing a placeholder
instead; a request fills the placeholders in with the same renderers the template would have
called (forms/inspection.py). The HTML is therefore the template's, value for value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from flask import render_template
from flask_babel import gettext
from markupsafe import Markup, escape

from happy_rivers import scoring
from happy_rivers.forms.inspection import (
    InspectionForm,
    form_class,
    render_input,
    render_options,
    render_widget,
)
from happy_rivers.scoring.kinds import kind_of
from happy_rivers.scoring.water import PARAMETER_NAMES

from .i18n import current_language, translate

# Placeholders are "\0<slot number>\0": NUL never occurs in a template, a label or a rubric
# text, and escaping leaves it alone.
MARK = "\x00"


def param_labels() -> dict[str, str]:
    """The water parameters' names in the page's language (their message ids are the Chinese
    names, which templates/inspect/_form_texts.html translates for the page's script as well)."""
    return _param_labels(current_language())


@lru_cache(maxsize=8)  # per language
def _param_labels(language: str) -> dict[str, str]:
    return {p: ("pH" if p == "ph" else gettext(name)) for p, name in PARAMETER_NAMES.items()}


def water_text(wq: scoring.WaterQuality | None) -> Markup:
    """The water-quality line under the parameters, or what it waits for."""
    if wq is None:
        return _water_line(current_language(), None, ())
    return _water_line(current_language(), wq.label, tuple(wq.limiting))


@lru_cache(maxsize=256)  # six classes × the limiting parameters that occur, per language
def _water_line(language: str, label: str | None, limiting: tuple[str, ...]) -> Markup:
    if label is None:
        return escape(gettext("填齐各项参数后显示水质类别"))
    label = gettext("劣Ⅴ") if label == "劣Ⅴ" else label
    names = param_labels()
    shown = escape(gettext("、")).join(escape(names.get(p, p)) for p in limiting)
    return Markup(
        f"{escape(gettext('水质类别：'))}<strong>{escape(gettext('%(label)s 类', label=label))}"
        f"</strong>{escape(gettext('，限制因子：'))}{shown}"
    )


def field_errors(field) -> Markup:
    """A field's messages (the markup of _macros.html's field_errors)."""
    fid = escape(field.id)
    messages = (
        f'<p class="error" id="{fid}-error" role="alert">{escape(e)}</p>' for e in field.errors
    )
    return Markup("".join(messages))


class _Values:
    """What fills the placeholders: the bound form, the preview and the assessment."""

    def __init__(self, form: InspectionForm, preview, assessment: dict, beside=None):
        self.form = form
        self.beside = beside or {}
        self.preview = preview
        self.comments = assessment.get("field_comments") or {}
        self._options: dict[str, list] = {}

    def options(self, name: str) -> list:
        rows = self._options.get(name)
        if rows is None:
            rows = self._options[name] = render_options(self.form[name])
        return rows


def _subtotal(v: _Values, dim: str):
    return escape(v.preview.subtotals[dim])


def _points(v: _Values, code: str):
    scored = v.preview.indicators.get(code)
    return escape(scored.points) if scored else "—"


def _comment(v: _Values, code: str):
    comment = v.comments.get(code)
    if not comment:
        return ""
    return Markup(
        '\n        <p class="reviewer-comment" role="note"><strong>'
        f"{escape(gettext('审核意见：'))}</strong>{escape(comment)}</p>"
    )


def _explain(v: _Values, code: str):
    scored = v.preview.indicators.get(code)
    return escape(translate(scored.explain)) if scored else ""


def _water(v: _Values, code: str):
    scored = v.preview.indicators.get(code)
    return water_text(scored.water_quality if scored else None)


def _beside(v: _Values, code: str):
    return v.beside.get(code, "")


def _input(v: _Values, name: str, unit: str, label: str | None):
    return render_input(v.form[name], unit, label)


def _option(v: _Values, name: str, index: int):
    return v.options(name)[index][0]


def _error_class(v: _Values, name: str):
    return " has-error" if v.form[name].errors else ""


def _errors(v: _Values, name: str):
    return field_errors(v.form[name])


def _widget(v: _Values, name: str):
    return render_widget(v.form[name])


Slot = tuple[Callable[..., str], tuple]


class _Recorder:
    """Stands in for the renderers while the skeleton is rendered: each call records what fills
    its place later and writes the placeholder."""

    def __init__(self):
        self.slots: list[Slot] = []

    def _mark(self, fill: Callable[..., str], *args) -> Markup:
        self.slots.append((fill, args))
        return Markup(f"{MARK}{len(self.slots) - 1}{MARK}")

    # the renderers the partials call
    def render_input(self, field, unit: str = "", label: str | None = None) -> Markup:
        return self._mark(_input, field.name, unit, label)

    def render_widget(self, field) -> Markup:
        return self._mark(_widget, field.name)

    def render_options(self, field) -> list[tuple[Markup, str, str]]:
        return [
            (self._mark(_option, field.name, i), value, label)
            for i, (_html, value, label) in enumerate(render_options(field))
        ]

    # slot.…: the request's texts
    def subtotal(self, dim: str) -> Markup:
        return self._mark(_subtotal, dim)

    def points(self, code: str) -> Markup:
        return self._mark(_points, code)

    def comment(self, code: str) -> Markup:
        return self._mark(_comment, code)

    def explain(self, code: str) -> Markup:
        return self._mark(_explain, code)

    def water(self, code: str) -> Markup:
        return self._mark(_water, code)

    def error_class(self, field) -> Markup:
        return self._mark(_error_class, field.name)

    def errors(self, field) -> Markup:
        return self._mark(_errors, field.name)

    def beside(self, code: str) -> Markup:
        """HTML a view puts beside an indicator's fields (the survey's provenance)."""
        return self._mark(_beside, code)


@dataclass(frozen=True)
class Skeleton:
    chunks: tuple[str, ...]  # the fixed HTML, one more than the slots
    slots: tuple[Slot, ...]  # what fills each gap between two chunks


# (loaded rubric, language) → skeleton: a few rubric versions times two languages. Keyed by the
# Rubric object (rubrics are loaded once and cached), which the entry keeps alive so its id is
# never reused: a rubric folder read again (RUBRIC_PATH) gets skeletons of its own.
_skeletons: dict[tuple[int, str], tuple[scoring.Rubric, Skeleton]] = {}


def skeleton(rubric: scoring.Rubric) -> Skeleton:
    key = (id(rubric), current_language())
    found = _skeletons.get(key)
    if found is None:
        found = _skeletons[key] = (rubric, _build(rubric))
    return found[1]


def _build(rubric: scoring.Rubric) -> Skeleton:
    recorder = _Recorder()
    form = form_class(rubric)(formdata=None, meta={"csrf": False})
    html = render_template(
        "inspect/_fields.html",
        rubric=rubric,
        form=form,
        slot=recorder,
        render_input=recorder.render_input,
        render_options=recorder.render_options,
        render_widget=recorder.render_widget,
        kind_of=kind_of,
        param_labels=param_labels(),
    )
    pieces = html.split(MARK)
    chunks = tuple(pieces[0::2])
    order = [int(n) for n in pieces[1::2]]
    if order != list(range(len(recorder.slots))):
        raise RuntimeError("inspect/_fields.html wrote a placeholder twice or not in order")
    return Skeleton(chunks, tuple(recorder.slots))


_partials: dict[tuple, tuple[scoring.Rubric | None, Markup]] = {}


def language_partial(name: str, rubric: scoring.Rubric | None = None) -> Markup:
    """A template that depends on nothing but the page's language (and the rubric, if given),
    rendered once per language: the form's texts for its script (two dozen translations), the
    evidence form's list of indicators. Kept with the rubric, as skeletons are."""
    key = (name, id(rubric), current_language())
    found = _partials.get(key)
    if found is None:
        found = _partials[key] = (rubric, Markup(render_template(name, rubric=rubric)))
    return found[1]


def fields_html(
    rubric: scoring.Rubric, form: InspectionForm, preview, assessment: dict, beside=None
) -> Markup:
    """The fields section of the inspection page for this form (its values and errors), the
    preview (points, subtotals, explanations) and the assessment (reviewer comments); `beside`
    maps an indicator code to HTML shown under its fields."""
    skel = skeleton(rubric)
    values = _Values(form, preview, assessment, beside)
    chunks = skel.chunks
    out = [chunks[0]]
    append = out.append
    for i, (fill, args) in enumerate(skel.slots, start=1):
        append(fill(values, *args))
        append(chunks[i])
    return Markup("".join(out))
