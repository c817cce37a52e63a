"""Inspectors' pages: waterbodies, the inspection form, results and evidence."""

import hashlib
import json
import secrets
from datetime import timedelta
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from happy_rivers import clock, scoring, store
from happy_rivers.forms.evidence import photo_metadata
from happy_rivers.forms.inspection import (
    answer_codes,
    answers_from_form,
    bound_form,
    differences,
    field_name,
    form_class,
    form_data_from_answers,
    render_input,
    take_theirs,
)
from happy_rivers.scoring import survey as survey_rules
from happy_rivers.scoring import workflow
from happy_rivers.scoring.engine import missing_answer
from happy_rivers.store import assessments, idempotency, surveys, waterbodies
from happy_rivers.store.idempotency import Answer
from happy_rivers.translations import N_

from . import idempotency as keys
from .assessment_pages import load_assessment, render_result, rubric_of
from .auth import actor, client_ip
from .form_skeleton import fields_html, language_partial
from .helpers import render_error

bp = Blueprint("inspect", __name__)

UPLOAD_TYPES = {
    "image/jpeg": (".jpg", b"\xff\xd8\xff"),
    "image/png": (".png", b"\x89PNG\r\n\x1a\n"),
    "application/pdf": (".pdf", b"%PDF-"),
}
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# How far back the inspector's landing page lists decided assessments.
RECENT_DAYS = 30


def scope() -> str | None:
    return current_user.scope


def load_waterbody(waterbody_id: int, *, work: bool = False) -> dict:
    """The waterbody if this user may see it, else 404: ids outside a district leak nothing.

    work=True: also 403 unless the user may work on it. An inspector of a district a
    cross-boundary river only runs through reads it; its lead district does the assessments.
    """
    row = waterbodies.get(store.get_db(), waterbody_id, district=scope())
    if row is None:
        abort(404)
    if work and not waterbodies.is_lead(row, scope()):
        abort(403)
    return row


@bp.get("/")
@login_required
def index():
    """An inspector's day: what was returned, drafts, what waits for review, what was decided.
    Reviewers land on their queue; administrators on the waterbodies."""
    if current_user.role == "reviewer":
        return redirect(url_for("review.queue"))
    if current_user.role != "inspector":
        return redirect(url_for("inspect.waterbody_list"))
    db = store.get_db()
    since = (clock.today() - timedelta(days=RECENT_DAYS)).isoformat()
    todo = {
        "returned": assessments.list_assessments(db, district=scope(), status="returned"),
        "draft": assessments.list_assessments(db, district=scope(), status="draft"),
        "submitted": assessments.list_assessments(db, district=scope(), status="submitted"),
        "decided": assessments.list_assessments(
            db, district=scope(), status=list(workflow.DECIDED_STATUSES), since=since, limit=20
        ),
    }
    return render_template("inspect/todo.html", todo=todo, recent_days=RECENT_DAYS)


@bp.get("/waterbodies")
@login_required
def waterbody_list():
    db = store.get_db()
    filters = {
        "district": scope() or request.args.get("district") or None,
        "kind": request.args.get("kind") or None,
        "status": request.args.get("status") or None,
        "q": (request.args.get("q") or "").strip() or None,
    }
    sort = request.args.get("sort") if request.args.get("sort") in waterbodies.SORTS else None
    order = "desc" if sort and request.args.get("order") == "desc" else "asc"
    rows = waterbodies.list_waterbodies(db, **filters, sort=sort, descending=order == "desc")
    # a column heading sorts by it, ascending first; on the sorted column it flips the order
    kept = {k: v for k, v in filters.items() if v and not (k == "district" and scope())}
    sort_links = {
        key: url_for(
            "inspect.waterbody_list",
            **kept,
            sort=key,
            order="desc" if key == sort and order == "asc" else "asc",
        )
        for key in waterbodies.SORTS
    }
    return render_template(
        "inspect/waterbodies.html",
        rows=rows,
        filters=filters,
        districts=waterbodies.districts(db),
        sort=sort,
        order=order,
        sort_links=sort_links,
    )


