"""Progress toward the 市级幸福河湖 targets (docs/process.md, "Progress toward the targets").

Pure Python: callers pass plain acceptance spans and dates; nothing here knows about Flask or SQL.
Arithmetic is done in ``Decimal`` so that the figures shown (rounded half-up to 2 places) do not
depend on binary floating point, e.g. 0.125 shows as 0.13 and not 0.12.
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .numbers import round2

TARGETS_FILE = Path(__file__).with_name("targets.toml")

# Days in an average year; docs/process.md converts days to years with this divisor.
DAYS_PER_YEAR = Decimal("365.25")
# Length of the trailing window over which the current pace is measured.
PACE_WINDOW = datetime.timedelta(days=365)


@dataclass(frozen=True)
class Target:
    """A goal of so many 市级幸福河湖 by a deadline."""

    year: int
    goal: int
    deadline: datetime.date
    label: str
    label_en: str = ""  # the English of label (views fall back to label without it)


@dataclass(frozen=True)
class AcceptanceSpan:
    """One period during which a waterbody held the title 市级幸福河湖.

    The title counts from ``accepted_on`` (inclusive) until ``revoked_on`` (exclusive): a
    revocation lowers the count from its own date on. A waterbody re-accepted after revocation
    contributes two spans. The leaderboard also needs the total of the assessment that accepted
    it (a district's mean score is over the titles it holds).
    """

    accepted_on: datetime.date
    revoked_on: datetime.date | None = None
    total: Decimal | None = None

    def __post_init__(self) -> None:
        # A revocation before the acceptance would silently make the span count nothing.
        if self.revoked_on is not None and self.revoked_on < self.accepted_on:
            raise ValueError(f"revoked {self.revoked_on} before accepted {self.accepted_on}")

    def held_on(self, day: datetime.date) -> bool:
        """Whether the title is held on ``day``."""
        if self.accepted_on > day:
            return False
        return self.revoked_on is None or self.revoked_on > day


def load_targets(path: str | Path | None = None) -> list[Target]:
    """Read the targets (in file order) from a TOML file, by default ``targets.toml`` here."""
    with open(path or TARGETS_FILE, "rb") as fh:
        data = tomllib.load(fh)
    targets = []
    for entry in data.get("targets", []):
        deadline = entry["deadline"]
        # TOML local dates load as datetime.date; a datetime or a string would break subtraction.
        if type(deadline) is not datetime.date:
            raise ValueError(f"target deadline must be a TOML date, got {deadline!r}")
        targets.append(
            Target(
                year=int(entry["year"]),
                goal=int(entry["goal"]),
                deadline=deadline,
                label=str(entry["label"]),
                label_en=str(entry.get("label_en", "")),
            )
        )
    return targets


@dataclass(frozen=True)
class Programme:
    """The 幸福河湖 programme's start: the order that began it and its date."""

    start: datetime.date
    order: str


def load_programme(path: str | Path | None = None) -> Programme:
    """The ``[programme]`` table of the targets file (its start is data, like the targets)."""
    with open(path or TARGETS_FILE, "rb") as fh:
        entry = tomllib.load(fh)["programme"]
    if type(entry["start"]) is not datetime.date:
        raise ValueError(f"programme start must be a TOML date, got {entry['start']!r}")
    return Programme(start=entry["start"], order=str(entry["order"]))


def accepted_count(spans: Iterable[AcceptanceSpan], as_of: datetime.date) -> int:
    """Number of titles held on ``as_of``: accepted on or before it and not revoked on or before."""
    return sum(1 for span in spans if span.held_on(as_of))


def pace_per_year(spans: Iterable[AcceptanceSpan], as_of: datetime.date) -> int:
    """Acceptances in the 365 days ending at ``as_of`` (``as_of − 365 < accepted_on ≤ as_of``).

    Every acceptance event counts, even of a span revoked later: pace measures how fast the
    city accepts waterbodies, not how many it still holds.
    """
    # counted in days apart rather than from `as_of - PACE_WINDOW`, which does not exist (an
    # OverflowError) for an as_of in the year 1
    return sum(1 for span in spans if 0 <= (as_of - span.accepted_on).days < PACE_WINDOW.days)


def _half_up(value: Decimal) -> float:
    """Round half-up to 2 places for display; the float then prints as the rounded decimal."""
    return float(round2(value))


def _target_progress(
    target: Target, accepted: int, pace: int, as_of: datetime.date
) -> dict[str, Any]:
    remaining = max(target.goal - accepted, 0)
    days_left = (target.deadline - as_of).days
    required: float | None = None
    if days_left > 0:
        # remaining / (days_left / 365.25), as a single division to keep it exact where it can be.
        required = _half_up(remaining * DAYS_PER_YEAR / days_left)
    projected = accepted + pace * max(days_left, 0) / DAYS_PER_YEAR
    if accepted >= target.goal:
        status = "achieved"
    elif days_left <= 0:
        status = "missed"
    elif projected >= target.goal:  # unrounded: 99.9993 is not 100 even though it shows 100.00
        status = "on_track"
    else:
        status = "behind"
    return {
        "year": target.year,
        "goal": target.goal,
        "deadline": target.deadline.isoformat(),
        "label": target.label,
        "remaining": remaining,
        "days_left": days_left,
        "required_per_year": required,
        "pace_per_year": pace,
        "projected": _half_up(projected),
        "status": status,
    }


def progress(
    spans: Iterable[AcceptanceSpan],
    as_of: datetime.date,
    targets: list[Target] | None = None,
) -> dict[str, Any]:
    """Progress toward each target on ``as_of``, in the shape the JSON API returns."""
    spans = list(spans)  # iterated more than once
    if targets is None:
        targets = load_targets()
    accepted = accepted_count(spans, as_of)
    pace = pace_per_year(spans, as_of)
    return {
        "as_of": as_of.isoformat(),
        "accepted": accepted,
        "targets": [_target_progress(t, accepted, pace, as_of) for t in targets],
    }


def cumulative_series(
    spans: Iterable[AcceptanceSpan], start: datetime.date, end: datetime.date
) -> list[tuple[datetime.date, int]]:
    """Accepted count at ``start``, at each acceptance/revocation date in between, and at ``end``.

    Dates are sorted and unique; between two points the count is constant, so the points draw a
    step chart exactly.
    """
    if end < start:
        raise ValueError(f"end {end} precedes start {start}")
    spans = list(spans)
    days = {start, end}
    # held on a day = accepted on or before it − revoked on or before it (revoked_on is never
    # before accepted_on): one sweep over the events, not a count over every span per day,
    # which at city scale (1,000 spans × 100 event days) took ~100 ms
    delta: dict[datetime.date, int] = {}
    for span in spans:
        delta[span.accepted_on] = delta.get(span.accepted_on, 0) + 1
        if span.revoked_on is not None:
            delta[span.revoked_on] = delta.get(span.revoked_on, 0) - 1
        for day in (span.accepted_on, span.revoked_on):
            if day is not None and start <= day <= end:
                days.add(day)
    events = sorted(delta)
    series, held, i = [], 0, 0
    for day in sorted(days):
        while i < len(events) and events[i] <= day:
            held += delta[events[i]]
            i += 1
        series.append((day, held))
    return series


def required_pace_line(
    target: Target, start_date: datetime.date, start_count: int
) -> list[tuple[datetime.date, float]]:
    """Two points of the straight line from today's count to the goal at the deadline."""
    return [(start_date, float(start_count)), (target.deadline, float(target.goal))]
