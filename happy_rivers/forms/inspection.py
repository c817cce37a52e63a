"""The inspection form, generated from the rubric: no field is written by hand per indicator.

WTForms renders the fields (labels, ids, CSRF) and keeps what was typed; the rules themselves
live once, in scoring/, which also produces the field messages. Field names map to the
answers JSON: "A1", "A3_tp" (A3.tp), "A14_points", "gate_G2" / "gate_G2_note".
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.widgets.core import clean_key

from happy_rivers.forms import FlaskForm
from happy_rivers.scoring.kinds import Part, kind_of
from happy_rivers.scoring.rubric import Rubric
from happy_rivers.scoring.text import Text
from happy_rivers.translations import translate


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class InspectionForm(FlaskForm):
    version = HiddenField()
    # Validation is scoring's job; the fields only carry what was typed.

    class Meta:
        def get_translations(self, form):
            # No WTForms message is ever shown on this form (scoring writes every message; a
            # failed CSRF check is the 400 page), so it needs no catalog. Flask-WTF's would be
            # read from disk on each request (for the default label of `version`): a tenth of
            # the form GET's time.
            return None


def _field(part: Part):
    """The WTForms field for one part of an indicator's answer (see scoring/kinds/base.py)."""
    control = part.control
    if control in ("number", "integer"):
        # type="text" with inputmode: phones show a numeric keypad, and the browser never
        # silently drops a value it cannot parse — the server answers with a message next to
        # the field.
        render_kw = {"inputmode": "numeric" if control == "integer" else "decimal"}
        render_kw["autocomplete"] = "off"
        if part.placeholder is not None:
            render_kw["placeholder"] = part.placeholder
        return StringField(part.label, render_kw=render_kw, description=part.unit)
    choices = [SelectChoice(value, label) for value, label in part.choices]
    if control == "checklist":
        return MultiCheckboxField(part.label, choices=choices, validate_choice=False)
    if control == "choice":
        return RadioField(part.label, choices=choices, validate_choice=False)
    if control == "points":
        return SelectField(part.label, choices=choices, validate_choice=False)
    if control == "text":
        return TextAreaField(part.label, render_kw={"rows": 2})
    raise ValueError(f"unknown form control {control!r}")


_form_classes: dict[tuple[str, str], type[InspectionForm]] = {}


def form_class(rubric: Rubric) -> type[InspectionForm]:
    """One form class per rubric version, built once."""
    key = (rubric.id, rubric.version)
    if key not in _form_classes:
        _form_classes[key] = _build_form_class(rubric)
    return _form_classes[key]


# One bound, empty form per form class: what each request's form is copied from.
_prototypes: dict[type[InspectionForm], InspectionForm] = {}


def bound_form(
    Form: type[InspectionForm], *, formdata: MultiDict | None = None, data: dict | None = None
) -> InspectionForm:
    """`Form(formdata=formdata, data=data, meta={"csrf": False})`, made faster.

    Binding the ~45 fields (a Field, a Label and flags each) was half of building the form on
    every GET, save and live preview, and it gives the same fields every time. So they are bound
    once per form class, and each request gets copies, each processed as WTForms' Form.process
    processes it. No CSRF field: CSRFProtect checks the token before the view, and the page
    writes it itself (templates/inspect/form.html).
    """
    prototype = _prototypes.get(Form)
    if prototype is None:
        prototype = _prototypes[Form] = Form(formdata=None, meta={"csrf": False})
    form = object.__new__(Form)
    form.__dict__.update(prototype.__dict__)
    form._fields = {}
    formdata = prototype.meta.wrap_formdata(form, formdata)
    data = data or {}
    for name, bound in prototype._fields.items():
        # object.__new__: Field.__new__ without _form would make an UnboundField
        field = object.__new__(type(bound))
        field.__dict__.update(bound.__dict__)
        if formdata is not None or name in data:
            field.process(formdata, data.get(name, unset_value))
        # else: the prototype's state is that of a field processed with neither (its default)
        form._fields[name] = field
        setattr(form, name, field)
    form.form_errors = []
    form._errors = None
    form.post_process(formdata)
    return form