@bp.get("/waterbodies/<int:waterbody_id>")
@login_required
def waterbody_detail(waterbody_id: int):
    waterbody = load_waterbody(waterbody_id)
    lead = waterbodies.is_lead(waterbody, scope())
    # the assessments are the lead district's work: a through district sees the registry record
    rows = assessments.list_assessments(store.get_db(), waterbody_id=waterbody_id) if lead else []
    # the blank forms a phone caches when this page is opened, to start one with no signal
    new_forms = {
        kind: url_for("inspect.assessment_new", waterbody_id=waterbody_id, kind=kind)
        for kind in workflow.KIND_LABELS
    }
    return render_template(
        "inspect/waterbody.html",
        waterbody=waterbody,
        assessments=rows,
        lead=lead,
        new_forms=new_forms,
    )


def _may_create() -> None:
    if current_user.role not in ("inspector", "admin"):
        abort(403)


def _blank_assessment(waterbody: dict, kind: str) -> dict:
    """What the form template needs of an assessment that does not exist yet."""
    return {
        "id": None,
        "waterbody_id": waterbody["id"],
        "waterbody_name": waterbody["name"],
        "district_name": waterbody["district_name"],
        "kind": kind,
        "status": "draft",
        "version": 0,
        "answers": {"gates": {}},
        "return_comment": None,
        "field_comments": {},
    }


@bp.get("/waterbodies/<int:waterbody_id>/assessments/new")
@login_required
def assessment_new(waterbody_id: int):
    """A blank form that creates the assessment with its answers when first saved. Nothing is
    written until then, so it can be cached and filled in with no network."""
    _may_create()
    waterbody = load_waterbody(waterbody_id, work=True)
    kind = request.args.get("kind", "self")
    if kind not in workflow.KIND_LABELS:
        abort(404)
    rubric = scoring.rubric_for_waterbody(waterbody["kind"])
    answers = _with_survey(rubric, waterbody_id, {"gates": {}})
    form = bound_form(form_class(rubric), data=form_data_from_answers(rubric, answers))
    preview = scoring.preview(rubric, answers)
    return _render_form(_blank_assessment(waterbody, kind), rubric, form, preview, {})


def _closed_survey(waterbody_id: int) -> dict | None:
    """The waterbody's latest closed satisfaction survey, read once per request: the form's
    pre-fill, its provenance beside A20 and the save's note check all ask for it."""
    found = g.setdefault("closed_surveys", {})
    if waterbody_id not in found:
        found[waterbody_id] = surveys.latest_result(store.get_db(), waterbody_id)
    return found[waterbody_id]


def _with_survey(rubric, waterbody_id: int, answers: dict) -> dict:
    """The answers with A20 pre-filled from the waterbody's latest closed satisfaction survey
    when not answered yet (its provenance is shown beside the field, see _render_form)."""
    source = _closed_survey(waterbody_id)
    kinds = {code: ind.kind for code, ind in rubric.indicators.items()}
    return survey_rules.prefill(kinds, answers, source["answer"] if source else None)


def _survey_code(rubric) -> str | None:
    return next((c for c, i in rubric.indicators.items() if i.kind == "survey"), None)


def _survey_notes(rubric, assessment_id: int) -> dict:
    """The note kept with the survey answer (A20_note), to show it again."""
    code = _survey_code(rubric)
    kept = surveys.note_for(store.get_db(), assessment_id, code) if code else None
    return {f"{code}_note": kept["note"] or ""} if kept else {}


def _survey_note_check(rubric, waterbody_id: int, answers: dict, form):
    """The closed survey behind the waterbody's A20, and an error when its values were changed
    without a note: the survey's result may be corrected, but never silently."""
    code = _survey_code(rubric)
    source = _closed_survey(waterbody_id) if code else None
    if source is None or answers.get(code) is None:
        return source, {}
    note = (form.data.get(f"{code}_note") or "").strip()
    if surveys.differs(source, answers[code]) and not note:
        return source, {f"{code}.note": gettext("与满意度调查的结果不同：请填写修改说明")}
    return source, {}


def _keep_survey_note(assessment_id: int, rubric, source, answers: dict, form) -> None:
    """Record the survey A20 came from (and the note) with the save: inside its idempotent
    write transaction (apply_once), so the answers and their provenance are kept together."""
    code = _survey_code(rubric)
    if source is None or answers.get(code) is None:
        return
    note = form.data.get(f"{code}_note") or ""
    surveys.keep_note(
        store.get_db(), assessment_id, code, source, answers[code], note, user=actor()
    )


