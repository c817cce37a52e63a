"""The printable acceptance report of one assessment: one or two A4 pages to sign and file.

Same access as the result page (views.assessment_pages.load_assessment: inspectors see their own
district only, other ids are 404). The page is standalone HTML with print CSS, so the browser's
"print" or "save as PDF" makes the paper copy; the radar is inline SVG (views.charts), so the
report needs nothing from the internet.
"""

from flask import Blueprint, render_template
from flask_babel import gettext
from flask_login import current_user, login_required

from happy_rivers import store
from happy_rivers.scoring import workflow
from happy_rivers.scoring.engine import DECISION_LABELS
from happy_rivers.store import assessments, waterbodies

from . import charts
from .assessment_pages import decision_basis, load_assessment, panel_view, rubric_of
from .i18n import localized, with_texts

bp = Blueprint("report", __name__)


@bp.get("/assessments/<int:assessment_id>/report", endpoint="assessment")
@login_required
def assessment_report(assessment_id: int):
    assessment = load_assessment(assessment_id)  # 404 outside the user's district
    assessment, panel = decision_basis(assessment)
    rubric = rubric_of(assessment)
    db = store.get_db()
    result = with_texts(assessment, rubric, panel)
    return render_template(
        "report/assessment.html",
        assessment=assessment,
        rubric=rubric,
        result=result,
        waterbody=waterbodies.get(db, assessment["waterbody_id"]),
        attachments=assessments.attachments(db, assessment_id),
        radar_svg=_radar(assessment, rubric) if result else None,
        gate_hits={g["code"]: g for g in (result or {}).get("gate_details", [])},
        decided=assessment["status"] in workflow.DECIDED_STATUSES,
        decision_labels=DECISION_LABELS,
        panel=panel_view(panel, rubric, current_user),
        panel_codes=rubric.panel_indicators,
    )


def _radar(assessment: dict, rubric):
    """The seven dimensions as a radar, named in the page's language."""
    dimensions = [
        dict(d, name=localized(d["name"], rubric.dimension(code).name_en))
        for code, d in assessment["result"]["dimensions"].items()
    ]
    return charts.radar_chart(dimensions, gettext("七个维度得分率"))
