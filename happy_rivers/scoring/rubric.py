"""Rubrics as data: TOML files `<id>-<version>.toml`, one per rubric id and version.

They are read from the built-in folder scoring/rubrics/ and then from the folders a deployment
adds with the RUBRIC_PATH setting (scoring/folders.py). Numbers are read as Decimal so
that the end-points and points in the file are exact.
"""

import time
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from .folders import RubricError, on_change, rubric_folders
from .kinds import KINDS, UnknownKind, kind_of


@dataclass(frozen=True)
class Option:
    """A checklist item (points) or a choice option (fraction)."""

    code: str
    label: str
    label_en: str
    value: Decimal


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    name_en: str
    dimension: str
    max: Decimal
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    unit: str = ""
    unit_en: str = ""  # the unit in English where it is a word (处 → sites), else empty
    help: str = ""
    options: tuple[Option, ...] = ()
    # scored by an expert panel (combine_panel) at acceptance; the file says `panel = true`,
    # and without the key every `judged` indicator is a panel one
    panel: bool = False

    def param(self, key: str) -> Any:
        return self.params[key]

    @cached_property
    def prepared(self) -> Any:
        """What its kind needs to score it, computed once (rubrics are cached and immutable)."""
        return kind_of(self).prepare(self)

    def option(self, code: str) -> Option | None:
        return self._options_by_code.get(code) if isinstance(code, str) else None

    @cached_property
    def _options_by_code(self) -> dict[str, Option]:
        # built once per loaded rubric (rubrics are cached and immutable): scoring looks options
        # up for every checklist item of every assessment
        return {o.code: o for o in self.options}


@dataclass(frozen=True)
class Dimension:
    code: str
    name: str
    name_en: str
    max: Decimal
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Gate:
    code: str
    name: str
    name_en: str
    manual: bool
    # computed when this indicator's choice equals this option (e.g. A12 = non_compliant)
    when_option: tuple[str, str] | None = None
    # computed when this water_class indicator's class is 劣Ⅴ
    when_worst_class: str | None = None

    @property
    def computed(self) -> bool:
        return self.when_option is not None or self.when_worst_class is not None


@dataclass(frozen=True)
class Grade:
    min: Decimal
    label: str
    label_en: str


@dataclass(frozen=True)
class Rubric:
    id: str
    version: str
    waterbody: str  # the kind of waterbody it assesses (scoring/waterbodies.py)
    name: str
    name_en: str
    dimensions: tuple[Dimension, ...]
    gates: tuple[Gate, ...]
    grades: tuple[Grade, ...]
    accept_total: Decimal
    conditional_total: Decimal
    dimension_floor: Decimal
    # experts whose points for one indicator spread more than this are flagged 分歧较大
    panel_spread_flag: Decimal = Decimal("1.5")

    # Rubrics are immutable and cached by load_rubric(), so these are computed once, not once per
    # scored assessment (the benchmark's scoring profile showed them among the top costs).
    @cached_property
    def max_total(self) -> Decimal:
        return sum((d.max for d in self.dimensions), Decimal(0))

    @cached_property
    def indicators(self) -> dict[str, Indicator]:
        return {i.code: i for d in self.dimensions for i in d.indicators}

    def dimension(self, code: str) -> Dimension:
        return next(d for d in self.dimensions if d.code == code)

    def gate(self, code: str) -> Gate | None:
        return next((g for g in self.gates if g.code == code), None)

    @cached_property
    def panel_indicators(self) -> tuple[str, ...]:
        return tuple(code for code, i in self.indicators.items() if i.panel)

    @cached_property
    def manual_gates(self) -> tuple[Gate, ...]:
        return tuple(g for g in self.gates if g.manual)


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _rubric_files(pattern: str) -> dict[str, Path]:
    """Stem → file for the rubric files matching the pattern; the first folder wins.

    Kept per pattern while no folder changes: a folder's modification time moves whenever a
    file is added, removed or renamed in it, so a version dropped into RUBRIC_PATH is seen at
    once, and the boards' "latest version" no longer lists the folders on every call (a
    third of a millisecond each, several times per board). A rubric version is a new file and
    never changes in place (docs/scoring.md), so a file's own edits need no watching.
    """
    folders = rubric_folders()
    try:
        mtimes = tuple(folder.stat().st_mtime_ns for folder in folders)
    except OSError:  # a folder gone: list what is there, keep nothing
        return _list_rubric_files(folders, pattern)
    stamp = (folders, mtimes)
    kept = _listed.get(pattern)
    if kept is not None and kept[0] == stamp:
        return dict(kept[1])
    files = _list_rubric_files(folders, pattern)
    # A listing taken in the same clock tick as a folder's change might miss a second file
    # added in that tick without moving the time again (git's "racy clean"): such a listing
    # is not kept; one taken once the folders have been still for a second is.
    if time.time_ns() - max(mtimes) > 1_000_000_000:
        if len(_listed) > 64:  # patterns are rubric ids: a handful; bounded all the same
            _listed.clear()
        _listed[pattern] = (stamp, files)
    return dict(files)


