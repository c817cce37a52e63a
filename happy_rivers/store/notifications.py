"""The in-app inbox (站内通知) and its optional e-mail copies.

A notification is written by the store write that causes it, in the same transaction (one
function per event, called from store/assessments.py and store/panels.py; `notice_ended` is the
hook for 公示 batches): it exists exactly when the event does. E-mail copies are handed to the
app's mailer (happy_rivers/mail.py) only after that transaction commits, so a rolled-back
decision never sends a message, and sending never holds up the request.

Who hears about what:
- the assessment's authors (who created, filled in or submitted it): when it is returned or
  decided;
- every active reviewer: when an assessment is submitted, or submitted again after a return
  (one broadcast row for them all, taken into each reviewer's inbox when it is next read);
- each expert named on a panel;
- every active administrator: when a 公示 notice has ended and the batch may be named.
Nobody is told about their own action.
"""

import json
from collections.abc import Iterable

from flask import current_app, has_app_context
from sqlite_utils import Database

from happy_rivers.scoring.workflow import KIND_LABELS, STATUS_LABELS
from happy_rivers.translations import N_

from . import after_commit, audit, now, write

# kind → the message (Chinese; its English is in the catalog). The placeholders come from the
# row's params; `kind` and `decision` are codes, shown through KIND_LABELS / STATUS_LABELS.
TEXTS = {
    "returned": N_("评估已退回修改：%(waterbody)s · %(kind)s #%(id)s"),
    "decided": N_("评估已作出结论「%(decision)s」：%(waterbody)s · %(kind)s #%(id)s"),
    "submitted": N_("新提交待审核：%(waterbody)s（%(district)s）· %(kind)s #%(id)s"),
    "resubmitted": N_("退回后重新提交待审核：%(waterbody)s（%(district)s）· %(kind)s #%(id)s"),
    "panel_named": N_("您被列入专家组，请评分：%(waterbody)s（%(district)s）· %(kind)s #%(id)s"),
    "notice_ended": N_("公示已结束，可以命名：%(title)s（公示截止 %(ends_on)s）"),
    "recheck_due_soon": N_("复核即将到期：%(waterbody)s（%(district)s），到期日 %(due_on)s"),
    "recheck_overdue": N_("复核已逾期：%(waterbody)s（%(district)s），到期日 %(due_on)s"),
    "rectification_due_soon": N_(
        "整改期限即将到期：%(waterbody)s（%(district)s），到期日 %(due_on)s"
    ),
    "rectification_overdue": N_("整改期限已逾期：%(waterbody)s（%(district)s），到期日 %(due_on)s"),
}
INBOX_LIMIT = 200
EMAIL_MAX = 254  # RFC 5321's limit on a forward path


def text(row: dict, translate=lambda s: s) -> str:
    """A notification's message, through `translate` (gettext on pages; none for e-mail)."""
    params = dict(row["params"])
    if "kind" in params:
        params["kind"] = translate(KIND_LABELS.get(params["kind"], params["kind"]))
    if "decision" in params:
        params["decision"] = translate(STATUS_LABELS.get(params["decision"], params["decision"]))
    template = TEXTS.get(row["kind"], row["kind"])
    try:
        return translate(template) % params
    except (KeyError, TypeError, ValueError):  # a row older than its text: never break the inbox
        return translate(template)


# ---------------------------------------------------------------------------------------------
# Writing (inside the event's transaction)


def add(
    db: Database,
    user_ids: Iterable[int],
    kind: str,
    params: dict,
    *,
    assessment_id: int | None = None,
    waterbody_id: int | None = None,
    dedupe: str | None = None,
) -> int:
    """Notify these users; call inside the write transaction of the event. With `dedupe`, a
    user who already has a notification with that key gets no second one. Returns how many
    were written."""
    if kind not in TEXTS:
        raise ValueError(f"unknown notification kind {kind!r}")
    recipients = sorted(set(user_ids))
    if not recipients:
        return 0
    stamp = now()
    encoded = json.dumps(params, ensure_ascii=False, sort_keys=True)
    with write(db):
        # one statement for every recipient (a submission notifies each reviewer): RETURNING
        # gives the ones written, without those the dedupe key already had
        written = [
            row[0]
            for row in db.execute(
                "INSERT OR IGNORE INTO notifications "
                "(user_id, kind, params, assessment_id, waterbody_id, dedupe, created_at) "
                "SELECT value, ?, ?, ?, ?, ?, ? FROM json_each(?) ORDER BY value "
                "RETURNING user_id",
                [kind, encoded, assessment_id, waterbody_id, dedupe, stamp, json.dumps(recipients)],
            ).fetchall()
        ]
        _mail_after_commit(db, sorted(written), {"kind": kind, "params": params})
    return len(written)


