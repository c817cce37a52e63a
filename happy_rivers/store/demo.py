"""Demo data (clearly marked as such): every district, a story of acceptances since 2025.

The first 16 市级幸福河湖 were named on 2025-01-07 (the seed article) after a 公示 from
2024-12-23; later batches follow the same way, and one batch is in its notice now, with one
objection recorded. Some assessments are in review, some were sent back, one title was
revoked after a failed re-check. Everything goes through the same store functions as real
use, so the audit trail and the derived counts are what real work would produce.
"""

import random
from contextlib import nullcontext
from datetime import date, datetime, time, timedelta

from sqlite_utils import Database

from happy_rivers import clock, scoring
from happy_rivers.scoring.kinds import kind_of

from . import assessments, notifications, panels, users, waterbodies, write
from . import publicity as notices

DEMO_PASSWORD = "demo-pass-2025"
DEMO_USERS = [
    # username, display name, role, district
    ("admin", "系统管理员（演示）", "admin", None),
    ("reviewer", "市河长办审核员（演示）", "reviewer", None),
    ("expert", "验收专家（演示）", "expert", None),
    ("expert2", "水利专家二（演示）", "expert", None),
    ("expert3", "水利专家三（演示）", "expert", None),
    ("yubei", "渝北区检查员（演示）", "inspector", "渝北区"),
    ("beibei", "北碚区检查员（演示）", "inspector", "北碚区"),
    ("wanzhou", "万州区检查员（演示）", "inspector", "万州区"),
    ("liangjiang", "两江新区检查员（演示）", "inspector", "两江新区"),
]

# Rivers and reservoirs per district. Names are real Chongqing waterbodies where we know one,
# but every status, score and date below is invented demo data.
RIVERS = {
    "万州区": ["苎溪河", "磨刀溪", "五桥河"],
    "涪陵区": ["黎香溪", "梨香溪支流"],
    "渝中区": ["长江渝中段"],
    "大渡口区": ["跳磴河"],
    "江北区": ["盘溪河", "溉澜溪"],
    "沙坪坝区": ["清水溪", "梁滩河沙坪坝段"],
    "九龙坡区": ["桃花溪", "大溪河"],
    "南岸区": ["长江南岸段", "鸡冠石溪"],
    "北碚区": ["龙凤溪", "嘉陵江北碚段", "马鞍溪"],
    "綦江区": ["綦河", "蒲河"],
    "大足区": ["濑溪河大足段", "窟窿河"],
    "渝北区": ["御临河", "后河", "双溪河"],
    "巴南区": ["花溪河", "五布河", "一品河"],
    "黔江区": ["阿蓬江", "细沙河"],
    "长寿区": ["桃花河", "龙溪河长寿段"],
    "江津区": ["笋溪河", "綦河江津段", "璧南河江津段"],
    "合川区": ["南溪河", "嘉陵江合川段"],
    "永川区": ["临江河", "小安溪永川段"],
    "南川区": ["凤嘴江", "大溪河南川段"],
    "璧山区": ["璧南河", "梅江河"],
    "铜梁区": ["小安溪", "淮远河"],
    "潼南区": ["琼江", "涪江潼南段"],
    "荣昌区": ["濑溪河", "清流河"],
    "开州区": ["澎溪河", "南河"],
    "梁平区": ["龙溪河梁平段", "波漩河"],
    "武隆区": ["芙蓉江", "乌江武隆段"],
    "城口县": ["任河", "前河"],
    "丰都县": ["龙河", "渠溪河"],
    "垫江县": ["龙溪河垫江段", "高滩河"],
    "忠县": ["黄金河", "汝溪河"],
    "云阳县": ["汤溪河", "磨刀溪云阳段"],
    "奉节县": ["梅溪河", "草堂河"],
    "巫山县": ["大宁河", "抱龙河"],
    "巫溪县": ["后溪河", "柏杨河"],
    "石柱土家族自治县": ["龙河石柱段", "悦崃河"],
    "秀山土家族苗族自治县": ["梅江", "平江河"],
    "酉阳土家族苗族自治县": ["酉水河", "龚滩河"],
    "彭水苗族土家族自治县": ["郁江", "诸佛江"],
    "两江新区": ["后河两江段", "肖家河"],
    "西部科学城重庆高新区": ["梁滩河", "虎溪河"],
    "万盛经开区": ["孝子河", "溱溪河"],
}
RESERVOIRS = {
    "长寿区": ["长寿湖"],
    "大足区": ["上游水库", "玉滩水库"],
    "开州区": ["汉丰湖"],
    "璧山区": ["大沟水库"],
    "荣昌区": ["高升桥水库"],
    "铜梁区": ["玉皇水库"],
    "潼南区": ["龙滩水库"],
    "梁平区": ["双桂湖"],
    "垫江县": ["黄草水库"],
    "忠县": ["鱼剑口水库"],
    "巴南区": ["南彭水库"],
    "綦江区": ["双桂水库"],
}

