"""Indicator kinds are one object each (scoring/kinds/): its check and arithmetic, its form fields
and their reader, its template partial and its demo answer. A kind is added by registering one
object; an indicator of a kind nobody registered is refused with a clear message, not a KeyError.
"""

import dataclasses
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

import happy_rivers
from happy_rivers import scoring
from happy_rivers.forms import inspection
from happy_rivers.scoring.folders import RUBRIC_DIR, set_rubric_folders
from happy_rivers.scoring.kinds import KINDS, Kind, Part, UnknownKind, kind_of, register
from happy_rivers.scoring.rules import FieldErrors, fmt, number, whole_number
from happy_rivers.store.demo import demo_answers
from tests.answers import full_river_answers

TEMPLATES = Path(happy_rivers.__file__).parent / "templates"
RIVER_FILE = RUBRIC_DIR / "cq-river-2025.1.toml"


@pytest.fixture
def rubric_dir(tmp_path, monkeypatch):
    """A rubric folder of the test's own (read after the built-in one, as RUBRIC_PATH's are),
    with caches that forget it afterwards."""
    set_rubric_folders([tmp_path])
    monkeypatch.setattr(inspection, "_form_classes", {})
    yield tmp_path
    set_rubric_folders()


def river_variant(folder: Path, rubric_id: str, indicator: str, replace: dict) -> None:
    """The river rubric under another id, one indicator's lines changed (`old` → `new`)."""
    text = RIVER_FILE.read_text(encoding="utf-8").replace('id = "cq-river"', f'id = "{rubric_id}"')
    head, sep, rest = text.partition(f'code = "{indicator}"\n')
    block, nxt, tail = rest.partition("[[dimensions")
    for old, new in replace.items():
        assert old in block, old
        block = block.replace(old, new)
    (folder / f"{rubric_id}-2025.1.toml").write_text(head + sep + block + nxt + tail, "utf-8")


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_has_its_partial_fields_and_demo(name):
    kind = KINDS[name]
    assert kind.name == name
    assert (TEMPLATES / kind.partial).is_file(), kind.partial
    used = [
        ind
        for rubric_id in scoring.available_rubrics()
        for ind in scoring.load_rubric(rubric_id).indicators.values()
        if ind.kind == name
    ]
    assert used, f"no rubric uses {name}"
    for ind in used:
        assert kind.parts(ind)
        for seed in range(20):
            answer = kind.demo(ind, random.Random(seed), (0.3, 0.97)[seed % 2])
            scored = kind.rule(ind, answer)  # a demo answer is always valid
            assert Decimal(0) <= scored.points <= ind.max
            # and reads back from the form fields it is shown in
            assert kind.answer(ind, _read_back(kind, ind, kind.fields(ind, answer))) == answer


def _read_back(kind: Kind, ind, fields: dict) -> dict:
    values = {}
    for part in kind.parts(ind):
        raw = fields.get(part.field(ind.code))
        if part.numeric and raw not in (None, ""):
            raw = json.loads(raw)  # the form writes numbers as JSON reads them
        values[part.key] = raw if raw != "" else None
    return values


@pytest.mark.parametrize("rubric_id", ["cq-river", "cq-reservoir"])
def test_the_engine_scores_each_indicator_as_its_kind_does(rubric_id):
    """The engine builds explanations lazily; they read exactly as the kind's rule writes them."""
    rubric = scoring.load_rubric(rubric_id)
    for seed in range(30):
        answers = demo_answers(rubric, random.Random(seed), (0.3, 0.7, 0.95)[seed % 3])
        result = scoring.score(rubric, answers)
        for code, ind in rubric.indicators.items():
            scored = kind_of(ind).rule(ind, answers[code])
            points = scoring.round2(scored.points)
            assert result.indicators[code].points == points
            assert result.indicators[code].explain == f"{scored.explain} → {fmt(points)} 分"
            assert result.indicators[code].water_quality == scored.water_quality


def test_an_unregistered_kind_is_refused_clearly_by_the_form_reader(app):
    rubric = scoring.load_rubric("cq-river")
    with app.test_request_context():
        form = inspection.form_class(rubric)(formdata=None, meta={"csrf": False})
    # a rubric whose water indicator became a dict-valued kind nobody registered
    odd = dataclasses.replace(rubric.indicators["A3"], kind="sediment")
    dims = tuple(
        dataclasses.replace(d, indicators=tuple(odd if i.code == "A3" else i for i in d.indicators))
        for d in rubric.dimensions
    )
    changed = dataclasses.replace(rubric, dimensions=dims)
    with pytest.raises(UnknownKind, match="指标 A3 的类型 sediment 未登记"):
        inspection.answers_from_form(changed, form)


