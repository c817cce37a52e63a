"""The waterbody registry: administrators create, edit and bulk-import waterbodies; everyone
signed in exports the registry they can read (inspectors: their district's, including the
cross-boundary rivers that run through it). Also the `import-waterbodies` command.

Rules live in store.waterbodies.clean (one place for the form, the API and the files); the file
format in forms.waterbody_file; the all-or-nothing import in store.registry.
"""

import hashlib
import secrets
import time
from pathlib import Path

import click
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.cli import with_appcontext
from flask_babel import gettext
from flask_login import current_user, login_required

from happy_rivers import store
from happy_rivers.forms import waterbody_file
from happy_rivers.store import registry, waterbodies

from .auth import actor, client_ip, roles_required
from .downloads import XLSX_MIMETYPE

bp = Blueprint("registry", __name__, cli_group=None)


FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_MIMETYPE}
# An uploaded file waits here, under the upload folder, between the preview and the commit
# (named by a random token; the commit deletes it).
PENDING_DIR = "pending-imports"
PENDING_SECONDS = 24 * 3600


def _form_values(form) -> dict:
    values = {k: form.get(k, "") for k in waterbodies.FIELDS if k != "through"}
    values["through"] = form.getlist("through")
    return values


def _values_of(row: dict) -> dict:
    values = {k: row.get(k) for k in waterbodies.FIELDS}
    values["district"] = row["district_code"]
    values["through"] = row["through"]
    return values


def _render_form(values: dict, errors: dict, waterbody: dict | None = None, status: int = 200):
    return (
        render_template(
            "registry/form.html",
            values=values,
            errors=errors,
            waterbody=waterbody,
            districts=waterbodies.districts(store.get_db()),
            levels=waterbodies.LEVELS,
            bounds=waterbodies.BOUNDS,
        ),
        status,
    )


@bp.get("/admin/waterbodies/new")
@roles_required("admin")
def waterbody_new():
    return _render_form({"kind": "river", "level": "区县级", "status": "building"}, {})


@bp.post("/admin/waterbodies/new")
@roles_required("admin")
def waterbody_create():
    values = _form_values(request.form)
    try:
        waterbody_id = waterbodies.create(store.get_db(), values, actor=actor(), ip=client_ip())
    except waterbodies.WaterbodyError as e:
        flash(gettext("河湖未保存：请更正标出的字段。"), "error")
        return _render_form(values, e.errors, status=422)
    flash(gettext("已新增河湖「%(name)s」。", name=values["name"].strip()), "success")
    return redirect(url_for("inspect.waterbody_detail", waterbody_id=waterbody_id), 303)


def _load(waterbody_id: int) -> dict:
    row = waterbodies.get(store.get_db(), waterbody_id)
    if row is None:
        abort(404)
    return row


@bp.get("/admin/waterbodies/<int:waterbody_id>/edit")
@roles_required("admin")
def waterbody_edit(waterbody_id: int):
    row = _load(waterbody_id)
    return _render_form(_values_of(row), {}, row)


@bp.post("/admin/waterbodies/<int:waterbody_id>/edit")
@roles_required("admin")
def waterbody_update(waterbody_id: int):
    row = _load(waterbody_id)
    values = _form_values(request.form)
    try:
        waterbodies.update(store.get_db(), waterbody_id, values, actor=actor(), ip=client_ip())
    except waterbodies.WaterbodyError as e:
        flash(gettext("修改未保存：请更正标出的字段。"), "error")
        return _render_form(values, e.errors, row, status=422)
    flash(gettext("已保存河湖信息。"), "success")
    return redirect(url_for("inspect.waterbody_detail", waterbody_id=waterbody_id), 303)


# --- bulk import ---------------------------------------------------------------------------


def _pending(token: str) -> Path:
    # the token is ours (hex); anything else never reaches the file system
    if not (len(token) == 32 and all(c in "0123456789abcdef" for c in token)):
        abort(404)
    return Path(current_app.config["UPLOAD_FOLDER"]) / PENDING_DIR / f"{token}.upload"


def _render_import(report=None, token=None, file_error=None, filename=None, status=200):
    return (
        render_template(
            "registry/import.html",
            report=report,
            token=token,
            file_error=file_error,
            filename=filename,
            labels=waterbody_file.FIELD_LABELS,
            columns=waterbody_file.COLUMNS,
        ),
        status,
    )


@bp.get("/admin/waterbodies/import")
@roles_required("admin")
def import_page():
    return _render_import()