def _build_form_class(rubric: Rubric) -> type[InspectionForm]:
    fields: dict = {}
    for ind in rubric.indicators.values():
        for part in kind_of(ind).parts(ind):
            fields[part.field(ind.code)] = _field(part)
        if ind.kind == "survey":
            # why a closed survey's pre-filled result was changed: kept beside the answer
            # (store.surveys.keep_note), never part of it
            fields[f"{ind.code}_note"] = TextAreaField("修改说明", render_kw={"rows": 2})
    for gate in rubric.manual_gates:
        fields[f"gate_{gate.code}"] = BooleanField(gate.name)
        fields[f"gate_{gate.code}_note"] = TextAreaField("说明", render_kw={"rows": 2})
    return type(f"InspectionForm_{rubric.id}_{rubric.version}", (InspectionForm,), fields)


def field_name(path: str) -> str:
    """The form field for an answers path: "A3.tp" → "A3_tp", "gates.G2" → "gate_G2_note"."""
    if path.startswith("gates."):
        return f"gate_{path.split('.', 1)[1]}_note"
    return path.replace(".", "_")


# No field of any rubric comes near 10^15 (percentages, mg/L, counts, sample sizes).
MAX_EXPONENT = 15


# "1,000" and "1,000.5": commas that group thousands (as a phone keypad or a spreadsheet writes
# them). Any other comma is ambiguous ("1,5" is 1.5 in some locales and 15 in none) and refused.
_GROUPED = re.compile(r"[-+]?[0-9]{1,3}([,，][0-9]{3})+(\.[0-9]*)?")  # as static/js/scoring.js


def _parse_number(raw: str | None, path: str, label: str, errors: dict) -> float | int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if "," in text or "，" in text:
        if not _GROUPED.fullmatch(text):
            errors[path] = Text(
                "%(label)s的写法有误：千位分隔请写成 1,000，小数点请用「.」", label=label
            )
            return None
        text = text.replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[path] = Text("%(label)s必须是数字", label=label)
        return None
    if not value.is_finite():
        errors[path] = Text("%(label)s必须是有限的数字", label=label)
        return None
    if value and value.adjusted() > MAX_EXPONENT:
        # "1e999999" would make int() below build a million-digit number (seconds of CPU per
        # request), and a 5000-digit one cannot even be written back as JSON
        errors[path] = Text("%(label)s数值过大", label=label)
        return None
    # JSON numbers: an int when typed as one (defect counts, sample sizes), else a float, whose
    # shortest repr gives back exactly the digits typed.
    return int(value) if value == value.to_integral_value() and "." not in text else float(value)


def answers_from_form(rubric: Rubric, form: InspectionForm) -> tuple[dict, dict[str, str]]:
    """Turn posted fields into the answers JSON; blank fields are left out (a partial draft).

    Returns the answers and the errors found while reading them (text that is not a number).
    Each indicator's kind says which fields hold its answer and how they make it; an indicator
    of a kind nobody registered raises UnknownKind.
    """
    answers: dict = {}
    errors: dict[str, str] = {}
    data = form.data
    for ind in rubric.indicators.values():
        kind = kind_of(ind)
        values = {}
        for part in kind.parts(ind):
            raw = data.get(part.field(ind.code))
            if part.numeric:
                raw = _parse_number(raw, part.path(ind.code), part.error_label, errors)
            values[part.key] = raw
        answer = kind.answer(ind, values)
        if answer is not None:
            answers[ind.code] = answer
    gates = {}
    for gate in rubric.manual_gates:
        if data.get(f"gate_{gate.code}"):
            gates[gate.code] = data.get(f"gate_{gate.code}_note") or ""
    answers["gates"] = gates
    return answers, errors


