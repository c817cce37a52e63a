"""The kinds of waterbody (河流, 水库, …): one table, read from `waterbody_kinds.toml` in the
rubric folders (scoring/rubrics/ and the RUBRIC_PATH setting's folders).

Each kind has its labels, the rubric that assesses it and the GB 3838 limits that classify its
water. Everything that names, lists, checks or scores a kind asks this table, so a deployment
adds a kind (say 湖泊) with a rubric file and a table entry in its own folder, and no code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .folders import RubricError, on_change, rubric_folders

if TYPE_CHECKING:
    from .rubric import Dimension, Rubric

FILE_NAME = "waterbody_kinds.toml"
FIELDS = ("code", "label", "label_en", "rubric", "water_limits")


@dataclass(frozen=True)
class WaterbodyKind:
    code: str  # stored in waterbodies.kind, used in URLs and the API
    label: str  # 河流
    label_en: str  # River
    rubric: str  # the rubric id whose latest version assesses new work
    water_limits: str  # the GB 3838 table in scoring/water.py: river | lake_reservoir

    def label_for(self, language: str) -> str:
        return self.label_en if language == "en" else self.label


_table: dict[str, WaterbodyKind] | None = None


def _forget() -> None:
    global _table
    _table = None


on_change(_forget)


def waterbody_kinds() -> dict[str, WaterbodyKind]:
    """Code → kind, in table order (built-in kinds first)."""
    global _table
    if _table is None:
        _table = _load()
    return _table


def _load() -> dict[str, WaterbodyKind]:
    from .water import STANDARD_LIMITS  # water.py asks this table for a kind's limits

    table: dict[str, WaterbodyKind] = {}
    for folder in rubric_folders():
        path = folder / FILE_NAME
        if not path.exists():
            continue
        with path.open("rb") as f:
            entries = tomllib.load(f).get("kinds", [])
        for entry in entries:
            missing = [k for k in FIELDS if not str(entry.get(k) or "").strip()]
            if missing:
                raise RubricError(f"{path}: 河湖类型缺少 {'、'.join(missing)}")
            if entry["water_limits"] not in STANDARD_LIMITS:
                raise RubricError(
                    f"{path}: 河湖类型 {entry['code']} 的 water_limits 须为 "
                    f"{'、'.join(STANDARD_LIMITS)} 之一"
                )
            table[entry["code"]] = WaterbodyKind(**{k: str(entry[k]) for k in FIELDS})
    if not table:
        raise RubricError(f"没有河湖类型：{FILE_NAME} 不在评价标准文件夹中")
    return table


def waterbody_kind(code: str) -> WaterbodyKind:
    """The kind with this code; KeyError for a code not in the table."""
    return waterbody_kinds()[code]


def parse_kind(raw) -> str | None:
    """The code of the kind written as its code or as its Chinese or English label (what people
    type in a form, a query string, the API or a spreadsheet cell); None when it is none of
    them. The one parser of kinds: every entry point accepts and refuses the same values."""
    text = str(raw).strip() if raw is not None else ""
    for kind in waterbody_kinds().values():
        if text in (kind.code, kind.label) or text.casefold() == kind.label_en.casefold():
            return kind.code
    return None


def kind_choices_text() -> str:
    """「河流（river）、水库（reservoir）」 for error messages: what may be typed."""
    return "、".join(f"{k.label}（{k.code}）" for k in waterbody_kinds().values())


def rubric_for_waterbody(kind: str) -> Rubric:
    """The latest version of the rubric this kind of waterbody is assessed with."""
    # imported here: the rubric loader imports the indicator kinds, and the water class kind
    # asks this table for its limits
    from .rubric import load_rubric

    return load_rubric(waterbody_kind(kind).rubric)


def board_dimensions() -> list[Dimension]:
    """The dimensions the boards and exports have a column for: those of every kind's rubric,
    in the first kind's order, each code once (the built-in rubrics share the same seven)."""
    seen: dict[str, Dimension] = {}
    for kind in waterbody_kinds().values():
        for dimension in rubric_for_waterbody(kind.code).dimensions:
            seen.setdefault(dimension.code, dimension)
    return list(seen.values())
