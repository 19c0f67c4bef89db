"""Opening a workbook (.xlsx or .xls, both through python-calamine) into grids of cells.

    book = open_workbook(data, file_name="报送表.xlsx", max_bytes=20 << 20)  # FileRejected
    sheet = book.sheet(book.visible[0])
    top = sheet.find_row(lambda cells: "统一社会信用代码" in map(header_key, cells))
    bottom, headers = sheet.header(top)            # a two-row merged header reads as its leaves

A `Sheet` is a list of rows from A1 (row 0 is Excel's row 1), values as calamine gives them
(str, float, int, bool, date, datetime); merged cells are resolved on request (`value`,
`filled`), since the data rows of a 20k-row upload never need it. Hidden sheets are listed
apart: importers never read them, and say so.
"""

import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter
from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from .cells import is_blank, parse_text, text_key
from .headers import header_key
from .problems import FileRejected
from .safety import CORRUPT, ENCRYPTED, check_file

HEADER_SEARCH_ROWS = (
    50  # title, 填报单位 and 填报日期 lines come before the header, not pages of them
)

Merged = tuple[tuple[int, int], tuple[int, int]]  # ((first row, first col), (last row, last col))


def column_letter(index: int) -> str:
    """A 0-based column index as Excel names it: 0 → A, 27 → AB."""
    return get_column_letter(index + 1)


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]
    merged: list[Merged] = field(default_factory=list)

    def raw(self, r: int, c: int) -> Any:
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else ""

    def value(self, r: int, c: int) -> Any:
        """The cell's value; inside a merged range, the range's (its top-left cell's)."""
        for (r0, c0), (r1, c1) in self.merged:
            if r0 <= r <= r1 and c0 <= c <= c1:
                return self.raw(r0, c0)
        return self.raw(r, c)

    def filled(self) -> list[list[Any]]:
        """Rows of equal width in which every cell of a merged range holds the range's value."""
        width = max((len(row) for row in self.rows), default=0)
        grid = [list(row) + [""] * (width - len(row)) for row in self.rows]
        for (r0, c0), (r1, c1) in self.merged:
            top_left = self.raw(r0, c0)
            for r in range(r0, min(r1 + 1, len(grid))):
                for c in range(c0, min(c1 + 1, width)):
                    grid[r][c] = top_left
        return grid

    def find_row(
        self, matches: Callable[[list[Any]], bool], limit: int = HEADER_SEARCH_ROWS
    ) -> int | None:
        """The first row (of the first `limit`) for which `matches(cells)` holds."""
        for index, row in enumerate(self.rows[:limit]):
            if matches(row):
                return index
        return None

    def _has_leaves(self, top: int) -> bool:
        """Whether the row below `top` names the columns of a group heading merged across
        them in `top` (人员情况 over 职工总数 | 科技人员数) — text in each of them, unlike a
        data row under a merely wide header cell."""
        groups = [(c0, c1) for (r0, c0), (r1, c1) in self.merged if r0 == r1 == top and c1 > c0]
        below = [self.raw(top + 1, c) for c0, c1 in groups for c in range(c0, c1 + 1)]
        return bool(below) and all(isinstance(v, str) and v.strip() for v in below)

    def header(self, top: int) -> tuple[int, list[str]]:
        """The header's last row and each column's text: a cell merged down over a second line,
        or a group heading merged across columns, makes a two-line header, whose lower (leaf)
        texts name the columns."""
        bottom = max([top] + [r1 for (r0, _), (r1, _) in self.merged if r0 <= top <= r1])
        if bottom == top and self._has_leaves(top):
            bottom = top + 1
        last = min(bottom + 1, len(self.rows))
        width = max((len(self.rows[r]) for r in range(top, last)), default=0)
        texts = []
        for c in range(width):
            cells = [parse_text(self.value(r, c)) for r in range(top, bottom + 1)]
            texts.append(next((t for t in reversed(cells) if t), ""))
        return bottom, texts


