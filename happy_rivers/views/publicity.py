"""公示 and 命名 pages: administrators build and publish a batch, record objections and their
resolution, and name the batch once its notice is over; anybody reads the open notices at
/public/publicity without signing in.

The rules (who may be listed, when naming is allowed, what it grants) are store/publicity.py's;
the working days are scoring.process's. The API (views/api_publicity.py) calls the same store
functions, so pages and API cannot disagree.
"""

import re
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from happy_rivers import clock, store
from happy_rivers.scoring.process import settings as process_settings
from happy_rivers.store import publicity
from happy_rivers.translations import N_

from .auth import actor, client_ip, roles_required
from .helpers import public_links
from .i18n import kind_labels

bp = Blueprint("publicity", __name__)

CHANNEL_LABELS = {
    "phone": N_("电话"),
    "letter": N_("信函"),
    "email": N_("电子邮件"),
    "visit": N_("来访"),
    "online": N_("网络留言"),
}
STATE_LABELS = {
    "upcoming": N_("待公示"),
    "open": N_("公示中"),
    "ended": N_("公示期满，待命名"),
    "named": N_("已命名"),
}
OUTCOME_LABELS = {"listed": N_("公示中"), "named": N_("已命名"), "removed": N_("已移出")}


def read_date(value, field: str, errors: dict[str, str]) -> date | None:
    """A YYYY-MM-DD date from a form (clock.parse_date, the one reading of a date); a message
    under `field` otherwise."""
    if not (value or "").strip():
        errors[field] = "请填写日期"
        return None
    try:
        day = clock.parse_date(value.strip())
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD"
        return None
    if not 2000 <= day.year <= 2100:
        errors[field] = "日期须在 2000 年至 2100 年之间"
        return None
    return day