def form_data_from_answers(rubric: Rubric, answers: dict) -> dict:
    """The reverse of answers_from_form: field values for editing a saved assessment."""
    data: dict = {}
    for ind in rubric.indicators.values():
        value = answers.get(ind.code)
        if value is not None:
            data.update(kind_of(ind).fields(ind, value))
    for code, note in (answers.get("gates") or {}).items():
        data[f"gate_{code}"] = True
        data[f"gate_{code}_note"] = note
    return data


def fields_of(rubric: Rubric, form: InspectionForm, code: str) -> list[str]:
    """The form fields that hold one answer: an indicator ("A3" → A3_do, A3_tp, …) or a gate."""
    prefix = code if code in rubric.indicators else f"gate_{code}"
    return [n for n in form._fields if n == prefix or n.startswith(prefix + "_")]


def answer_codes(rubric: Rubric) -> list[tuple[str, str]]:
    """(code, name) of every answer an inspector gives: the indicators, then the manual gates."""
    return [(i.code, i.name) for i in rubric.indicators.values()] + [
        (g.code, g.name) for g in rubric.manual_gates
    ]


def _answer_fields(rubric: Rubric, answers: dict, code: str) -> dict:
    """One answer as the form fields that would show it (numbers written the same way)."""
    if code in rubric.indicators:
        return form_data_from_answers(rubric, {code: (answers or {}).get(code)})
    gates = (answers or {}).get("gates") or {}
    return form_data_from_answers(rubric, {"gates": {code: gates[code]}} if code in gates else {})


def answer_text(rubric: Rubric, answers: dict, code: str) -> str:
    """One answer in words, for the conflict view: "（空）" when not given."""
    data = _answer_fields(rubric, answers, code)
    if not data:
        return "（空）"
    ind = rubric.indicators.get(code)
    if ind is None:  # a ticked gate: its note
        return f"已勾选：{data.get(f'gate_{code}_note') or ''}"
    return kind_of(ind).describe(ind, data)


@dataclass(frozen=True)
class Difference:
    """One answer two people gave differently, for the conflict view."""

    code: str
    name: str
    mine: str
    theirs: str
    # "theirs" when this user left the answer as it was when they opened the form (so the other
    # change is the only one), else "mine"
    default: str


def differences(
    rubric: Rubric, mine: dict, theirs: dict, base: dict | None = None
) -> list[Difference]:
    """The answers that differ between what this user posted and the current version."""
    found = []
    for code, name in answer_codes(rubric):
        own = _answer_fields(rubric, mine, code)
        other = _answer_fields(rubric, theirs, code)
        if own == other:
            continue
        untouched = base is not None and own == _answer_fields(rubric, base, code)
        found.append(
            Difference(
                code,
                name,
                answer_text(rubric, mine, code),
                answer_text(rubric, theirs, code),
                "theirs" if untouched else "mine",
            )
        )
    return found


def take_theirs(
    rubric: Rubric, form: InspectionForm, formdata: MultiDict, theirs: dict, codes
) -> MultiDict:
    """The posted form data with the chosen answers replaced by the current version's."""
    merged = MultiDict(formdata)
    for code in codes:
        for name in fields_of(rubric, form, code):
            merged.poplist(name)
        for name, value in _answer_fields(rubric, theirs, code).items():
            for item in value if isinstance(value, list) else [value]:
                merged.add(name, "y" if item is True else item)
    return merged


# --- rendering ---------------------------------------------------------------------------------
# The inspection page shows ~60 inputs and ~40 options on every load. WTForms' widgets build each
# attribute through Markup.format (≈ 1 ms per field), which made rendering most of the page's
# cost. These functions write the very same HTML as the widgets (attributes sorted by name, as
# wtforms.widgets.html_params does; values escaped by markupsafe) for the four field types the
# form uses, from what is fixed per field (computed once per form class) plus the field's value.
# Anything else (a validator flag, another field type) still goes through WTForms.


def _attrs(pairs) -> str:
    """wtforms.widgets.html_params: sorted by name, True bare, False left out, values escaped."""
    out = []
    for key, value in sorted(pairs):
        if value is True:
            out.append(key)
        elif value is not False:
            out.append(f'{key}="{escape(value)}"')
    return " ".join(out)


