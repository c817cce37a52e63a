"""The device scores exactly as the server: static/js/scoring.js in the real Chromium against
Python's `scoring`, on the same answers, compared number by number.

1. Answers (tests/scoring_cases.py, ~1,300 answer sets for both rubrics): every indicator's
   points, max and water quality (class, label, limiting parameters, each parameter's class),
   every subtotal, the total, the fields in error and missing, the gates that hold, the water
   quality and the projected decision of scoring.preview(); and for complete, valid answers also
   the total, dimension scores, points, decision, grade and gates of scoring.score().
2. The form (~300 sets of typed fields: "1,000", "１２", " 96.5 ", "1e16", "NaN", …): the same
   preview computed from the typed text by the device, and by the server's
   POST /assessments/<id>/preview over real HTTP.

The rubric data comes from the real GET /rubrics/<id>/<version>.json, and scoring.js from the
inspection page's own <script> tag: what an inspector's phone would run.
"""

import json
import time

import pytest

from happy_rivers import scoring
from tests.scoring_cases import answer_cases, form_cases

from .helpers import login

RUBRICS = {"cq-river": "river", "cq-reservoir": "reservoir"}


@pytest.fixture(scope="module")
def form_pages(chromium, live_app):
    """A signed-in inspection form page per rubric (its scripts loaded), and the drafts' ids."""
    context = chromium.new_context(base_url=live_app.url, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, "yubei")
    drafts = {
        rubric_id: live_app.draft_assessment(
            live_app.new_waterbody("对照测试", kind), {"gates": {}}
        )
        for rubric_id, kind in RUBRICS.items()
    }
    yield page, drafts
    context.close()
    assert errors == [], "the page raised JavaScript errors"


def _open_form(page, assessment_id: int) -> None:
    page.goto(f"/assessments/{assessment_id}/edit")
    page.wait_for_function("() => window.HRScoring !== undefined")


def _rubric_urls() -> dict:
    return {
        rubric_id: f"/rubrics/{rubric_id}/{scoring.load_rubric(rubric_id).version}.json"
        for rubric_id in RUBRICS
    }


# --- 1. answers ------------------------------------------------------------------------------

SCORE_IN_PAGE = """async ([urls, cases]) => {
  const docs = {};
  for (const [id, url] of Object.entries(urls)) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(url + " " + response.status);
    docs[id] = await response.json();
  }
  const started = performance.now();
  const results = cases.map(([id, text]) => HRScoring.preview(docs[id], JSON.parse(text)));
  // one string back: Playwright's per-value serialization of ~1,300 nested objects takes seconds
  return JSON.stringify({results, ms: performance.now() - started});
}"""


def _from_preview(body: dict) -> dict:
    """The numbers (and codes) of a preview body, texts left out: explanations and messages are
    the server's alone; an error is compared by the field it names."""
    return {
        "indicators": {
            code: {
                "points": ind["points"],
                "max": ind["max"],
                "water_quality": ind.get("water_quality"),
            }
            for code, ind in body["indicators"].items()
        },
        "errors": sorted(body["errors"]),
        "missing": body["missing"],
        "subtotals": body["subtotals"],
        "total": body["total"],
        "gates": [g["code"] for g in body["gates"]],
        "decision": body["decision"],
        "water_quality": body["water_quality"],
        "complete": body["complete"],
    }


def _from_result(result: scoring.Result) -> dict:
    return {
        "total": str(result.total),
        "subtotals": {code: str(d.score) for code, d in result.dimensions.items()},
        "points": {code: str(i.points) for code, i in result.indicators.items()},
        "gates": result.gates,
        "decision": result.decision,
        "grade": result.grade,
    }


def _mismatches(pairs) -> list[str]:
    return [
        f"case {n}: {json.dumps(case, ensure_ascii=False)[:300]}\n"
        f"  server {json.dumps(want, ensure_ascii=False, sort_keys=True)[:1500]}\n"
        f"  device {json.dumps(got, ensure_ascii=False, sort_keys=True)[:1500]}"
        for n, (case, want, got) in enumerate(pairs)
        if want != got
    ]


