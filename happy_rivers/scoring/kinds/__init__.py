"""Indicator kinds: each kind is one object, registered once, that knows everything about its
answers — how to check and score one (scoring), which form fields hold it and how to read them
back (forms/inspection.py), the template partial that lays those fields out
(templates/inspect/kinds/), and a plausible demo answer (store/demo.py, the benchmark).

Adding a kind is adding one module here (a Kind subclass decorated with @register, imported
below) and its partial; docs/architecture.md walks through it.
"""

from . import checklist, choice, deduction, income_gap, judged, linear, survey, water_class
from .base import KINDS, Kind, Part, Scoring, UnknownKind, kind_of, number_text, register
from .water_class import DEFAULT_CLASS_FRACTIONS

__all__ = [
    "DEFAULT_CLASS_FRACTIONS",
    "KINDS",
    "Kind",
    "Part",
    "Scoring",
    "UnknownKind",
    "checklist",
    "choice",
    "deduction",
    "income_gap",
    "judged",
    "kind_of",
    "linear",
    "number_text",
    "register",
    "survey",
    "water_class",
]
