"""The public pages (/public), no sign-in: the named list, progress, the map, one card per
named waterbody.

They show only what store/public.py reads (the named waterbodies and the assessment that earned
each its title) and the progress counts: no draft, returned or rejected assessment, no user, no
address. Each page body is rendered once per standings version (store/standings.py), like the
boards: a decision, a naming or a registry edit bumps the version and so drops it.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext
from markupsafe import Markup

from happy_rivers import clock, store
from happy_rivers.scoring import rubric_for_waterbody, waterbody_kinds
from happy_rivers.scoring.progress import load_targets, progress
from happy_rivers.store import public, standings, waterbodies

from . import charts, district_map
from .charts import TARGET_STATUS_LABELS
from .helpers import public_links
from .i18n import current_language, kind_labels, localized

bp = Blueprint("public", __name__, url_prefix="/public")

# one entry per page and key; district pages are 41 at most, cards one per named waterbody
CACHE_ENTRIES = 2048


@bp.context_processor
def grade_label():
    """The grade as stored (the rubric's Chinese label), in the page's language."""
    return {"grade_label": lambda grade: localized(grade, grade_labels_en().get(grade))}


def grade_labels_en() -> dict[str, str]:
    """The grade bands of every kind's rubric: Chinese → English."""
    return {
        g.label: g.label_en for kind in waterbody_kinds() for g in rubric_for_waterbody(kind).grades
    }


def _cached_body(template: str, key: tuple, context: Callable[[], dict]) -> Markup:
    db = store.get_db()

    def render() -> Markup:
        return Markup(render_template(template, **context()))

    key = ("public_body", template, key, current_language())
    return standings.cached(db, key, render, limit=CACHE_ENTRIES)


def _page(template: str, body: Markup, **extra):
    return render_template(template, body=body, public_links=public_links(), **extra)


@bp.get("", endpoint="index")
def index():
    def context() -> dict:
        db = store.get_db()
        today = clock.today()
        spans = standings.acceptance_spans(db)  # kept until a title changes
        report = progress(spans, today, load_targets())
        rows = public.named(db)
        return dict(
            today=today,
            report=report,
            status_labels=TARGET_STATUS_LABELS,
            rows=rows,
            kind_labels=kind_labels(),
            map_svg=_map(db, rows),
        )

    body = _cached_body("public/_index_body.html", (clock.today(),), context)
    return _page("public/index.html", body)


def _map(db, rows: list[dict]) -> Markup:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["district_code"]] = counts.get(r["district_code"], 0) + 1
    return district_map.render(
        counts,
        link=lambda code: url_for("public.district", code=code),
        title=gettext("各区县市级幸福河湖数量"),
        unit=gettext("条"),
        legend_title=gettext("市级幸福河湖（条）"),
        small_title=gettext("主城小区县"),
        points=waterbodies.points(db, {r["id"] for r in rows}),
    )


@bp.get("/districts/<code>", endpoint="district")
def district(code: str):
    db = store.get_db()
    found = waterbodies.district(db, code) if len(code) <= 12 else None
    if found is None:
        abort(404)

    def context() -> dict:
        return dict(
            district=found,
            rows=public.named(db, district=code),
            kind_labels=kind_labels(),
        )

    body = _cached_body("public/_district_body.html", (code,), context)
    return _page("public/district.html", body, district=found)


@bp.get("/waterbodies/<int:waterbody_id>", endpoint="waterbody")
def waterbody(waterbody_id: int):
    db = store.get_db()
    card = public.named_one(db, waterbody_id)
    if card is None:  # not named (or no such waterbody): nothing about it is public
        abort(404)

    def context() -> dict:
        radar = None
        if card["dimensions"]:
            radar = charts.radar_chart(
                card["dimensions"].values(),
                gettext("%(name)s · 七个维度得分率", name=card["name"]),
            )
        return dict(card=card, radar=radar, kind_labels=kind_labels())

    body = _cached_body("public/_waterbody_body.html", (waterbody_id,), context)
    return _page("public/waterbody.html", body, card=card)
