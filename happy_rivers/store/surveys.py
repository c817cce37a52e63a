"""Satisfaction surveys (A20): open, answer, refuse, close; and the result a form pre-fills.

Why this shape:
- Nobody signs in to answer, so "one response per device" is a random cookie the answer page
  sets, and "a rate limit per address" counts the valid responses from one address in the last
  hour. Neither the cookie nor the address is stored as such: only a keyed hash (HMAC with the
  app's secret), enough to compare two answers and useless to anyone reading the table.
- Every check and the insert run in one BEGIN IMMEDIATE transaction, so two taps of the same
  phone, or a burst from one address, cannot all pass a check none of them has recorded yet.
- A refusal is counted by reason (survey_refusals), never silently dropped: the results page
  shows how many answers were kept out and why.
- The rate is computed by scoring.survey from the stored answers when the survey closes and
  kept on the survey, so the pre-filled A20 and the results page say the same thing later.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, timedelta
from decimal import Decimal

from sqlite_utils import Database

from happy_rivers import clock
from happy_rivers.scoring import survey as rules

from . import audit, now, write

# Valid responses one address may give to one survey within ADDRESS_WINDOW. Generous: a whole
# visitor group behind one mobile carrier's address (CGNAT) may answer at the same sign.
ADDRESS_LIMIT = 20
ADDRESS_WINDOW = timedelta(hours=1)
MAX_DAYS = 366  # a survey runs at most a year


class SurveyError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def keyed_hash(secret: str, value: str) -> str:
    """A device cookie or an address as stored: HMAC-SHA256 with the app's secret, 32 hex."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


# --- reading --------------------------------------------------------------------------------

_SELECT = (
    "SELECT s.*, w.name AS waterbody_name, w.district_code, d.name AS district_name, "
    "(SELECT count(*) FROM survey_responses r WHERE r.survey_id = s.id) AS responses "
    "FROM surveys s JOIN waterbodies w ON w.id = s.waterbody_id "
    "JOIN districts d ON d.code = w.district_code"
)


def _decoded(row: dict) -> dict:
    row = dict(row)
    row["rate"] = Decimal(row["rate"]) if row.get("rate") is not None else None
    return row


def get(db: Database, survey_id: int) -> dict | None:
    rows = list(db.query(_SELECT + " WHERE s.id = ?", [survey_id]))
    return _decoded(rows[0]) if rows else None


def by_token(db: Database, token: str) -> dict | None:
    rows = list(db.query(_SELECT + " WHERE s.token = ?", [token]))
    return _decoded(rows[0]) if rows else None


def list_surveys(db: Database, *, waterbody_id: int | None = None) -> list[dict]:
    sql, params = _SELECT, []
    if waterbody_id is not None:
        sql += " WHERE s.waterbody_id = ?"
        params.append(waterbody_id)
    sql += " ORDER BY s.status = 'closed', s.opens_on DESC, s.id DESC"
    return [_decoded(r) for r in db.query(sql, params)]


def is_answerable(survey: dict, today: date) -> bool:
    return survey["status"] == "open" and date.fromisoformat(
        survey["opens_on"]
    ) <= today <= date.fromisoformat(survey["closes_on"])


def overall_answers(db: Database, survey_id: int) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT overall FROM survey_responses WHERE survey_id = ? ORDER BY id", [survey_id]
        ).fetchall()
    ]


def summary(db: Database, survey_id: int) -> rules.Summary:
    return rules.summarize(overall_answers(db, survey_id))


def visits(db: Database, survey_id: int) -> dict[str, int]:
    return {
        r[0]: r[1]
        for r in db.execute(
            "SELECT visits, count(*) FROM survey_responses WHERE survey_id = ? "
            "AND visits IS NOT NULL GROUP BY visits",
            [survey_id],
        ).fetchall()
    }


def comments(db: Database, survey_id: int) -> list[dict]:
    """The free-text answers (administrators only: a visitor may write a name or a phone)."""
    return list(
        db.query(
            "SELECT id, overall, comment, created_at FROM survey_responses "
            "WHERE survey_id = ? AND comment IS NOT NULL AND comment != '' ORDER BY id",
            [survey_id],
        )
    )