_listed: dict[str, tuple[tuple, dict[str, Path]]] = {}


def _list_rubric_files(folders: tuple[Path, ...], pattern: str) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for folder in folders:
        for path in folder.glob(pattern):
            # `<id>-<version>`, the version starting with a digit; other TOML files (the
            # waterbody kinds table) are not rubrics
            _, _, version = path.stem.rpartition("-")
            if version[:1].isdigit():
                files.setdefault(path.stem, path)
    return files


def _read(rubric_id: str, version: str) -> dict:
    path = _rubric_files(f"{rubric_id}-{version}.toml").get(f"{rubric_id}-{version}")
    if path is None:
        raise RubricError(f"没有评价标准 {rubric_id} {version}")
    with path.open("rb") as f:
        return tomllib.load(f, parse_float=Decimal)


def available_versions(rubric_id: str) -> list[str]:
    """Versions of a rubric on disk, oldest first (versions compare as dotted numbers)."""
    versions = [
        stem.removeprefix(f"{rubric_id}-")
        for stem in _rubric_files(f"{rubric_id}-*.toml")
        if stem.removeprefix(f"{rubric_id}-")[:1].isdigit()
    ]
    return sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))


def available_rubrics() -> list[str]:
    return sorted({stem.rsplit("-", 1)[0] for stem in _rubric_files("*.toml")})


_cache: dict[tuple[str, str], Rubric] = {}
on_change(_cache.clear)


def load_rubric(rubric_id: str, version: str | None = None) -> Rubric:
    """Load a rubric by id, the latest version unless one is named. Loaded rubrics are cached."""
    if version is None:
        versions = available_versions(rubric_id)
        if not versions:
            raise RubricError(f"没有评价标准 {rubric_id}")
        version = versions[-1]
    key = (rubric_id, version)
    if key not in _cache:
        _cache[key] = _build(_read(rubric_id, version))
    return _cache[key]


def _build(raw: dict) -> Rubric:
    inherit = raw.get("inherit")
    parent = load_rubric(inherit["rubric"], inherit["version"]) if inherit else None

    dimensions = [_build_dimension(d) for d in raw.get("dimensions", [])]
    if parent:
        dimensions += [parent.dimension(code) for code in inherit.get("dimensions", [])]

    gates_raw: dict[str, dict] = {}
    if parent and inherit.get("gates"):
        for g in parent.gates:
            gates_raw[g.code] = {
                "code": g.code,
                "name": g.name,
                "name_en": g.name_en,
                "manual": g.manual,
                "when_option": dict(zip(("indicator", "option"), g.when_option, strict=True))
                if g.when_option
                else {},
                "when_worst_class": {"indicator": g.when_worst_class} if g.when_worst_class else {},
            }
    for g in raw.get("gates", []):
        gates_raw.setdefault(g["code"], {}).update(g)
    gates = tuple(_build_gate(g) for g in sorted(gates_raw.values(), key=lambda g: g["code"]))

    decision = raw.get("decision") or {}
    if parent and inherit.get("decision") and not decision:
        decision = {
            "accept_total": parent.accept_total,
            "conditional_total": parent.conditional_total,
            "dimension_floor": parent.dimension_floor,
        }
    if parent and inherit.get("grades") and "grades" not in raw:
        grades = parent.grades
    else:
        grades = tuple(
            Grade(_dec(g["min"]), g["label"], g.get("label_en", g["label"])) for g in raw["grades"]
        )
    panel = raw.get("panel") or {}
    if "spread_flag" in panel:
        spread_flag = _dec(panel["spread_flag"])
    elif parent:
        spread_flag = parent.panel_spread_flag
    else:
        spread_flag = Decimal("1.5")
    rubric = Rubric(
        id=raw["id"],
        version=raw["version"],
        waterbody=raw["waterbody"],
        name=raw["name"],
        name_en=raw.get("name_en", raw["name"]),
        dimensions=tuple(dimensions),
        gates=gates,
        grades=tuple(sorted(grades, key=lambda g: g.min, reverse=True)),
        accept_total=_dec(decision["accept_total"]),
        conditional_total=_dec(decision["conditional_total"]),
        dimension_floor=_dec(decision["dimension_floor"]),
        panel_spread_flag=spread_flag,
    )
    _check(rubric)
    return rubric


