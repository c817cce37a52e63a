"""The in-app inbox (通知): every signed-in user's notifications, the unread count in the
header, marking read, and the address e-mail copies go to.

The notifications themselves are written by the store writes that cause them
(store/notifications.py); this module only shows them.
"""

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from happy_rivers import store
from happy_rivers.mail import mailer
from happy_rivers.store import notifications

from .auth import actor, client_ip

bp = Blueprint("inbox", __name__)

# one address, no spaces or line breaks (it goes into a mail header)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


SCHEDULE_KINDS = {
    "recheck_due_soon",
    "recheck_overdue",
    "rectification_due_soon",
    "rectification_overdue",
}


def target(row: dict) -> str:
    """Where a notification leads: the expert's scoring form, the assessment, or the inbox."""
    if row["kind"] == "panel_named" and row["assessment_id"]:
        return url_for("panel.score", assessment_id=row["assessment_id"])
    if row["kind"] in SCHEDULE_KINDS and row["waterbody_id"]:
        # the waterbody's page carries its schedule markers
        return url_for("inspect.waterbody_detail", waterbody_id=row["waterbody_id"])
    if row["assessment_id"]:
        return url_for("inspect.assessment_view", assessment_id=row["assessment_id"])
    if row["kind"] == "notice_ended" and current_user.role == "admin":
        # the 公示 pages are another area's; link to them once they exist
        for endpoint in ("publicity.batch", "publicity.admin_batch"):
            if endpoint in current_app.view_functions:
                return url_for(endpoint, batch_id=row["params"].get("batch_id"))
    return url_for("inbox.inbox")


def _page(email_error: str | None = None, email_value: str | None = None):
    db = store.get_db()
    unread_only = request.args.get("unread") == "1"
    rows = notifications.inbox(db, current_user.id, unread_only=unread_only)
    for row in rows:
        row["text"] = notifications.text(row, gettext)
    return render_template(
        "inbox/inbox.html",
        rows=rows,
        unread_only=unread_only,
        unread=notifications.unread_count(db, current_user.id),
        email=email_value
        if email_value is not None
        else notifications.email_of(db, current_user.id) or "",
        email_error=email_error,
        mail_on=mailer(current_app) is not None,
        limit=notifications.INBOX_LIMIT,
    )


@bp.get("/inbox")
@login_required
def inbox():
    return _page()


@bp.get("/inbox/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Mark one read and go where it points (a link in the inbox or in an e-mail)."""
    db = store.get_db()
    row = notifications.get(db, notification_id, current_user.id)
    if row is None:
        abort(404)
    notifications.mark_read(db, current_user.id, [notification_id])
    return redirect(target(row))


@bp.post("/inbox/read")
@login_required
def mark_read():
    """Mark the ticked notifications read, or all of them (`all`)."""
    db = store.get_db()
    if request.form.get("all"):
        notifications.mark_read(db, current_user.id)
    else:
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        notifications.mark_read(db, current_user.id, ids)
    return redirect(url_for("inbox.inbox"), 303)


@bp.post("/inbox/email")
@login_required
def email():
    value = (request.form.get("email") or "").strip()
    if value and (len(value) > notifications.EMAIL_MAX or not EMAIL.match(value)):
        return _page(gettext("通知邮箱格式不正确，例如 name@example.com"), value), 422
    notifications.set_email(store.get_db(), actor(), value or None, ip=client_ip())
    flash(gettext("已保存通知邮箱。") if value else gettext("已取消邮件通知。"), "success")
    return redirect(url_for("inbox.inbox"), 303)