def refusals(db: Database, survey_id: int) -> dict[str, int]:
    """Refused answers by reason (every reason of scoring.survey.REFUSALS, zeros included)."""
    counts = dict.fromkeys(rules.REFUSALS, 0)
    for reason, count in db.execute(
        "SELECT reason, count FROM survey_refusals WHERE survey_id = ?", [survey_id]
    ).fetchall():
        counts[reason] = count
    return counts


def latest_result(db: Database, waterbody_id: int) -> dict | None:
    """The newest closed survey of a waterbody with at least one valid response: what A20 of
    its open or next form is pre-filled with (and where the value came from)."""
    rows = list(
        db.query(
            _SELECT + " WHERE s.waterbody_id = ? AND s.status = 'closed' AND s.rate IS NOT NULL "
            "ORDER BY s.closed_at DESC, s.id DESC LIMIT 1",
            [waterbody_id],
        )
    )
    if not rows:
        return None
    survey = _decoded(rows[0])
    survey["answer"] = rules.a20_answer(survey["sample_size"], survey["rate"])
    return survey


# --- writing --------------------------------------------------------------------------------


def clean_dates(opens_raw: str, closes_raw: str, today: date) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    days = {}
    for key, raw, label in (
        ("opens_on", opens_raw, "开始日期"),
        ("closes_on", closes_raw, "结束日期"),
    ):
        text = (raw or "").strip()
        try:
            days[key] = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            days[key] = None
        if days[key] is None:
            errors[key] = f"{label}须按 YYYY-MM-DD 填写，例如 {today.isoformat()}"
    if not errors:
        if days["closes_on"] < days["opens_on"]:
            errors["closes_on"] = "结束日期不能早于开始日期"
        elif days["closes_on"] < today:
            errors["closes_on"] = "结束日期不能早于今天"
        elif (days["closes_on"] - days["opens_on"]).days > MAX_DAYS:
            errors["closes_on"] = f"调查最长 {MAX_DAYS} 天"
    return days, errors


def open_survey(
    db: Database,
    waterbody_id: int,
    opens_on: str,
    closes_on: str,
    *,
    actor: dict,
    ip: str | None = None,
) -> int:
    """Open a survey of a waterbody; one open survey per waterbody at a time."""
    days, errors = clean_dates(opens_on, closes_on, clock.today())
    if errors:
        raise SurveyError(errors)
    with write(db):
        running = db.execute(
            "SELECT id FROM surveys WHERE waterbody_id = ? AND status = 'open'", [waterbody_id]
        ).fetchone()
        if running:
            raise SurveyError({"waterbody": f"该河湖已有进行中的调查（#{running[0]}），请先结束"})
        row = {
            "waterbody_id": waterbody_id,
            "token": secrets.token_urlsafe(12),
            "opens_on": days["opens_on"].isoformat(),
            "closes_on": days["closes_on"].isoformat(),
            "status": "open",
            "created_by": actor["id"],
            "created_at": now(),
        }
        survey_id = db["surveys"].insert(row).last_pk
        audit.record(
            db,
            "survey_opened",
            user=actor,
            ip=ip,
            entity="survey",
            entity_id=survey_id,
            after={k: row[k] for k in ("waterbody_id", "opens_on", "closes_on")},
        )
    return survey_id


def _refuse(db: Database, survey_id: int, reason: str) -> str:
    db.execute(
        "INSERT INTO survey_refusals (survey_id, reason, count) VALUES (?, ?, 1) "
        "ON CONFLICT (survey_id, reason) DO UPDATE SET count = count + 1",
        [survey_id, reason],
    )
    return reason


def refuse(db: Database, survey_id: int, reason: str) -> str:
    """Count a response refused before it reached the checks below (honeypot, too fast…)."""
    with write(db):
        return _refuse(db, survey_id, reason)


