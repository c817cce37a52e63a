"""CSV and Excel downloads, shared by every page that exports a table (the boards' exports,
the 日程 export): columns as data, formula-safe cells, UTF-8 with a BOM for Excel, XLSX in
openpyxl's write-only mode, streamed a batch at a time with flat memory. Not a blueprint.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from flask import Response, stream_with_context
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from happy_rivers import clock, scoring

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    kind: str = "text"  # text | int | number (2 decimals) | date | datetime (Beijing time)
    width: int = 12


def kind_label(code: str) -> str:
    """The kind's Chinese label for the export's cells (the exports are written in Chinese)."""
    kind = scoring.waterbody_kinds().get(code)
    return kind.label if kind else code


# A cell starting with one of these is a formula to Excel, even in a CSV file.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == "number":
        return f"{Decimal(value):.2f}"
    if column.kind == "date":
        return value.isoformat()
    if column.kind == "datetime":
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    if column.kind == "text" and text.startswith(FORMULA_START):
        text = "'" + text  # shown as typed, never run
    return text


# Rows are encoded and handed to the server this many at a time: one write per batch, not per
# row, and never more than a batch in memory.
CSV_BATCH = 500


def csv_chunks(columns: list[Column], rows: Iterable[Any]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (without it Excel reads the Chinese as mojibake), a batch
    of rows at a time, as they are read."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow([c.header for c in columns])
    for n, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(c, c.value(row)) for c in columns])
        if n % CSV_BATCH == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


NUMBER_FORMATS = {"number": "0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _xlsx_cell(sheet, column: Column, value: Any):
    """A value as openpyxl should write it: plain values as they are, a cell where it needs a
    number format or must stay text."""
    if value is None:
        return None
    if column.kind == "text":
        value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"  # typed text that starts with "=" stays text, never a formula
            return cell
        return value
    number_format = NUMBER_FORMATS.get(column.kind)
    if number_format is None:
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.number_format = number_format
    return cell


def xlsx_file(
    title: str,
    columns: list[Column],
    rows: Iterable[Any],
    notes: Callable[[int], list[tuple[str, str]]],
) -> IO[bytes]:
    """One sheet of data (header row, numbers as numbers, dates as dates) and one of notes
    (given the number of rows), as a temporary file positioned at its start.

    openpyxl's write-only mode writes each row to a temporary file as it is appended, so the
    rows are never all in memory; the workbook is then zipped into another temporary file,
    which the response sends in chunks. (A zip's directory comes last, so the file is complete
    before its first byte can be sent.)
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for col, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007 (the count is the notes')
        sheet.append([_xlsx_cell(sheet, c, c.value(row)) for c in columns])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    about = book.create_sheet("说明")
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 80
    for label, text in notes(count):
        cell = WriteOnlyCell(about, label)
        cell.font = bold
        about.append([cell, _xlsx_cell(about, Column("", str), text)])
    out = tempfile.TemporaryFile()
    book.save(out)
    out.seek(0)
    return out


def _file_chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := file.read(1 << 16):
            yield chunk
    finally:
        file.close()


def download(
    fmt: str,
    name: str,
    title: str,
    columns: list[Column],
    rows: Iterable[Any],
    notes: Callable[[int], list[tuple[str, str]]],
) -> Response:
    """The export as a streamed download: rows are read, formatted and sent a batch at a time
    (stream_with_context keeps the request's database connection open until the last one)."""
    stamp = clock.beijing(clock.utc_now(), "%Y%m%d-%H%M")
    if fmt == "csv":
        # Flask adds "; charset=utf-8"
        response = Response(stream_with_context(csv_chunks(columns, rows)), mimetype="text/csv")
    else:
        file = xlsx_file(title, columns, rows, notes)
        size = os.fstat(file.fileno()).st_size
        response = Response(_file_chunks(file), mimetype=XLSX_MIMETYPE)
        response.content_length = size
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def common_notes() -> list[tuple[str, str]]:
    return [
        ("导出时间", clock.beijing(clock.utc_now(), "%Y-%m-%d %H:%M（北京时间）")),
        ("导出人", f"{current_user.display_name}（{current_user.username}）"),
    ]
