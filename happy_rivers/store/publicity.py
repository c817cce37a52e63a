"""公示 (public notice) batches and 命名 (naming): docs/process.md, steps 4 and 5.

With 公示 on (the PUBLICITY setting), an accepting decision does not grant the title: the
waterbody shows 公示中 and the assessment waits (`assessments.titled_on` is NULL) until an
administrator lists it in a batch, the notice runs its working days, objections are recorded
and resolved, and the batch is named. Naming writes the naming date into `titled_on`, which is
what store.titles reads: the title counts from that day.

Every write is one transaction with its audit row, and re-checks the state inside it, so two
racing requests cannot both list an assessment or both name a batch.
"""

from datetime import date

from sqlite_utils import Database

from happy_rivers import clock
from happy_rivers.scoring.process import notice_period

from . import audit, notifications, now, write
from .standings import invalidate_standings

CHANNELS = ("phone", "letter", "email", "visit", "online")
MAX_WORKING_DAYS = 30
MAX_CONTACT = 200
MAX_TEXT = 2000
MAX_ITEMS = 200
# dates a notice may start on: counting working days near date.max would overflow
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


class PublicityError(ValueError):
    """Bad input: a message per field (a 422, or the form shown again with the messages)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


class PublicityStateError(Exception):
    """The batch's state does not allow this now (a 409): already named, notice not over,
    objections without a resolution."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(LookupError):
    pass


# ---------------------------------------------------------------------------------------------
# Reading


_AWAITING_SQL = (
    "SELECT a.id AS assessment_id, a.kind, a.decided_on, a.total_cents, a.waterbody_id, "
    "w.name AS waterbody, w.kind AS waterbody_kind, d.name AS district "
    "FROM assessments a JOIN waterbodies w ON w.id = a.waterbody_id "
    "JOIN districts d ON d.code = w.district_code "
    "WHERE a.status = 'accepted' AND a.titled_on IS NULL AND w.status != 'accepted' "
    "AND NOT EXISTS (SELECT 1 FROM publicity_items i "
    "  WHERE i.assessment_id = a.id AND i.outcome != 'removed')"
)


def awaiting(db: Database) -> list[dict]:
    """Accepted assessments whose title waits for a notice: not in a batch (or removed from
    one), oldest decision first."""
    return [_money(r) for r in db.query(_AWAITING_SQL + " ORDER BY a.decided_on, a.id")]


def _money(row: dict) -> dict:
    row = dict(row)
    cents = row.pop("total_cents", None)
    row["total"] = None if cents is None else f"{cents // 100}.{cents % 100:02d}"
    return row


def state(batch: dict, today: date) -> str:
    """`upcoming` (before its first day), `open` (in its notice), `ended` (waiting to be named)
    or `named`."""
    if batch["named_on"]:
        return "named"
    if today < date.fromisoformat(batch["starts_on"]):
        return "upcoming"
    if today <= date.fromisoformat(batch["ends_on"]):
        return "open"
    return "ended"


def _decorate(db: Database, batch: dict, *, today: date) -> dict:
    batch = dict(batch)
    period = notice_period(date.fromisoformat(batch["starts_on"]), batch["working_days"])
    batch["naming_from"] = period.naming_from.isoformat()
    batch["estimated"] = period.estimated
    batch["state"] = state(batch, today)
    return batch


def get(db: Database, batch_id: int, *, today: date | None = None) -> dict | None:
    """A batch with its items (waterbody, district, decision, outcome) and objections."""
    rows = list(db.query("SELECT * FROM publicity_batches WHERE id = ?", [batch_id]))
    if not rows:
        return None
    batch = _decorate(db, rows[0], today=today or clock.today())
    batch["items"] = [
        _money(r)
        for r in db.query(
            "SELECT i.assessment_id, i.outcome, i.reason, a.kind, a.decided_on, a.total_cents, "
            "w.id AS waterbody_id, w.name AS waterbody, w.kind AS waterbody_kind, "
            "d.name AS district FROM publicity_items i "
            "JOIN assessments a ON a.id = i.assessment_id "
            "JOIN waterbodies w ON w.id = i.waterbody_id "
            "JOIN districts d ON d.code = w.district_code "
            "WHERE i.batch_id = ? ORDER BY d.sort_order, w.name_pinyin, i.assessment_id",
            [batch_id],
        )
    ]
    batch["objections"] = list(
        db.query(
            "SELECT * FROM publicity_objections WHERE batch_id = ? ORDER BY received_on, id",
            [batch_id],
        )
    )
    return batch