def respond(
    db: Database,
    survey_id: int,
    *,
    overall: str,
    visits: str | None,
    comment: str | None,
    device: str,
    address: str,
    seconds: int,
) -> str | None:
    """Keep one valid response: None, or the refusal reason (counted) when it may not be kept.

    `device` and `address` are keyed hashes (keyed_hash). Checked and written in one write
    transaction: still open, first answer of this device, address under its hourly limit.
    """
    at = clock.utc_now()
    with write(db):
        row = db.execute(
            "SELECT status, opens_on, closes_on FROM surveys WHERE id = ?", [survey_id]
        )
        status, opens_on, closes_on = row.fetchone()
        survey = {"status": status, "opens_on": opens_on, "closes_on": closes_on}
        if not is_answerable(survey, clock.today()):
            return _refuse(db, survey_id, "closed")
        seen = db.execute(
            "SELECT 1 FROM survey_responses WHERE survey_id = ? AND device = ?",
            [survey_id, device],
        ).fetchone()
        if seen:
            return _refuse(db, survey_id, "device")
        recent = db.execute(
            "SELECT count(*) FROM survey_responses WHERE survey_id = ? AND address = ? "
            "AND created_at > ?",
            [survey_id, address, clock.stamp(at - ADDRESS_WINDOW)],
        ).fetchone()[0]
        if recent >= ADDRESS_LIMIT:
            return _refuse(db, survey_id, "address")
        db["survey_responses"].insert(
            {
                "survey_id": survey_id,
                "overall": overall,
                "visits": visits,
                "comment": comment,
                "device": device,
                "address": address,
                "seconds": seconds,
                "created_at": clock.stamp(at),
            }
        )
    return None


def close_survey(db: Database, survey_id: int, *, actor: dict, ip: str | None = None) -> dict:
    """Close a survey and keep its rate and sample size (the A20 answer it gives)."""
    with write(db):
        survey = get(db, survey_id)
        if survey is None:
            raise LookupError(survey_id)
        if survey["status"] != "open":
            raise SurveyError({"status": "该调查已结束"})
        result = summary(db, survey_id)
        closed = {
            "status": "closed",
            "closed_by": actor["id"],
            "closed_at": now(),
            "sample_size": result.sample_size,
            "rate": None if result.rate is None else str(result.rate),
        }
        db["surveys"].update(survey_id, closed)
        audit.record(
            db,
            "survey_closed",
            user=actor,
            ip=ip,
            entity="survey",
            entity_id=survey_id,
            after={k: closed[k] for k in ("sample_size", "rate")}
            | {"refused": refusals(db, survey_id)},
        )
    return get(db, survey_id)


# --- the pre-filled answer in an assessment ---------------------------------------------------


def differs(source: dict, answer) -> bool:
    """Does an assessment's survey answer differ from what the closed survey gave?"""
    if not isinstance(answer, dict) or source.get("answer") is None:
        return answer is not None
    try:
        rate = Decimal(str(answer.get("rate")))
    except ArithmeticError:
        return True
    return rate != source["rate"] or answer.get("sample_size") != source["sample_size"]


def note_for(db: Database, assessment_id: int, indicator: str) -> dict | None:
    rows = list(
        db.query(
            "SELECT * FROM survey_notes WHERE assessment_id = ? AND indicator = ?",
            [assessment_id, indicator],
        )
    )
    return rows[0] if rows else None


def keep_note(
    db: Database,
    assessment_id: int,
    indicator: str,
    source: dict,
    answer,
    note: str,
    *,
    user: dict | None,
) -> None:
    """Record which closed survey an assessment's survey answer came from, whether it was
    changed, and the inspector's note. Call in the transaction that saves the answers."""
    with write(db):
        db["survey_notes"].upsert(
            {
                "assessment_id": assessment_id,
                "indicator": indicator,
                "survey_id": source["id"],
                "edited": int(differs(source, answer)),
                "note": note.strip() or None,
                "user_id": user["id"] if user else None,
                "updated_at": now(),
            },
            pk=("assessment_id", "indicator"),
        )


def provenance(db: Database, assessment_id: int) -> dict | None:
    """Where an assessment's survey answer came from, for its result page: the survey (number,
    dates, rate, sample size), whether the inspector changed the values, and their note."""
    rows = list(
        db.query(
            "SELECT n.indicator, n.edited, n.note, s.id AS survey_id, s.opens_on, s.closes_on, "
            "s.rate, s.sample_size FROM survey_notes n JOIN surveys s ON s.id = n.survey_id "
            "WHERE n.assessment_id = ?",
            [assessment_id],
        )
    )
    return _decoded(rows[0]) if rows else None
