"""日程 (schedules): rechecks and rectification deadlines that are overdue or due soon, for
administrators and reviewers (every district) and for each district's inspectors (their own),
with an export and the markers on a waterbody's page. The items come from store/schedule.py."""

from flask import Blueprint, render_template, request
from flask_babel import gettext
from flask_login import current_user

from happy_rivers import clock, store
from happy_rivers.scoring.process import settings as process_settings
from happy_rivers.store import schedule, waterbodies
from happy_rivers.translations import N_

from .auth import roles_required

# the board's export machinery (streamed CSV, XLSX with a notes sheet): one place for exports
from .downloads import Column, common_notes, download, kind_label

bp = Blueprint("schedule", __name__)

ROLES = ("inspector", "reviewer", "admin")
ITEM_LABELS = {"recheck": N_("复核到期"), "rectification": N_("整改期限")}
DUE_LABELS = {"overdue": N_("已逾期"), "due_soon": N_("即将到期"), "later": N_("未到期")}
BASIS_LABELS = {
    "titled": N_("取得称号"),
    "recheck": N_("上次复核通过"),
    "conditional": N_("限期整改结论"),
}
WINDOWS = ("due", "all")  # overdue and due soon (the default), or everything scheduled


def filters(db) -> tuple[dict, dict[str, str]]:
    """The page's and the export's filters; an inspector is held to their own district."""
    errors: dict[str, str] = {}
    district = current_user.scope
    raw = (request.args.get("district") or "").strip()
    if district is None and raw:
        district = waterbodies.resolve_district(db, raw)
        if district is None:
            errors["district"] = gettext("区县：没有「%(name)s」", name=raw[:20])
    kind = (request.args.get("kind") or "").strip() or None
    if kind and kind not in schedule.KINDS:
        errors["kind"] = gettext("事项须为复核到期或整改期限")
        kind = None
    window = (request.args.get("window") or "").strip() or "due"
    if window not in WINDOWS:
        errors["window"] = gettext("范围须为“逾期和即将到期”或“全部”")
        window = "due"
    return {"district": district, "kind": kind, "window": window}, errors


def selected(db, chosen: dict) -> list[dict]:
    rows = schedule.items(db, clock.today(), district=chosen["district"])
    return [
        r
        for r in rows
        if (chosen["kind"] is None or r["kind"] == chosen["kind"])
        and (chosen["window"] == "all" or r["status"] != "later")
    ]


@bp.get("/schedule")
@roles_required(*ROLES)
def index():
    db = store.get_db()
    chosen, errors = filters(db)
    rows = selected(db, chosen)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in DUE_LABELS}
    return render_template(
        "schedule/index.html",
        rows=rows,
        counts=counts,
        filters=chosen,
        errors=errors,
        districts=waterbodies.districts(db),
        own=waterbodies.district(db, current_user.scope) if current_user.scope else None,
        rules=process_settings()["schedules"],
        today=clock.today(),
    ), (422 if errors else 200)


def columns() -> list[Column]:
    return [
        Column("事项", lambda r: ITEM_LABELS[r["kind"]], width=10),
        Column("河湖", lambda r: r["waterbody_name"], width=18),
        Column("区县", lambda r: r["district_name"], width=14),
        Column("类型", lambda r: kind_label(r["waterbody_kind"]), width=8),
        Column("起算日期", lambda r: r["since"], "date", 12),
        Column("起算依据", lambda r: BASIS_LABELS[r["basis"]], width=14),
        Column("到期日期", lambda r: r["due_on"], "date", 12),
        Column("剩余天数", lambda r: r["days_left"], "int", 10),
        Column("状态", lambda r: DUE_LABELS[r["status"]], width=10),
        Column(
            "进行中的复核",
            lambda r: f"#{r['in_progress']['id']}" if r["in_progress"] else "",
            width=12,
        ),
    ]


@bp.get("/schedule.<any(csv, xlsx):fmt>")
@roles_required(*ROLES)
def export(fmt: str):
    db = store.get_db()
    chosen, errors = filters(db)
    if errors:
        return index()
    rows = selected(db, chosen)
    scope = waterbodies.district(db, chosen["district"])["name"] if chosen["district"] else "全市"
    today = clock.today()

    def notes(count: int) -> list[tuple[str, str]]:
        return [
            *common_notes(),
            ("范围", scope),
            ("事项", ITEM_LABELS.get(chosen["kind"] or "", "复核到期和整改期限")),
            ("日期", "全部" if chosen["window"] == "all" else "已逾期和即将到期"),
            ("今天", today.isoformat()),
            ("剩余天数", "到期日期减今天；负数为已逾期的天数"),
            ("记录数", str(count)),
        ]

    name = f"schedule-{today.isoformat()}" + (
        f"-{chosen['district']}" if chosen["district"] else ""
    )
    return download(fmt, name, "日程", columns(), rows, notes)


def markers(waterbody_id: int) -> list[dict]:
    """The waterbody page's schedule markers: everything scheduled for it, overdue first."""
    if not current_user.is_authenticated or current_user.role not in ROLES:
        return []
    return schedule.items(store.get_db(), clock.today(), waterbody_id=waterbody_id)


@bp.app_context_processor
def schedule_helpers():
    return {
        "schedule_markers": markers,
        "SCHEDULE_ITEM_LABELS": ITEM_LABELS,
        "DUE_LABELS": DUE_LABELS,
        "BASIS_LABELS": BASIS_LABELS,
    }
