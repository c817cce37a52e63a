"""Bulk import of the waterbody registry: every row checked, then all rows or none.

A row naming a waterbody that already exists (same name, same lead district) is reported and
skipped, never duplicated, so importing an export of the registry changes nothing.
"""

from dataclasses import dataclass, field

from sqlite_utils import Database

from . import audit, now, write
from .standings import invalidate_standings
from .waterbodies import audited, clean, district_lookup, stored_columns


@dataclass
class ImportReport:
    """What an import did (or, on a dry run or with errors, would do)."""

    rows: int = 0
    created: list[tuple[int, str]] = field(default_factory=list)  # (row number, name)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)  # (row, name, district)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, field, message)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def import_rows(
    db: Database,
    rows: list[tuple[int, dict]],
    *,
    dry_run: bool = False,
    actor: dict | None = None,
    ip: str | None = None,
    source: str | None = None,
) -> ImportReport:
    """Check every row; unless dry_run or any row is bad, create the new ones in one transaction.

    rows: [(spreadsheet row number, {field: raw value})] as forms.waterbody_file.read gives them.
    """
    report = ImportReport(rows=len(rows))
    lookup = district_lookup(db)
    names = {code: name for name, code in lookup.items() if name != code}
    checked: list[tuple[int, dict]] = []
    first_seen: dict[tuple[str, str], int] = {}
    for number, raw in rows:
        record, errors = clean(raw, lookup)
        errors.pop("status", None)  # not a column of the file: new rows are 建设中
        for key, message in errors.items():
            report.errors.append((number, key, message))
        if errors:
            continue
        key = (record["name"], record["district_code"])
        if key in first_seen:
            report.errors.append((number, "name", f"与第 {first_seen[key]} 行重复（同名同区县）"))
            continue
        first_seen[key] = number
        checked.append((number, record))

    def plan() -> list[tuple[int, dict]]:
        existing = {
            (r["name"], r["district_code"])
            for r in db.query("SELECT name, district_code FROM waterbodies")
        }
        report.duplicates.clear()
        new = []
        for number, record in checked:
            key = (record["name"], record["district_code"])
            if key in existing:
                report.duplicates.append((number, record["name"], names[key[1]]))
            else:
                new.append((number, record))
        return new

    if report.errors or dry_run:
        report.created = [(n, r["name"]) for n, r in plan()]
        return report
    with write(db):
        # decided again inside the write lock: a waterbody created meanwhile is a duplicate
        new = plan()
        created_at = now()
        stored = [stored_columns(r) | {"is_demo": 0, "created_at": created_at} for _n, r in new]
        # one statement per table rather than per row: 2,000 rows in well under a second
        db["waterbodies"].insert_all(stored, batch_size=500)
        ids = {
            (r["name"], r["district_code"]): r["id"]
            for r in db.query("SELECT id, name, district_code FROM waterbodies")
        }
        through, entries = [], []
        for (number, record), columns in zip(new, stored, strict=True):
            waterbody_id = ids[(record["name"], record["district_code"])]
            through.extend(
                {"waterbody_id": waterbody_id, "district_code": c} for c in record["through"]
            )
            after = audited(columns, record["through"]) | {"source": source, "row": number}
            entries.append(
                audit.entry("waterbody_imported", actor, ip, "waterbody", waterbody_id, None, after)
            )
            report.created.append((number, record["name"]))
        db["waterbody_districts"].insert_all(through, batch_size=500)
        audit.record_all(db, entries)
        if new:
            invalidate_standings(db)
    report.written = bool(new)
    return report