def _survey_beside(rubric, form, assessment: dict) -> dict:
    """Beside the survey indicator's fields: the closed survey that pre-filled it (number,
    dates, sample, rate) and the note asked for when its values were changed."""
    code = _survey_code(rubric)
    source = _closed_survey(assessment["waterbody_id"]) if code else None
    if source is None:
        return {}
    html = render_template(
        "survey/_provenance.html",
        survey_source=source,
        code=code,
        form=form,
        render_input=render_input,
    )
    return {code: Markup(html)}


def _posts_answers(form) -> bool:
    """Does this post carry answer fields (the new form), or only a kind (开始填写)?"""
    return any(name in request.form for name in form._fields if name not in _NOT_ANSWERS)


_NOT_ANSWERS = {"csrf_token", "version"}


@bp.post("/waterbodies/<int:waterbody_id>/assessments")
@login_required
def assessment_create(waterbody_id: int):
    _may_create()
    waterbody = load_waterbody(waterbody_id, work=True)
    db = store.get_db()
    key, prior = keys.page_replay(db, current_user.id)
    if prior:
        return keys.redirect_response(prior)
    kind = request.form.get("kind", "self")
    if kind not in workflow.KIND_LABELS:
        flash(gettext("评估类型无效"), "error")
        return redirect(url_for("inspect.waterbody_detail", waterbody_id=waterbody_id))
    rubric = scoring.rubric_for_waterbody(waterbody["kind"])
    # the CSRF token was checked by CSRFProtect before the view
    form = bound_form(form_class(rubric), formdata=request.form or None)
    if _posts_answers(form):
        return _create_with_answers(waterbody, kind, rubric, form, key)

    def create() -> Answer:
        try:
            assessment_id = assessments.create(
                db,
                waterbody_id=waterbody_id,
                kind=kind,
                rubric_id=rubric.id,
                rubric_version=rubric.version,
                answers={"gates": {}},
                scored=None,
                user=actor(),
                ip=client_ip(),
            )
        except assessments.Conflict as e:
            # A second click (or a colleague) got there first: open the existing one.
            return keys.redirect_answer(
                url_for("inspect.assessment_edit", assessment_id=e.current["id"]),
                N_("%(conflict)s，已为您打开。"),
                "info",
                status=302,
                conflict=e.message,
            )
        return keys.redirect_answer(
            url_for("inspect.assessment_edit", assessment_id=assessment_id), status=302
        )

    return _applied(key, create)


def _applied(key, effect):
    """Run a page's write once per key and answer with its (first) redirect."""
    try:
        answer, _again = _run_once(key, effect)
    except idempotency.KeyReused:
        return keys.key_error_page(reused=True)
    return keys.redirect_response(answer)


def _run_once(key, effect) -> tuple[Answer, bool]:
    if key is None:
        return effect(), False
    return idempotency.apply_once(
        store.get_db(), user_id=current_user.id, key=key[0], fingerprint=key[1], effect=effect
    )


def _is_untouched(assessment: dict) -> bool:
    """A draft just opened and never saved: nothing of anyone's would be overwritten."""
    answers = assessment["answers"]
    return (
        assessment["status"] == "draft"
        and assessment["version"] == 1
        and not any(v for k, v in answers.items() if k != "gates")
        and not answers.get("gates")
    )


