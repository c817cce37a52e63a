"""The satisfaction survey (A20): administrators open, print and close a survey; the public
answers on a phone without signing in; reviewers and administrators read the results.

The answer page keeps abuse out with four rules (store/surveys.py counts each refusal):
- one response per device: a random cookie set with the form;
- a rate limit per address (store.surveys.ADDRESS_LIMIT valid answers an hour);
- a honeypot: a text box hidden from people (CSS), which programs that fill every field fill;
- a minimum answering time: the form carries a signed stamp of when it was shown, and an answer
  sooner than SURVEY_MIN_SECONDS after it is refused (a person needs longer to read it).
The signed form also binds the answer to the device cookie, which makes it the CSRF check
(nobody signs in here, so there is no session to protect).
"""

from __future__ import annotations

import secrets

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup

from happy_rivers import clock, store
from happy_rivers.scoring import survey as rules
from happy_rivers.store import surveys, waterbodies

from .auth import actor, client_ip, csrf, roles_required

bp = Blueprint("survey", __name__)

DEVICE_COOKIE = "hr_survey_device"
DEVICE_COOKIE_DAYS = 400
MIN_SECONDS = 5  # default of SURVEY_MIN_SECONDS
HONEYPOT = "website"  # the hidden field's name: a word a form-filling program will fill


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="survey-answer")


def _hash(value: str) -> str:
    return surveys.keyed_hash(current_app.config["SECRET_KEY"], value)


def _min_seconds() -> int:
    return int(current_app.config.get("SURVEY_MIN_SECONDS", MIN_SECONDS))


# --- public: answering ----------------------------------------------------------------------


def _survey_or_404(token: str) -> dict:
    survey = surveys.by_token(store.get_db(), token) if len(token) <= 40 else None
    if survey is None:
        abort(404)
    return survey


def _render_answer(survey: dict, device: str, *, values=None, errors=None, status=200):
    answerable = surveys.is_answerable(survey, clock.today())
    issued = clock.utc_now().timestamp()
    form_token = _serializer().dumps({"s": survey["id"], "d": device, "t": issued})
    response = make_response(
        render_template(
            "survey/answer.html",
            survey=survey,
            answerable=answerable,
            overall=rules.OVERALL,
            visits=rules.VISITS,
            form_token=form_token,
            values=values or {},
            errors=errors or {},
            honeypot=HONEYPOT,
            min_seconds=_min_seconds(),
            max_comment=rules.MAX_COMMENT,
        ),
        status,
    )
    _keep_device(response, device)
    # the form carries a token bound to this device: never kept by a cache for another visitor
    response.headers["Cache-Control"] = "no-store"
    return response


def _keep_device(response, device: str) -> None:
    if request.cookies.get(DEVICE_COOKIE) != device:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_COOKIE_DAYS * 86400,
            path="/s/",
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("HTTPS")),
        )


def _device() -> str:
    raw = request.cookies.get(DEVICE_COOKIE, "")
    return raw if 16 <= len(raw) <= 64 and raw.isascii() else secrets.token_urlsafe(18)


@bp.get("/s/<token>")
def answer(token: str):
    survey = _survey_or_404(token)
    return _render_answer(survey, _device())


