"""Districts and waterbodies. `district` arguments scope a query to one district (inspectors).

A waterbody belongs to its lead district (district_code) and may run through others
(waterbody_districts). Reading is scoped to "lead or through": an inspector of a district a
river runs through sees it in every list, page, export and API answer. Working on it
(assessments) stays with the lead district: views check `is_lead` before any write.
"""

import math
import re
import sqlite3
from collections.abc import Iterable

from sqlite_utils import Database

from happy_rivers.scoring.waterbodies import kind_choices_text, parse_kind
from happy_rivers.translations import N_

from . import audit, now, write
from .pinyin import forms, initials, spelled
from .standings import invalidate_standings, refresh_waterbody

STATUSES = ("planned", "building", "publicity", "accepted", "revoked")
# Set by hand in the registry; publicity (公示中), accepted and revoked come only from review
# decisions and 公示 (store/publicity.py).
EDITABLE_STATUSES = ("planned", "building")
# stored as these Chinese words; pages translate them (N_ marks them for the catalog)
LEVELS = (N_("市级"), N_("区县级"), N_("乡镇级"), N_("村级"))
# Chongqing's extent (WGS-84) with a small margin: 105°11′–110°11′ E, 28°10′–32°13′ N.
BOUNDS = {"lon": (105.1, 110.3), "lat": (28.1, 32.3)}
MAX_NAME = 100
MAX_TEXT = 50
# 途经区县 may be typed with any of the separators people use in a spreadsheet cell
LIST_SEPARATORS = re.compile(r"[、,，;；/\s]+")
# The fields a registry record is made of, in form and file order.
FIELDS = (
    "name",
    "kind",
    "district",
    "through",
    "level",
    "length_km",
    "area_km2",
    "river_chief",
    "lon",
    "lat",
    "status",
)


class WaterbodyError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def districts(db: Database) -> list[dict]:
    return list(db.query("SELECT code, name, kind FROM districts ORDER BY sort_order"))


def district(db: Database, code: str) -> dict | None:
    rows = list(db.query("SELECT code, name, kind FROM districts WHERE code = ?", [code]))
    return rows[0] if rows else None


def resolve_district(db: Database, name_or_code: str | None) -> str | None:
    """The code of a district written as its name or its code; None for anything else. The one
    reading of a district: user accounts, the boards' and exports' filters and the API ask it
    (the registry's rows use district_lookup, the same table read once for many rows)."""
    return district_lookup(db).get(name_or_code) if name_or_code else None


def district_lookup(db: Database) -> dict[str, str]:
    """Name or code → code, for everything that accepts either."""
    lookup = {}
    for d in districts(db):
        lookup[d["code"]] = d["code"]
        lookup[d["name"]] = d["code"]
    return lookup


# --- validation (pure: the same rules for the form, the API and every imported row) --------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet cell holding 12 reads back as 12.0
    return str(value).strip()


