"""The rubric as a JSON document for the device (static/js/scoring.js scores from it offline).

Built from the same Rubric object the server scores with, plus the GB 3838 limits and the
rules' defaults, so the device needs no copy of any number: every threshold it compares with
comes from here. Decimals are strings ("0.025"), never JSON numbers, so no digit is lost on the
way to the browser.
"""

import hashlib
import json
from decimal import Decimal
from typing import Any

from .kinds import kind_of
from .rubric import Indicator, Rubric
from .water import FLOOR_PARAMETERS, LABELS, PH_MAX, PH_RANGE, WORST

# Bumped when the document's shape changes, so a device holding an old one can tell.
FORMAT = 1


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | str):  # ints: only format and worst
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    raise TypeError(f"not a rubric value: {value!r}")


def _indicator(ind: Indicator) -> dict:
    return {
        "code": ind.code,
        "name": ind.name,
        "name_en": ind.name_en,
        "dimension": ind.dimension,
        "kind": ind.kind,
        "max": ind.max,
        "unit": ind.unit,
        "panel": ind.panel,
        "params": kind_of(ind).document_params(ind),
        "options": [
            {"code": o.code, "label": o.label, "label_en": o.label_en, "value": o.value}
            for o in ind.options
        ],
    }


def rubric_document(rubric: Rubric) -> dict:
    """Everything scoring.preview/score use, as JSON-ready data (see static/js/scoring.js)."""
    doc = {
        "format": FORMAT,
        "id": rubric.id,
        "version": rubric.version,
        "waterbody": rubric.waterbody,
        "name": rubric.name,
        "name_en": rubric.name_en,
        "max_total": rubric.max_total,
        "decision": {
            "accept_total": rubric.accept_total,
            "conditional_total": rubric.conditional_total,
            "dimension_floor": rubric.dimension_floor,
        },
        # best first, as grade_for() reads them
        "grades": [{"min": g.min, "label": g.label, "label_en": g.label_en} for g in rubric.grades],
        "dimensions": [
            {
                "code": d.code,
                "name": d.name,
                "name_en": d.name_en,
                "max": d.max,
                "indicators": [_indicator(i) for i in d.indicators],
            }
            for d in rubric.dimensions
        ],
        "gates": [
            {
                "code": g.code,
                "name": g.name,
                "name_en": g.name_en,
                "manual": g.manual,
                "when_option": (
                    {"indicator": g.when_option[0], "option": g.when_option[1]}
                    if g.when_option
                    else None
                ),
                "when_worst_class": g.when_worst_class,
            }
            for g in rubric.gates
        ],
        "water": {
            "labels": list(LABELS),
            "worst": WORST,
            "ph_range": list(PH_RANGE),
            "ph_max": PH_MAX,
            "floor_parameters": sorted(FLOOR_PARAMETERS),
        },
    }
    return _plain(doc)


def document_json(rubric: Rubric) -> str:
    """The document as served: compact JSON, Chinese kept as is."""
    return json.dumps(rubric_document(rubric), ensure_ascii=False, separators=(",", ":"))


def document_revision(rubric: Rubric) -> str:
    """A hash of the served document. It changes with the rubric file, a rubric it inherits
    from and this module's shape alike, so a cache keyed by it is never stale."""
    return hashlib.sha256(document_json(rubric).encode()).hexdigest()[:16]