def _build_dimension(raw: dict) -> Dimension:
    indicators = []
    for i in raw["indicators"]:
        options = tuple(
            Option(
                o["code"],
                o["label"],
                o.get("label_en", o["label"]),
                _dec(o.get("points", o.get("fraction"))),
            )
            for o in i.get("items", i.get("options", []))
        )
        known = {
            "code",
            "name",
            "name_en",
            "max",
            "kind",
            "unit",
            "unit_en",
            "help",
            "items",
            "options",
            "panel",
        }
        params = {
            k: (_dec(v) if isinstance(v, int | float) else v)
            for k, v in i.items()
            if k not in known
        }
        indicators.append(
            Indicator(
                code=i["code"],
                name=i["name"],
                name_en=i.get("name_en", i["name"]),
                dimension=raw["code"],
                max=_dec(i["max"]),
                kind=i["kind"],
                params=params,
                unit=i.get("unit", ""),
                unit_en=i.get("unit_en", ""),
                help=i.get("help", ""),
                options=options,
                panel=bool(i.get("panel", i["kind"] == "judged")),
            )
        )
    return Dimension(
        raw["code"],
        raw["name"],
        raw.get("name_en", raw["name"]),
        _dec(raw["max"]),
        tuple(indicators),
    )


def _build_gate(raw: dict) -> Gate:
    when_option = raw.get("when_option") or {}
    when_class = raw.get("when_worst_class") or {}
    return Gate(
        code=raw["code"],
        name=raw["name"],
        name_en=raw.get("name_en", raw["name"]),
        manual=bool(raw.get("manual", False)),
        when_option=(when_option["indicator"], when_option["option"]) if when_option else None,
        when_worst_class=when_class.get("indicator"),
    )


def _check(rubric: Rubric) -> None:
    """Refuse a rubric whose numbers do not add up: a typo must not silently change scores."""
    codes = [i.code for d in rubric.dimensions for i in d.indicators]
    if len(codes) != len(set(codes)):
        raise RubricError(f"{rubric.id}: 指标代码重复")
    for d in rubric.dimensions:
        total = sum((i.max for i in d.indicators), Decimal(0))
        if total != d.max:
            raise RubricError(f"{rubric.id}: 维度 {d.code} 的指标满分之和 {total} ≠ {d.max}")
        for i in d.indicators:
            if i.kind not in KINDS:
                raise RubricError(f"{rubric.id}: 指标 {i.code} 的类型 {i.kind} 未知")
            try:
                i.prepared  # noqa: B018 — a missing or malformed parameter is refused now
            except (KeyError, ValueError, TypeError, ArithmeticError, UnknownKind) as e:
                raise RubricError(f"{rubric.id}: 指标 {i.code} 的参数有误（{e}）") from None
            if i.panel and i.kind != "judged":
                raise RubricError(f"{rubric.id}: 指标 {i.code} 不是 judged 类型，不能由专家组评分")
            if i.kind == "checklist" and sum(o.value for o in i.options) != i.max:
                raise RubricError(f"{rubric.id}: 指标 {i.code} 的项目分值之和 ≠ {i.max}")
    indicators = rubric.indicators
    for g in rubric.gates:
        if g.when_option and g.when_option[0] not in indicators:
            raise RubricError(f"{rubric.id}: 否决条件 {g.code} 引用了不存在的指标")
        if g.when_worst_class and g.when_worst_class not in indicators:
            raise RubricError(f"{rubric.id}: 否决条件 {g.code} 引用了不存在的指标")