@bp.post("/s/<token>")
@csrf.exempt  # the signed form token bound to the device cookie is the check (module doc)
def answer_post(token: str):
    survey = _survey_or_404(token)
    db = store.get_db()
    form = request.form
    values = {
        "overall": (form.get("overall") or "").strip(),
        "visits": (form.get("visits") or "").strip(),
        "comment": (form.get("comment") or "").strip(),
    }
    device = request.cookies.get(DEVICE_COOKIE, "")
    try:
        signed = _serializer().loads(form.get("form_token") or "")
        fresh = signed["s"] == survey["id"] and signed["d"] == device and device
        issued = float(signed["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        fresh, issued = False, 0.0
    if not fresh:
        # an old page, a blocked cookie or a forged post: counted, and the form shown afresh
        surveys.refuse(db, survey["id"], "form")
        flash(gettext("页面已过期，请重新选择后提交。"), "error")
        return _render_answer(survey, _device(), values=values, status=400)
    if form.get(HONEYPOT):
        surveys.refuse(db, survey["id"], "honeypot")
        # answered like a success: a program learns nothing from the refusal
        return redirect(url_for("survey.thanks", token=token), 303)
    elapsed = clock.utc_now().timestamp() - issued
    if elapsed < _min_seconds():
        surveys.refuse(db, survey["id"], "too_fast")
        flash(gettext("提交得太快了，请确认您的选择后再次提交。"), "error")
        return _render_answer(survey, device, values=values, status=422)
    errors = {}
    if values["overall"] not in rules.WEIGHTS:
        errors["overall"] = gettext("请选择您对这条河湖的总体满意程度")
    if values["visits"] and values["visits"] not in {o.code for o in rules.VISITS}:
        errors["visits"] = gettext("请从选项中选择来访频率")
    if len(values["comment"]) > rules.MAX_COMMENT:
        errors["comment"] = gettext("意见和建议不能超过 %(n)s 个字", n=rules.MAX_COMMENT)
    if errors:
        return _render_answer(survey, device, values=values, errors=errors, status=422)
    refused = surveys.respond(
        db,
        survey["id"],
        overall=values["overall"],
        visits=values["visits"] or None,
        comment=values["comment"] or None,
        device=_hash(device),
        address=_hash(client_ip() or "unknown"),
        seconds=int(elapsed),
    )
    if refused == "device":
        return render_template("survey/done.html", survey=survey, already=True), 409
    if refused == "address":
        message = gettext("该网络提交次数过多，请稍后再试。")
        return render_template("survey/done.html", survey=survey, message=message), 429
    if refused == "closed":
        return _render_answer(survey, device), 409
    return redirect(url_for("survey.thanks", token=token), 303)


@bp.get("/s/<token>/thanks")
def thanks(token: str):
    survey = _survey_or_404(token)
    return render_template("survey/done.html", survey=survey, already=False)


# --- administrators and reviewers -----------------------------------------------------------


@bp.get("/admin/surveys")
@roles_required("admin")
def surveys_page():
    return _surveys_page({}, {})


def _surveys_page(values: dict, errors: dict, status: int = 200):
    db = store.get_db()
    return (
        render_template(
            "survey/list.html",
            surveys=surveys.list_surveys(db),
            waterbodies=waterbodies.list_waterbodies(db, sort="name"),
            values=values,
            errors=errors,
            today=clock.today(),
        ),
        status,
    )


@bp.post("/admin/surveys")
@roles_required("admin")
def survey_open():
    db = store.get_db()
    values = {
        k: (request.form.get(k) or "").strip() for k in ("waterbody", "opens_on", "closes_on")
    }
    chosen = values["waterbody"]
    # an id that long is no waterbody's (and would overflow SQLite's integers)
    waterbody = waterbodies.get(db, int(chosen)) if chosen.isdigit() and len(chosen) < 10 else None
    if waterbody is None:
        return _surveys_page(values, {"waterbody": gettext("请选择河湖")}, 422)
    try:
        survey_id = surveys.open_survey(
            db,
            waterbody["id"],
            values["opens_on"],
            values["closes_on"],
            actor=actor(),
            ip=client_ip(),
        )
    except surveys.SurveyError as e:
        return _surveys_page(values, e.errors, 422)
    flash(gettext("调查已开启：请打印二维码标牌，放在河湖现场。"), "success")
    return redirect(url_for("survey.results", survey_id=survey_id), 303)


def _survey_for_staff(survey_id: int) -> dict:
    survey = surveys.get(store.get_db(), survey_id)
    if survey is None:
        abort(404)
    return survey


def answer_url(survey: dict) -> str:
    """The link people open from the QR code: absolute, on this site's address."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    path = url_for("survey.answer", token=survey["token"])
    return (
        base.rstrip("/") + path
        if base
        else url_for("survey.answer", token=survey["token"], _external=True)
    )


@bp.get("/surveys/<int:survey_id>")
@roles_required("admin", "reviewer")
def results(survey_id: int):
    db = store.get_db()
    survey = _survey_for_staff(survey_id)
    summary = surveys.summary(db, survey_id)
    return render_template(
        "survey/results.html",
        survey=survey,
        summary=summary,
        a20=rules.a20_answer(summary.sample_size, summary.rate),
        visits=surveys.visits(db, survey_id),
        visit_options=rules.VISITS,
        refusals=surveys.refusals(db, survey_id),
        refusal_labels=rules.REFUSALS,
        # free text may carry a visitor's name or phone number: administrators only
        comments=surveys.comments(db, survey_id) if current_user.role == "admin" else None,
        link=answer_url(survey),
        labels={o.code: o.label for o in rules.OVERALL},
    )


@bp.post("/surveys/<int:survey_id>/close")
@roles_required("admin")
def close(survey_id: int):
    survey = _survey_for_staff(survey_id)
    try:
        closed = surveys.close_survey(store.get_db(), survey["id"], actor=actor(), ip=client_ip())
    except surveys.SurveyError as e:
        flash(next(iter(e.errors.values())), "error")
        return redirect(url_for("survey.results", survey_id=survey_id))
    flash(
        gettext(
            "调查已结束：有效样本 %(n)s 份，满意率 %(rate)s%%。该河湖未完成或下一份评估的"
            "「公众总体满意度」将预填此结果。",
            n=closed["sample_size"],
            rate=closed["rate"] if closed["rate"] is not None else "—",
        ),
        "success",
    )
    return redirect(url_for("survey.results", survey_id=survey_id), 303)


@bp.get("/surveys/<int:survey_id>/sign")
@roles_required("admin")
def sign(survey_id: int):
    """An A4 sign for the riverside: the waterbody's name, the QR code and the link."""
    survey = _survey_for_staff(survey_id)
    link = answer_url(survey)
    # error correction M: the sign survives some dirt and glare; SVG stays sharp at any size
    qr = segno.make(link, error="m")
    svg = qr.svg_inline(scale=10, border=2, omitsize=True, svgclass="qr", title=link)
    return render_template("survey/sign.html", survey=survey, link=link, qr=Markup(svg))
