"""Exports stream: the assessment export reads and sends its rows a batch at a time, so the
memory it needs does not grow with the number of assessments (at ten times the city, 200,000
rows held at once took a worker past 2 GB).

The rows are tests/test_board.py's hand-made history, copied in bulk with SQL (the history's
decided rows, again and again) so that the test has thousands of rows in a second.
"""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from openpyxl import load_workbook

from tests.conftest import build_history

# every column but the id: a copy of a decided assessment is a valid decided assessment
COPIED = (
    "waterbody_id, kind, rubric_id, rubric_version, answers, result, total_cents, "
    "computed_decision, status, decision, decided_on, override_reason, return_comment, "
    "field_comments, inspector_id, reviewer_id, created_at, updated_at, submitted_at, version"
)


def grow_to(db, rows: int) -> int:
    """Copy the decided assessments until there are at least `rows`; returns the count."""
    while (count := db.execute("SELECT count(*) FROM assessments").fetchone()[0]) < rows:
        with db.conn:
            db.execute(
                f"INSERT INTO assessments ({COPIED}) SELECT {COPIED} FROM assessments "
                f"WHERE status IN ('accepted', 'conditional', 'rejected') "
                f"LIMIT {rows - count}"
            )
    return count


def export_peak(browser, path: str) -> tuple[float, bytes]:
    """The most memory (MB, traced Python allocations) the app holds while one export is read."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        response = browser.get(path, buffered=False)
        assert response.status_code == 200
        body = b"".join(response.response)
        response.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - base - len(body)) / 2**20, body


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_memory_does_not_grow_with_the_rows(login_as, db, fmt):
    build_history(db)
    admin = login_as("admin")
    path = f"/exports/assessments.{fmt}"
    admin.get(path)  # imports and first-use caches are no row's memory
    small_rows = grow_to(db, 100)
    small, _ = export_peak(admin, path)
    big_rows = grow_to(db, 1000)
    big, body = export_peak(admin, path)

    if fmt == "csv":
        lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    else:
        lines = list(load_workbook(io.BytesIO(body), read_only=True).worksheets[0].values)
    assert len(lines) == big_rows + 1  # the header, then every row
    # Ten times the rows, not ten times the memory: whatever grows is a batch, not the rows.
    # Holding the decoded rows took ~35 KB each here (over 30 MB for the 900 more).
    assert big - small < 2, (small_rows, small, big_rows, big)


def test_the_csv_export_is_sent_as_it_is_read(login_as, db):
    build_history(db)
    grow_to(db, 1200)
    response = login_as("admin").get("/exports/assessments.csv", buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    chunks = iter(response.response)
    first = next(chunks)
    assert first.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs, in the first chunk
    # the first chunk is a batch of rows, not the whole file
    rows_in_first = first.count(b"\r\n") - 1
    rest = b"".join(chunks)
    response.close()
    assert 0 < rows_in_first < 1200
    assert (first + rest).count(b"\r\n") == 1 + db.execute(
        "SELECT count(*) FROM assessments"
    ).fetchone()[0]


def test_a_reader_who_stops_early_frees_the_connection(login_as, db):
    """A download cancelled half-way closes its cursor: the next request reads and writes."""
    build_history(db)
    grow_to(db, 1200)
    admin = login_as("admin")
    response = admin.get("/exports/assessments.csv", buffered=False)
    next(iter(response.response))
    response.close()
    assert admin.get("/exports/assessments.csv?status=accepted").status_code == 200
    assert admin.get("/leaderboard/waterbodies").status_code == 200