def list_batches(db: Database, *, today: date | None = None) -> list[dict]:
    """Every batch, newest first, with its counts (for administrators)."""
    today = today or clock.today()
    rows = db.query(
        "SELECT b.*, "
        "(SELECT count(*) FROM publicity_items i WHERE i.batch_id = b.id) AS items, "
        "(SELECT count(*) FROM publicity_items i WHERE i.batch_id = b.id "
        "  AND i.outcome = 'named') AS named, "
        "(SELECT count(*) FROM publicity_objections o WHERE o.batch_id = b.id) AS objections, "
        "(SELECT count(*) FROM publicity_objections o WHERE o.batch_id = b.id "
        "  AND o.resolution IS NULL) AS unresolved "
        "FROM publicity_batches b ORDER BY b.starts_on DESC, b.id DESC"
    )
    return [_decorate(db, r, today=today) for r in rows]


def public_batches(db: Database, *, today: date | None = None) -> list[dict]:
    """What the public sees: the batches not named yet, with what each lists — the waterbody,
    its kind and district, nothing internal (no scores, people or objections)."""
    today = today or clock.today()
    batches = []
    for row in db.query(
        "SELECT * FROM publicity_batches WHERE named_on IS NULL ORDER BY starts_on, id"
    ):
        batch = _decorate(db, row, today=today)
        batch["items"] = list(
            db.query(
                "SELECT w.id AS waterbody_id, w.name AS waterbody, w.kind AS waterbody_kind, "
                "d.name AS district FROM publicity_items i "
                "JOIN waterbodies w ON w.id = i.waterbody_id "
                "JOIN districts d ON d.code = w.district_code "
                "WHERE i.batch_id = ? AND i.outcome != 'removed' "
                "ORDER BY d.sort_order, w.name_pinyin",
                [row["id"]],
            )
        )
        batches.append(batch)
    return batches


def notices_ended(db: Database, today: date | None = None) -> list[dict]:
    """Batches whose notice is over and that wait to be named (for the admins' reminders)."""
    today = today or clock.today()
    return [
        _decorate(db, r, today=today)
        for r in db.query(
            "SELECT * FROM publicity_batches WHERE named_on IS NULL AND ends_on < ? "
            "ORDER BY ends_on, id",
            [today.isoformat()],
        )
    ]


def batch_of(db: Database, assessment_id: int) -> dict | None:
    """The live (not removed) batch an assessment is listed in, if any."""
    rows = list(
        db.query(
            "SELECT b.* FROM publicity_items i JOIN publicity_batches b ON b.id = i.batch_id "
            "WHERE i.assessment_id = ? AND i.outcome != 'removed'",
            [assessment_id],
        )
    )
    return rows[0] if rows else None


# ---------------------------------------------------------------------------------------------
# Writing


def _text(value, field: str, errors: dict, *, required: bool, limit: int, label: str):
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors[field] = f"{label}须为文字"
    elif required and not text:
        errors[field] = f"请填写{label}"
    elif len(text) > limit:
        errors[field] = f"{label}不能超过 {limit} 个字"
    return text


def create(
    db: Database,
    *,
    assessment_ids: list[int],
    starts_on: date,
    working_days: int | None,
    contact: str,
    user: dict,
    ip: str | None = None,
) -> dict:
    """Publish a batch: its end date counted in working days by scoring.process."""
    errors: dict[str, str] = {}
    contact = _text(contact, "contact", errors, required=True, limit=MAX_CONTACT, label="联系方式")
    if not FIRST_DAY <= starts_on <= LAST_DAY:
        errors["starts_on"] = f"公示开始日期须在 {FIRST_DAY.year} 年至 {LAST_DAY.year} 年之间"
    if working_days is not None and not 1 <= working_days <= MAX_WORKING_DAYS:
        errors["working_days"] = f"公示天数应为 1 至 {MAX_WORKING_DAYS} 个工作日"
    ids = list(dict.fromkeys(assessment_ids))
    if not ids:
        errors["assessment_ids"] = "请至少选择一个待公示的评估"
    elif len(ids) > MAX_ITEMS:
        errors["assessment_ids"] = f"一个批次最多 {MAX_ITEMS} 项"
    with write(db):
        if ids and "assessment_ids" not in errors:
            marks = ",".join("?" * len(ids))
            found = {
                r["assessment_id"]: r
                for r in db.query(_AWAITING_SQL + f" AND a.id IN ({marks})", ids)
            }
            missing = [str(i) for i in ids if i not in found]
            if missing:
                errors["assessment_ids"] = (
                    f"评估 {'、'.join(missing)} 不在待公示之列"
                    "（未通过验收、已命名或已在其他批次中）"
                )
            elif len({r["waterbody_id"] for r in found.values()}) < len(ids):
                errors["assessment_ids"] = "同一河湖在一个批次中只能列一次"
            else:
                latest = max(found.values(), key=lambda r: r["decided_on"])
                if starts_on < date.fromisoformat(latest["decided_on"]):
                    errors["starts_on"] = (
                        f"公示开始日期不能早于验收结论日期 {latest['decided_on']}"
                        f"（{latest['waterbody']}）"
                    )
        if errors:
            raise PublicityError(errors)
        period = notice_period(starts_on, working_days)
        batch_id = (
            db["publicity_batches"]
            .insert(
                {
                    "starts_on": starts_on.isoformat(),
                    "working_days": period.working_days,
                    "ends_on": period.ends_on.isoformat(),
                    "contact": contact,
                    "created_by": user["id"],
                    "created_at": now(),
                }
            )
            .last_pk
        )
        db["publicity_items"].insert_all(
            {
                "batch_id": batch_id,
                "assessment_id": i,
                "waterbody_id": found[i]["waterbody_id"],
                "outcome": "listed",
            }
            for i in ids
        )
        # a waterbody removed from an earlier batch is in 公示 again
        marks = ",".join("?" * len(ids))
        db.execute(
            f"UPDATE waterbodies SET status = 'publicity' WHERE id IN ({marks})",
            [found[i]["waterbody_id"] for i in ids],
        )
        audit.record(
            db,
            "publicity_published",
            user=user,
            ip=ip,
            entity="publicity",
            entity_id=batch_id,
            after={
                "starts_on": starts_on.isoformat(),
                "working_days": period.working_days,
                "ends_on": period.ends_on.isoformat(),
                "contact": contact,
                "assessment_ids": ids,
            },
        )
        return get(db, batch_id)


