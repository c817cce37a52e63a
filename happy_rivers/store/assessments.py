"""Assessments: create, save with optimistic locking, submit, review — each write audited."""

import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from decimal import Decimal

from sqlite_utils import Database

from happy_rivers.scoring.workflow import (
    OPEN_STATUSES,
    FourEyesError,
    SelfReviewError,
    next_status,
    title_change,
)

from . import audit, notifications, now, panels, write
from .standings import invalidate_standings, refresh_waterbody
from .titles import title_history


class NotFound(LookupError):
    pass


class Conflict(Exception):
    """The write lost a race: someone else saved first, or an open assessment already exists."""

    def __init__(self, message: str, current: dict | None = None):
        super().__init__(message)
        self.message = message
        self.current = current


_SELECT = (
    "SELECT a.*, w.name AS waterbody_name, w.kind AS waterbody_kind, "
    "w.district_code, d.name AS district_name, "
    "iu.display_name AS inspector_name, ru.display_name AS reviewer_name "
    "FROM assessments a JOIN waterbodies w ON w.id = a.waterbody_id "
    "JOIN districts d ON d.code = w.district_code "
    "LEFT JOIN users iu ON iu.id = a.inspector_id "
    "LEFT JOIN users ru ON ru.id = a.reviewer_id"
)


def _decode(row: dict, *, result: bool = True) -> dict:
    row = dict(row)
    row["answers"] = json.loads(row["answers"]) if row.get("answers") else {}
    if result:
        row["result"] = json.loads(row["result"]) if row.get("result") else None
    else:  # not there rather than still JSON text: a reader that needs it fails loudly
        del row["result"]
    row["field_comments"] = json.loads(row["field_comments"]) if row.get("field_comments") else {}
    return row


def get(
    db: Database, assessment_id: int, *, district: str | None = None, result: bool = True
) -> dict | None:
    """One assessment with its waterbody, or None if missing or outside the given district.
    result=False leaves out the scoring result (~6 KB of JSON to decode) for a reader that
    does not show it."""
    sql, params = _SELECT + " WHERE a.id = ?", [assessment_id]
    if district:
        sql += " AND w.district_code = ?"
        params.append(district)
    rows = list(db.query(sql, params))
    return _decode(rows[0], result=result) if rows else None