def _create_with_answers(waterbody, kind, rubric, form, key):
    """The new form's first save (or submit): the assessment is created with its answers in one
    transaction. An open one of this kind already there gets the answers when it is untouched;
    otherwise the conflict view shows both, so nothing typed is lost and nothing overwritten."""
    db = store.get_db()
    blank = _blank_assessment(waterbody, kind)
    answers, errors, preview = _score_form(rubric, form)
    survey_source, note_errors = _survey_note_check(rubric, waterbody["id"], answers, form)
    errors |= note_errors
    wants_submit = request.form.get("action") == "submit"
    if wants_submit and (errors or preview.missing):
        missing = {code: missing_answer(rubric, code) for code in preview.missing}
        all_errors = missing | errors
        _attach_errors(form, all_errors)
        flash(
            gettext(
                "未提交：还有 %(n)s 处需要填写或更正。评估尚未创建，您填写的内容仍在下方。",
                n=len(all_errors),
            ),
            "error",
        )
        return _render_form(blank, rubric, form, preview, all_errors), 422
    typed = _typed_errors(form, errors)
    if typed:
        _attach_errors(form, typed)
        flash(gettext("标出的字段有误，草稿尚未保存；更正后再保存。"), "error")
        return _render_form(blank, rubric, form, preview, typed), 422
    # complete and valid: the preview holds the full result (what scoring.score gives)
    scored = preview.result.to_dict() if not errors and not preview.missing else None
    action = "submit" if wants_submit else "save"

    def create() -> Answer:
        try:
            assessment_id = assessments.create(
                db,
                waterbody_id=waterbody["id"],
                kind=kind,
                rubric_id=rubric.id,
                rubric_version=rubric.version,
                answers=answers,
                scored=scored,
                user=actor(),
                ip=client_ip(),
                submit=wants_submit,
            )
        except assessments.Conflict as e:
            existing = e.current
            if not (_is_untouched(existing) and existing["rubric_id"] == rubric.id):
                raise
            # the open one was only ever opened: these answers go into it
            assessment_id = existing["id"]
            assessments.save(
                db,
                assessment_id,
                expected_version=1,
                action=action,
                answers=answers,
                scored=scored,
                user=actor(),
                ip=client_ip(),
            )
        _keep_survey_note(assessment_id, rubric, survey_source, answers, form)
        return _saved_answer(assessment_id, action)

    try:
        answer, _again = _run_once(key, create)
    except idempotency.KeyReused:
        return keys.key_error_page(reused=True)
    except assessments.Conflict as e:
        existing = e.current
        if (
            workflow.edit_action(existing["status"], current_user.role) == "save"
            and existing["rubric_id"] == rubric.id
        ):
            return _conflict_view(existing, rubric, form, answers, errors, preview, {"gates": {}})
        label = workflow.STATUS_LABELS.get(existing["status"], existing["status"])
        flash(
            gettext(
                "该河湖已有一份「%(status)s」的同类评估（#%(id)s），不能再新建；"
                "您填写的内容尚未保存，仍在下方。",
                status=gettext(label),
                id=existing["id"],
            ),
            "error",
        )
        return _render_form(blank, rubric, form, preview, {}), 409
    return keys.redirect_response(answer)


def _saved_answer(assessment_id: int, action: str) -> Answer:
    if action == "submit":
        return keys.redirect_answer(
            url_for("inspect.assessment_view", assessment_id=assessment_id),
            N_("已提交，等待市级审核。"),
            status=302,
        )
    return keys.redirect_answer(
        url_for("inspect.assessment_edit", assessment_id=assessment_id),
        N_("草稿已保存。") if action == "save" else N_("已更正答案并重新计分。"),
    )


def _score_form(rubric, form):
    """Read the form into answers; score them fully if complete, else preview what we can."""
    answers, errors = answers_from_form(rubric, form)
    preview = scoring.preview(rubric, answers)
    errors = preview.errors | errors
    return answers, errors, preview


def _typed_errors(form, errors: dict[str, str]) -> dict[str, str]:
    """The errors about something typed. "Please fill in" for a field not reached yet waits for
    submit: a half-typed draft should not shout about the rest of the form."""
    kept = {}
    for path, message in errors.items():
        field = form._fields.get(field_name(path))
        typed = (
            field is None or not isinstance(field.data, str | None) or (field.data or "").strip()
        )
        if typed:
            kept[path] = message
    return kept


def _attach_errors(form, errors: dict[str, str]) -> None:
    for path, message in errors.items():
        field = form._fields.get(field_name(path)) or form._fields.get(path.split(".")[0])
        if field is None and path.split(".")[0] in form._fields:
            field = form._fields[path.split(".")[0]]
        if field is not None:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]


def _resolved_formdata(rubric, assessment) -> MultiDict:
    """The posted form, with the answers chosen as "theirs" in the conflict view taken from the
    version that view compared with (only if it is still the current one)."""
    formdata = request.form
    if request.form.get("resolve_version") != str(assessment["version"]):
        return formdata
    codes = [c for c, _name in answer_codes(rubric) if request.form.get(f"resolve_{c}") == "theirs"]
    if not codes:
        return formdata
    form = form_class(rubric)(formdata=None, meta={"csrf": False})
    return take_theirs(rubric, form, formdata, assessment["answers"], codes)