def test_device_scores_every_generated_answer_set_as_the_server(form_pages):
    page, drafts = form_pages
    cases = answer_cases()
    assert len(cases) > 1000
    # the cases reach every outcome they are meant to (else a broken generator passes silently)
    previews = [scoring.preview(scoring.load_rubric(r), a) for r, a in cases]
    assert {(p.complete, p.decision) for p in previews} >= {
        (True, "accepted"),
        (True, "conditional"),
        (True, "rejected"),
        (False, "rejected"),
        (False, None),
    }
    assert {g for p in previews for g in p.gates} >= {"G1", "G2", "G3", "G4", "G5", "G6", "G7"}
    classes = {
        i.water_quality.label for p in previews for i in p.indicators.values() if i.water_quality
    }
    assert classes == {"Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"}
    assert sum(1 for p in previews if p.errors) > 200

    _open_form(page, drafts["cq-river"])
    started = time.perf_counter()
    texts = [[rubric_id, json.dumps(answers)] for rubric_id, answers in cases]
    out = json.loads(page.evaluate(SCORE_IN_PAGE, [_rubric_urls(), texts]))
    elapsed = time.perf_counter() - started
    device = out["results"]
    assert len(device) == len(cases)

    pairs = []
    full_pairs = []
    for (rubric_id, answers), preview, got in zip(cases, previews, device, strict=True):
        pairs.append((answers, _from_preview(preview.to_dict()), _from_preview(got)))
        if preview.complete:
            result = scoring.score(scoring.load_rubric(rubric_id), answers)
            local = {
                "total": got["total"],
                "subtotals": got["subtotals"],
                "points": {c: i["points"] for c, i in got["indicators"].items()},
                "gates": [g["code"] for g in got["gates"]],
                "decision": got["decision"],
                "grade": got["grade"],
            }
            full_pairs.append((answers, _from_result(result), local))
    bad = _mismatches(pairs) + _mismatches(full_pairs)
    assert bad == [], f"{len(bad)} answer sets scored differently:\n" + "\n".join(bad[:5])
    assert len(full_pairs) > 700
    # one page.evaluate for all of them: the whole comparison stays a few seconds
    print(f"\n{len(cases)} answer sets ({len(full_pairs)} complete) compared in {elapsed:.2f} s "
          f"(device scoring {out['ms']:.0f} ms)")  # fmt: skip


# --- 2. the form -----------------------------------------------------------------------------

FORM_IN_PAGE = """async ([url, cases]) => {
  const form = document.getElementById("inspection-form");
  const doc = await (await fetch(form.getAttribute("data-rubric-url"))).json();
  const token = form.querySelector('[name="csrf_token"]').value;
  // every field of the form, empty, as the browser holds it before anything is typed
  const blank = {};
  for (const el of form.elements) {
    if (!el.name || ["csrf_token", "version", "action"].includes(el.name)) continue;
    if (el.type === "checkbox" && el.name.startsWith("gate_")) blank[el.name] = false;
    else if (el.type === "checkbox") blank[el.name] = [];
    else if (el.type === "radio") blank[el.name] = null;
    else blank[el.name] = "";
  }
  const out = [];
  for (const overrides of cases) {
    const fields = Object.assign({}, blank, overrides);
    const body = new FormData();  // what the browser posts for these fields
    body.append("csrf_token", token);
    for (const [name, value] of Object.entries(fields)) {
      if (Array.isArray(value)) value.forEach(v => body.append(name, v));
      else if (value === true) body.append(name, "y");
      else if (typeof value === "string") body.append(name, value);
    }
    const response = await fetch(url, {method: "POST", body, credentials: "same-origin"});
    out.push({server: await response.json(), device: HRScoring.formPreview(doc, fields)});
  }
  return JSON.stringify(out);
}"""


@pytest.mark.parametrize("rubric_id", list(RUBRICS))
def test_device_reads_typed_fields_as_the_server_preview(form_pages, rubric_id):
    page, drafts = form_pages
    cases = form_cases(rubric_id)
    assert len(cases) > 150
    _open_form(page, drafts[rubric_id])
    url = f"/assessments/{drafts[rubric_id]}/preview"
    out = json.loads(page.evaluate(FORM_IN_PAGE, [url, cases]))
    pairs = [
        (case, _from_preview(pair["server"]), _from_preview(pair["device"]))
        for case, pair in zip(cases, out, strict=True)
    ]
    bad = _mismatches(pairs)
    assert bad == [], f"{len(bad)} typed forms read differently:\n" + "\n".join(bad[:5])
    # the cases do reach scoring: some forms score points, some have errors shown at fields
    assert sum(1 for _c, want, _g in pairs if want["errors"]) > 50
    assert sum(1 for _c, want, _g in pairs if want["indicators"]) > 100