def _where(
    *,
    district: str | None = None,
    waterbody_id: int | None = None,
    status: str | list[str] | None = None,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> tuple[str, list]:
    """The WHERE clause (with its leading space, or empty) of a list of assessments."""
    where, params = [], []
    if district:
        where.append("w.district_code = ?")
        params.append(district)
    if waterbody_id:
        where.append("a.waterbody_id = ?")
        params.append(waterbody_id)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        where.append(f"a.status IN ({', '.join('?' * len(statuses))})")
        params.extend(statuses)
    if kind:
        where.append("a.kind = ?")
        params.append(kind)
    # date filters apply to the decision date when decided, else to the last change
    if since:
        where.append("coalesce(a.decided_on, substr(a.updated_at, 1, 10)) >= ?")
        params.append(since)
    if until:
        where.append("coalesce(a.decided_on, substr(a.updated_at, 1, 10)) <= ?")
        params.append(until)
    return (" WHERE " + " AND ".join(where) if where else ""), params


def list_assessments(
    db: Database,
    *,
    district: str | None = None,
    waterbody_id: int | None = None,
    status: str | list[str] | None = None,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
    decode: bool = True,
) -> list[dict]:
    where, params = _where(
        district=district,
        waterbody_id=waterbody_id,
        status=status,
        kind=kind,
        since=since,
        until=until,
    )
    sql = _SELECT + where + " ORDER BY a.updated_at DESC, a.id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    rows = db.query(sql, params)
    return [_decode(r) for r in rows] if decode else list(rows)


# What an export shows of an assessment: not the answers nor the reviewer's per-field comments,
# and of the ~6 KB result only what its columns show (~0.8 KB), cut out by SQLite in one parse
# (json_extract with several paths answers a JSON array): decoding whole results was the
# largest cost of an export.
_EXPORT_PARTS = ("dimensions", "reasons", "gate_details")
_EXPORT_SELECT = (
    "SELECT a.id, a.kind, a.status, "
    "json_extract(a.result, '$.dimensions', '$.reasons', '$.gate_details') AS result, "
    "a.total_cents, a.computed_decision, a.decision, "
    "a.override_reason, a.return_comment, a.rubric_id, a.rubric_version, a.submitted_at, "
    "a.decided_on, w.name AS waterbody_name, w.kind AS waterbody_kind, w.district_code, "
    "d.name AS district_name, iu.display_name AS inspector_name, "
    "ru.display_name AS reviewer_name "
    "FROM assessments a JOIN waterbodies w ON w.id = a.waterbody_id "
    "JOIN districts d ON d.code = w.district_code "
    "LEFT JOIN users iu ON iu.id = a.inspector_id "
    "LEFT JOIN users ru ON ru.id = a.reviewer_id"
)


def export_rows(db: Database, **filters) -> Iterator[dict]:
    """The assessments an export lists (filters as list_assessments), by id, one at a time.

    A generator over the open cursor: SQLite hands the rows over as they are read, so an export
    of every assessment holds one row in memory, not 200,000 decoded ones (which took a worker
    past 2 GB at ten times the city). `result` holds only the parts the export shows. One
    statement reads one snapshot, so a write committed meanwhile cannot make the file half
    old, half new.
    """
    where, params = _where(**filters)
    cursor = db.execute(_EXPORT_SELECT + where + " ORDER BY a.id", params)
    try:
        names = [c[0] for c in cursor.description]
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            if row["result"] is not None:
                row["result"] = dict(zip(_EXPORT_PARTS, json.loads(row["result"]), strict=True))
            yield row
    finally:  # a download cancelled half-way: the statement ends here, not at collection
        cursor.close()


def open_for(db: Database, waterbody_id: int, kind: str) -> dict | None:
    rows = list(
        db.query(
            "SELECT id FROM assessments WHERE waterbody_id = ? AND kind = ? AND status IN "
            f"({', '.join('?' * len(OPEN_STATUSES))})",
            [waterbody_id, kind, *OPEN_STATUSES],
        )
    )
    return get(db, rows[0]["id"]) if rows else None


def count_returned(db: Database, district: str | None) -> int:
    """Returned assessments waiting for an inspector (of one district, or all): the header badge."""
    sql = "SELECT count(*) FROM assessments a"
    params: list = ["returned"]
    if district:
        sql += (
            " JOIN waterbodies w ON w.id = a.waterbody_id"
            " WHERE a.status = ? AND w.district_code = ?"
        )
        params.append(district)
    else:
        sql += " WHERE a.status = ?"
    return db.execute(sql, params).fetchone()[0]


# Every write of an assessment bumps its version by one and appends exactly one of these audit
# rows (with the answers whenever they were written), so the trail holds every version.
_VERSION_ACTIONS = (
    "assessment_created",
    "assessment_saved",
    "assessment_submitted",
    "assessment_corrected",
    "assessment_returned",
    "assessment_decided",
)


def answers_at(db: Database, assessment_id: int, version: int) -> dict | None:
    """The answers as they were at a version, read back from the audit trail; None when the
    trail does not reach that version (rows loaded without it). The conflict view compares
    with it to tell what this user changed from what someone else did."""
    rows = db.execute(
        "SELECT after FROM audit_log WHERE entity = 'assessment' AND entity_id = ? "
        f"AND action IN ({', '.join('?' * len(_VERSION_ACTIONS))}) ORDER BY id",
        [str(assessment_id), *_VERSION_ACTIONS],
    ).fetchall()
    answers = None
    for number, (after,) in enumerate(rows, start=1):
        written = json.loads(after) if after else {}
        if isinstance(written, dict) and "answers" in written:
            answers = written["answers"]
        if number == version:
            return answers
    return None


# The audit actions that write an assessment's answers on the inspector's side.
_AUTHOR_ACTIONS = ("assessment_created", "assessment_saved", "assessment_submitted")


def is_author(db: Database, assessment_id: int, user_id: int) -> bool:
    """Did this user create, fill in or submit the assessment? Authors may not review it
    (an administrator holds both the inspector's and the reviewer's rights)."""
    row = db.execute(
        "SELECT 1 FROM assessments WHERE id = ? AND inspector_id = ? UNION ALL "
        "SELECT 1 FROM audit_log WHERE entity = 'assessment' AND entity_id = ? AND user_id = ? "
        f"AND action IN ({', '.join('?' * len(_AUTHOR_ACTIONS))}) LIMIT 1",
        [assessment_id, user_id, str(assessment_id), user_id, *_AUTHOR_ACTIONS],
    ).fetchone()
    return row is not None


def corrected_by(db: Database, assessment_id: int, user_id: int) -> bool:
    """Did this user correct the assessment's answers as a reviewer (audited as
    assessment_corrected)? Then someone else decides it: four eyes on every decision."""
    row = db.execute(
        "SELECT 1 FROM audit_log WHERE entity = 'assessment' AND entity_id = ? AND user_id = ? "
        "AND action = 'assessment_corrected' LIMIT 1",
        [str(assessment_id), user_id],
    ).fetchone()
    return row is not None


def refuse_review(
    db: Database,
    assessment_id: int,
    *,
    action: str,
    reason: str,
    user: dict,
    ip: str | None = None,
) -> None:
    """Audit a review the separation-of-duties rules refused (reason: "own_work" or
    "corrected"): administrators see who tried to decide what they may not."""
    with write(db):
        audit.record(
            db,
            "review_refused",
            user=user,
            ip=ip,
            entity="assessment",
            entity_id=assessment_id,
            after={"action": action, "reason": reason},
        )


def _scored_columns(scored: dict | None) -> dict:
    """Columns derived from a scoring result dict (None while the answers are incomplete)."""
    if scored is None:
        return {"result": None, "total_cents": None, "computed_decision": None}
    return {
        "result": json.dumps(scored, ensure_ascii=False),
        "total_cents": int(Decimal(scored["total"]) * 100),
        "computed_decision": scored["decision"],
    }


def create(
    db: Database,
    *,
    waterbody_id: int,
    kind: str,
    rubric_id: str,
    rubric_version: str,
    answers: dict,
    scored: dict | None,
    user: dict,
    ip: str | None = None,
    submit: bool = False,
) -> int:
    """Create a draft — and with `submit`, submit it in the same transaction, so the assessment
    exists submitted or not at all. Raises Conflict when the waterbody already has an open one
    of this kind."""
    stamp = now()
    row = {
        "waterbody_id": waterbody_id,
        "kind": kind,
        "rubric_id": rubric_id,
        "rubric_version": rubric_version,
        "answers": json.dumps(answers, ensure_ascii=False),
        **_scored_columns(scored),
        "status": "draft",
        "inspector_id": user["id"],
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
    }
    try:
        with write(db):
            assessment_id = db["assessments"].insert(row).last_pk
            audit.record(
                db,
                "assessment_created",
                user=user,
                ip=ip,
                entity="assessment",
                entity_id=assessment_id,
                after={"kind": kind, "answers": answers},
            )
            if submit:
                save(
                    db,
                    assessment_id,
                    expected_version=1,
                    action="submit",
                    answers=answers,
                    scored=scored,
                    user=user,
                    ip=ip,
                )
    except sqlite3.IntegrityError:
        existing = open_for(db, waterbody_id, kind)
        raise Conflict("该河湖已有一份未完成的同类评估", existing) from None
    return assessment_id


def save(
    db: Database,
    assessment_id: int,
    *,
    expected_version: int,
    action: str,
    answers: dict,
    scored: dict | None,
    user: dict,
    ip: str | None = None,
) -> dict:
    """Save answers (action save/correct) or submit them. Returns the updated assessment.

    The UPDATE only matches the version the user loaded, so saving over someone else's newer
    edit raises Conflict instead of silently overwriting it. A submit that arrives twice
    (double click, network retry) finds its own submission and changes nothing.
    """
    with write(db):
        # the stored result is replaced, never read: left out (a re-read below gives it for the
        # rare answers that return the row as it is)
        current = get(db, assessment_id, result=False)
        if current is None:
            raise NotFound(assessment_id)
        if (
            action == "submit"
            and current["status"] == "submitted"
            and current["version"] == expected_version + 1
            and current["answers"] == json.loads(json.dumps(answers))
        ):
            # the very submission this request repeats: the same answers, one version on
            return get(db, assessment_id)
        if current["version"] != expected_version:
            raise Conflict("该评估已被他人修改，请查看最新内容后再保存", get(db, assessment_id))
        status = next_status(current["status"], action)
        stamp = now()
        changes = {
            "answers": json.dumps(answers, ensure_ascii=False),
            **_scored_columns(scored),
            "status": status,
            "updated_at": stamp,
            "version": expected_version + 1,
        }
        if action == "submit":
            changes["submitted_at"] = stamp
            invalidate_standings(db, titles=False)  # in-review counts change, no title
        cursor = db.execute(
            f"UPDATE assessments SET {', '.join(f'{k} = ?' for k in changes)} "
            "WHERE id = ? AND version = ?",
            [*changes.values(), assessment_id, expected_version],
        )
        if cursor.rowcount != 1:
            raise Conflict("该评估已被他人修改，请查看最新内容后再保存", get(db, assessment_id))
        # The row as a fresh read would give it, without reading it back: what was read above
        # inside this transaction, with what was just written, decoded as get() decodes it.
        updated = current | changes | {"answers": json.loads(changes["answers"])}
        # the result as decoding what was stored gives it: `scored` is JSON's own types already
        # (Result.to_dict), and decoding its ~6 KB again cost more than the UPDATE
        updated["result"] = scored
        audit.record(
            db,
            {"save": "assessment_saved", "submit": "assessment_submitted"}.get(
                action, "assessment_corrected"
            ),
            user=user,
            ip=ip,
            entity="assessment",
            entity_id=assessment_id,
            before={"status": current["status"], "answers": current["answers"]},
            after={"status": status, "answers": answers},
        )
        if action == "submit":
            notifications.assessment_submitted(db, assessment_id, actor=user)
        return updated


def review(
    db: Database,
    assessment_id: int,
    *,
    action: str,
    user: dict,
    comment: str = "",
    field_comments: dict | None = None,
    decided_on: str | None = None,
    override_reason: str | None = None,
    expected_version: int | None = None,
    scored: dict | None = None,
    ip: str | None = None,
    publicity: bool = False,
) -> dict:
    """Return or decide a submitted assessment; a decision may grant or revoke the title.

    With `publicity` (the PUBLICITY setting, 公示 on), an acceptance that would grant the title
    puts the waterbody in 公示 instead: the title comes with the naming of its batch
    (store.publicity.name).

    With an expert panel, a decision waits until the panel is complete or closed
    (panels.PanelNotReady), and `scored` (the result with the panel's combined points) is
    stored with the decision.
    """
    with write(db):
        current = get(db, assessment_id)
        if current is None:
            raise NotFound(assessment_id)
        if expected_version is not None and current["version"] != expected_version:
            raise Conflict("该评估已被他人修改，请刷新后再审核", current)
        status = next_status(current["status"], action)
        if is_author(db, assessment_id, user["id"]):
            raise SelfReviewError()
        if action != "return" and corrected_by(db, assessment_id, user["id"]):
            raise FourEyesError()
        if action != "return":
            panels.check_ready(db, assessment_id)
        changes: dict = {
            "status": status,
            "reviewer_id": user["id"],
            "updated_at": now(),
            "version": current["version"] + 1,
            "return_comment": comment or None,
        }
        if action == "return":
            changes["field_comments"] = json.dumps(field_comments or {}, ensure_ascii=False)
        else:
            changes["decision"] = status
            changes["decided_on"] = decided_on
            changes["override_reason"] = override_reason or None
            if scored is not None:
                changes.update(_scored_columns(scored))
        # Whether the title history changes, from that one waterbody's history before and
        # after: an acceptance while the title is held, or one held back for 公示, changes
        # nothing, and progress and its charts then stay cached.
        waterbody_id = current["waterbody_id"]
        before = (
            title_history(db, waterbody_id=waterbody_id).get(waterbody_id)
            if action != "return"
            else None
        )
        db["assessments"].update(assessment_id, changes)
        audit.record(
            db,
            "assessment_returned" if action == "return" else "assessment_decided",
            user=user,
            ip=ip,
            entity="assessment",
            entity_id=assessment_id,
            before={"status": current["status"]},
            after={
                k: v
                for k, v in changes.items()
                if k not in ("updated_at", "version", "reviewer_id", "result")
            }
            | {"computed_decision": changes.get("computed_decision", current["computed_decision"])},
        )
        titles_changed = False
        if action != "return":
            _apply_title(db, current, status, decided_on, user, ip, publicity)
            titles_changed = (
                title_history(db, waterbody_id=waterbody_id).get(waterbody_id) != before
            )
            # the waterbody's kept row and its district's sums, in this transaction
            refresh_waterbody(db, waterbody_id)
        invalidate_standings(db, titles=titles_changed)  # in-review counts change either way
        notifications.assessment_reviewed(db, assessment_id, status=status, actor=user)
        return get(db, assessment_id)


def _apply_title(db, assessment, decision, decided_on, user, ip, publicity: bool) -> None:
    waterbody = db["waterbodies"].get(assessment["waterbody_id"])
    change = title_change(assessment["kind"], decision, waterbody["status"] == "accepted")
    pending = publicity and change == "grant"
    if decision == "accepted":
        # store.titles counts the title from titled_on: the decision date, or under 公示 the
        # naming date, which store.publicity.name writes (NULL until then: not counted)
        db["assessments"].update(assessment["id"], {"titled_on": None if pending else decided_on})
    if change is None:
        return
    if pending:
        after = {"status": "publicity"}
        action = "title_pending"
    elif change == "grant":
        after = {"status": "accepted", "accepted_on": decided_on, "revoked_on": None}
        action = "title_granted"
    else:
        after = {"status": "revoked", "revoked_on": decided_on}
        action = "title_revoked"
    db["waterbodies"].update(waterbody["id"], after)
    audit.record(
        db,
        action,
        user=user,
        ip=ip,
        entity="waterbody",
        entity_id=waterbody["id"],
        before={k: waterbody[k] for k in after},
        after=after | {"assessment_id": assessment["id"]},
    )


class AttachmentLimit(Exception):
    """The assessment already holds as many files, or as many bytes, as one may."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


FILENAME_MAX = 200
_SPACES = re.compile(r"\s+")


def clean_filename(name: str | None, fallback: str = "证明材料") -> str:
    """A file name fit to show and to send back in a header: the last path part, without
    control or format characters (CR/LF and NUL would break the download's header; bidi
    overrides would disguise the extension), single spaces, at most 200 characters keeping
    the extension. Chinese and other letters stay as typed."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(" " if c.isspace() else c for c in text)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = _SPACES.sub(" ", text).strip(" .")
    if len(text) > FILENAME_MAX:
        stem, dot, ext = text.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        text = text[: FILENAME_MAX - len(ext)].rstrip(" .") + ext
    return text or fallback


def _with_clean_name(row: dict) -> dict:
    # rows stored before names were cleaned may still hold CR/LF or NUL: never hand them out
    return dict(row) | {"filename": clean_filename(row["filename"])}


def attachments(db: Database, assessment_id: int) -> list[dict]:
    return [
        _with_clean_name(r)
        for r in db.query(
            "SELECT * FROM attachments WHERE assessment_id = ? ORDER BY id", [assessment_id]
        )
    ]


def add_attachment(
    db: Database,
    row: dict,
    *,
    user: dict,
    ip: str | None = None,
    max_files: int | None = None,
    max_bytes: int | None = None,
) -> int:
    """Record an uploaded file. With limits, the count and the insert share one BEGIN IMMEDIATE
    transaction: uploads racing each other queue, so the limit holds however fast they come."""
    row = row | {"filename": clean_filename(row.get("filename"))}
    with write(db):
        held, held_bytes = db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM attachments WHERE assessment_id = ?",
            [row["assessment_id"]],
        ).fetchone()
        if max_files is not None and held >= max_files:
            raise AttachmentLimit(
                f"文件：每份评估最多上传 {max_files} 个证明材料，本评估已达上限，未上传"
            )
        if max_bytes is not None and held_bytes + row["size"] > max_bytes:
            raise AttachmentLimit(
                f"文件：每份评估的证明材料合计不能超过 {max_bytes // (1024 * 1024)} MB"
                f"（已上传 {held_bytes / (1024 * 1024):.1f} MB），未上传"
            )
        attachment_id = (
            db["attachments"].insert(row | {"uploaded_by": user["id"], "created_at": now()}).last_pk
        )
        audit.record(
            db,
            "attachment_added",
            user=user,
            ip=ip,
            entity="assessment",
            entity_id=row["assessment_id"],
            after={k: row[k] for k in ("indicator", "filename", "sha256", "size")},
        )
    return attachment_id


def attachment(db: Database, attachment_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM attachments WHERE id = ?", [attachment_id]))
    return _with_clean_name(rows[0]) if rows else None