@bp.route("/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
@login_required
def assessment_edit(assessment_id: int):
    db = store.get_db()
    assessment = load_assessment(assessment_id, result=False)
    key = prior = None
    if request.method == "POST":
        # after loading the assessment: a state that shows a keyed write shows its key too
        key, prior = keys.page_replay(db, current_user.id)
        if prior and prior.location and prior.status in (302, 303):
            return keys.redirect_response(prior)
    action = workflow.edit_action(assessment["status"], current_user.role)
    if action is None:
        if request.method == "POST" and (
            request.form.get("action") == "submit" and assessment["status"] == "submitted"
        ):
            # the second click of a double submit: the browser shows this answer, not the first
            flash(gettext("已提交，等待市级审核。"), "success")
        elif request.method == "POST":
            flash(gettext("该评估当前不能修改。"), "error")
        return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id))
    rubric = rubric_of(assessment)
    Form = form_class(rubric)
    if request.method == "GET":
        answers = assessment["answers"]
        if action == "save":  # an inspector's open form: a closed survey pre-fills A20
            answers = _with_survey(rubric, assessment["waterbody_id"], answers)
        data = form_data_from_answers(rubric, answers) | _survey_notes(rubric, assessment["id"])
        form = bound_form(Form, data=data | {"version": assessment["version"]})
        preview = scoring.preview(rubric, answers)
        return _render_form(assessment, rubric, form, preview, {})

    # No form.validate(): it would only check the CSRF token again, which CSRFProtect did
    # before this view (views/auth.py); the answers are checked by scoring below.
    form = bound_form(Form, formdata=_resolved_formdata(rubric, assessment))
    answers, errors, preview = _score_form(rubric, form)
    survey_source, note_errors = _survey_note_check(
        rubric, assessment["waterbody_id"], answers, form
    )
    errors |= note_errors
    if prior:  # the repeat of a save that was answered with the form (marked errors)
        return _shown_again(assessment, rubric, form, preview, errors, prior)
    wants_submit = request.form.get("action") == "submit" and action == "save"
    scored = None
    if not errors and not preview.missing:
        scored = preview.result.to_dict()  # the full result, as scoring.score gives it
    try:
        version = int(form.version.data or 0)
    except ValueError:
        version = 0
    refused = None
    # a submit, and a reviewer's correction of a submitted assessment, must leave it complete
    if (wants_submit or action == "correct") and (errors or preview.missing):
        missing = {code: missing_answer(rubric, code) for code in preview.missing}
        refused = missing | errors
        if action == "correct":
            _attach_errors(form, refused)
            flash(gettext("更正未保存：还有 %(n)s 处需要填写或更正。", n=len(refused)), "error")
            return _render_form(assessment, rubric, form, preview, refused), 422
    typed = _typed_errors(form, errors)
    unreadable = [path for path in typed if not _given(answers, path)]

    def save() -> Answer:
        updated = assessments.save(
            db,
            assessment_id,
            expected_version=version,
            action="submit" if wants_submit and not refused else action,
            answers=answers,
            scored=scored,
            user=actor(),
            ip=client_ip(),
        )
        _keep_survey_note(assessment_id, rubric, survey_source, answers, form)
        if wants_submit and not refused:
            return _saved_answer(assessment_id, "submit")
        # what could not be read as a value at all (e.g. "abc") is not in the answers: say so
        unread = gettext("无法识别的内容未保存，仍在下方标出。") if unreadable else ""
        if refused:
            # nothing typed is lost: it is kept as a draft, and the page says so
            message = gettext(
                "未提交：还有 %(n)s 处需要填写或更正。已填写的内容已保存为草稿（第 %(v)s 版）。",
                n=len(refused),
                v=updated["version"],
            )
            return _form_answer(422, assessment_id, message + unread, "error", updated["version"])
        if typed:
            # saved, but what was typed wrongly is shown again, marked, rather than lost
            message = gettext("草稿已保存；标出的字段有误，提交前请更正。")
            return _form_answer(200, assessment_id, message + unread, "warning", updated["version"])
        # Post/Redirect/Get: nothing typed needs showing again, so the page comes from the
        # database (hidden version included) and a refresh does not post the form again
        return _saved_answer(assessment_id, action)

    try:
        answer, _again = _run_once(key, save)
    except idempotency.KeyReused:
        return keys.key_error_page(reused=True)
    except assessments.Conflict as e:
        base = assessments.answers_at(db, assessment_id, version) if version else None
        return _conflict_view(e.current, rubric, form, answers, errors, preview, base, version)
    except workflow.TransitionError as e:
        flash(str(e), "error")
        return redirect(url_for("inspect.assessment_view", assessment_id=assessment_id))
    if answer.status in (302, 303):
        return keys.redirect_response(answer)
    return _shown_again(assessment, rubric, form, preview, refused or errors, answer)


