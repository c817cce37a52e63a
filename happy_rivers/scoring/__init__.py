"""Scoring for 幸福河湖 assessments — pure Python: no Flask, no SQL.

from happy_rivers import scoring
rubric = scoring.load_rubric("cq-river")
result = scoring.score(rubric, answers)
"""

from .engine import (
    DECISION_LABELS,
    InvalidAnswers,
    Preview,
    Result,
    preview,
    score,
)
from .numbers import round2
from .panel import PanelError, PanelSummary, combine_panel, panel_spread
from .rubric import (
    Rubric,
    RubricError,
    available_rubrics,
    available_versions,
    load_rubric,
)
from .water import WaterQuality, water_quality_class
from .waterbodies import (
    WaterbodyKind,
    parse_kind,
    rubric_for_waterbody,
    waterbody_kind,
    waterbody_kinds,
)

__all__ = [
    "DECISION_LABELS",
    "InvalidAnswers",
    "PanelError",
    "PanelSummary",
    "Preview",
    "Result",
    "Rubric",
    "RubricError",
    "WaterQuality",
    "WaterbodyKind",
    "available_rubrics",
    "combine_panel",
    "available_versions",
    "load_rubric",
    "panel_spread",
    "parse_kind",
    "preview",
    "round2",
    "rubric_for_waterbody",
    "score",
    "water_quality_class",
    "waterbody_kind",
    "waterbody_kinds",
]