def _open_batch(db: Database, batch_id: int) -> dict:
    batch = get(db, batch_id)
    if batch is None:
        raise NotFound(batch_id)
    if batch["named_on"]:
        raise PublicityStateError(f"该批次已于 {batch['named_on']} 命名，不能再修改")
    return batch


def add_objection(
    db: Database,
    batch_id: int,
    *,
    received_on: date | None,
    channel: str,
    content: str,
    assessment_id: int | None = None,
    resolution: str | None = None,
    user: dict,
    ip: str | None = None,
) -> dict:
    """Record an objection received during the notice (and, if known, its resolution)."""
    with write(db):
        batch = _open_batch(db, batch_id)
        errors: dict[str, str] = {}
        if received_on is None:
            errors["received_on"] = "请填写收到日期"
        elif received_on < date.fromisoformat(batch["starts_on"]):
            errors["received_on"] = f"收到日期不能早于公示开始日期 {batch['starts_on']}"
        elif received_on > clock.today():
            errors["received_on"] = "收到日期不能晚于今天"
        if channel not in CHANNELS:
            errors["channel"] = "请选择异议的来源渠道"
        content = _text(content, "content", errors, required=True, limit=MAX_TEXT, label="异议内容")
        resolution = _text(
            resolution, "resolution", errors, required=False, limit=MAX_TEXT, label="处理结果"
        )
        if assessment_id is not None and assessment_id not in {
            i["assessment_id"] for i in batch["items"]
        }:
            errors["assessment_id"] = "该评估不在本批次中"
        if errors:
            raise PublicityError(errors)
        row = {
            "batch_id": batch_id,
            "assessment_id": assessment_id,
            "received_on": received_on.isoformat(),
            "channel": channel,
            "content": content,
            "resolution": resolution or None,
            "resolved_on": clock.today().isoformat() if resolution else None,
            "recorded_by": user["id"],
            "created_at": now(),
        }
        objection_id = db["publicity_objections"].insert(row).last_pk
        audit.record(
            db,
            "publicity_objection",
            user=user,
            ip=ip,
            entity="publicity",
            entity_id=batch_id,
            after=row | {"id": objection_id},
        )
        return dict(row, id=objection_id)


def resolve_objection(
    db: Database,
    batch_id: int,
    objection_id: int,
    *,
    resolution: str,
    user: dict,
    ip: str | None = None,
) -> dict:
    """Record (or correct) how an objection was resolved."""
    with write(db):
        _open_batch(db, batch_id)
        rows = list(
            db.query(
                "SELECT * FROM publicity_objections WHERE id = ? AND batch_id = ?",
                [objection_id, batch_id],
            )
        )
        if not rows:
            raise NotFound(objection_id)
        errors: dict[str, str] = {}
        resolution = _text(
            resolution, "resolution", errors, required=True, limit=MAX_TEXT, label="处理结果"
        )
        if errors:
            raise PublicityError(errors)
        before = rows[0]
        changes = {"resolution": resolution, "resolved_on": clock.today().isoformat()}
        db["publicity_objections"].update(objection_id, changes)
        audit.record(
            db,
            "publicity_objection_resolved",
            user=user,
            ip=ip,
            entity="publicity",
            entity_id=batch_id,
            before={"id": objection_id, "resolution": before["resolution"]},
            after={"id": objection_id} | changes,
        )
        return dict(before) | changes


