"""Incremental standings: a decision's transaction updates its waterbody's kept row and its
district's sums (store/standings.py), and the boards read those instead of recomputing every
waterbody's latest decision after each decision (0.4 s at ten times the city).

Each test compares the kept state with a computation from scratch, so that keeping it up to
date can never drift from what the assessments say.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from happy_rivers import scoring
from happy_rivers.scoring.leaderboard import leaders_by_dimension, rank_waterbodies
from happy_rivers.store import standings, users, waterbodies
from tests.answers import full_reservoir_answers
from tests.conftest import build_history, decide, river, waterbody_id

CODES = [d.code for d in scoring.load_rubric("cq-river").dimensions]


def kept(db) -> tuple[list, list]:
    return (
        db.execute("SELECT * FROM standings_waterbodies ORDER BY waterbody_id").fetchall(),
        db.execute(
            "SELECT * FROM standings_district_dimensions ORDER BY district_code, kind, dimension"
        ).fetchall(),
    )


def from_scratch(db) -> tuple[list, list]:
    """The kept tables as a full rebuild makes them (rolled back: the kept state stays)."""
    db.execute("SAVEPOINT scratch")
    try:
        standings.rebuild(db)
        return kept(db)
    finally:
        db.execute("ROLLBACK TO scratch")
        db.execute("RELEASE scratch")


def more_history(db) -> None:
    """Decisions of every kind on top of build_history: a conditional, a rejection, a second
    decision on one waterbody (the later one counts), a waterbody moved to another district."""
    for name, district in (("清水溪", "北碚区"), ("桃花溪", "万州区"), ("双桂湖", "万州区")):
        waterbodies.create(
            db,
            {
                "name": name,
                "kind": "reservoir" if name == "双桂湖" else "river",
                "district": district,
            },
        )
    decide(db, "清水溪", river(A2=1), "2025-05-01", kind="self", action="conditional")
    decide(db, "桃花溪", river(A1=75), "2025-05-02", kind="self", action="reject")
    decide(db, "双桂湖", full_reservoir_answers() | {"B3": 2}, "2025-05-03", kind="self")
    decide(db, "清水溪", river(), "2025-07-01", kind="acceptance")
    moved = waterbodies.get(db, waterbody_id(db, "桃花溪"))
    waterbodies.update(
        db,
        moved["id"],
        {"name": moved["name"], "kind": "river", "district": "北碚区"},
        actor=users.by_username(db, "admin"),
    )


def test_every_write_keeps_the_kept_rows_as_a_rebuild_makes_them(db):
    assert kept(db) == from_scratch(db) == ([], [])
    build_history(db)
    assert kept(db) == from_scratch(db)
    more_history(db)
    rows, sums = kept(db)
    assert len(rows) == 10  # every waterbody with a decision, once
    assert (rows, sums) == from_scratch(db)
    moved = waterbody_id(db, "桃花溪")
    assert next(r for r in rows if r[0] == moved)[2] == "500109"  # waterbody_id, …, district


def test_the_kept_rows_are_the_rows_recomputed_from_the_assessments(db):
    build_history(db)
    more_history(db)
    kept_rows = sorted(standings.waterbody_rows(db), key=lambda r: r["id"])
    # a year's view is computed from the assessments: the same rows, seen through 2025
    recomputed = sorted(standings.waterbody_rows(db, year=2025), key=lambda r: r["id"])
    assert kept_rows == [r | {"total_cents": int(r["total"] * 100)} for r in recomputed]


@pytest.mark.parametrize("kind", [None, "river", "reservoir"])
@pytest.mark.parametrize("district", [None, "500109", "500112"])
def test_a_page_ranks_as_rank_waterbodies_ranks_every_row(db, kind, district):
    build_history(db)  # ties at 100.00 (four) and 98.00 (two)
    more_history(db)
    rows = standings.waterbody_rows(db, kind=kind)
    everyone = rank_waterbodies(rows)
    code = {r["id"]: r["district_code"] for r in rows}
    expected = [
        (s.rank, s.id, s.total) for s in everyone if district is None or code[s.id] == district
    ]
    for size in (1, 2, 3, 100):
        shown = []
        count, page = None, 1
        while True:
            count, at, standings_page, extra = standings.waterbody_page(
                db, kind=kind, district=district, page=page, size=size
            )
            assert at == min(page, max(1, -(-count // size)))
            if at < page:
                break
            shown += [(s.rank, s.id, s.total) for s in standings_page]
            assert set(extra) == {s.id for s in standings_page}
            page += 1
        assert count == len(expected)
        assert shown == expected, size


def test_a_page_past_the_end_is_the_last_page(db):
    build_history(db)
    count, page, rows, _ = standings.waterbody_page(db, page=99, size=3)
    assert (count, page, len(rows)) == (7, 3, 1)


@pytest.mark.parametrize("kind", [None, "river", "reservoir"])
def test_dimension_leaders_from_the_sums_are_those_of_every_row(db, kind):
    build_history(db)
    more_history(db)
    rows = standings.waterbody_rows(db, kind=kind)
    from_rows = leaders_by_dimension(rows, CODES)
    assert from_rows  # something to compare
    assert standings.dimension_leaders(db, CODES, kind=kind) == from_rows
    # a date before a kept decision: computed from the rows as they stood then
    then = date(2025, 3, 1)
    assert standings.dimension_leaders(db, CODES, kind=kind, until=then) == leaders_by_dimension(
        standings.waterbody_rows(db, kind=kind, until=then), CODES
    )


def test_a_submit_leaves_the_title_caches_and_a_revocation_drops_them(db):
    build_history(db)
    titles_version = "SELECT version, titles_version FROM standings_state"
    before = db.execute(titles_version).fetchone()
    decide(db, "缙云溪", river(), None, kind="recheck", action=None)  # a submit: no title
    after_submit = db.execute(titles_version).fetchone()
    assert after_submit[0] > before[0] and after_submit[1] == before[1]
    inspector = users.by_username(db, "beibei")
    decide(db, "龙凤溪", river(A1=75), "2025-08-01", kind="recheck", action="reject",
           inspector=inspector)  # fmt: skip
    after_revoke = db.execute(titles_version).fetchone()
    assert after_revoke[1] > after_submit[1]  # 龙凤溪 lost its title


def vm_steps(db, work) -> int:
    """SQLite virtual-machine steps (in thousands) that work() costs on this connection."""
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0  # go on

    db.conn.set_progress_handler(count, 1000)
    try:
        work()
    finally:
        db.conn.set_progress_handler(None, 1000)
    return counted[0]


def test_a_board_after_a_decision_reads_a_page_and_the_sums_not_every_row(db):
    """With ten times the decided waterbodies, the first page of the waterbody board and the
    dimension leaders after a decision cost about the same; recomputing the rows (a year's
    view) costs ten times as much."""
    build_history(db)
    costs = {}
    for n, name in ((150, "御临河"), (1500, "龙凤溪")):
        grow(db, n)
        decide(db, name, river(A2=1), "2026-01-05", kind="self", action="conditional")
        costs[n] = (
            vm_steps(db, lambda: standings.waterbody_page(db, page=1, size=100)),
            vm_steps(db, lambda: standings.dimension_leaders(db, CODES)),
            vm_steps(db, lambda: standings.waterbody_rows(db, year=2025)),
        )
    (page, leaders, recompute), (page10, leaders10, recompute10) = costs[150], costs[1500]
    assert recompute10 > 5 * recompute  # the measure sees the rows it reads
    assert page10 < 2 * page + 5 and leaders10 < 2 * leaders + 5, costs


def grow(db, decided: int) -> None:
    """Add river waterbodies, each with a decided copy of one assessment, until `decided`
    waterbodies have a decision; then rebuild the kept rows, as a bulk load must."""
    admin = users.by_username(db, "admin")
    names = [d["name"] for d in waterbodies.districts(db)]
    have = db.execute("SELECT count(*) FROM standings_waterbodies").fetchone()[0]
    for i in range(have, decided):
        waterbodies.create(
            db, {"name": f"增测河{i}", "kind": "river", "district": names[i % len(names)]},
            actor=admin,
        )  # fmt: skip
    source = db.execute(
        "SELECT id FROM assessments WHERE status = 'conditional' OR kind = 'acceptance' "
        "AND status = 'accepted' ORDER BY id LIMIT 1"
    ).fetchone()[0]
    with db.conn:
        db.execute(
            "INSERT INTO assessments (waterbody_id, kind, rubric_id, rubric_version, answers, "
            "result, total_cents, computed_decision, status, decision, decided_on, inspector_id, "
            "reviewer_id, created_at, updated_at, submitted_at, version) "
            "SELECT w.id, 'self', a.rubric_id, a.rubric_version, a.answers, a.result, "
            "a.total_cents, a.computed_decision, 'conditional', 'conditional', a.decided_on, "
            "a.inspector_id, a.reviewer_id, a.created_at, a.updated_at, a.submitted_at, 3 "
            "FROM waterbodies w, assessments a WHERE a.id = ? "
            "AND w.id NOT IN (SELECT waterbody_id FROM assessments)",
            [source],
        )
        standings.rebuild(db)


def test_only_a_decision_that_changes_a_title_drops_the_title_caches(db):
    build_history(db)
    versions = "SELECT version, titles_version FROM standings_state"
    waterbodies.create(db, {"name": "新田河", "kind": "river", "district": "渝北区"})
    before = db.execute(versions).fetchone()
    # 御临河 holds its title: another acceptance changes no title
    decide(db, "御临河", river(A2=1), "2026-01-05", kind="self")
    held = db.execute(versions).fetchone()
    assert held[0] > before[0] and held[1] == before[1]
    # 新田河 holds none: its acceptance grants one (公示 off here, so on the decision date)
    decide(db, "新田河", river(), "2026-01-06")
    granted = db.execute(versions).fetchone()
    assert granted[1] > held[1]
    assert standings.title_history(db)[waterbody_id(db, "新田河")][0]["accepted_on"] == date(
        2026, 1, 6
    )


def test_a_write_that_changes_no_title_re_ranks_the_kept_district_titles(db, monkeypatch):
    """district_standings keeps what the titles give each district until a title changes: a
    submit re-ranks with the new in-review count without going over the titles again, and the
    result is what a cold worker computes."""
    build_history(db)
    waterbodies.create(db, {"name": "新田河", "kind": "river", "district": "渝北区"})
    computed = []
    real = standings.district_titles
    monkeypatch.setattr(standings, "district_titles", lambda *a: computed.append(a[1]) or real(*a))
    as_of = date(2026, 12, 31)

    def cold():
        standings.clear_cache()
        return standings.district_standings(db, as_of)

    def yubei(rows):
        return next(r for r in rows if r.name == "渝北区")

    first = standings.district_standings(db, as_of)
    assert computed == [as_of]
    decide(db, "新田河", river(), None, action=None)  # a submit: in review, no title
    after_submit = standings.district_standings(db, as_of)
    assert computed == [as_of]  # re-ranked from the kept titles
    assert yubei(after_submit).in_review == yubei(first).in_review + 1
    assert after_submit == cold()
    computed.clear()
    assessment = db.execute(
        "SELECT id FROM assessments WHERE status = 'submitted' AND waterbody_id = ?",
        [waterbody_id(db, "新田河")],
    ).fetchone()[0]
    assessments_review(db, assessment, "2026-01-06")  # grants 新田河 its title
    granted = standings.district_standings(db, as_of)
    assert computed == [as_of]  # a title changed: computed again
    assert yubei(granted).accepted == yubei(first).accepted + 1
    assert yubei(granted).in_review == yubei(first).in_review
    assert granted == cold()


def assessments_review(db, assessment_id: int, decided_on: str) -> None:
    from happy_rivers.store import assessments

    assessments.review(
        db, assessment_id, action="accept", user=users.by_username(db, "reviewer"),
        decided_on=decided_on, comment="现场验收",
    )  # fmt: skip


def test_the_progress_body_stays_across_writes_that_change_no_title(db, login_as, monkeypatch):
    """Everything on /progress comes from the titles: a submit leaves its body rendered, a
    title granted shows at once."""
    from happy_rivers.views import board

    build_history(db)
    waterbodies.create(db, {"name": "新田河", "kind": "river", "district": "渝北区"})
    rendered = []
    real = board.render_template
    monkeypatch.setattr(
        board, "render_template", lambda name, **kw: rendered.append(name) or real(name, **kw)
    )
    admin = login_as("admin")
    body = "board/_progress_body.html"

    def shown() -> str:
        page = admin.get("/progress")
        assert page.status_code == 200
        return page.get_data(as_text=True)

    def yubei_titles(page: str) -> int:
        row = re.search(r'data-code="500112"[^>]*>\s*<td>[^<]*</td><td class="num">(\d+)<', page)
        return int(row.group(1))

    before = shown()
    assert rendered.count(body) == 1
    decide(db, "新田河", river(), None, action=None)  # a submit
    after_submit = shown()
    assert rendered.count(body) == 1  # the page around it only
    assert contributions(after_submit) == contributions(before)
    assessment = db.execute(
        "SELECT id FROM assessments WHERE status = 'submitted' AND waterbody_id = ?",
        [waterbody_id(db, "新田河")],
    ).fetchone()[0]
    assessments_review(db, assessment, "2026-01-06")  # grants 新田河 its title
    after_grant = shown()
    assert rendered.count(body) == 2
    assert yubei_titles(after_grant) == yubei_titles(before) + 1


def contributions(page: str) -> str:
    return re.search(r'<table class="list" id="contributions">.*?</table>', page, re.S).group(0)


def in_review_kept(db) -> list:
    return db.execute(
        "SELECT district_code, kind, n FROM standings_in_review WHERE n != 0 "
        "ORDER BY district_code, kind"
    ).fetchall()


def in_review_from_scratch(db) -> list:
    return db.execute(
        f"SELECT * FROM ({standings.IN_REVIEW_FROM_SCRATCH}) ORDER BY district_code, kind"
    ).fetchall()


def test_the_triggers_keep_the_review_counts_as_counting_afresh_gives_them(db):
    """Submits, decisions, a return, waterbodies moved to another district and kind while
    under review, an assessment inserted and deleted by hand: after each, the kept counts are
    the counts over every assessment, and the boards show them."""
    from happy_rivers.store import assessments

    assert in_review_kept(db) == in_review_from_scratch(db) == []
    build_history(db)
    assert in_review_kept(db) == in_review_from_scratch(db) != []
    more_history(db)
    submitted = decide(db, "桃花溪", river(), None, kind="recheck", action=None)
    other = decide(db, "清水溪", river(), None, kind="recheck", action=None)
    assert in_review_kept(db) == in_review_from_scratch(db)
    assessments.review(
        db, other, action="return", user=users.by_username(db, "reviewer"), comment="补充材料"
    )
    assert in_review_kept(db) == in_review_from_scratch(db)
    admin = users.by_username(db, "admin")
    for name, kind, district in (("桃花溪", "river", "万州区"), ("桃花溪", "reservoir", "万州区")):
        moved = waterbodies.get(db, waterbody_id(db, name))
        waterbodies.update(
            db, moved["id"], {"name": name, "kind": kind, "district": district}, actor=admin
        )
        assert in_review_kept(db) == in_review_from_scratch(db)
    moved = waterbodies.get(db, waterbody_id(db, "桃花溪"))
    assert (moved["district_code"], "reservoir", 1) in in_review_kept(db)
    with db.conn:  # a row written by hand, as a bulk load writes them
        db.execute(
            "INSERT INTO assessments (waterbody_id, kind, rubric_id, rubric_version, answers, "
            "status, created_at, updated_at, version) SELECT waterbody_id, 'self', rubric_id, "
            "rubric_version, answers, 'submitted', created_at, updated_at, 2 FROM assessments "
            "WHERE id = ?",
            [submitted],
        )
    assert in_review_kept(db) == in_review_from_scratch(db)
    with db.conn:
        db.execute("DELETE FROM assessments WHERE id = (SELECT max(id) FROM assessments)")
    assert in_review_kept(db) == in_review_from_scratch(db)
    shown = {r.code: r.in_review for r in standings.district_standings(db, date(2026, 12, 31))}
    counted = {}
    for code, _kind, n in in_review_from_scratch(db):
        counted[code] = counted.get(code, 0) + n
    assert {c: n for c, n in shown.items() if n} == counted


def test_the_migration_counts_what_was_under_review_before_it(db):
    """0015 on a database that already had assessments under review: rebuild_in_review counts
    them from scratch, as the triggers then keep them."""
    build_history(db)
    decide(db, "御临河", river(), None, kind="recheck", action=None)
    with db.conn:
        db.execute("DELETE FROM standings_in_review")  # as before the migration
        standings.rebuild_in_review(db)
    assert in_review_kept(db) == in_review_from_scratch(db) != []


def test_the_title_history_reads_one_covering_index_not_the_rows(db):
    """Each title event comes from idx_assessments_title_events (0016) alone: reading
    `titled_on` from the rows walked their overflow pages (70–100 ms at ten times the city)."""
    from happy_rivers.store.titles import EVENTS_SQL

    plan = " ".join(
        row[3] for row in db.execute(f"EXPLAIN QUERY PLAN SELECT * FROM ({EVENTS_SQL})").fetchall()
    )
    assert "SEARCH a USING COVERING INDEX idx_assessments_title_events" in plan, plan
    assert "SEARCH a USING INDEX" not in plan, plan  # no branch reads the rows
    build_history(db)
    assert standings.title_history(db) == standings.kept_title_history(db)