# (title date, how many) for the acceptance batches: the first 16 are the article's. With 公示
# the date is the naming date: decided PUBLICITY_DECIDED days before a notice that starts
# PUBLICITY_LEAD days before it (2024-12-23 for the first); without, the decision date.
BATCHES = [
    ("2025-01-07", 16),
    ("2025-06-20", 10),
    ("2025-12-18", 14),
    ("2026-06-26", 12),
    ("2026-11-06", 6),
]
REVOKED = ("2026-09-15", 1)  # a failed re-check: 摘牌
PUBLICITY_LEAD = 15
PUBLICITY_DECIDED = 21
PUBLICITY_CONTACT = "市河长办 023-6000 0000（演示），工作日 9:00—17:00"
# the batch in its notice now: decided a week ago, listed from two days ago
NOW_IN_PUBLICITY = 3
# The accounts and the waterbody register predate the first batch (clock.at dates them).
SET_UP_ON = "2024-11-01"


def demo_answers(rubric: scoring.Rubric, rng: random.Random, quality: float) -> dict:
    """Plausible answers; quality 1.0 aims at full marks, lower spreads points downwards.
    Each indicator's answer comes from its kind (scoring/kinds/)."""
    answers: dict = {
        ind.code: kind_of(ind).demo(ind, rng, quality) for ind in rubric.indicators.values()
    }
    answers["gates"] = {}
    return answers


def answers_with_decision(rubric, rng, decision: str) -> tuple[dict, dict]:
    """Draw answers until they score to the wanted decision (demo data must tell its story)."""
    quality = {"accepted": 0.97, "conditional": 0.86, "rejected": 0.7}[decision]
    for _ in range(500):
        answers = demo_answers(rubric, rng, quality)
        result = scoring.score(rubric, answers)
        if result.decision == decision:
            return answers, result.to_dict()
    raise RuntimeError(f"could not draw demo answers for {decision}")


def is_empty(db: Database) -> bool:
    return db["waterbodies"].count == 0


