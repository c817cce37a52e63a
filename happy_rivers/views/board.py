"""Progress toward the 2027 / 2035 targets, the leaderboards, and CSV / Excel exports.

Standings are public within the app: inspectors see the city-wide boards. Exports of
assessments are rows of work, not standings, so they are scoped to an inspector's district like
every other list of assessments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup

from happy_rivers import clock, scoring, store
from happy_rivers.scoring import workflow
from happy_rivers.scoring.leaderboard import RANKING_RULE, RANKING_RULE_EN
from happy_rivers.scoring.progress import cumulative_series, load_targets, progress
from happy_rivers.scoring.rubric import Dimension
from happy_rivers.scoring.waterbodies import board_dimensions, kind_choices_text
from happy_rivers.store import assessments, standings, waterbodies

from . import charts, district_map
from .charts import TARGET_STATUS_LABELS
from .downloads import Column, common_notes, download, kind_label
from .helpers import template_url_for
from .i18n import current_language, kind_labels, localized

bp = Blueprint("board", __name__)

# Dates outside this range are typing mistakes, not history or plans.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def targets():
    """Read on every request (a few lines of TOML): a revised target needs no restart."""
    return load_targets()


def dimensions() -> list[Dimension]:
    return board_dimensions()


def today() -> date:
    return clock.today()


# --- filters ------------------------------------------------------------------------------


def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = clock.parse_date(raw)
    except ValueError:
        errors[name] = f"日期「{raw[:20]}」无效：请按 YYYY-MM-DD 填写，例如 2025-01-07"
        return None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        errors[name] = f"日期须在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间"
        return None
    return value


def _year_arg(errors: dict[str, str]) -> int | None:
    raw = (request.args.get("year") or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR):
        errors["year"] = f"年份「{raw[:20]}」无效：请填写 {FIRST_YEAR}—{LAST_YEAR} 之间的四位年份"
        return None
    return int(raw)


def _kind_arg(errors: dict[str, str]) -> str | None:
    raw = (request.args.get("kind") or "").strip()
    kind = scoring.parse_kind(raw) if raw else None
    if raw and kind is None:
        errors["kind"] = f"类型须为{kind_choices_text()}之一"
    return kind


@dataclass
class BoardFilters:
    year: int | None
    kind: str | None
    as_of: date | None
    errors: dict[str, str]

    @property
    def status(self) -> int:
        return 422 if self.errors else 200

    def effective_as_of(self) -> date:
        """as_of if given; else 31 December of the year, or today if that is sooner."""
        if self.as_of:
            return self.as_of
        if self.year:
            return min(date(self.year, 12, 31), today())
        return today()

    def args(self) -> dict[str, Any]:
        """The valid filters as query arguments, for links to exports and other views."""
        out: dict[str, Any] = {}
        if self.year:
            out["year"] = self.year
        if self.kind:
            out["kind"] = self.kind
        if self.as_of:
            out["as_of"] = self.as_of.isoformat()
        return out


def board_filters(*, with_as_of: bool = True) -> BoardFilters:
    errors: dict[str, str] = {}
    year = _year_arg(errors)
    kind = _kind_arg(errors)
    as_of = _date_arg("as_of", errors) if with_as_of else None
    return BoardFilters(year, kind, as_of, errors)


def year_choices() -> list[int]:
    return list(range(today().year, 2024, -1))


def ranking_rule() -> str:
    return RANKING_RULE_EN if current_language() == "en" else RANKING_RULE


# --- pages --------------------------------------------------------------------------------

# Each board page's body is kept rendered with the standings: any write that changes a standing
# bumps the standings version and so drops it (store/standings.py), and a view between writes
# only renders the page around it. Rendering the bodies took 5–15× a trivial request at city
# scale. Keyed by everything the body shows: the filters, the language and the user's district
# (own rows are marked); bounded, so a crawl over every filter cannot fill a worker's memory.
BODY_CACHE_ENTRIES = 48


def board_body(
    template: str, key: tuple, context: Callable[[], dict], *, cache=True, titles_only=False
) -> Markup:
    """The body, rendered once per standings version (titles_only: per title-history version,
    for a body that shows nothing but what the titles give)."""

    def render() -> Markup:
        return Markup(render_template(template, **context()))

    if not cache:  # filter errors: the body shows what was typed
        return render()
    key = ("board_body", template, key, current_language(), current_user.scope)
    return standings.cached(
        store.get_db(), key, render, limit=BODY_CACHE_ENTRIES, titles_only=titles_only
    )


@bp.get("/progress", endpoint="progress")  # progress_page: progress() is scoring's
@login_required
def progress_page():
    errors: dict[str, str] = {}
    as_of = _date_arg("as_of", errors) or today()
    db = store.get_db()

    def context() -> dict:
        # derived from the titles alone: kept until a title changes (a submit or most decisions
        # leave them), as are the charts below
        spans = standings.acceptance_spans(db)
        report = progress(spans, as_of, targets())
        by_district = [d for d in standings.district_standings(db, as_of) if d.accepted]
        map_svg = _district_map(db, spans_held_on(db, as_of), by_district, as_of)

        def draw():
            # the series only feeds the charts: computed when they are drawn
            start = min([s.accepted_on for s in spans if s.accepted_on <= as_of], default=as_of)
            series = cumulative_series(spans, start, as_of)
            return _progress_charts(series, report, by_district, as_of)

        # pygal takes tens of milliseconds: cache the usual view (today) with the standings,
        # but only that one, so a crawl over every as_of cannot fill the memory with charts
        svgs = (
            standings.cached(
                db, ("progress_charts", as_of, current_language()), draw, titles_only=True
            )
            if as_of == today()
            else draw()
        )
        return dict(
            as_of=as_of,
            report=report,
            errors=errors,
            contributors=by_district,
            status_labels=TARGET_STATUS_LABELS,
            target_labels_en={t.year: t.label_en for t in targets()},
            map_svg=map_svg,
            **svgs,
        )

    key = (as_of, bool(request.args.get("as_of")))  # the "today" button shows when it was given
    # Everything the body shows comes from the titles (the districts' in-review counts, which a
    # submit or any decision changes, are not on it): kept until a title changes, so the first
    # view after most decisions renders only the page around it (issue 14)
    body = board_body("board/_progress_body.html", key, context, cache=not errors, titles_only=True)
    return render_template("board/progress.html", body=body), (422 if errors else 200)


def spans_held_on(db, as_of: date) -> set[int]:
    """The waterbodies holding the title on as_of (from the decisions, like the counts)."""
    history = standings.kept_title_history(db)
    # a plain loop: a generator per waterbody was most of this at 10,000 titles (issue 14)
    held = set()
    for waterbody_id, spans in history.items():
        for span in spans:
            revoked = span["revoked_on"]
            if span["accepted_on"] <= as_of and (revoked is None or revoked > as_of):
                held.add(waterbody_id)
                break
    return held


def _district_map(db, holders: set[int], by_district, as_of: date) -> Markup:
    """The choropleth of 市级幸福河湖 per district, with the named waterbodies' points."""
    return district_map.render(
        {d.code: d.accepted for d in by_district},
        link=lambda code: template_url_for("board.waterbodies", district=code),
        title=gettext("各区县市级幸福河湖数量（截至 %(day)s）", day=as_of.isoformat()),
        unit=gettext("条"),
        legend_title=gettext("市级幸福河湖（条）"),
        small_title=gettext("主城小区县"),
        points=waterbodies.points(db, holders),
    )