def _number(value, errors: dict, key: str, label: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        errors[key] = f"{label}须为数字"
        return None
    try:
        number = float(value.strip().replace("，", ".")) if isinstance(value, str) else value
        number = float(number)
    except (TypeError, ValueError):
        errors[key] = f"{label}须为数字，「{_text(value)[:20]}」不是数字"
        return None
    if not math.isfinite(number):
        errors[key] = f"{label}须为有限的数字"
        return None
    return number


def clean(raw: dict, lookup: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """(the record as stored, errors by field) from raw values: text from a form or a file, or
    JSON values from the API. Districts by name or code; kinds as code or label (河流)."""
    errors: dict[str, str] = {}
    name = _text(raw.get("name"))
    if not name:
        errors["name"] = "请填写河湖名称"
    elif len(name) > MAX_NAME:
        errors["name"] = f"名称不能超过 {MAX_NAME} 个字"
    kind_raw = _text(raw.get("kind"))
    kind = parse_kind(kind_raw)
    if kind is None:
        errors["kind"] = (
            f"请填写类型：{kind_choices_text()}"
            if not kind_raw
            else f"类型须为{kind_choices_text()}之一，「{kind_raw[:20]}」无效"
        )
    lead_raw = _text(raw.get("district"))
    lead = lookup.get(lead_raw)
    if not lead:
        errors["district"] = (
            "请填写牵头区县（名称或代码）"
            if not lead_raw
            else f"没有区县「{lead_raw[:20]}」（可填名称或代码）"
        )
    through_raw = raw.get("through")
    if through_raw is None or isinstance(through_raw, str | int | float):
        through_raw = [p for p in LIST_SEPARATORS.split(_text(through_raw)) if p]
    through: list[str] = []
    if not isinstance(through_raw, list):
        errors["through"] = "途经区县须为区县名称或代码的列表"
    else:
        unknown = [_text(p) for p in through_raw if lookup.get(_text(p)) is None]
        if unknown:
            errors["through"] = f"没有区县「{'、'.join(unknown)[:40]}」（可填名称或代码）"
        codes = [lookup[_text(p)] for p in through_raw if lookup.get(_text(p))]
        if lead and lead in codes:
            errors["through"] = "途经区县不必再填牵头区县"
        through = sorted(set(codes) - {lead})
    level = _text(raw.get("level")) or "区县级"
    if level not in LEVELS:
        errors["level"] = f"级别须为 {'、'.join(LEVELS)} 之一"
    length_km = _number(raw.get("length_km"), errors, "length_km", "长度")
    area_km2 = _number(raw.get("area_km2"), errors, "area_km2", "面积")
    for key, value, label in (("length_km", length_km, "长度"), ("area_km2", area_km2, "面积")):
        if value is not None and value < 0 and key not in errors:
            errors[key] = f"{label}不能为负数"
    river_chief = _text(raw.get("river_chief"))
    if len(river_chief) > MAX_TEXT:
        errors["river_chief"] = f"河长不能超过 {MAX_TEXT} 个字"
    point = {}
    for key, label in (("lon", "经度"), ("lat", "纬度")):
        value = _number(raw.get(key), errors, key, label)
        low, high = BOUNDS[key]
        if value is not None and not low <= value <= high:
            errors[key] = f"{label}须在重庆市范围内（{low}—{high}，WGS-84）"
        point[key] = value
    if (point["lon"] is None) != (point["lat"] is None) and not ({"lon", "lat"} & errors.keys()):
        missing = "lat" if point["lat"] is None else "lon"
        errors[missing] = "经度和纬度须同时填写"
    status = _text(raw.get("status")) or "building"
    if status not in EDITABLE_STATUSES:
        errors["status"] = "状态只能设为规划中或建设中；市级幸福河湖与摘牌由审核结论决定"
    row = {
        "name": name,
        "kind": kind,
        "district_code": lead,
        "through": through,
        "level": level,
        "length_km": length_km,
        "area_km2": area_km2,
        "river_chief": river_chief or None,
        "lon": point["lon"],
        "lat": point["lat"],
        "status": status,
    }
    return row, errors


def stored_columns(row: dict) -> dict:
    """The waterbodies columns of a cleaned record, with its pinyin forms."""
    stored = {k: v for k, v in row.items() if k != "through"}
    stored["name_pinyin"], stored["name_initials"] = forms(row["name"])
    stored["updated_at"] = now()
    return stored


def _set_through(db: Database, waterbody_id: int, codes: Iterable[str]) -> None:
    db.execute("DELETE FROM waterbody_districts WHERE waterbody_id = ?", [waterbody_id])
    db["waterbody_districts"].insert_all(
        {"waterbody_id": waterbody_id, "district_code": c} for c in codes
    )


# --- reading -------------------------------------------------------------------------------

# The district scope of a read: lead district, or one the waterbody runs through.
_IN_DISTRICT = (
    "(w.district_code = :district OR w.id IN "
    "(SELECT waterbody_id FROM waterbody_districts WHERE district_code = :district))"
)
_THROUGH = (
    "(SELECT group_concat(pair, ',') FROM (SELECT wd.district_code || ':' || d2.name AS pair "
    "FROM waterbody_districts wd JOIN districts d2 ON d2.code = wd.district_code "
    "WHERE wd.waterbody_id = w.id ORDER BY d2.sort_order)) AS through_pairs"
)
SORTS = {
    "name": "w.name_pinyin {dir}, w.name {dir}",
    "district": "d.sort_order {dir}, w.name_pinyin",
    "kind": "w.kind {dir}, w.name_pinyin",
    "status": "w.status {dir}, w.name_pinyin",
    "length": "w.length_km IS NULL, w.length_km {dir}, w.name_pinyin",
    "area": "w.area_km2 IS NULL, w.area_km2 {dir}, w.name_pinyin",
    "accepted_on": "w.accepted_on IS NULL, w.accepted_on {dir}, w.name_pinyin",
}


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with % and _ taken literally."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def list_waterbodies(
    db: Database,
    *,
    district: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    limit: int | None = None,
) -> list[dict]:
    """Waterbodies in a district's read scope, found by name, full pinyin or initials.

    A q with Latin letters is converted to pinyin as the names are, so houhe, hh, 后he and
    h河 all find 后河.
    """
    where, params = [], {}
    if district:
        where.append(_IN_DISTRICT)
        params["district"] = district
    if kind:
        where.append("w.kind = :kind")
        params["kind"] = kind
    if status:
        where.append("w.status = :status")
        params["status"] = status
    if q and re.search("[A-Za-z]", q):
        # Latin letters typed: pinyin, whole or initials, possibly mixed with characters
        where.append(
            "(w.name LIKE :q ESCAPE '\\' OR w.name_pinyin LIKE :qp ESCAPE '\\' "
            "OR w.name_initials LIKE :qi ESCAPE '\\')"
        )
        params |= {"q": _like(q), "qp": _like(spelled(q)), "qi": _like(initials(q))}
    elif q:
        # characters only: the characters themselves (河 must not find every name with an h)
        where.append("w.name LIKE :q ESCAPE '\\'")
        params["q"] = _like(q)
    sql = (
        f"SELECT w.*, d.name AS district_name, {_THROUGH}, "
        "(SELECT count(*) FROM assessments a WHERE a.waterbody_id = w.id "
        " AND a.status IN ('draft', 'submitted', 'returned')) AS open_assessments "
        "FROM waterbodies w JOIN districts d ON d.code = w.district_code"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    order = SORTS.get(sort or "", "d.sort_order {dir}, w.name {dir}")
    sql += " ORDER BY " + order.format(dir="DESC" if descending else "ASC") + ", w.id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_with_through(r) for r in db.query(sql, params)]


def _with_through(row: dict) -> dict:
    """through: the codes of the districts it runs through; through_names: their names."""
    pairs = [p.split(":", 1) for p in (row.pop("through_pairs") or "").split(",") if p]
    row["through"] = [code for code, _name in pairs]
    row["through_names"] = [name for _code, name in pairs]
    return row


def get(db: Database, waterbody_id: int, *, district: str | None = None) -> dict | None:
    """One waterbody, or None when it does not exist or lies outside the district's read scope
    (neither its lead district nor one it runs through)."""
    sql = (
        f"SELECT w.*, d.name AS district_name, {_THROUGH} FROM waterbodies w "
        "JOIN districts d ON d.code = w.district_code WHERE w.id = :id"
    )
    params: dict = {"id": waterbody_id}
    if district:
        sql += " AND " + _IN_DISTRICT
        params["district"] = district
    rows = list(db.query(sql, params))
    return _with_through(rows[0]) if rows else None


def is_lead(row: dict, district: str | None) -> bool:
    """May a user with this scope work on the waterbody (not just read it)?"""
    return district is None or row["district_code"] == district


def points(db: Database, ids: Iterable[int] | None = None) -> list[dict]:
    """Waterbodies with a known WGS-84 point (optionally only these ids), for the map."""
    rows = db.query(
        "SELECT id, name, kind, status, district_code, lon, lat FROM waterbodies "
        "WHERE lon IS NOT NULL AND lat IS NOT NULL ORDER BY id"
    )
    wanted = None if ids is None else set(ids)
    return [r for r in rows if wanted is None or r["id"] in wanted]


# --- writing -------------------------------------------------------------------------------


def _duplicate(db: Database, name: str, code: str, *, other_than: int | None = None) -> bool:
    rows = db.execute(
        "SELECT id FROM waterbodies WHERE name = ? AND district_code = ? AND id IS NOT ?",
        [name, code, other_than],
    ).fetchall()
    return bool(rows)


def create(db: Database, data: dict, *, actor: dict | None = None, ip: str | None = None) -> int:
    row, errors = clean(data, district_lookup(db))
    if not errors and _duplicate(db, row["name"], row["district_code"]):
        errors["name"] = f"该区县已有名为「{row['name']}」的河湖"
    if errors:
        raise WaterbodyError(errors)
    stored = stored_columns(row) | {"is_demo": int(bool(data.get("is_demo"))), "created_at": now()}
    try:
        with write(db):
            waterbody_id = db["waterbodies"].insert(stored).last_pk
            _set_through(db, waterbody_id, row["through"])
            invalidate_standings(db)
            audit.record(
                db,
                "waterbody_created",
                user=actor,
                ip=ip,
                entity="waterbody",
                entity_id=waterbody_id,
                after=audited(stored, row["through"]),
            )
    except sqlite3.IntegrityError:
        # the check above raced another admin creating the same name: same answer, not a 500
        raise WaterbodyError({"name": f"该区县已有名为「{row['name']}」的河湖"}) from None
    return waterbody_id


def update(
    db: Database,
    waterbody_id: int,
    data: dict,
    *,
    actor: dict | None = None,
    ip: str | None = None,
) -> dict:
    """Replace a waterbody's registry fields. Its status stays as decided once it holds (or
    held) the title: accepted / revoked are the reviewers' to change."""
    current = get(db, waterbody_id)
    if current is None:
        raise LookupError(waterbody_id)
    decided = current["status"] not in EDITABLE_STATUSES
    if decided:
        data = data | {"status": "building"}  # validated as editable, then put back below
    row, errors = clean(data, district_lookup(db))
    if decided:
        row["status"] = current["status"]
    if not errors and _duplicate(db, row["name"], row["district_code"], other_than=waterbody_id):
        errors["name"] = f"该区县已有名为「{row['name']}」的河湖"
    if errors:
        raise WaterbodyError(errors)
    stored = stored_columns(row)
    before = {k: current[k] for k in stored if k in current}
    try:
        with write(db):
            db["waterbodies"].update(waterbody_id, stored)
            _set_through(db, waterbody_id, row["through"])
            refresh_waterbody(db, waterbody_id)  # its kind or district may have changed
            invalidate_standings(db)
            audit.record(
                db,
                "waterbody_updated",
                user=actor,
                ip=ip,
                entity="waterbody",
                entity_id=waterbody_id,
                before=audited(before, current["through"]),
                after=audited(stored, row["through"]),
            )
    except sqlite3.IntegrityError:
        raise WaterbodyError({"name": f"该区县已有名为「{row['name']}」的河湖"}) from None
    return get(db, waterbody_id)


def audited(stored: dict, through: list[str]) -> dict:
    skip = {"name_pinyin", "name_initials", "updated_at", "created_at"}
    return {k: v for k, v in stored.items() if k not in skip} | {"through": through}