def _given(answers: dict, path: str) -> bool:
    """Is there a value at this answers path ("A4", "A3.tp", "A14.points")?"""
    value = answers
    for part in path.split("."):
        if not isinstance(value, dict) or value.get(part) is None:
            return False
        value = value[part]
    return True


def _form_answer(status: int, assessment_id: int, message: str, category: str, version: int):
    """A save answered with the form itself (errors marked): remembered as its message and the
    version it made; a repeat shows the same form again from the same posted fields."""
    body = json.dumps({"flash": [message, category], "version": version}, ensure_ascii=False)
    return Answer(status, url_for("inspect.assessment_edit", assessment_id=assessment_id), body)


def _shown_again(assessment, rubric, form, preview, errors, answer: Answer):
    extra = keys.answer_extra(answer)
    errors = errors if answer.status == 422 else _typed_errors(form, errors)
    if answer.status == 422:
        missing = {code: missing_answer(rubric, code) for code in preview.missing}
        errors = missing | errors
    _attach_errors(form, errors)
    flash(*extra["flash"])
    form.version.data = extra["version"]
    current = assessments.get(store.get_db(), assessment["id"]) or assessment
    return _render_form(current, rubric, form, preview, errors), answer.status


def _conflict_view(current, rubric, form, answers, errors, preview, base, version=None):
    """409: someone saved first. Per answer that differs, both values side by side and a choice
    (mine / theirs); the form keeps what this user typed and saves against the current version."""
    _attach_errors(form, _typed_errors(form, errors))
    if version:
        message = gettext(
            "该评估已被他人修改（您编辑的是第 %(mine)s 版，当前为第 %(current)s 版）。"
            "请在下方逐项选择保留您的填写还是当前内容，然后重新保存。",
            mine=version,
            current=current["version"],
        )
    else:
        message = gettext(
            "该河湖已有一份未完成的同类评估（#%(id)s，第 %(current)s 版）。"
            "请在下方逐项选择保留您的填写还是已有内容，然后保存到这份评估。",
            id=current["id"],
            current=current["version"],
        )
    flash(message, "error")
    # the hidden version becomes the current one: saving after choosing is deliberate
    form.version.data = current["version"]
    diffs = differences(rubric, answers, current["answers"], base)
    return (
        _render_form(
            current,
            rubric,
            form,
            preview,
            _typed_errors(form, errors),
            conflict=current,
            differences=diffs,
        ),
        409,
    )


def _render_form(assessment, rubric, form, preview, errors, conflict=None, differences=()):
    new = assessment["id"] is None
    if new:
        action_url = url_for("inspect.assessment_create", waterbody_id=assessment["waterbody_id"])
        open_one = assessments.open_for(
            store.get_db(), assessment["waterbody_id"], assessment["kind"]
        )
    else:
        action_url = url_for("inspect.assessment_edit", assessment_id=assessment["id"])
        open_one = None
    return render_template(
        "inspect/form.html",
        assessment=assessment,
        rubric=rubric,
        form=form,
        preview=preview,
        errors=errors,
        conflict=conflict,
        differences=differences,
        new=new,
        action_url=action_url,
        open_one=open_one,
        attachments=[] if new else assessments.attachments(store.get_db(), assessment["id"]),
        fields_html=fields_html(
            rubric, form, preview, assessment, beside=_survey_beside(rubric, form, assessment)
        ),
        form_texts=language_partial("inspect/_form_texts.html"),
        evidence_options=language_partial("inspect/_evidence_options.html", rubric),
    )


@bp.post("/assessments/<int:assessment_id>/preview")
@login_required
def assessment_preview(assessment_id: int):
    """Running subtotals while typing: scores what can be scored, never writes."""
    assessment = load_assessment(assessment_id)
    rubric = rubric_of(assessment)
    form = bound_form(form_class(rubric), formdata=request.form)
    _answers, errors, preview = _score_form(rubric, form)
    body = preview.to_dict()
    body["errors"] = {field_name(k): v for k, v in _typed_errors(form, errors).items()}
    return jsonify(body)


