"""A city-scale database for the benchmark, generated fast with direct bulk inserts.

This is a fixture generator, not application code: it writes rows the way years of real use
would leave them (every assessment with its audit rows, waterbody status consistent with the
decisions) but with one executemany per table inside db.atomic(), so 20,000 assessments take
seconds instead of the minutes the store functions would need. Results are real: every stored
result is scoring.score() of the stored answers.

Shape (defaults): 41 districts, 1,000 waterbodies (≈80 % rivers), 200 users, 20,000
assessments — ≈1,000 acceptances dated 2025–2026, some revoked by a failed re-check and a few
accepted again, ≈800 open self-assessments (draft / submitted / returned), the rest decided
history (conditional / rejected) back to 2019. On top of these, two complete drafts per
waterbody (a re-check and an acceptance, version 1) for the benchmark to submit. Answers are
drawn from 1,200 scored answer sets per rubric, so generating stays fast.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from werkzeug.security import generate_password_hash

from happy_rivers import clock, scoring, store
from happy_rivers.scoring.waterbodies import waterbody_kinds
from happy_rivers.store.demo import demo_answers
from happy_rivers.store.standings import invalidate_standings, rebuild

PASSWORD = "bench-pass-2027"
# kind of waterbody → the rubric id that assesses it (the built-in kinds table)
RUBRIC_FOR_KIND = {code: kind.rubric for code, kind in waterbody_kinds().items()}

FIRST_ACCEPTANCE = date(2025, 1, 7)
HISTORY_START = date(2019, 1, 1)


@dataclass
class Fixture:
    path: str
    counts: dict[str, int]
    status_mix: dict[str, int]
    password: str = PASSWORD
    admin: str = "admin"
    # drafts with complete answers, version 1, two per waterbody: consumed by submit POSTs
    submit_pool: list[int] = field(default_factory=list)
    # the river ones among them (one form body fits them all)
    submit_pool_river: list[int] = field(default_factory=list)
    # drafts (partial answers) for the form GET and the draft-save POST
    drafts: list[dict] = field(default_factory=list)
    # complete answers per rubric id, for the POST bodies
    answers: dict[str, dict] = field(default_factory=dict)
    # submitted self-assessments awaiting review (id, version, computed_decision): the real
    # decisions after which the bench times each board's first view
    submitted: list[dict] = field(default_factory=list)
    # a district's code, for the small warm-up exports
    first_district: str = ""


@dataclass
class _Scored:
    answers: str
    result: str
    total_cents: int
    decision: str
    raw: dict


def _stamp(day: date, rng: random.Random) -> str:
    moment = datetime.combine(day, time(8, 0), UTC) + timedelta(seconds=rng.randrange(9 * 3600))
    return clock.stamp(moment)


def _answer_pool(rng: random.Random, per_rubric: int) -> dict[str, dict[str, list[_Scored]]]:
    """Real scored answers per rubric, bucketed by the decision scoring computed for them."""
    pools: dict[str, dict[str, list[_Scored]]] = {}
    for rubric_id in RUBRIC_FOR_KIND.values():
        rubric = scoring.load_rubric(rubric_id)
        buckets: dict[str, list[_Scored]] = {"accepted": [], "conditional": [], "rejected": []}
        for i in range(per_rubric):
            quality = (0.97, 0.86, 0.8, 0.7)[i % 4]
            answers = demo_answers(rubric, rng, quality)
            result = scoring.score(rubric, answers).to_dict()
            buckets[result["decision"]].append(
                _Scored(
                    json.dumps(answers, ensure_ascii=False),
                    json.dumps(result, ensure_ascii=False),
                    int(Decimal(result["total"]) * 100),
                    result["decision"],
                    answers,
                )
            )
        assert all(buckets.values()), f"{rubric_id}: every decision drawn at least once"
        pools[rubric_id] = buckets
    return pools


def build(
    path: str,
    *,
    n_waterbodies: int = 1000,
    n_assessments: int = 20_000,
    n_users: int = 200,
    seed: int = 2027,
    today: date | None = None,
) -> Fixture:
    """Create a fresh database at `path` (migrated) and fill it; returns what the bench needs."""
    rng = random.Random(seed)
    today = today or clock.today()
    last_day = min(today - timedelta(days=1), date(2026, 12, 31))
    db = store.connect(path)
    store.migrate(db)
    districts = [r["code"] for r in db.query("SELECT code FROM districts ORDER BY sort_order")]
    pools = _answer_pool(rng, per_rubric=1200)

    with db.atomic():
        # ---- users: 1 admin, reviewers, inspectors spread over the districts
        password_hash = generate_password_hash(PASSWORD)  # once: hashing is slow on purpose
        created = _stamp(date(2024, 12, 1), rng)
        user_rows = [(1, "admin", "系统管理员（压测）", password_hash, "admin", None, 1, created)]
        n_reviewers = max(1, n_users // 20)
        for i in range(n_reviewers):
            user_rows.append(
                (len(user_rows) + 1, f"reviewer{i + 1:02d}", f"审核员{i + 1}（压测）",
                 password_hash, "reviewer", None, 1, created)
            )  # fmt: skip
        inspectors: dict[str, list[int]] = {code: [] for code in districts}
        while len(user_rows) < n_users:
            code = districts[(len(user_rows) - 1 - n_reviewers) % len(districts)]
            uid = len(user_rows) + 1
            inspectors[code].append(uid)
            user_rows.append(
                (uid, f"inspector{uid:03d}", f"检查员{uid}（压测）", password_hash,
                 "inspector", code, 1, created)
            )  # fmt: skip
        db.conn.executemany(
            "INSERT INTO users (id, username, display_name, password_hash, role, district_code, "
            "active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            user_rows,
        )
        reviewers = list(range(2, 2 + n_reviewers))

        # ---- waterbodies, unevenly spread (central districts have more)
        weights = [3 if i < 12 else 1 for i in range(len(districts))]
        wbs = []
        for i in range(n_waterbodies):
            code = rng.choices(districts, weights)[0]
            kind = "reservoir" if rng.random() < 0.2 else "river"
            wbs.append(
                {
                    "id": i + 1,
                    "name": f"{'压测水库' if kind == 'reservoir' else '压测河'}{i + 1:04d}",
                    "kind": kind,
                    "district_code": code,
                    "level": "市级" if rng.random() < 0.1 else "区县级",
                    "length_km": round(rng.uniform(5, 150), 1) if kind == "river" else None,
                    "area_km2": round(rng.uniform(0.3, 60), 2) if kind == "reservoir" else None,
                    "river_chief": "区县河长（压测）",
                    "status": "building",
                    "accepted_on": None,
                    "revoked_on": None,
                    "is_demo": 1,
                    "created_at": created,
                }
            )

        # ---- assessment timelines
        rows: list[dict] = []

        def add(wb, kind, status, decided_on=None, *, when=None, complete=True):
            rubric_id = RUBRIC_FOR_KIND[wb["kind"]]
            bucket = status if status in ("accepted", "conditional", "rejected") else None
            scored = rng.choice(pools[rubric_id][bucket or rng.choice(["accepted", "conditional"])])
            rows.append(
                {
                    "wb": wb,
                    "kind": kind,
                    "rubric_id": rubric_id,
                    "status": status,
                    "decided_on": decided_on,
                    "day": decided_on or when,
                    "scored": scored,
                    "complete": complete,
                }
            )

        span = (last_day - FIRST_ACCEPTANCE).days
        batch_days = sorted(
            {FIRST_ACCEPTANCE + timedelta(days=rng.randrange(span + 1)) for _ in range(40)}
        )
        batch_days[0] = FIRST_ACCEPTANCE
        accepted_target = round(n_waterbodies * 0.9)
        order = list(wbs)
        rng.shuffle(order)
        holders = []
        for n, wb in enumerate(order[:accepted_target]):
            day = FIRST_ACCEPTANCE if n < 16 else rng.choice(batch_days)
            add(wb, "acceptance", "accepted", day.isoformat())
            wb.update(status="accepted", accepted_on=day.isoformat())
            holders.append(wb)
        # failed re-checks revoke the title (摘牌); some waterbodies win it back later
        revoked = [
            wb for wb in holders if (last_day - date.fromisoformat(wb["accepted_on"])).days > 90
        ]
        rng.shuffle(revoked)
        revoked = revoked[: max(1, n_waterbodies * 6 // 100)]
        for n, wb in enumerate(revoked):
            accepted_on = date.fromisoformat(wb["accepted_on"])
            day = accepted_on + timedelta(days=rng.randrange(30, (last_day - accepted_on).days))
            add(wb, "recheck", "rejected", day.isoformat())
            wb.update(status="revoked", revoked_on=day.isoformat())
            if n % 2 == 0 and (last_day - day).days > 10:
                again = day + timedelta(days=rng.randrange(5, (last_day - day).days))
                add(wb, "acceptance", "accepted", again.isoformat())
                wb.update(status="accepted", accepted_on=again.isoformat(), revoked_on=None)
        # passed re-checks: accepted again while holding the title (no change to the title)
        kept = [wb for wb in holders if wb["status"] == "accepted" and wb not in revoked]
        for wb in rng.sample(kept, min(len(kept), n_waterbodies * 7 // 100)):
            accepted_on = date.fromisoformat(wb["accepted_on"])
            if (last_day - accepted_on).days > 2:
                day = accepted_on + timedelta(days=rng.randrange(1, (last_day - accepted_on).days))
                add(wb, "recheck", "accepted", day.isoformat())
        # open self-assessments: at most one per waterbody and kind (the database enforces it)
        for wb in rng.sample(wbs, round(n_waterbodies * 0.8)):
            status = rng.choices(["draft", "submitted", "returned"], [45, 40, 15])[0]
            when = last_day - timedelta(days=rng.randrange(60))
            add(wb, "self", status, when=when.isoformat(), complete=status != "draft")
        # decided history (conditional / rejected) fills the rest, back to 2019
        while len(rows) < n_assessments:
            wb = rng.choice(wbs)
            until = date.fromisoformat(wb["accepted_on"]) if wb["accepted_on"] else last_day
            kind = "self" if rng.random() < 0.8 else "acceptance"
            if kind == "self":
                until = last_day
            day = HISTORY_START + timedelta(
                days=rng.randrange(max(1, (until - HISTORY_START).days))
            )
            add(wb, kind, rng.choice(["conditional", "rejected", "rejected"]), day.isoformat())

        db.conn.executemany(
            "INSERT INTO waterbodies (id, name, kind, district_code, level, length_km, area_km2, "
            "river_chief, status, accepted_on, revoked_on, is_demo, created_at) "
            "VALUES (:id, :name, :kind, :district_code, :level, :length_km, :area_km2, "
            ":river_chief, :status, :accepted_on, :revoked_on, :is_demo, :created_at)",
            wbs,
        )

        # ---- assessments and their audit rows, in the order they happened
        rows.sort(key=lambda r: r["day"])
        a_rows, audit_rows = [], []
        version = "2025.1"
        for aid, r in enumerate(rows, start=1):
            wb, status, s = r["wb"], r["status"], r["scored"]
            inspector = rng.choice(inspectors[wb["district_code"]] or [1])
            day = date.fromisoformat(r["day"])
            created_at = _stamp(day - timedelta(days=rng.randrange(3, 20)), rng)
            submitted_at = _stamp(day - timedelta(days=rng.randrange(1, 3)), rng)
            updated_at = _stamp(day, rng)
            decided = status in ("accepted", "conditional", "rejected")
            reviewer = rng.choice(reviewers) if decided or status == "returned" else None
            if r["complete"]:
                answers, result, total, computed = s.answers, s.result, s.total_cents, s.decision
            else:  # a draft still being filled in
                partial = {k: v for k, v in s.raw.items() if k in ("A1", "A2", "B1", "B2", "gates")}
                answers, result, total, computed = json.dumps(partial), None, None, None
            a_rows.append(
                (aid, wb["id"], r["kind"], r["rubric_id"], version, answers, result, total,
                 computed, status if decided else None, status, inspector,
                 reviewer,
                 "请补充水质监测报告（压测）" if status == "returned" else None,
                 r["decided_on"], created_at,
                 updated_at if status != "draft" else created_at,
                 submitted_at if status != "draft" else None,
                 {"draft": 1, "submitted": 2}.get(status, 3))
            )  # fmt: skip
            user = f"inspector{inspector:03d}" if inspector != 1 else "admin"
            audit_rows.append(
                (created_at, inspector, user, "assessment_created", str(aid), None,
                 json.dumps({"kind": r["kind"], "answers": {"gates": {}}}))
            )  # fmt: skip
            if status == "draft":
                continue
            audit_rows.append(
                (submitted_at, inspector, user, "assessment_submitted", str(aid),
                 json.dumps({"status": "draft", "answers": {"gates": {}}}),
                 '{"status": "submitted", "answers": ' + answers + "}")
            )  # fmt: skip
            if status != "submitted":
                action = "assessment_returned" if status == "returned" else "assessment_decided"
                audit_rows.append(
                    (updated_at, reviewer, f"reviewer{reviewer - 1:02d}", action, str(aid),
                     json.dumps({"status": "submitted"}), json.dumps({"status": status}))
                )  # fmt: skip
        db.conn.executemany(
            "INSERT INTO assessments (id, waterbody_id, kind, rubric_id, rubric_version, answers, "
            "result, total_cents, computed_decision, decision, status, inspector_id, reviewer_id, "
            "return_comment, decided_on, created_at, updated_at, submitted_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            a_rows,
        )
        # the history's titles count from their decision dates (store/titles.py reads titled_on;
        # a 公示 naming would set it, and the fixture writes no batches)
        db.conn.execute("UPDATE assessments SET titled_on = decided_on WHERE status = 'accepted'")
        status_mix = dict(Counter(r["status"] for r in rows))

        # ---- the bench's own drafts: one complete re-check draft per waterbody, to submit
        pool_ids = []
        next_id = len(a_rows) + 1
        pool_rows = []
        stamp = _stamp(last_day, rng)
        # (kinds the history leaves no open assessment of: one open per waterbody and kind)
        for pool_kind in ("recheck", "acceptance"):
            for wb in wbs:
                s = rng.choice(pools[RUBRIC_FOR_KIND[wb["kind"]]]["accepted"])
                pool_rows.append(
                    (next_id, wb["id"], pool_kind, RUBRIC_FOR_KIND[wb["kind"]], version, s.answers,
                     s.result, s.total_cents, s.decision, "draft", 1, stamp, stamp, 1)
                )  # fmt: skip
                audit_rows.append(
                    (stamp, 1, "admin", "assessment_created", str(next_id), None,
                     json.dumps({"kind": pool_kind, "answers": s.raw}, ensure_ascii=False))
                )  # fmt: skip
                pool_ids.append(next_id)
                next_id += 1
        db.conn.executemany(
            "INSERT INTO assessments (id, waterbody_id, kind, rubric_id, rubric_version, answers, "
            "result, total_cents, computed_decision, status, inspector_id, created_at, "
            "updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            pool_rows,
        )
        db.conn.executemany(
            "INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, before, "
            "after) VALUES (?, ?, ?, ?, 'assessment', ?, ?, ?)",
            audit_rows,
        )
        rebuild(db)  # the kept standings, which the store's own writes keep up to date
        invalidate_standings(db)

    drafts = [
        dict(r)
        for r in db.query(
            "SELECT a.id, a.version, a.rubric_id FROM assessments a "
            "WHERE a.status = 'draft' AND a.kind = 'self' ORDER BY a.id"
        )
    ]
    submitted = [
        dict(r)
        for r in db.query(
            "SELECT id, version, computed_decision FROM assessments "
            "WHERE status = 'submitted' ORDER BY id"
        )
    ]
    answers = {rid: pools[rid]["accepted"][0].raw for rid in RUBRIC_FOR_KIND.values()}
    counts = {
        table: db[table].count
        for table in ("districts", "users", "waterbodies", "assessments", "audit_log")
    }
    counts["titles_granted"] = sum(
        1 for r in rows if r["status"] == "accepted" and r["kind"] == "acceptance"
    )
    counts["titles_revoked"] = len(revoked)
    db.close()
    return Fixture(
        path=path,
        counts=counts,
        status_mix=status_mix,
        submit_pool=pool_ids,
        submit_pool_river=[row[0] for row in pool_rows if row[3] == "cq-river"],
        drafts=drafts,
        answers=answers,
        submitted=submitted,
        first_district=districts[0],
    )