def _progress_charts(series, report, by_district, as_of: date) -> dict[str, Any]:
    """The progress page's charts; cached with the standings since pygal takes a while."""
    all_targets = targets()
    svgs = {
        "progress_svg": charts.progress_chart(
            series,
            report,
            all_targets,
            as_of,
            gettext("市级幸福河湖累计数量与目标（截至 %(day)s）", day=as_of.isoformat()),
        ),
        "close_up_svg": None,
        "district_svg": charts.district_bar_chart(
            [(d.name, d.accepted) for d in by_district],
            gettext("各区县市级幸福河湖数量（截至 %(day)s）", day=as_of.isoformat()),
        ),
    }
    rows = {row["year"]: row for row in report["targets"]}
    # A far target squeezes the near one into the bottom of the chart: draw the near one again.
    upcoming = [t for t in all_targets if rows[t.year]["days_left"] > 0]
    if len(all_targets) > 1 and upcoming and upcoming[0] != all_targets[-1]:
        near = upcoming[0]
        svgs["close_up_svg"] = charts.progress_chart(
            series,
            report,
            [near],
            as_of,
            gettext("近景：%(target)s", target=localized(near.label, near.label_en)),
        )
    return svgs


@bp.get("/leaderboard/districts")
@login_required
def districts():
    filters = board_filters()
    as_of = filters.effective_as_of()
    db = store.get_db()

    def context() -> dict:
        return dict(
            rows=standings.district_standings(db, as_of, filters.kind),
            as_of=as_of,
            filters=filters,
            leaders=standings.dimension_leaders(
                db, [d.code for d in dimensions()], kind=filters.kind, until=as_of
            ),
            dimensions=dimensions(),
            rule=ranking_rule(),
            years=year_choices(),
            kinds=kind_labels(),
        )

    key = (as_of, filters.year, filters.kind, filters.as_of)
    body = board_body("board/_districts_body.html", key, context, cache=not filters.errors)
    return render_template("board/districts.html", body=body), filters.status