def read_int(value: str, field: str, errors: dict[str, str], label: str) -> int | None:
    """A whole number typed into a form field (ASCII digits, at most 9 of them)."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    errors[field] = f"{label}须为整数"
    return None


def announce_ended() -> None:
    """Tell the administrators about notices that have ended (once per batch)."""
    publicity.announce_ended(store.get_db())


# ---------------------------------------------------------------------------------------------
# Administrators


def _index(values: dict | None = None, errors: dict[str, str] | None = None, status: int = 200):
    db = store.get_db()
    return (
        render_template(
            "publicity/index.html",
            batches=publicity.list_batches(db),
            awaiting=publicity.awaiting(db),
            values=values
            or {
                "starts_on": clock.today().isoformat(),
                "working_days": str(process_settings()["publicity"]["working_days"]),
                "contact": "",
                "assessment_ids": [],
            },
            errors=errors or {},
            state_labels=STATE_LABELS,
            max_working_days=publicity.MAX_WORKING_DAYS,
        ),
        status,
    )


@bp.get("/publicity", endpoint="index")
@roles_required("admin")
def index():
    announce_ended()
    return _index()


@bp.post("/publicity", endpoint="create")
@roles_required("admin")
def create():
    errors: dict[str, str] = {}
    raw_ids = request.form.getlist("assessment_ids")
    read = (read_int(v, "assessment_ids", errors, "评估编号") for v in raw_ids)
    ids = [i for i in read if i is not None]
    starts_on = read_date(request.form.get("starts_on"), "starts_on", errors)
    working_days = read_int(request.form.get("working_days", ""), "working_days", errors, "公示期")
    values = {
        "starts_on": request.form.get("starts_on", ""),
        "working_days": request.form.get("working_days", ""),
        "contact": request.form.get("contact", ""),
        "assessment_ids": raw_ids,
    }
    if not errors:
        try:
            batch = publicity.create(
                store.get_db(),
                assessment_ids=ids,
                starts_on=starts_on,
                working_days=working_days,
                contact=values["contact"],
                user=actor(),
                ip=client_ip(),
            )
        except publicity.PublicityError as e:
            errors = e.errors
        else:
            flash(
                gettext(
                    "已发布公示：%(n)s 项，%(starts)s 至 %(ends)s。",
                    n=len(batch["items"]),
                    starts=batch["starts_on"],
                    ends=batch["ends_on"],
                ),
                "success",
            )
            return redirect(url_for("publicity.batch", batch_id=batch["id"]), 303)
    return _index(values, errors, 422)


def _batch(batch_id: int, errors: dict[str, str] | None = None, status: int = 200, **values):
    batch = publicity.get(store.get_db(), batch_id)
    if batch is None:
        abort(404)
    return (
        render_template(
            "publicity/batch.html",
            batch=batch,
            errors=errors or {},
            values=values,
            today=clock.today(),
            state_labels=STATE_LABELS,
            outcome_labels=OUTCOME_LABELS,
            channel_labels=CHANNEL_LABELS,
        ),
        status,
    )


@bp.get("/publicity/<int:batch_id>", endpoint="batch")
@roles_required("admin")
def batch_page(batch_id: int):
    announce_ended()
    return _batch(batch_id)


def _refused(batch_id: int, e: Exception, **values):
    """The answer to a write the batch's state or the input refused: the page again, with the
    message (409) or the messages beside their fields (422); nothing was written."""
    if isinstance(e, publicity.NotFound):
        abort(404)
    if isinstance(e, publicity.PublicityStateError):
        flash(e.message, "error")
        return _batch(batch_id, status=409, **values)
    return _batch(batch_id, e.errors, 422, **values)


@bp.post("/publicity/<int:batch_id>/objections", endpoint="objection_add")
@roles_required("admin")
def objection_add(batch_id: int):
    errors: dict[str, str] = {}
    form = request.form
    values = {k: form.get(k, "") for k in ("received_on", "channel", "content", "assessment_id")}
    received_on = read_date(form.get("received_on"), "received_on", errors)
    about = None
    if form.get("assessment_id"):
        about = read_int(form.get("assessment_id"), "assessment_id", errors, "涉及的河湖")
    try:
        if errors:
            raise publicity.PublicityError(errors)
        publicity.add_objection(
            store.get_db(),
            batch_id,
            received_on=received_on,
            channel=form.get("channel", ""),
            content=form.get("content", ""),
            assessment_id=about,
            resolution=form.get("resolution", ""),
            user=actor(),
            ip=client_ip(),
        )
    except (publicity.PublicityError, publicity.PublicityStateError, publicity.NotFound) as e:
        return _refused(batch_id, e, objection=values)
    flash(gettext("已登记异议。"), "success")
    return redirect(url_for("publicity.batch", batch_id=batch_id, _anchor="objections"), 303)


@bp.post(
    "/publicity/<int:batch_id>/objections/<int:objection_id>/resolution",
    endpoint="objection_resolve",
)
@roles_required("admin")
def objection_resolve(batch_id: int, objection_id: int):
    try:
        publicity.resolve_objection(
            store.get_db(),
            batch_id,
            objection_id,
            resolution=request.form.get("resolution", ""),
            user=actor(),
            ip=client_ip(),
        )
    except publicity.PublicityError as e:
        # keyed by the objection, so the message shows beside its own form
        errors = {f"resolution-{objection_id}": e.errors["resolution"]}
        return _batch(batch_id, errors, 422)
    except (publicity.PublicityStateError, publicity.NotFound) as e:
        return _refused(batch_id, e)
    flash(gettext("已记录异议处理结果。"), "success")
    return redirect(url_for("publicity.batch", batch_id=batch_id, _anchor="objections"), 303)


@bp.post("/publicity/<int:batch_id>/name", endpoint="name")
@roles_required("admin")
def name(batch_id: int):
    errors: dict[str, str] = {}
    form = request.form
    named_on = read_date(form.get("named_on"), "named_on", errors)
    removals: dict[int, str] = {}
    for value in form.getlist("remove"):
        assessment_id = read_int(value, "remove", errors, "移出的项目")
        if assessment_id is not None:
            removals[assessment_id] = form.get(f"reason-{assessment_id}", "")
    values = {
        "named_on": form.get("named_on", ""),
        "remove": form.getlist("remove"),
        "reasons": {k: v for k, v in form.items() if k.startswith("reason-")},
    }
    try:
        if errors:
            raise publicity.PublicityError(errors)
        batch = publicity.name(
            store.get_db(),
            batch_id,
            named_on=named_on,
            removals=removals,
            user=actor(),
            ip=client_ip(),
        )
    except publicity.PublicityError as e:
        # the store names a removal's reason `remove.<id>`; the page's field is reason-<id>
        errors = {re.sub(r"^remove\.(\d+)$", r"reason-\1", k): v for k, v in e.errors.items()}
        return _batch(batch_id, errors, 422, naming=values)
    except (publicity.PublicityStateError, publicity.NotFound) as e:
        return _refused(batch_id, e, naming=values)
    named = sum(1 for i in batch["items"] if i["outcome"] == "named")
    flash(
        gettext(
            "已命名：%(n)s 个河湖自 %(day)s 起为市级幸福河湖。", n=named, day=batch["named_on"]
        ),
        "success",
    )
    return redirect(url_for("publicity.batch", batch_id=batch_id), 303)


# ---------------------------------------------------------------------------------------------
# The public


@bp.get("/public/publicity", endpoint="public")
def public():
    return render_template(
        "publicity/public.html",
        batches=publicity.public_batches(store.get_db()),
        state_labels=STATE_LABELS,
        kind_labels=kind_labels(),
        public_links=public_links(),
    )