@bp.post("/admin/waterbodies/import")
@roles_required("admin")
def import_preview():
    """Check the uploaded file and show what an import would do; nothing is written yet."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        message = gettext("请选择要导入的 Excel（.xlsx）或 CSV 文件")
        return _render_import(file_error=message, status=422)
    content = upload.read()
    try:
        rows = waterbody_file.read(content)
    except waterbody_file.FileError as e:
        return _render_import(file_error=str(e), filename=upload.filename, status=422)
    report = registry.import_rows(store.get_db(), rows, dry_run=True)
    token = None
    if report.ok and report.created:
        token = secrets.token_hex(16)
        path = _pending(token)
        path.parent.mkdir(parents=True, exist_ok=True)
        _forget_stale(path.parent)
        path.write_bytes(content)
    return _render_import(report, token, filename=upload.filename, status=200 if report.ok else 422)


def _forget_stale(folder: Path) -> None:
    """Previews never confirmed are dropped after a day, so they cannot pile up."""
    cutoff = time.time() - PENDING_SECONDS
    for old in folder.glob("*.upload"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


@bp.post("/admin/waterbodies/import/<token>")
@roles_required("admin")
def import_commit(token: str):
    """Import the previewed file: checked again, then every new row or none."""
    path = _pending(token)
    if not path.exists():
        flash(gettext("该导入已完成或已过期，请重新上传文件。"), "error")
        return redirect(url_for("registry.import_page"))
    content = path.read_bytes()
    try:
        rows = waterbody_file.read(content)
    except waterbody_file.FileError as e:  # cannot happen to a file that passed the preview
        return _render_import(file_error=str(e), status=422)
    source = f"upload sha256:{hashlib.sha256(content).hexdigest()[:16]}"
    report = registry.import_rows(
        store.get_db(), rows, actor=actor(), ip=client_ip(), source=source
    )
    if not report.ok:  # the registry changed between preview and commit
        return _render_import(report, status=422)
    path.unlink(missing_ok=True)
    flash(
        gettext(
            "已导入 %(new)s 条河湖；%(dup)s 条已存在，未重复导入。",
            new=len(report.created),
            dup=len(report.duplicates),
        ),
        "success",
    )
    return redirect(url_for("inspect.waterbody_list"), 303)


@bp.get("/admin/waterbodies/template.<fmt>")
@roles_required("admin")
def import_template(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    if fmt == "xlsx":
        body = waterbody_file.write_xlsx([], notes=True)
    else:
        body = waterbody_file.write_csv([])
    return _download(body, fmt, "河湖名录导入模板")


# --- export (the same format: an export imports back unchanged) -----------------------------


@bp.get("/waterbodies/export.<fmt>")
@login_required
def export(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    rows = waterbodies.list_waterbodies(store.get_db(), district=current_user.scope)
    if fmt == "xlsx":
        body = waterbody_file.write_xlsx(rows)
    else:
        body = waterbody_file.write_csv(rows)
    return _download(body, fmt, "河湖名录")


def _download(body: bytes, fmt: str, stem: str) -> Response:
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers.set("Content-Disposition", "attachment", filename=f"{stem}.{fmt}")
    return response


# --- command line --------------------------------------------------------------------------


@bp.cli.command("import-waterbodies")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@with_appcontext
def import_command(path: str, dry_run: bool) -> None:
    """Import waterbodies from an XLSX or CSV file (the template's columns); all rows or none.

    Exit 0 with the counts; exit 2 with every bad row and field, nothing written.
    """
    db = store.get_db()
    store.migrate(db)
    try:
        rows = waterbody_file.read(Path(path).read_bytes())
    except waterbody_file.FileError as e:
        click.echo(f"{path}：{e}", err=True)
        click.echo("未写入任何数据。", err=True)
        raise SystemExit(2) from None
    report = registry.import_rows(db, rows, dry_run=dry_run, source=f"cli {Path(path).name}")
    labels = waterbody_file.FIELD_LABELS
    if not report.ok:
        for number, field, message in report.errors:
            click.echo(f"第 {number} 行 · {labels.get(field, field)}：{message}", err=True)
        click.echo(
            f"{len({n for n, _f, _m in report.errors})} 行有误（共 {report.rows} 行），"
            "未写入任何数据。",
            err=True,
        )
        raise SystemExit(2)
    for number, name, district in report.duplicates:
        click.echo(f"第 {number} 行 · {name}（{district}）已存在，未重复导入")
    verb = "检查通过，未写入（--dry-run）：将新增" if dry_run else "已导入：新增"
    click.echo(
        f"{verb} {len(report.created)} 条；已存在 {len(report.duplicates)} 条；"
        f"共 {report.rows} 行。"
    )