# At city scale (1,000 waterbodies) one page of every row was 535 KB of HTML (a lot for a phone
# at the riverside) and ~100 ms of template whenever it is rendered afresh; pages of 100 ranks
# are 57 KB. The full list is one click away in the exports.
PAGE_SIZE = 100


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last, and `around` on either side of the
    current one; None where numbers are left out ("1 … 4 5 6 7 8 … 100"). Every page linked
    would be a hundred links at ten times the city, each a URL to build."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    window: list[int | None] = []
    for n in shown:
        if window and n - window[-1] == 2:
            window.append(n - 1)  # a gap of one page: the page itself, not "…"
        elif window and n - window[-1] > 2:
            window.append(None)
        window.append(n)
    return window


def _page_arg() -> int:
    """The page asked for (1 when none or not a number); the store keeps it within the pages."""
    raw = (request.args.get("page") or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


@bp.get("/leaderboard/waterbodies", endpoint="waterbodies")
@login_required
def waterbodies_board():
    filters = board_filters(with_as_of=False)
    db = store.get_db()
    # one district's rows (a tap on the map lands here); the ranks stay the city's
    asked = (request.args.get("district") or "").strip()
    district = waterbodies.resolve_district(db, asked)
    if asked and district is None:
        filters.errors["district"] = f"没有区县「{asked[:20]}」"
    # only the page is read (store/standings.py keeps the rows a decision changes), once
    asked_page = _page_arg()
    total, page, ranked, extra = standings.cached(
        db,
        ("waterbody_page", filters.kind, filters.year, district, asked_page),
        lambda: standings.waterbody_page(
            db,
            kind=filters.kind,
            year=filters.year,
            district=district,
            page=asked_page,
            size=PAGE_SIZE,
        ),
    )
    pages = max(1, -(-total // PAGE_SIZE))

    def context() -> dict:
        first = (page - 1) * PAGE_SIZE
        codes = [d.code for d in dimensions()]
        scope = current_user.scope
        # cells formatted here, once, rather than through a template step per cell
        shown = [
            {
                "standing": r,
                "x": extra[r.id],
                "total": score2(r.total),
                # digits or —, nothing to escape
                "cells": Markup(
                    "".join(f'<td class="num">{score2(r.dimensions.get(c))}</td>' for c in codes)
                ),
                "mine": scope == extra[r.id]["district_code"],
                "link": not scope or scope == extra[r.id]["district_code"],
            }
            for r in ranked
        ]
        return dict(
            rows=shown,
            # url_for per row costs more than the rest of the row: build the links from one
            detail_url=url_for("inspect.waterbody_detail", waterbody_id=0).removesuffix("0"),
            total=total,
            page=page,
            pages=pages,
            page_window=page_window(page, pages),
            first=first,
            filters=filters,
            dimensions=dimensions(),
            years=year_choices(),
            kinds=kind_labels(),
            districts=waterbodies.districts(db),
            district=district,
            # translated once per page, not once per row
            kind_labels=kind_labels(),
            status_labels={code: gettext(text) for code, text in workflow.STATUS_LABELS.items()},
        )

    key = (filters.year, filters.kind, district, page, today().year)  # years grow on 1 January
    body = board_body("board/_waterbodies_body.html", key, context, cache=not filters.errors)
    return render_template("board/waterbodies.html", body=body), filters.status


def score2(value) -> str:
    """A score with two decimals, or — (as the `score` macro of _board.html shows it)."""
    return "—" if value is None else f"{float(value):.2f}"


# --- exports ------------------------------------------------------------------------------


def _result(a: dict) -> dict:
    return a["result"] or {}


def _dimension_score(code: str) -> Callable[[dict], Decimal | None]:
    def value(a: dict) -> Decimal | None:
        dimension = (_result(a).get("dimensions") or {}).get(code)
        return Decimal(dimension["score"]) if dimension else None

    return value


def _gates(a: dict) -> str:
    if not a["result"]:
        return ""
    details = a["result"].get("gate_details") or []
    return "；".join(f"{g['code']} {g['name']}" for g in details) or "无"


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def assessment_columns() -> list[Column]:
    decision_labels = scoring.DECISION_LABELS
    return [
        Column("评估编号", lambda a: a["id"], "int", 9),
        Column("评估类型", lambda a: workflow.KIND_LABELS.get(a["kind"], a["kind"]), width=10),
        Column("河湖", lambda a: a["waterbody_name"], width=18),
        Column("河湖类型", lambda a: kind_label(a["waterbody_kind"]), width=9),
        Column("区县", lambda a: a["district_name"], width=14),
        Column("区县代码", lambda a: a["district_code"], width=10),
        Column("状态", lambda a: workflow.STATUS_LABELS.get(a["status"], a["status"]), width=10),
        *(Column(d.name, _dimension_score(d.code), "number", 10) for d in dimensions()),
        Column(
            "总分",
            lambda a: None if a["total_cents"] is None else Decimal(a["total_cents"]) / 100,
            "number",
            9,
        ),
        Column("否决条件", _gates, width=24),
        Column(
            "计算结论",
            lambda a: decision_labels.get(a["computed_decision"] or "", ""),
            width=14,
        ),
        Column(
            "审核结论",
            lambda a: workflow.STATUS_LABELS.get(a["decision"] or "", ""),
            width=12,
        ),
        Column("结论依据", lambda a: "；".join(_result(a).get("reasons") or []), width=40),
        Column("改变结论的理由", lambda a: a["override_reason"] or "", width=24),
        Column("审核意见", lambda a: a["return_comment"] or "", width=24),
        Column("评价标准", lambda a: a["rubric_id"], width=13),
        Column("标准版本", lambda a: a["rubric_version"], width=9),
        Column("检查员", lambda a: a["inspector_name"] or "", width=16),
        Column("审核员", lambda a: a["reviewer_name"] or "", width=16),
        Column("提交时间", lambda a: clock.beijing_datetime(a["submitted_at"]), "datetime", 17),
        Column("结论日期", lambda a: _day(a["decided_on"]), "date", 12),
    ]


DISTRICT_COLUMNS = [
    Column("名次", lambda r: r.rank, "int", 6),
    Column("区县", lambda r: r.name, width=20),
    Column("区县代码", lambda r: r.code, width=10),
    Column("已验收数量", lambda r: r.accepted, "int", 11),
    Column("平均得分", lambda r: r.mean_score, "number", 10),
    Column("待审核", lambda r: r.in_review, "int", 8),
    Column("达到当前数量的日期", lambda r: r.reached_at, "date", 18),
]


def waterbody_columns(extra: dict) -> list[Column]:
    return [
        Column("名次", lambda r: r.rank, "int", 6),
        Column("河湖", lambda r: r.name, width=18),
        Column("区县", lambda r: r.district, width=14),
        Column("类型", lambda r: kind_label(extra[r.id]["kind"]), width=8),
        Column("总分", lambda r: r.total, "number", 9),
        *(
            Column(d.name, lambda r, code=d.code: r.dimensions.get(code), "number", 10)
            for d in dimensions()
        ),
        Column(
            "结论",
            lambda r: workflow.STATUS_LABELS.get(extra[r.id]["status"], ""),
            width=12,
        ),
        Column("结论日期", lambda r: _day(extra[r.id]["decided_on"]), "date", 12),
    ]


def assessment_filters(db) -> tuple[dict[str, Any], dict[str, str]]:
    """Filters for the assessment export; an inspector is always held to their district."""
    errors: dict[str, str] = {}
    district = None
    if current_user.scope:
        district = current_user.scope  # whatever was asked for
    elif raw := (request.args.get("district") or "").strip():
        district = waterbodies.resolve_district(db, raw)
        if district is None:
            errors["district"] = f"没有名为「{raw[:20]}」的区县"
    statuses = [s for s in request.args.getlist("status") if s]
    if any(s not in workflow.STATUS_LABELS for s in statuses):
        errors["status"] = "状态须为：" + "、".join(workflow.STATUS_LABELS.values())
    kind = (request.args.get("kind") or "").strip() or None
    if kind and kind not in workflow.KIND_LABELS:
        errors["kind"] = "评估类型须为：" + "、".join(workflow.KIND_LABELS.values())
    since = _date_arg("since", errors)
    until = _date_arg("until", errors)
    if since and until and since > until:
        errors["until"] = "结束日期不能早于开始日期"
    filters = {
        "district": district,
        "status": statuses or None,
        "kind": kind,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    return filters, errors


@bp.get("/exports")
@login_required
def exports():
    return _exports_page()


def _exports_page(assessment_errors=None, standings_errors=None):
    db = store.get_db()
    own = waterbodies.district(db, current_user.scope) if current_user.scope else None
    errors = (assessment_errors or {}) | (standings_errors or {})
    return render_template(
        "board/exports.html",
        districts=waterbodies.districts(db),
        own_district=own,
        assessment_errors=assessment_errors or {},
        standings_errors=standings_errors or {},
        years=year_choices(),
        kinds=kind_labels(),
    ), (422 if errors else 200)


@bp.get("/exports/assessments.<any(csv, xlsx):fmt>")
@login_required
def export_assessments(fmt: str):
    db = store.get_db()
    filters, errors = assessment_filters(db)
    if errors:
        return _exports_page(assessment_errors=errors)
    rows = assessments.export_rows(db, **filters)
    scope_name = (
        waterbodies.district(db, filters["district"])["name"] if filters["district"] else ""
    )

    def notes(count: int) -> list[tuple[str, str]]:
        return [
            *common_notes(),
            ("范围", scope_name or "全市"),
            (
                "状态",
                "、".join(workflow.STATUS_LABELS[s] for s in filters["status"] or []) or "全部",
            ),
            ("评估类型", workflow.KIND_LABELS.get(filters["kind"] or "", "全部")),
            (
                "日期",
                f"{filters['since'] or '不限'} 至 {filters['until'] or '不限'}"
                "（按结论日期；未作结论的按最后修改日期）",
            ),
            ("记录数", str(count)),
        ]

    name = "assessments" + (f"-{filters['district']}" if filters["district"] else "")
    return download(fmt, name, "评估记录", assessment_columns(), rows, notes)


def _standings_notes(filters: BoardFilters, as_of: date | None) -> list[tuple[str, str]]:
    notes = common_notes()
    if as_of:
        notes.append(("截至日期", as_of.isoformat()))
    if filters.year and not as_of:
        notes.append(("年份", f"{filters.year} 年作出结论的评估"))
    notes.append(("类型", kind_label(filters.kind) if filters.kind else "全部类型"))
    return notes


@bp.get("/exports/leaderboard-districts.<any(csv, xlsx):fmt>")
@login_required
def export_districts(fmt: str):
    filters = board_filters()
    if filters.errors:
        return _exports_page(standings_errors=filters.errors)
    as_of = filters.effective_as_of()
    rows = standings.district_standings(store.get_db(), as_of, filters.kind)
    notes = [*_standings_notes(filters, as_of), ("排序规则", RANKING_RULE)]
    name = f"district-leaderboard-{as_of.isoformat()}" + (
        f"-{filters.kind}" if filters.kind else ""
    )
    return download(fmt, name, "区县排行榜", DISTRICT_COLUMNS, rows, lambda _n: notes)


@bp.get("/exports/leaderboard-waterbodies.<any(csv, xlsx):fmt>")
@login_required
def export_waterbodies(fmt: str):
    filters = board_filters(with_as_of=False)
    if filters.errors:
        return _exports_page(standings_errors=filters.errors)
    ranked, extra = standings.waterbody_standings(
        store.get_db(), kind=filters.kind, year=filters.year
    )
    notes = [
        *_standings_notes(filters, None),
        ("排序规则", "按最近一次结论的总分从高到低；总分相同的并列，按河湖编号排列"),
    ]
    name = "waterbody-leaderboard" + "".join(f"-{v}" for v in (filters.year, filters.kind) if v)
    return download(fmt, name, "河湖排行榜", waterbody_columns(extra), ranked, lambda _n: notes)
