"""The shape of an indicator kind, and the registry every part of the app looks kinds up in."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..rules import Scored, fmt
from ..water import WaterQuality

if TYPE_CHECKING:
    from ..rubric import Indicator

# What Kind.score returns: the points (unrounded), and the explanation as a function and its
# arguments — built only when someone reads it (most scored assessments are stored as numbers
# and never show their explanations) — and the water quality, for the one kind that has it.
Scoring = tuple[Decimal, Callable[..., str], tuple, WaterQuality | None]


@dataclass(frozen=True)
class Part:
    """One form field of an indicator's answer.

    `key` is the answer's own key ("tp" of {"tp": 0.05, …} → field A3_tp, path A3.tp), or None
    when the field's value is the whole answer (field and path A1). `control` says what the
    field is: number | integer (typed text, read as a JSON number) | points (a select of point
    steps, read as a number) | text | choice (radios) | checklist (checkboxes).
    """

    key: str | None
    label: str  # the field's label (Chinese)
    control: str
    named: str = ""  # how an error names the field; the label when empty
    unit: str = ""
    placeholder: str | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) of a points, choice or checklist

    def field(self, code: str) -> str:
        return code if self.key is None else f"{code}_{self.key}"

    def path(self, code: str) -> str:
        return code if self.key is None else f"{code}.{self.key}"

    @property
    def numeric(self) -> bool:
        return self.control in ("number", "integer", "points")

    @property
    def error_label(self) -> str:
        return self.named or self.label


class Kind(ABC):
    """One kind of indicator, everything about it in one place.

    A subclass names itself (`name`, as rubric files write `kind = "…"`) and defines:
    - prepare(ind): what scoring needs of one indicator, computed once per loaded rubric
      (raise KeyError/ValueError for a malformed indicator: the rubric is refused on load);
    - score(prepared, value): check the answer — raise FieldErrors naming every bad field — and
      compute its points; the one definition of the kind's arithmetic;
    - parts(ind): its form fields; answer(ind, values) reads them back into the answer;
    - demo(ind, rng, quality): a plausible answer for the demo data and the benchmark;
    - partial: the template (templates/inspect/kinds/…) that lays its fields out on the form.

    score, parts and demo are abstract: a kind without one is refused when it is registered.
    """

    name: str = ""
    partial: str = ""

    def prepare(self, ind: Indicator) -> Any:
        return ind

    @abstractmethod
    def score(self, prepared: Any, value: Any) -> Scoring:
        """Every kind defines this (see the class docstring)."""

    @abstractmethod
    def parts(self, ind: Indicator) -> tuple[Part, ...]:
        """Every kind defines this (see the class docstring)."""

    def answer(self, ind: Indicator, values: dict[str | None, Any]) -> Any:
        """The answer from its fields' values (numbers already read), None when left blank:
        the value of a one-field kind, else a dict of the parts given."""
        if None in values:
            value = values[None]
            return None if value is None or value == "" else value
        parts = {key: value for key, value in values.items() if value is not None}
        return parts or None

    def fields(self, ind: Indicator, value: Any) -> dict[str, Any]:
        """The reverse of answer(): field name → value to show, for editing a saved answer."""
        shown: dict[str, Any] = {}
        for part in self.parts(ind):
            if part.key is None:
                item = value
            elif isinstance(value, dict) and part.key in value:
                item = value[part.key]
            else:
                continue
            if part.numeric:
                item = number_text(item)
            elif part.control == "text":
                item = item or ""
            shown[part.field(ind.code)] = item
        return shown

    def describe(self, ind: Indicator, fields: dict[str, Any]) -> str:
        """A given answer in words, from its fields as fields() shows them (the conflict view
        sets two people's answers side by side this way)."""
        parts = self.parts(ind)
        if len(parts) == 1 and parts[0].key is None:
            value = fields[ind.code]
            if parts[0].control in ("checklist", "choice"):
                chosen = value if isinstance(value, list) else [value]
                labels = [o.label if (o := ind.option(c)) else str(c) for c in chosen]
                return "、".join(labels) or "（空）"
            return f"{value} {ind.unit}".strip()
        shown = [
            f"{part.error_label} {fields[part.field(ind.code)]}"
            for part in parts
            if fields.get(part.field(ind.code)) not in ("", None)
        ]
        return "、".join(shown) or "（空）"

    def document_params(self, ind: Indicator) -> dict[str, Any]:
        """The indicator's parameters for the device's copy of the rubric (scoring/client.py),
        with this kind's defaults filled in."""
        return dict(ind.params)

    @abstractmethod
    def demo(self, ind: Indicator, rng: random.Random, quality: float) -> Any:
        """Every kind defines this (see the class docstring)."""

    def rule(self, ind: Indicator, value: Any) -> Scored:
        """Score one answer on its own, the explanation written out (the panel checks each
        expert's answer this way)."""
        points, explain, args, water_quality = self.score(ind.prepared, value)
        return Scored(points, explain(*args), water_quality)


def number_text(value: Any) -> str:
    """A number as a form field shows it (no exponent, no trailing zeros)."""
    if value is None:
        return ""
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        return fmt(Decimal(str(value)))
    return str(value)


def between(rng: random.Random, quality: float, zero: Decimal, full: Decimal) -> float:
    """A demo value on a curve: quality 1.0 aims at the full end, lower spreads downwards."""
    low, high = float(zero), float(full)
    x = low + (high - low) * min(1.0, max(0.0, rng.gauss(quality, 0.12)) * 1.08)
    return round(x, 1)


class UnknownKind(ValueError):
    """An indicator of a kind nobody registered."""


KINDS: dict[str, Kind] = {}


def register(kind_class: type[Kind]) -> type[Kind]:
    """Class decorator: make a kind known to rubrics, scoring, the form and the demo data."""
    kind = kind_class()
    if not kind.name or kind.name in KINDS:
        raise ValueError(f"indicator kind {kind.name!r} has no name or is registered twice")
    KINDS[kind.name] = kind
    return kind_class


def kind_of(ind: Indicator) -> Kind:
    kind = KINDS.get(ind.kind)
    if kind is None:
        known = "、".join(sorted(KINDS))
        raise UnknownKind(f"指标 {ind.code} 的类型 {ind.kind} 未登记（已登记的类型：{known}）")
    return kind