def seed(db: Database, rng_seed: int = 20250107, *, publicity: bool = True) -> dict:
    """Load the demo data into an empty database; returns what it created.

    `publicity` as the PUBLICITY setting: titles through 公示 batches named on the batch
    dates, or granted on the decision dates. Either way the titles count from the same days.
    """
    rng = random.Random(rng_seed)
    with clock.at(_beijing(SET_UP_ON, 9)):
        for username, display, role, district in DEMO_USERS:
            if users.by_username(db, username) is None:
                users.create(db, username, DEMO_PASSWORD, role, district, display)
    admin = users.by_username(db, "admin")
    reviewer = users.by_username(db, "reviewer")

    by_name = {d["name"]: d for d in waterbodies.districts(db)}
    created: list[dict] = []
    with write(db), clock.at(_beijing(SET_UP_ON, 10)):
        for district_name, names in RIVERS.items():
            for i, name in enumerate(names):
                created.append(_waterbody(db, name, "river", district_name, i, rng, admin))
        for district_name, names in RESERVOIRS.items():
            for name in names:
                created.append(_waterbody(db, name, "reservoir", district_name, 9, rng, admin))
    assert set(RIVERS) == set(by_name), "every district has demo rivers"

    inspectors = {u["district_code"]: u for u in users.list_users(db) if u["role"] == "inspector"}

    def inspector_for(wb):
        return inspectors.get(wb["district_code"], admin)

    rng.shuffle(created)
    pool = iter(created)
    accepted_rows = []
    counts = {
        "accepted": 0,
        "conditional": 0,
        "rejected": 0,
        "submitted": 0,
        "returned": 0,
        "draft": 0,
    }
    for title_on, n in BATCHES:
        day = date.fromisoformat(title_on)
        decided_on = (day - timedelta(PUBLICITY_DECIDED)).isoformat() if publicity else title_on
        batch = []
        for _ in range(n):
            wb = next(pool)
            batch.append(
                _assessment(
                    db,
                    wb,
                    "acceptance",
                    "accepted",
                    decided_on,
                    rng,
                    inspector_for(wb),
                    reviewer,
                    publicity=publicity,
                )
            )
            accepted_rows.append(wb)
            counts["accepted"] += 1
        if publicity:
            batch_id = _notice(db, batch, day - timedelta(PUBLICITY_LEAD), admin)
            with clock.at(_beijing(day, 10)):
                notices.name(db, batch_id, named_on=day, user=admin)
    # a re-check of one of the first batch fails: the title is revoked from that date on
    revoked_on, _n = REVOKED
    _assessment(
        db,
        accepted_rows[3],
        "recheck",
        "rejected",
        revoked_on,
        rng,
        inspector_for(accepted_rows[3]),
        reviewer,
    )
    counts["revoked"] = 1
    for status, n in (
        ("conditional", 4),
        ("rejected", 3),
        ("submitted", 9),
        ("returned", 3),
        ("draft", 6),
    ):
        for _ in range(n):
            wb = next(pool)
            decided = {"conditional": "2026-03-12", "rejected": "2025-11-20"}.get(status)
            aid = _assessment(
                db, wb, "acceptance", status, decided, rng, inspector_for(wb), reviewer
            )
            if status == "submitted" and counts[status] == 0:
                _panel(db, aid, rng, reviewer)
            counts[status] += 1
    counts["publicity"] = 0
    if publicity:
        # the batch in its notice now, with one objection waiting for its resolution
        today = clock.today()
        batch = [
            _assessment(
                db,
                wb,
                "acceptance",
                "accepted",
                (today - timedelta(7)).isoformat(),
                rng,
                inspector_for(wb),
                reviewer,
                publicity=True,
            )
            for wb in [next(pool) for _ in range(NOW_IN_PUBLICITY)]
        ]
        batch_id = _notice(db, batch, today - timedelta(2), admin)
        notices.add_objection(
            db,
            batch_id,
            received_on=today - timedelta(1),
            channel="phone",
            content="来电反映该河段汛期仍有垃圾漂浮，质疑保洁是否到位（演示）",
            assessment_id=batch[0],
            user=admin,
        )
        counts["publicity"] = NOW_IN_PUBLICITY
    # the story's history was read long ago: only the last month's notifications are unread
    notifications.mark_read_before(db, clock.stamp(clock.utc_now() - timedelta(days=30)))
    counts["waterbodies"] = len(created)
    counts["users"] = len(DEMO_USERS)
    return counts


def _notice(db, assessment_ids: list[int], starts_on: date, admin) -> int:
    """A 公示 batch of these accepted assessments, published on its first day."""
    with clock.at(_beijing(starts_on, 9)):
        batch = notices.create(
            db,
            assessment_ids=assessment_ids,
            starts_on=starts_on,
            working_days=None,
            contact=PUBLICITY_CONTACT,
            user=admin,
        )
    return batch["id"]


def _panel(db, assessment_id: int, rng, reviewer) -> None:
    """An expert panel on an acceptance in review: two experts have scored, the demo `expert`
    has not, so the reviewer waits for them and `expert` finds it in their queue."""
    experts = [users.by_username(db, name) for name in ("expert2", "expert3", "expert")]
    panels.name(db, assessment_id, experts, user=reviewer)
    row = assessments.get(db, assessment_id)
    rubric = scoring.load_rubric(row["rubric_id"], row["rubric_version"])
    for expert in experts[:2]:
        answers = {
            code: {"points": rng.choice([3, 3.5, 4, 4.5, 5]), "note": "现场核查意见（演示）"}
            for code in rubric.panel_indicators
        }
        panels.save_answers(db, assessment_id, expert, answers, submit=True)