def _field_key(field) -> tuple:
    """What a field's fixed HTML is cached under: its form class (one per rubric version, built
    once by form_class) and its name. Not the ids of its render_kw or choices: WTForms copies
    those for every form instance, so such a key missed on every request and kept growing."""
    return (type(field._form), field.name, field.id)


_WIDGET_TAGS = {
    "StringField": "input",
    "TextAreaField": "textarea",
    "SelectField": "select",
    "BooleanField": "checkbox",
}
_static: dict[tuple, tuple] = {}


def _static_parts(field) -> tuple | None:
    """What never changes for this field of this form class: its fixed attributes and, for a
    select, each option's HTML unselected and selected. None: render with WTForms."""
    key = _field_key(field)
    parts = _static.get(key)
    if parts is None:
        kind = _WIDGET_TAGS.get(type(field).__name__)
        if kind is None or field.validators or field.flags.__dict__:
            parts = (None,)
        else:
            fixed = {clean_key(k): v for k, v in (field.render_kw or {}).items()}
            fixed.setdefault("id", field.id)
            if kind == "input":
                fixed.setdefault("type", "text")
            elif kind == "checkbox":
                fixed.setdefault("type", "checkbox")
            fixed["name"] = field.name
            options = []
            if kind == "select":
                for choice in field._choices_from_input(field.choices) or []:
                    value = str(choice.value) if isinstance(choice.value, bool) else choice.value
                    shown = escape(choice.label or choice.value)
                    extra = list((choice.render_kw or {}).items())
                    options.append(
                        (
                            field.coerce(choice.value),
                            f"<option {_attrs([('value', value), *extra])}>{shown}</option>",
                            f"<option {_attrs([('value', value), *extra, ('selected', True)])}>"
                            f"{shown}</option>",
                        )
                    )
            parts = (kind, fixed, options, _valid_heads(kind, fixed))
        _static[key] = parts
    return None if parts[0] is None else parts


_VALUE = "\x00value\x00"  # stands for the field's value while the fixed HTML around it is built


def _valid_heads(kind: str, fixed: dict) -> tuple[str, ...] | None:
    """The HTML of a valid field around its value, written once: (before, after) the value of
    an input or textarea, the opening tag of a select, (unchecked, checked) halves of a
    checkbox. None when the field's own attributes fix its value (left to the general path)."""
    if "value" in fixed or "checked" in fixed:
        return None
    if kind == "input":
        return tuple(f"<input {_attrs([*fixed.items(), ('value', _VALUE)])}>".split(_VALUE))
    if kind == "textarea":
        return (f"<textarea {_attrs(fixed.items())}>\r\n", "</textarea>")
    if kind == "select":
        return (f"<select {_attrs(fixed.items())}>", "</select>")
    off = f"<input {_attrs([*fixed.items(), ('value', _VALUE)])}>".split(_VALUE)
    on = f"<input {_attrs([*fixed.items(), ('checked', True), ('value', _VALUE)])}>".split(_VALUE)
    return (*off, *on)


def render_widget(field, invalid: bool = False) -> Markup:
    """field(), or field(aria-invalid=…, aria-describedby=…) when invalid: the same HTML."""
    parts = _static_parts(field)
    if parts is None:
        extra = {"aria-invalid": "true", "aria-describedby": f"{field.id}-error"}
        return field(**extra) if invalid else field()
    kind, fixed, options, heads = parts
    if heads is not None and not invalid:  # the common case: only the value is the request's
        if kind == "input" or kind == "textarea":
            return Markup(f"{heads[0]}{escape(field._value())}{heads[1]}")
        if kind == "select":
            data = field.data
            shown = "".join(on if value == data else off for value, off, on in options)
            return Markup(f"{heads[0]}{shown}{heads[1]}")
        checked = bool(getattr(field, "checked", field.data))
        pre, post = heads[2:] if checked else heads[:2]
        return Markup(f"{pre}{escape(field._value())}{post}")
    attrs = dict(fixed)
    if invalid:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.id}-error"
    if kind == "input":
        attrs.setdefault("value", field._value())
        return Markup(f"<input {_attrs(attrs.items())}>")
    if kind == "checkbox":
        if getattr(field, "checked", field.data):
            attrs.setdefault("checked", True)
        attrs.setdefault("value", field._value())
        return Markup(f"<input {_attrs(attrs.items())}>")
    if kind == "textarea":
        return Markup(f"<textarea {_attrs(attrs.items())}>\r\n{escape(field._value())}</textarea>")
    data = field.data
    shown = "".join(selected if value == data else plain for value, plain, selected in options)
    return Markup(f"<select {_attrs(attrs.items())}>{shown}</select>")