def _mailer():
    """The app's mailer, or None (no app context, or no MAIL_SERVER configured)."""
    return current_app.extensions.get("happy_rivers_mailer") if has_app_context() else None


def _mail_after_commit(db: Database, user_ids: list[int], row: dict) -> None:
    """Hand the e-mail copies to the mailer once the transaction has committed (when the app
    has one: MAIL_SERVER configured)."""
    mailer = _mailer()
    if not user_ids or mailer is None:
        return
    addresses = [
        r[0]
        for r in db.execute(
            f"SELECT email FROM users WHERE id IN ({', '.join('?' * len(user_ids))}) "
            "AND active = 1 AND email IS NOT NULL AND email != ''",
            user_ids,
        ).fetchall()
    ]
    if addresses:
        message = text(row)
        after_commit(db, lambda: mailer.notify(addresses, message))


def _active(db: Database, sql: str, params: list) -> list[int]:
    return [r[0] for r in db.execute(sql, params).fetchall()]


def authors(db: Database, assessment_id: int) -> list[int]:
    """The active users who created, filled in or submitted the assessment."""
    return _active(
        db,
        "SELECT id FROM users WHERE active = 1 AND id IN ("
        "SELECT inspector_id FROM assessments WHERE id = ? UNION "
        "SELECT user_id FROM audit_log WHERE entity = 'assessment' AND entity_id = ? AND action "
        "IN ('assessment_created', 'assessment_saved', 'assessment_submitted'))",
        [assessment_id, str(assessment_id)],
    )


def with_role(db: Database, role: str) -> list[int]:
    return _active(db, "SELECT id FROM users WHERE active = 1 AND role = ?", [role])


def _about(db: Database, assessment_id: int) -> dict:
    row = db.execute(
        "SELECT a.id, a.kind, a.waterbody_id, w.name, d.name FROM assessments a "
        "JOIN waterbodies w ON w.id = a.waterbody_id JOIN districts d ON d.code = w.district_code "
        "WHERE a.id = ?",
        [assessment_id],
    ).fetchone()
    return {
        "id": row[0],
        "kind": row[1],
        "waterbody_id": row[2],
        "waterbody": row[3],
        "district": row[4],
    }


def _was_returned(db: Database, assessment_id: int) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM audit_log WHERE entity = 'assessment' AND entity_id = ? "
            "AND action = 'assessment_returned' LIMIT 1",
            [str(assessment_id)],
        ).fetchone()
        is not None
    )


def _others(user_ids: list[int], actor: dict | None) -> list[int]:
    return [u for u in user_ids if actor is None or u != actor["id"]]


def assessment_submitted(db: Database, assessment_id: int, *, actor: dict | None) -> int:
    """Every reviewer hears of a submission; one after a return is marked as such. One
    broadcast row, whatever the number of reviewers (their inboxes take it when read)."""
    about = _about(db, assessment_id)
    kind = "resubmitted" if _was_returned(db, assessment_id) else "submitted"
    params = {k: about[k] for k in ("id", "kind", "waterbody", "district")}
    return broadcast(
        db,
        "reviewer",
        kind,
        params,
        actor=actor,
        assessment_id=assessment_id,
        waterbody_id=about["waterbody_id"],
    )