def name(
    db: Database,
    batch_id: int,
    *,
    named_on: date | None,
    removals: dict[int, str] | None = None,
    user: dict,
    ip: str | None = None,
) -> dict:
    """命名: the batch's waterbodies become 市级幸福河湖 on `named_on`, except those removed
    (each with a reason). Allowed from the day after the notice ends, once every objection has
    its resolution."""
    removals = removals or {}
    with write(db):
        batch = _open_batch(db, batch_id)
        today = clock.today()
        naming_from = date.fromisoformat(batch["naming_from"])
        if today < naming_from:
            raise PublicityStateError(
                f"公示期至 {batch['ends_on']} 结束，{batch['naming_from']} 起方可命名"
            )
        unresolved = sum(1 for o in batch["objections"] if not o["resolution"])
        if unresolved:
            raise PublicityStateError(f"尚有 {unresolved} 条异议未记录处理结果，处理后方可命名")
        errors: dict[str, str] = {}
        if named_on is None:
            errors["named_on"] = "请填写命名日期"
        elif named_on < naming_from:
            errors["named_on"] = f"命名日期不能早于公示结束后的第一天 {batch['naming_from']}"
        elif named_on > today:
            errors["named_on"] = "命名日期不能晚于今天"
        listed = {i["assessment_id"]: i for i in batch["items"]}
        reasons: dict[int, str] = {}
        for assessment_id, reason in removals.items():
            if assessment_id not in listed:
                errors["remove"] = f"评估 {assessment_id} 不在本批次中"
                continue
            reasons[assessment_id] = _text(
                reason,
                f"remove.{assessment_id}",
                errors,
                required=True,
                limit=MAX_TEXT,
                label="移出理由",
            )
        if errors:
            raise PublicityError(errors)
        day = named_on.isoformat()
        db["publicity_batches"].update(
            batch_id, {"named_on": day, "named_by": user["id"], "named_at": now()}
        )
        for assessment_id, item in listed.items():
            if assessment_id in reasons:
                db.execute(
                    "UPDATE publicity_items SET outcome = 'removed', reason = ? "
                    "WHERE batch_id = ? AND assessment_id = ?",
                    [reasons[assessment_id], batch_id, assessment_id],
                )
                # no title: the waterbody leaves 公示 (it may be listed again later)
                _set_waterbody(db, item["waterbody_id"], {"status": "building"})
                continue
            db.execute(
                "UPDATE publicity_items SET outcome = 'named' "
                "WHERE batch_id = ? AND assessment_id = ?",
                [batch_id, assessment_id],
            )
            db.execute("UPDATE assessments SET titled_on = ? WHERE id = ?", [day, assessment_id])
            after = {"status": "accepted", "accepted_on": day, "revoked_on": None}
            before = _set_waterbody(db, item["waterbody_id"], after)
            audit.record(
                db,
                "title_granted",
                user=user,
                ip=ip,
                entity="waterbody",
                entity_id=item["waterbody_id"],
                before=before,
                after=after | {"assessment_id": assessment_id, "publicity_batch": batch_id},
            )
        invalidate_standings(db)
        audit.record(
            db,
            "publicity_named",
            user=user,
            ip=ip,
            entity="publicity",
            entity_id=batch_id,
            after={
                "named_on": day,
                "named": [i for i in listed if i not in reasons],
                "removed": [{"assessment_id": i, "reason": r} for i, r in reasons.items()],
            },
        )
        return get(db, batch_id)


def _set_waterbody(db: Database, waterbody_id: int, changes: dict) -> dict:
    current = db["waterbodies"].get(waterbody_id)
    db["waterbodies"].update(waterbody_id, changes)
    return {k: current[k] for k in changes}


def announce_ended(db: Database, today: date | None = None) -> int:
    """Tell every administrator, once per batch, that a notice has ended and the batch may be
    named (store.notifications' hook). A notice ends by the calendar, not by a write, so this
    runs when an administrator opens the 公示 pages; it writes only for batches not yet
    announced. Returns how many batches were announced."""
    announced = 0
    for batch in notices_ended(db, today):
        key = f"notice_ended:{batch['id']}"
        if db.execute("SELECT 1 FROM notifications WHERE dedupe = ? LIMIT 1", [key]).fetchone():
            continue
        title = f"#{batch['id']} {batch['starts_on']}—{batch['ends_on']}"
        notifications.notice_ended(db, batch["id"], title=title, ends_on=batch["ends_on"])
        announced += 1
    return announced
