"""District and waterbody leaderboards (docs/process.md, "Leaderboards").

Pure Python: the store hands over plain rows and title spans; nothing here knows about Flask or
SQL. Scores are ``Decimal`` throughout and rounded half-up to 2 places, as shown on the page.
"""

from __future__ import annotations

import bisect
import datetime
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .numbers import round2, to_decimal
from .progress import AcceptanceSpan

RANKING_RULE = (
    "排序：已验收数量从多到少；数量相同按平均得分从高到低；再相同按达到当前数量的日期从早到晚；"
    "最后按区县代码升序。名次按（已验收数量，平均得分）竞争排名，二者均相同的并列（如 1、1、3）。"
)
RANKING_RULE_EN = (
    "Order: accepted count, most first; then mean score, highest first; then the date the current "
    "count was reached, earliest first; finally district code, ascending. Rank is competition "
    "ranking on (accepted count, mean score): districts equal in both share a rank (e.g. 1, 1, 3)."
)


def _two_places(value: Decimal | None) -> str | None:
    """Format a score as a string with exactly 2 decimals ("93.45")."""
    return None if value is None else str(round2(value))


@dataclass
class DistrictStanding:
    """One row of the district leaderboard."""

    rank: int
    code: str
    name: str
    accepted: int
    mean_score: Decimal | None
    in_review: int
    reached_at: datetime.date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "district": self.name,
            "code": self.code,
            "accepted": self.accepted,
            "mean_score": _two_places(self.mean_score),
            "in_review": self.in_review,
            "reached_at": None if self.reached_at is None else self.reached_at.isoformat(),
        }


def _held_titles(
    titles: Iterable[AcceptanceSpan], as_of: datetime.date
) -> tuple[list[AcceptanceSpan], datetime.date | None]:
    """The titles held on ``as_of``, and the latest day on or before it on which their number
    changed (None when none is held).

    Checking that the count really changed (rather than taking the latest event) keeps a
    same-day acceptance and revocation, which leave the count as it was, from moving the date.
    A span is held from ``accepted_on`` up to the day before ``revoked_on`` (never revoked
    before accepted), so the count on a day differs from the day before's by the acceptances
    on that day less the revocations on it: one pass over the spans, where counting the held
    titles on every event day was quadratic in a district's titles (issue 14, 10× the city).
    """
    held: list[AcceptanceSpan] = []
    change: dict[datetime.date, int] = defaultdict(int)
    for title in titles:
        accepted, revoked = title.accepted_on, title.revoked_on
        if accepted > as_of:
            continue
        change[accepted] += 1
        if revoked is None or revoked > as_of:
            held.append(title)
        else:  # revoked on or before as_of (and so accepted before it)
            change[revoked] -= 1
    if not held:
        return held, None
    return held, max((day for day, net in change.items() if net), default=None)


def _competition_ranks(keys: list[Any]) -> list[int]:
    """Ranks for keys already in order: equal neighbours share a rank, then a gap ("1, 1, 3")."""
    ranks: list[int] = []
    for index, key in enumerate(keys):
        ranks.append(ranks[-1] if index and key == keys[index - 1] else index + 1)
    return ranks


@dataclass(frozen=True)
class DistrictTitles:
    """What one district's titles give on a day: how many it holds, their mean score and the
    day that number was reached (both None when it holds none)."""

    accepted: int
    mean_score: Decimal | None
    reached_at: datetime.date | None


def district_titles(
    titles: Mapping[str, Iterable[AcceptanceSpan]], as_of: datetime.date
) -> dict[str, DistrictTitles]:
    """Per district code in ``titles``, its DistrictTitles on ``as_of``.

    The part of a district's standing that only a title changes: the store keeps it until one
    does, so that the first view after a submit or a decision that grants no title ranks 41
    rows (rank_district_titles) instead of every title again (issue 14, 10× the city).
    """
    result = {}
    for code, spans in titles.items():
        held, reached_at = _held_titles(spans, as_of)
        mean = round2(sum((t.total for t in held), Decimal(0)) / len(held)) if held else None
        result[code] = DistrictTitles(len(held), mean, reached_at)
    return result


_NO_TITLES = DistrictTitles(0, None, None)


def rank_districts(
    districts: list[tuple[str, str]],
    titles: Mapping[str, list[AcceptanceSpan]],
    in_review: Mapping[str, int],
    as_of: datetime.date,
) -> list[DistrictStanding]:
    """Rank every district in ``districts`` (code, name), including those with nothing accepted.

    ``titles`` maps a district code to its waterbodies' title spans; codes not in ``districts``
    are ignored. ``in_review`` maps a district code to its assessments under review.
    """
    return rank_district_titles(districts, district_titles(titles, as_of), in_review)