def broadcast(
    db: Database,
    role: str,
    kind: str,
    params: dict,
    *,
    actor: dict | None,
    assessment_id: int | None = None,
    waterbody_id: int | None = None,
) -> int:
    """Notify every active user of `role` but the actor: one row, inside the event's
    transaction; each inbox takes it as its own notification when next read (deliver). The
    e-mail copies go out after the commit, as add()'s do. Returns the broadcast's id."""
    if kind not in TEXTS:
        raise ValueError(f"unknown notification kind {kind!r}")
    with write(db):
        broadcast_id = db.execute(
            "INSERT INTO broadcasts "
            "(role, kind, params, assessment_id, waterbody_id, actor_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                role,
                kind,
                json.dumps(params, ensure_ascii=False, sort_keys=True),
                assessment_id,
                waterbody_id,
                actor["id"] if actor else None,
                now(),
            ],
        ).lastrowid
        if _mailer() is not None:  # the role's members are looked up only to be mailed
            recipients = _others(with_role(db, role), actor)
            _mail_after_commit(db, recipients, {"kind": kind, "params": params})
    return broadcast_id


def latest_broadcast(db: Database, role: str | None) -> int:
    """The id of the latest broadcast to `role` (0 for none): where a user starts."""
    row = db.execute("SELECT max(id) FROM broadcasts WHERE role = ?", [role]).fetchone()
    return row[0] or 0


# a user (u) whose role has a broadcast their inbox has not taken yet
_WAITING = (
    "u.broadcasts_seen < (SELECT coalesce(max(b.id), 0) FROM broadcasts b WHERE b.role = u.role)"
)


def deliver(db: Database, user_id: int) -> int:
    """Give this user's inbox the broadcasts to their role it has not had yet, as their own
    notifications (read state, marking read and the inbox stay per user). A read asks first
    and writes only when there is something new: once per broadcast per user. Returns how
    many were delivered."""
    # every page asks (the header's unread count): one indexed read, no write, in the usual case
    waiting = db.execute(f"SELECT 1 FROM users u WHERE u.id = ? AND {_WAITING}", [user_id])
    if waiting.fetchone() is None:
        return 0
    with write(db):
        # again inside the write lock: two tabs reading at once deliver once
        role, seen = db.execute(
            "SELECT role, broadcasts_seen FROM users WHERE id = ?", [user_id]
        ).fetchone()
        latest = latest_broadcast(db, role)
        if latest <= seen:
            return 0
        delivered = db.execute(
            "INSERT INTO notifications "
            "(user_id, kind, params, assessment_id, waterbody_id, created_at) "
            "SELECT ?, kind, params, assessment_id, waterbody_id, created_at FROM broadcasts "
            "WHERE role = ? AND id > ? AND id <= ? AND actor_id IS NOT ? ORDER BY id",
            [user_id, role, seen, latest, user_id],
        ).rowcount
        db.execute("UPDATE users SET broadcasts_seen = ? WHERE id = ?", [latest, user_id])
    return delivered


def deliver_all(db: Database) -> int:
    """deliver() for every user with something waiting (the demo marks old news read)."""
    waiting = db.execute(f"SELECT u.id FROM users u WHERE {_WAITING}").fetchall()
    return sum(deliver(db, user_id) for (user_id,) in waiting)


def assessment_reviewed(
    db: Database, assessment_id: int, *, status: str, actor: dict | None
) -> int:
    """The authors hear that their assessment was returned (status `returned`) or decided."""
    about = _about(db, assessment_id)
    params = {k: about[k] for k in ("id", "kind", "waterbody")}
    if status == "returned":
        kind = "returned"
    else:
        kind = "decided"
        params["decision"] = status
    return add(
        db,
        _others(authors(db, assessment_id), actor),
        kind,
        params,
        assessment_id=assessment_id,
        waterbody_id=about["waterbody_id"],
    )


def panel_named(
    db: Database, assessment_id: int, expert_ids: list[int], *, actor: dict | None
) -> int:
    about = _about(db, assessment_id)
    params = {k: about[k] for k in ("id", "kind", "waterbody", "district")}
    return add(
        db,
        _others(expert_ids, actor),
        "panel_named",
        params,
        assessment_id=assessment_id,
        waterbody_id=about["waterbody_id"],
    )