_frames: dict[tuple, tuple[str, str]] = {}


def render_input(field, unit="", label=None) -> Markup:
    """A labelled field with its unit and error slot (the markup of the input() macro in
    templates/_macros.html)."""
    errors = field.errors
    if not errors:
        # what surrounds a valid widget is fixed for the field, unit and label: written once
        key = (field.id, field.name, unit, label or field.label.text)
        frame = _frames.get(key)
        if frame is None:
            fid, name = escape(field.id), escape(field.name)
            unit_html = f'<span class="unit">{escape(unit)}</span>' if unit else ""
            frame = _frames[key] = (
                f'<div class="field">\n  <label for="{fid}">{escape(key[3])}</label>\n'
                '  <div class="with-unit">\n    ',
                f"\n    {unit_html}\n  </div>\n"
                f'  <div class="field-error-slot" data-for="{name}"></div>\n</div>',
            )
            if len(_frames) > 4096:  # labels are per language and rubric: few, but bounded
                _frames.clear()
                _frames[key] = frame
        return Markup(f"{frame[0]}{render_widget(field)}{frame[1]}")
    fid = escape(field.id)
    text = escape(label or field.label.text)
    unit_html = f'<span class="unit">{escape(unit)}</span>' if unit else ""
    messages = "".join(
        f'<p class="error" id="{fid}-error" role="alert">{escape(translate(e))}</p>' for e in errors
    )
    return Markup(
        f'<div class="field{" has-error" if errors else ""}">\n'
        f'  <label for="{fid}">{text}</label>\n'
        '  <div class="with-unit">\n'
        f"    {render_widget(field, bool(errors))}\n"
        f"    {unit_html}\n"
        "  </div>\n"
        f'  <div class="field-error-slot" data-for="{escape(field.name)}">{messages}</div>\n'
        "</div>"
    )


_option_parts: dict[tuple, tuple] = {}


def render_options(field) -> list[tuple[Markup, str, str]]:
    """The checkboxes (or radios) of a checklist or choice field: (input HTML, value, label) per
    option, the input as `for opt in field: opt()` renders it."""
    key = _field_key(field)
    parts = _option_parts.get(key)
    if parts is None:
        kind = {"MultiCheckboxField": "checkbox", "RadioField": "radio"}.get(type(field).__name__)
        rows = []
        for i, choice in enumerate(field._choices_from_input(field.choices) or []):
            value = choice.value
            attrs = [("id", f"{field.id}-{i}"), ("name", field.name), ("type", kind)]
            attrs.append(("value", str(value)))
            rows.append(
                (
                    field.coerce(value),
                    value,
                    str(choice.label or choice.value),
                    f"<input {_attrs(attrs)}>",
                    f"<input {_attrs([*attrs, ('checked', True)])}>",
                )
            )
        usable = kind is not None and not field.render_kw and not field.validators
        parts = _option_parts[key] = (usable, rows)
    usable, rows = parts
    if not usable:
        return [(opt(), opt.data, opt.label.text) for opt in field]
    data = field.data
    if type(field).__name__ == "MultiCheckboxField":
        chosen = data or ()
        checked = [coerced in chosen for coerced, *_ in rows]
    else:
        checked = [coerced == data for coerced, *_ in rows]
    return [
        (Markup(on if hit else off), value, label)
        for hit, (_c, value, label, off, on) in zip(checked, rows, strict=True)
    ]