def rank_district_titles(
    districts: list[tuple[str, str]],
    titles: Mapping[str, DistrictTitles],
    in_review: Mapping[str, int],
) -> list[DistrictStanding]:
    """rank_districts from each district's DistrictTitles (district_titles) on the day."""
    codes = [code for code, _ in districts]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate district code")
    rows = []
    for code, name in districts:
        held = titles.get(code, _NO_TITLES)
        rows.append(
            DistrictStanding(
                rank=0,  # set below, once the order is known
                code=code,
                name=name,
                accepted=held.accepted,
                mean_score=held.mean_score,
                in_review=in_review.get(code, 0),
                reached_at=held.reached_at,
            )
        )
    rows.sort(
        key=lambda r: (
            -r.accepted,
            r.mean_score is None,  # None last
            -(r.mean_score or 0),
            r.reached_at is None,  # None last
            r.reached_at or datetime.date.min,
            r.code,
        )
    )
    # Only (accepted, mean_score) decides the rank; reached_at and code merely order the ties.
    for row, rank in zip(
        rows, _competition_ranks([(r.accepted, r.mean_score) for r in rows]), strict=True
    ):
        row.rank = rank
    return rows


@dataclass
class WaterbodyStanding:
    """One row of the waterbody leaderboard (latest decided total, per-dimension scores)."""

    rank: int
    id: Any
    name: str
    district: str
    total: Decimal
    dimensions: dict[str, Decimal]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "id": self.id,
            "name": self.name,
            "district": self.district,
            "total": _two_places(self.total),
            "dimensions": {code: _two_places(score) for code, score in self.dimensions.items()},
        }


def rank_waterbodies(rows: Iterable[Mapping[str, Any]]) -> list[WaterbodyStanding]:
    """Order waterbodies by total (desc) then id (asc); competition rank on the total."""
    standings = [
        WaterbodyStanding(
            rank=0,
            id=row["id"],
            name=row["name"],
            district=row["district"],
            total=to_decimal(row["total"]),
            dimensions={code: to_decimal(v) for code, v in row.get("dimensions", {}).items()},
        )
        for row in rows
    ]
    standings.sort(key=lambda s: (-s.total, s.id))
    for standing, rank in zip(
        standings, _competition_ranks([s.total for s in standings]), strict=True
    ):
        standing.rank = rank
    return standings


def rank_among(ahead: Sequence[Any], total: Any) -> int:
    """The competition rank of `total` (as rank_waterbodies gives it): 1 + how many totals rank
    above it. `ahead` holds at least every higher total, highest first (a page of a board
    need not rank every row to number its own)."""
    return bisect.bisect_left(ahead, -total, key=operator.neg) + 1


def leaders_by_dimension(
    rows: Iterable[Mapping[str, Any]], dimension_codes: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """For each dimension, the district whose waterbodies have the highest mean score in it.

    Each row needs "district_code", "district" and "dimensions" ({code: score}).
    """
    sums: dict[str, dict[str, tuple[Decimal, int]]] = defaultdict(dict)
    names: dict[str, str] = {}
    for row in rows:
        code = row["district_code"]
        names[code] = row["district"]
        for dimension, value in row["dimensions"].items():
            if value is None:
                continue
            total, n = sums[dimension].get(code, (Decimal(0), 0))
            sums[dimension][code] = (total + to_decimal(value), n + 1)
    return leaders_from_sums(sums, names, dimension_codes)


def leaders_from_sums(
    sums: Mapping[str, Mapping[str, tuple[Decimal, int]]],
    names: Mapping[str, str],
    dimension_codes: Iterable[str],
) -> dict[str, dict[str, Any]]:
    """For each dimension, the district whose waterbodies have the highest mean score in it,
    from each district's sum and count of its waterbodies' scores: sums[dimension][district
    code] = (sum, count), names[district code] = its name.

    Means are compared as shown (half-up to 2 places) so a visible tie goes to the lower
    district code. Dimensions no waterbody scores are left out.
    """
    leaders: dict[str, dict[str, Any]] = {}
    for dimension in dimension_codes:
        by_district = {code: sn for code, sn in (sums.get(dimension) or {}).items() if sn[1]}
        if not by_district:
            continue
        means = {code: round2(total / n) for code, (total, n) in by_district.items()}
        best = min(means, key=lambda code: (-means[code], code))
        leaders[dimension] = {"code": best, "district": names[best], "mean": means[best]}
    return leaders