@bp.get("/assessments/<int:assessment_id>")
@login_required
def assessment_view(assessment_id: int):
    return render_result(load_assessment(assessment_id))


@bp.post("/assessments/<int:assessment_id>/attachments")
@login_required
def attachment_upload(assessment_id: int):
    assessment = load_assessment(assessment_id)
    db = store.get_db()
    key, prior = keys.page_replay(db, current_user.id)
    if prior:
        return keys.redirect_response(prior)
    if workflow.edit_action(assessment["status"], current_user.role) is None:
        abort(403)
    rubric = rubric_of(assessment)
    back = url_for("inspect.assessment_edit", assessment_id=assessment_id) + "#evidence"
    indicator = request.form.get("indicator") or None
    upload = request.files.get("file")
    if indicator and indicator not in rubric.indicators:
        flash("证明材料须对应一个有效的指标", "error")
        return redirect(back)
    if upload is None or not upload.filename:
        flash("请选择要上传的文件（照片或 PDF）", "error")
        return redirect(back)
    content = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        flash("文件过大：单个文件不能超过 8 MB", "error")
        return redirect(back)
    kind = next((t for t, (_ext, magic) in UPLOAD_TYPES.items() if content.startswith(magic)), None)
    if kind is None:
        # the bytes decide, not the file name or the browser's claim
        flash("只能上传 JPEG、PNG 照片或 PDF 文件", "error")
        return redirect(back)
    # where and when the phone says the photo was taken (read before it compressed the photo)
    photo = kind != "application/pdf"
    metadata, metadata_errors = photo_metadata(request.form) if photo else ({}, {})
    if metadata_errors:
        flash(gettext(next(iter(metadata_errors.values()))), "error")
        return redirect(back)
    digest = hashlib.sha256(content).hexdigest()
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{digest[:16]}-{secrets.token_hex(4)}{UPLOAD_TYPES[kind][0]}"
    (folder / stored_name).write_bytes(content)
    filename = assessments.clean_filename(upload.filename[:1000])

    def add() -> Answer:
        assessments.add_attachment(
            db,
            {
                "assessment_id": assessment_id,
                "indicator": indicator,
                "filename": filename,
                "stored_name": stored_name,
                "sha256": digest,
                "content_type": kind,
                "size": len(content),
            }
            | metadata,
            user=actor(),
            ip=client_ip(),
            max_files=current_app.config["EVIDENCE_FILES_PER_ASSESSMENT"],
            max_bytes=current_app.config["EVIDENCE_BYTES_PER_ASSESSMENT"],
        )
        return keys.redirect_answer(back, N_("已上传「%(name)s」"), status=302, name=filename)

    try:
        answer, again = _run_once(key, add)
    except idempotency.KeyReused:
        (folder / stored_name).unlink(missing_ok=True)
        return keys.key_error_page(reused=True)
    except assessments.AttachmentLimit as e:
        (folder / stored_name).unlink(missing_ok=True)
        flash(e.message, "error")
        return redirect(back)
    except BaseException:
        (folder / stored_name).unlink(missing_ok=True)  # no file without its row
        raise
    if again:  # a racing repeat was applied first: its file is the one kept
        (folder / stored_name).unlink(missing_ok=True)
    return keys.redirect_response(answer)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment_download(attachment_id: int):
    row = assessments.attachment(store.get_db(), attachment_id)
    if row is None:
        abort(404)
    load_assessment(row["assessment_id"])  # district scoping: 404 outside the user's district
    response = send_from_directory(
        current_app.config["UPLOAD_FOLDER"],
        row["stored_name"],
        mimetype=row["content_type"],
        download_name=row["filename"],
        as_attachment=row["content_type"] == "application/pdf",
    )
    # the type was decided from the bytes at upload; browsers must not second-guess it
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(_error):
    """A body over MAX_CONTENT_LENGTH is refused before it is read (even before the CSRF check):
    an evidence upload goes back to the form with the same message as an 8 MB+ file."""
    if request.endpoint == "inspect.attachment_upload" and request.view_args:
        flash("文件过大：单个文件不能超过 8 MB", "error")
        back = url_for("inspect.assessment_edit", assessment_id=request.view_args["assessment_id"])
        return redirect(back + "#evidence")
    return render_error(RequestEntityTooLarge())