def notice_ended(db: Database, batch_id: int, *, title: str, ends_on: str) -> int:
    """The hook for 公示 batches: tell every administrator, once per batch, that its notice has
    ended and it may be named. Safe to call on every look at an ended batch (deduplicated)."""
    return add(
        db,
        with_role(db, "admin"),
        "notice_ended",
        {"title": title, "ends_on": ends_on, "batch_id": batch_id},
        dedupe=f"notice_ended:{batch_id}",
    )


def schedule_due(db: Database, item: dict) -> int:
    """A recheck or rectification (store/schedule.py item) that is due soon or overdue: its
    district's inspectors and every administrator hear of it — once when it comes due and
    once more when it is overdue (deduplicated by item, due date and status)."""
    kind = f"{item['kind']}_{item['status']}"
    recipients = with_role(db, "admin") + _active(
        db,
        "SELECT id FROM users WHERE active = 1 AND role = 'inspector' AND district_code = ?",
        [item["district_code"]],
    )
    return add(
        db,
        recipients,
        kind,
        {
            "waterbody": item["waterbody_name"],
            "district": item["district_name"],
            "due_on": item["due_on"].isoformat(),
        },
        assessment_id=item.get("assessment_id"),
        waterbody_id=item["waterbody_id"],
        dedupe=f"{kind}:{item['waterbody_id']}:{item['due_on'].isoformat()}",
    )


# ---------------------------------------------------------------------------------------------
# The inbox


def _decode(row) -> dict:
    row = dict(row)
    row["params"] = json.loads(row["params"]) if row["params"] else {}
    return row


def unread_count(db: Database, user_id: int, *, cap: int | None = None) -> int:
    """How many unread; with `cap`, counting stops there (the header shows "99+"): every page
    asks, and someone back from leave may have thousands."""
    deliver(db, user_id)
    if cap is None:
        sql = "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL"
        return db.execute(sql, [user_id]).fetchone()[0]
    return db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM notifications WHERE user_id = ? "
        "AND read_at IS NULL LIMIT ?)",
        [user_id, cap],
    ).fetchone()[0]


def inbox(
    db: Database, user_id: int, *, unread_only: bool = False, limit: int = INBOX_LIMIT
) -> list[dict]:
    """A user's notifications, newest first."""
    deliver(db, user_id)
    sql = "SELECT * FROM notifications WHERE user_id = ?"
    if unread_only:
        sql += " AND read_at IS NULL"
    sql += " ORDER BY id DESC LIMIT ?"
    return [_decode(r) for r in db.query(sql, [user_id, int(limit)])]


def get(db: Database, notification_id: int, user_id: int) -> dict | None:
    """One of this user's notifications (None for anybody else's: ids leak nothing)."""
    rows = list(
        db.query(
            "SELECT * FROM notifications WHERE id = ? AND user_id = ?", [notification_id, user_id]
        )
    )
    return _decode(rows[0]) if rows else None


def mark_read(db: Database, user_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark these (or, with None, all) of the user's unread notifications read."""
    deliver(db, user_id)  # "all" means all the user can see
    sql = "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL"
    params: list = [now(), user_id]
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        sql += f" AND id IN ({', '.join('?' * len(ids))})"
        params.extend(ids)
    with write(db):
        return db.execute(sql, params).rowcount


def mark_read_before(db: Database, before: str) -> int:
    """Mark everybody's notifications created before `before` (a stored stamp) read: demo data
    enters a long history at once, and its old news is not news."""
    deliver_all(db)
    with write(db):
        return db.execute(
            "UPDATE notifications SET read_at = created_at "
            "WHERE read_at IS NULL AND created_at < ?",
            [before],
        ).rowcount


def email_of(db: Database, user_id: int) -> str | None:
    row = db.execute("SELECT email FROM users WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else None


def set_email(db: Database, user: dict, email: str | None, *, ip: str | None = None) -> None:
    """The address a user's notifications are copied to (None: no e-mail); audited."""
    with write(db):
        before = email_of(db, user["id"])
        db.execute("UPDATE users SET email = ? WHERE id = ?", [email, user["id"]])
        audit.record(
            db,
            "notification_email_set",
            user=user,
            ip=ip,
            entity="user",
            entity_id=user["id"],
            before={"email": before},
            after={"email": email},
        )