def test_a_rubric_with_an_unknown_kind_or_a_missing_parameter_is_refused(rubric_dir):
    river_variant(rubric_dir, "t-kind", "A1", {'kind = "linear"': 'kind = "sediment"'})
    with pytest.raises(scoring.RubricError, match="A1 的类型 sediment 未知"):
        scoring.load_rubric("t-kind")
    # before: loaded, and the first assessment to answer A1 failed with a KeyError (a 500)
    river_variant(rubric_dir, "t-param", "A1", {"full = 100\n": ""})
    with pytest.raises(scoring.RubricError, match="A1 的参数有误"):
        scoring.load_rubric("t-param")


class Share(Kind):
    """A test kind: `done` of `total` things, the maximum times their share."""

    name = "share"
    partial = "inspect/kinds/single_input.html"

    def prepare(self, ind):
        return ind.code, ind.name, ind.max

    def score(self, prepared, value):
        code, name, top = prepared
        if not isinstance(value, dict):
            raise FieldErrors({code: f"「{name}」须包含 done 和 total"})
        done = whole_number(value.get("done"), f"{code}.done", "完成数")
        total = whole_number(value.get("total"), f"{code}.total", "总数")
        if not 0 < total or done > total:
            raise FieldErrors({f"{code}.done": "完成数不能大于总数"})
        return top * done / total, "{} / {}".format, (done, total), None

    def parts(self, ind):
        return (Part("done", "完成数", "integer"), Part("total", "总数", "integer"))

    def demo(self, ind, rng, quality):
        total = rng.randint(4, 40)
        return {"done": round(total * quality), "total": total}


@pytest.fixture
def share_kind():
    register(Share)
    yield KINDS["share"]
    del KINDS["share"]


def test_a_new_kind_is_one_registration(app, rubric_dir, share_kind):
    river_variant(rubric_dir, "t-share", "A19", {'kind = "linear"': 'kind = "share"'})
    rubric = scoring.load_rubric("t-share")
    answers = full_river_answers() | {"A19": {"done": 3, "total": 4}}
    result = scoring.score(rubric, answers)
    assert str(result.indicators["A19"].points) == "3.75"  # 5 × 3/4
    assert result.indicators["A19"].explain == "3 / 4 → 3.75 分"
    assert str(result.total) == "98.75"
    with pytest.raises(scoring.InvalidAnswers) as refused:
        scoring.score(rubric, answers | {"A19": {"done": 5, "total": 4}})
    assert refused.value.errors == {"A19.done": "完成数不能大于总数"}

    # the form: its fields, read back into the answer, and the reverse
    with app.test_request_context():
        Form = inspection.form_class(rubric)
        assert {"A19_done", "A19_total"} <= set(Form()._fields)
        fields = inspection.form_data_from_answers(rubric, answers)
        assert (fields["A19_done"], fields["A19_total"]) == ("3", "4")
        posted = MultiDict({k: v for k, v in fields.items() if not isinstance(v, list | bool)})
        for k, v in fields.items():
            if isinstance(v, list):
                posted.setlist(k, v)
        read, errors = inspection.answers_from_form(rubric, Form(formdata=posted))
    assert errors == {}
    assert read["A19"] == {"done": 3, "total": 4}
    assert inspection.answer_text(rubric, answers, "A19") == "完成数 3、总数 4"

    # the demo data draws its answer too, and it scores
    demo = demo_answers(rubric, random.Random(3), 0.9)
    assert scoring.score(rubric, demo).indicators["A19"].points <= 5


def test_number_refuses_what_it_always_refused():
    for value, message in [
        (None, "请填写x"),
        (True, "x必须是数字"),
        ("1", "x必须是数字"),
        (float("nan"), "x必须是有限的数字"),
        (float("inf"), "x必须是有限的数字"),
        (10**400, "x数值过大"),
        (Decimal("NaN"), "x必须是有限的数字"),
    ]:
        with pytest.raises(FieldErrors) as e:
            number(value, "p", "x")
        assert e.value.errors == {"p": message}
    # the float cache never turns −0.0 into 0.0 or the reverse
    assert str(number(-0.0, "p", "x")) == "-0.0"
    assert str(number(0.0, "p", "x")) == "0.0"
    assert number(0.1, "p", "x") == Decimal("0.1") == number(0.1, "p", "x")


def test_decimal_answers_give_a_json_ready_result():
    answers = json.loads(json.dumps(full_river_answers()), parse_float=Decimal)
    answers["A1"] = Decimal("96.5")  # 8 × 21.5/25 = 6.88
    body = json.loads(json.dumps(scoring.score(scoring.load_rubric("cq-river"), answers).to_dict()))
    assert body["indicators"]["A1"] == body["indicators"]["A1"] | {"input": 96.5, "points": "6.88"}
    assert body["indicators"]["A3"]["input"]["nh3n"] == 0.42