class Book:
    """An opened workbook: its worksheets' names by visibility, and each sheet on request."""

    def __init__(self, workbook: CalamineWorkbook):
        self._workbook = workbook
        sheets = [m for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        self.visible = [m.name for m in sheets if m.visible == SheetVisibleEnum.Visible]
        self.hidden = [m.name for m in sheets if m.visible != SheetVisibleEnum.Visible]

    def sheet(self, name: str) -> Sheet:
        with _translated_errors():
            calamine_sheet = self._workbook.get_sheet_by_name(name)
            rows = calamine_sheet.to_python(skip_empty_area=False)
            merged = list(calamine_sheet.merged_cell_ranges or [])
        return Sheet(name, rows, merged)


@contextmanager
def _translated_errors() -> Iterator[None]:
    """calamine's failures as the user's message: a malformed file is CORRUPT, an encrypted
    one ENCRYPTED — a Rust panic on a malformed file too (pyo3's PanicException, a
    BaseException), instead of ending the request."""
    try:
        yield
    except PasswordError as exc:
        raise FileRejected(ENCRYPTED) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRejected(CORRUPT) from exc
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        raise FileRejected(CORRUPT) from exc


def file_bytes(file: Any) -> bytes:
    """The whole content of what an importer was handed: bytes, an uploaded file, an open file
    (from its start, wherever it was left)."""
    if isinstance(file, bytes | bytearray | memoryview):
        return bytes(file)
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read()


def load_book(data: bytes) -> Book:
    """Open bytes that check_file has already passed."""
    with _translated_errors():
        return Book(CalamineWorkbook.from_filelike(io.BytesIO(data)))


def open_workbook(data: bytes, *, file_name: str | None, max_bytes: int) -> Book:
    """check_file, then open: the one way an importer opens what a user sent."""
    check_file(file_name, data, max_bytes=max_bytes)
    return load_book(data)


# --- rows that are no data: totals and footers ------------------------------------------------

# 合计 / 总计 / 小计 rows, as clerks label them: 全镇合计, 本页小计, "合  计" …
_TOTAL = re.compile(
    r"(?:全(?:镇|区|县|市|街道|园区|乡)|本(?:镇|单位|页|表))?(?:合计|总计|小计|共计)"
    r"(?::?\d+(?:家|个|项|户|人)?|:)?"  # 合计：12家 (text_key has made ：into :)
)
# Lines below (or between) the data: who filled it in, when, notes. Short words need a colon,
# so an enterprise named 注塑… or 说明书… is never taken for one.
_FOOTER = re.compile(
    r"(?:填表人|填报人|制表人|联系人|联系电话|联系方式|审核人|审批人|负责人|单位负责人|"
    r"统计负责人|分管领导|主要领导|填报日期|填表日期|报送日期|制表日期|填表说明|填报说明)"
    r"|(?:注|说明|备注|电话|日期)\d*[:：]"
)


def row_kind(cells: Sequence[Any]) -> str | None:
    """ "total" for a 合计 row, "footer" for a 填表人 / 联系电话 / 注：… line, None for the rest
    (judged by the row's first filled cell, after a 序号)."""
    texts = [text_key(v) for v in cells if not is_blank(v)]
    if texts and texts[0].isdigit() and len(texts) > 1:
        texts = texts[1:]  # a 序号 before the label
    if not texts:
        return None
    if _TOTAL.fullmatch(texts[0]):
        return "total"
    if _FOOTER.match(texts[0]):
        return "footer"
    return None


# --- a sheet read by its headers -----------------------------------------------------------------


@dataclass
class Table:
    """The data rows of a sheet, keyed by the expected headers (see `read_table`)."""

    header_row: int | None = None  # as Excel numbers it
    missing: list[str] = field(default_factory=list)  # required headers not found
    ignored: list[str] = field(default_factory=list)  # headers not expected (or repeated)
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (Excel row, values)


def read_table(sheet: Sheet, headers: Iterable[str], required: Sequence[str] = ()) -> Table:
    """Read a sheet by its header row: the first row naming any expected header (title rows
    above it are skipped). Columns are found by header in any order (header_key: spaces,
    full/half width, a unit in brackets); rows blank in every expected column, 合计 rows and
    填表人 / 注：… lines are skipped."""
    by_key = {header_key(h): h for h in headers}
    table = Table()
    top = sheet.find_row(lambda cells: any(header_key(v) in by_key for v in cells if v != ""))
    if top is None:
        first_filled = sheet.find_row(lambda cells: not all(map(is_blank, cells)), len(sheet.rows))
        if first_filled is not None:  # data but no header at all
            table.header_row, table.missing = first_filled + 1, list(required)
        return table
    bottom, texts = sheet.header(top)
    columns: dict[str, int] = {}
    for index, text in enumerate(texts):
        header = by_key.get(header_key(text))
        if header is not None and header not in columns:
            columns[header] = index
        elif text:
            table.ignored.append(text)
    table.header_row = top + 1
    table.missing = [h for h in required if h not in columns]
    for index in range(bottom + 1, len(sheet.rows)):
        line = sheet.rows[index]
        cells = {h: line[i] if i < len(line) else None for h, i in columns.items()}
        if not all(map(is_blank, cells.values())) and row_kind(line) is None:
            table.rows.append((index + 1, cells))
    return table
