"""Administrators: user accounts (create, deactivate, activate) and the whole audit trail."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from happy_rivers import clock, store
from happy_rivers.forms.auth import ResetPasswordForm, UserEditForm, UserForm
from happy_rivers.store import audit, users, waterbodies
from happy_rivers.translations import N_

from .auth import ROLE_LABELS, actor, client_ip, roles_required
from .helpers import AUDIT_LABELS

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_LIMIT = 200

ENTITY_LABELS = {
    "assessment": "评估",
    "waterbody": "河湖",
    "user": "用户",
    "login": "登录",
    "publicity": N_("公示批次"),
}


def _user_form(formdata=None) -> UserForm:
    form = UserForm(formdata=formdata) if formdata is not None else UserForm()
    form.district.choices = _district_choices()
    return form


def _render_users(form: UserForm, status: int = 200):
    rows = users.list_users(store.get_db())
    return (
        render_template("admin/users.html", rows=rows, form=form, role_labels=ROLE_LABELS),
        status,
    )


@bp.get("/users", endpoint="users")
@roles_required("admin")
def users_page():
    return _render_users(_user_form())


@bp.post("/users")
@roles_required("admin")
def user_create():
    form = _user_form(formdata=request.form)
    if form.validate():
        try:
            users.create(
                store.get_db(),
                form.username.data,
                form.password.data,
                form.role.data,
                form.district.data or None,
                (form.display_name.data or "").strip() or None,
                actor=actor(),
                ip=client_ip(),
            )
        except users.UserError as e:
            for name, message in e.errors.items():
                field = form._fields.get(name)
                if field is not None:
                    field.errors = [*field.errors, gettext(message)]
        else:
            role = ROLE_LABELS[form.role.data]
            flash(f"已创建用户 {form.username.data.strip()}（{role}）", "success")
            return redirect(url_for("admin.users"))
    elif form.csrf_token.errors:
        abort(400)
    elif form.role.data == "inspector" and not form.district.data:
        # store.users.create says this too, but it only runs once the form itself is valid
        form.district.errors = [*form.district.errors, "区县检查员必须绑定一个区县（名称或代码）"]
    flash("用户未创建：请更正标出的字段。", "error")
    return _render_users(form, 422)


def _set_active(user_id: int, active: bool):
    db = store.get_db()
    row = users.get(db, user_id)
    if row is None:
        abort(404)
    if not active and user_id == current_user.id:
        flash("不能停用自己的账号。", "error")
    elif bool(row["active"]) == active:
        flash(f"用户 {row['username']} 已是{'启用' if active else '停用'}状态。", "info")
    else:
        users.set_active(db, user_id, active, actor=actor(), ip=client_ip())
        if active:
            flash(f"已启用用户 {row['username']}。", "success")
        else:
            flash(f"已停用用户 {row['username']}：其登录会话与 API 令牌立即失效。", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
@roles_required("admin")
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/activate")
@roles_required("admin")
def user_activate(user_id: int):
    return _set_active(user_id, True)


def _district_choices() -> list[tuple[str, str]]:
    return [("", gettext("—（审核员、管理员不绑定区县）"))] + [
        (d["code"], d["name"]) for d in waterbodies.districts(store.get_db())
    ]


def _load_user(user_id: int) -> dict:
    row = users.get(store.get_db(), user_id)
    if row is None:
        abort(404)
    return row


def _render_user(row: dict, edit: UserEditForm, reset: ResetPasswordForm, status: int = 200):
    return (
        render_template(
            "admin/user.html", user=row, edit=edit, reset=reset, role_labels=ROLE_LABELS
        ),
        status,
    )


def _edit_form(row: dict | None = None, formdata=None) -> UserEditForm:
    if row is not None:
        form = UserEditForm(formdata=None, role=row["role"], district=row["district_code"] or "")
    else:
        form = UserEditForm(formdata=formdata)
    form.district.choices = _district_choices()
    return form


@bp.get("/users/<int:user_id>")
@roles_required("admin")
def user_page(user_id: int):
    row = _load_user(user_id)
    return _render_user(row, _edit_form(row), ResetPasswordForm(formdata=None))


@bp.post("/users/<int:user_id>")
@roles_required("admin")
def user_update(user_id: int):
    row = _load_user(user_id)
    form = _edit_form(formdata=request.form)
    if not form.validate():
        abort(400)  # the only validator is the CSRF token
    if user_id == current_user.id and form.role.data != "admin":
        # the last word on who administers should not be lost by a slip of the mouse
        form.role.errors = [gettext("不能取消自己的管理员角色")]
    else:
        try:
            users.update(
                store.get_db(),
                user_id,
                form.role.data,
                form.district.data or None,
                actor=actor(),
                ip=client_ip(),
            )
        except users.UserError as e:
            for name, message in e.errors.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(gettext("已更新用户 %(name)s", name=row["username"]), "success")
            return redirect(url_for("admin.users"))
    return _render_user(row, form, ResetPasswordForm(formdata=None), 422)


@bp.post("/users/<int:user_id>/password")
@roles_required("admin")
def user_reset_password(user_id: int):
    row = _load_user(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            users.reset_password(
                store.get_db(), user_id, form.password.data, actor=actor(), ip=client_ip()
            )
        except users.UserError as e:
            form.password.errors = [*form.password.errors, gettext(e.errors["password"])]
        else:
            flash(
                gettext(
                    "已为 %(name)s 设置临时密码：其登录已全部退出，下次登录时须修改密码",
                    name=row["username"],
                ),
                "success",
            )
            return redirect(url_for("admin.users"))
    elif form.csrf_token.errors:
        abort(400)
    return _render_user(row, _edit_form(row), form, 422)


def _parse_day(raw: str, label: str, errors: dict, key: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return clock.parse_date(raw)
    except ValueError:
        errors[key] = f"{label}格式应为 YYYY-MM-DD"
        return None


@bp.get("/audit")
@roles_required("admin")
def audit_page():
    args = request.args
    filters = {
        key: (args.get(key) or "").strip()
        for key in ("action", "username", "entity", "entity_id", "since", "until")
    }
    errors: dict[str, str] = {}
    since = _parse_day(filters["since"], "起始日期", errors, "since")
    until = _parse_day(filters["until"], "截止日期", errors, "until")
    if since and until and since > until:
        errors["until"] = "截止日期不能早于起始日期"
        until = None
    if filters["entity_id"] and not filters["entity"]:
        errors["entity_id"] = "按对象编号筛选时请同时选择对象类型"
    # audit times are stored in UTC; people in Chongqing read and filter them in Beijing time
    since_at = clock.utc_start_of(since) if since else None
    until_at = clock.utc_end_of(until) if until else None  # the end day counts

    db = store.get_db()
    if filters["entity"] and filters["entity_id"]:
        # one object's whole history, oldest first in the store; filtered and newest first here
        rows = [
            r
            for r in audit.history(db, filters["entity"], filters["entity_id"])
            if (not filters["action"] or r["action"] == filters["action"])
            and (not filters["username"] or r["username"] == filters["username"])
            and (not since_at or r["at"] >= since_at)
            and (not until_at or r["at"] < until_at)
        ][::-1][:AUDIT_LIMIT]
    else:
        rows = audit.search(
            db,
            action=filters["action"] or None,
            username=filters["username"] or None,
            entity=filters["entity"] or None,
            since=since_at,
            until=until_at,
            limit=AUDIT_LIMIT,
        )
    return render_template(
        "admin/audit.html",
        rows=rows,
        filters=filters,
        errors=errors,
        limit=AUDIT_LIMIT,
        action_labels=AUDIT_LABELS,
        entity_labels=ENTITY_LABELS,
    )
