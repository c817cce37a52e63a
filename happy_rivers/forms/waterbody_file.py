"""The registry's spreadsheet format: reading an uploaded CSV or XLSX, writing the template and
the export (the same columns, so an export imports back unchanged).

Pure input/output: rows come out as {field: raw value} with their spreadsheet row numbers;
store.waterbodies.clean() judges the values and store.registry commits them.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from happy_rivers.scoring.waterbodies import waterbody_kinds
from happy_rivers.translations import N_

# (header, field, required): the column order of the template and the export
COLUMNS = (
    (N_("名称"), "name", True),
    (N_("类型"), "kind", True),
    (N_("牵头区县"), "district", True),
    (N_("途经区县"), "through", False),
    (N_("级别"), "level", False),
    (N_("长度(km)"), "length_km", False),
    (N_("面积(km²)"), "area_km2", False),
    (N_("河长"), "river_chief", False),
    (N_("经度"), "lon", False),
    (N_("纬度"), "lat", False),
)
FIELD_LABELS = {field: header for header, field, _required in COLUMNS} | {"status": N_("状态")}
MAX_ROWS = 10_000
XLSX_MAGIC = b"PK\x03\x04"
# A text cell starting with one of these is a formula to Excel: written with a leading ' (shown
# as typed, never run), and the ' is dropped again on reading so an export imports unchanged.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOTES = (
    "名称、类型、牵头区县必填；其余可留空。",
    # the kinds line is added from the kinds table when the template is written (`template_notes`)
    "区县：名称或 GB/T 2260 代码均可（两江新区 LJXQ、高新区 GXQ、万盛经开区 WSJK）。",
    "途经区县：跨区县河流途经的其他区县，用顿号、逗号或空格分隔；其检查员可查看该河湖。",
    "级别：市级、区县级、乡镇级、村级（默认区县级）。长度、面积填数字。",
    "经度、纬度：WGS-84（GPS）坐标，须在重庆市范围内，两者同时填写。",
    "同一区县已有同名河湖的行不会重复导入，会在预览中列出。",
)


class FileError(ValueError):
    """The file as a whole cannot be read (not one row's fault)."""


def _header_key(text) -> str:
    """长度（km） / 长度(KM) / 面积(km2) all name the same column."""
    text = str(text or "").strip().lower()
    text = text.replace("（", "(").replace("）", ")").replace("²", "2")
    return re.sub(r"\s+", "", text)


_BY_HEADER = {_header_key(header): field for header, field, _required in COLUMNS}


def decode_csv(content: bytes) -> str:
    """UTF-8 with or without BOM, else GB18030 (what Excel on Chinese Windows saves)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise FileError("无法识别文件编码：请另存为 UTF-8 或 GB18030（GBK）编码的 CSV") from None


def _csv_table(content: bytes) -> list[list]:
    text = decode_csv(content)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _xlsx_table(content: bytes) -> list[list]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileError("无法读取该 Excel 文件：请上传 .xlsx 格式（不支持旧的 .xls）") from None
    try:
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
    finally:
        book.close()


def read(content: bytes) -> list[tuple[int, dict]]:
    """[(row number as the spreadsheet shows it, {field: raw value})], empty rows left out.

    The type is decided by the bytes (an XLSX is a zip), not by the file name.
    """
    if not content.strip():
        raise FileError("文件是空的")
    table = _xlsx_table(content) if content.startswith(XLSX_MAGIC) else _csv_table(content)
    while table and not any(_filled(c) for c in table[0]):
        table.pop(0)
    if not table:
        raise FileError("文件是空的")
    header = [_BY_HEADER.get(_header_key(h)) for h in table[0]]
    missing = [h for h, field, required in COLUMNS if required and field not in header]
    if missing:
        raise FileError(f"缺少必填列：{'、'.join(missing)}。请使用导入模板（第一行为列名）")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(_filled(c) for c in cells):
            continue
        raw = {
            field: _unquoted(cells[i]) for i, field in enumerate(header) if field and i < len(cells)
        }
        rows.append((number, raw))
    if len(rows) > MAX_ROWS:
        raise FileError(f"一次最多导入 {MAX_ROWS} 行，请分批导入")
    return rows


def _unquoted(cell):
    if isinstance(cell, str) and cell.startswith("'") and cell[1:].startswith(FORMULA_START):
        return cell[1:]
    return cell


def _quoted(cell):
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def _filled(cell) -> bool:
    return cell is not None and str(cell).strip() != ""


def template_notes() -> tuple[str, ...]:
    """The template's notes, the kinds as the table lists them today."""
    kinds = "、".join(k.label for k in waterbody_kinds().values())
    return (NOTES[0], f"类型：{kinds}。", *NOTES[1:])


def _kind_cell(code: str) -> str:
    kind = waterbody_kinds().get(code)
    return kind.label if kind else code


def record_cells(row: dict) -> list:
    """A waterbody (as store.waterbodies lists it) as the template's cells."""
    cells = [
        row["name"],
        _kind_cell(row["kind"]),
        row["district_name"],
        "、".join(row.get("through_names") or []),
        row["level"] or "",
        row["length_km"],
        row["area_km2"],
        row["river_chief"] or "",
        row["lon"],
        row["lat"],
    ]
    return [_quoted(c) for c in cells]


def write_csv(rows: Iterable[dict]) -> bytes:
    """UTF-8 with a BOM: Excel on Chinese Windows then opens it with the right characters."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([h for h, _f, _r in COLUMNS])
    for row in rows:
        writer.writerow(["" if c is None else _plain(c) for c in record_cells(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _plain(value) -> str:
    # repr of a float round-trips exactly; 12.0 is written as 12
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def write_xlsx(rows: Iterable[dict], *, notes: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "河湖名录"
    sheet.append([h for h, _f, _r in COLUMNS])
    for cell, (_h, _f, required) in zip(sheet[1], COLUMNS, strict=True):
        cell.font = Font(bold=True, color="C00000" if required else None)
    for row in rows:
        sheet.append(record_cells(row))
    for letter, width in zip("ABCDEFGHIJ", (18, 8, 14, 24, 8, 10, 10, 16, 11, 11), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    if notes:
        help_sheet = book.create_sheet("填写说明")
        for line in template_notes():
            help_sheet.append([line])
        help_sheet.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