def _waterbody(db, name, kind, district_name, i, rng, admin) -> dict:
    waterbody_id = waterbodies.create(
        db,
        {
            "name": name,
            "kind": kind,
            "district": district_name,
            "level": "市级" if i == 0 else "区县级",
            "length_km": round(rng.uniform(8, 120), 1) if kind == "river" else None,
            "area_km2": round(rng.uniform(0.5, 65), 2) if kind == "reservoir" else None,
            "river_chief": f"{district_name}副区（县）长（演示）",
            "is_demo": True,
        },
        actor=admin,
    )
    return waterbodies.get(db, waterbody_id)


def _beijing(day: str | date, hour: int, minute: int = 0) -> datetime:
    """An instant given in Beijing wall time (how the story's dates are told)."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(day, time(hour, minute), clock.BEIJING)


def _assessment(
    db, wb, kind, status, decided_on, rng, inspector, reviewer, *, publicity=False
) -> int:
    """One assessment's whole history. With a decision date, its stamps are dated before it —
    filled in weeks earlier, submitted days earlier, decided that morning — so no record shows
    a decision that precedes its own submission."""
    if decided_on is None:
        return _history(db, wb, kind, status, None, rng, inspector, reviewer, None, False)
    decided = date.fromisoformat(decided_on)
    submitted = decided - timedelta(days=rng.randint(3, 12))
    moments = {
        "created": _beijing(submitted - timedelta(days=rng.randint(5, 20)), 9, rng.randrange(60)),
        "submitted": _beijing(submitted, rng.randint(14, 17), rng.randrange(60)),
        "decided": _beijing(decided, rng.randint(9, 11), rng.randrange(60)),
    }
    return _history(db, wb, kind, status, decided_on, rng, inspector, reviewer, moments, publicity)


def _history(db, wb, kind, status, decided_on, rng, inspector, reviewer, moments, publicity) -> int:
    def moment(step: str):
        # open work (drafts, submissions in review, returns) happens as the demo is loaded
        return clock.at(moments[step]) if moments else nullcontext()

    rubric = scoring.rubric_for_waterbody(wb["kind"])
    target = (
        status
        if status in ("accepted", "conditional", "rejected")
        else rng.choice(["accepted", "accepted", "conditional"])
    )
    answers, result = answers_with_decision(rubric, rng, target)
    common = {"user": inspector}
    if status == "draft":
        partial = {k: v for k, v in answers.items() if k in ("A1", "A2", "B1", "B2", "gates")}
        return assessments.create(
            db,
            waterbody_id=wb["id"],
            kind=kind,
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            answers=partial,
            scored=None,
            **common,
        )
    with moment("created"):
        assessment_id = assessments.create(
            db,
            waterbody_id=wb["id"],
            kind=kind,
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            answers=answers,
            scored=result,
            **common,
        )
    with moment("submitted"):
        assessments.save(
            db,
            assessment_id,
            expected_version=1,
            action="submit",
            answers=answers,
            scored=result,
            **common,
        )
    if status == "submitted":
        return assessment_id
    if status == "returned":
        assessments.review(
            db,
            assessment_id,
            action="return",
            user=reviewer,
            comment="请补充水质监测报告并核实岸线数据（演示）",
            field_comments={
                "A6" if wb["kind"] == "river" else "B9": "岸线数据与现场不符，请复核（演示）"
            },
        )
        return assessment_id
    action = {"accepted": "accept", "conditional": "conditional", "rejected": "reject"}[status]
    with moment("decided"):
        assessments.review(
            db,
            assessment_id,
            action=action,
            user=reviewer,
            decided_on=decided_on,
            comment="专家组现场验收（演示）",
            publicity=publicity,
        )
    return assessment_id
