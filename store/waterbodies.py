"""Districts and waterbodies. `district` arguments scope a query to one district (inspectors)."""

import re
import sqlite3

from sqlite_utils import Database

from . import audit, now, write
from .standings import invalidate_standings

KINDS = ("river", "reservoir")
STATUSES = ("planned", "building", "accepted", "revoked")


class WaterbodyError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def districts(db: Database) -> list[dict]:
    return list(db.query("SELECT code, name, kind FROM districts ORDER BY sort_order"))


def district(db: Database, code: str) -> dict | None:
    rows = list(db.query("SELECT code, name, kind FROM districts WHERE code = ?", [code]))
    return rows[0] if rows else None


def list_waterbodies(
    db: Database,
    *,
    district: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    where, params = [], []
    if district:
        where.append("w.district_code = ?")
        params.append(district)
    if kind:
        where.append("w.kind = ?")
        params.append(kind)
    if status:
        where.append("w.status = ?")
        params.append(status)
    if q:
        # a search for "%" or "_" means those characters, not LIKE's wildcards
        where.append("w.name LIKE ? ESCAPE '\\'")
        params.append("%" + re.sub(r"([\\%_])", r"\\\1", q) + "%")
    sql = (
        "SELECT w.*, d.name AS district_name, "
        "(SELECT count(*) FROM assessments a WHERE a.waterbody_id = w.id "
        " AND a.status IN ('draft', 'submitted', 'returned')) AS open_assessments "
        "FROM waterbodies w JOIN districts d ON d.code = w.district_code"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY d.sort_order, w.name"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return list(db.query(sql, params))


def get(db: Database, waterbody_id: int, *, district: str | None = None) -> dict | None:
    """One waterbody, or None when it does not exist or lies outside the given district."""
    sql = (
        "SELECT w.*, d.name AS district_name FROM waterbodies w "
        "JOIN districts d ON d.code = w.district_code WHERE w.id = ?"
    )
    params: list = [waterbody_id]
    if district:
        sql += " AND w.district_code = ?"
        params.append(district)
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def create(db: Database, data: dict, *, actor: dict | None = None, ip: str | None = None) -> int:
    errors = {}
    name = (data.get("name") or "").strip() if isinstance(data.get("name"), str) else ""
    if not name:
        errors["name"] = "请填写河湖名称"
    if data.get("kind") not in KINDS:
        errors["kind"] = "类型须为 river（河流）或 reservoir（水库）"
    code = data.get("district")
    found = None
    if isinstance(code, str) and code:
        found = next(
            (d["code"] for d in districts(db) if code in (d["code"], d["name"])),
            None,
        )
    if not found:
        errors["district"] = "请填写有效的区县名称或代码"
    if not errors and list(
        db.query("SELECT id FROM waterbodies WHERE name = ? AND district_code = ?", [name, found])
    ):
        errors["name"] = f"该区县已有名为「{name}」的河湖"
    for key in ("length_km", "area_km2"):
        value = data.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        ):
            errors[key] = "须为不小于 0 的数字"
    if errors:
        raise WaterbodyError(errors)
    row = {
        "name": name,
        "kind": data["kind"],
        "district_code": found,
        "level": data.get("level") or "区县级",
        "length_km": data.get("length_km"),
        "area_km2": data.get("area_km2"),
        "river_chief": data.get("river_chief"),
        "status": "building",
        "is_demo": int(bool(data.get("is_demo"))),
        "created_at": now(),
    }
    try:
        with write(db):
            waterbody_id = db["waterbodies"].insert(row).last_pk
            invalidate_standings(db)
            audit.record(
                db,
                "waterbody_created",
                user=actor,
                ip=ip,
                entity="waterbody",
                entity_id=waterbody_id,
                after=row,
            )
    except sqlite3.IntegrityError:
        # the check above raced another admin creating the same name: same answer, not a 500
        raise WaterbodyError({"name": f"该区县已有名为「{name}」的河湖"}) from None
    return waterbody_id
