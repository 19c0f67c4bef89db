"""Read a checked quarterly workbook (.xlsx or .xls, through core.sheets) into typed rows.

The data sheet is 企业季度数据, or else the first visible sheet with a header row; hidden sheets
are never read. The header row is the first row (of the first 50) holding 统一社会信用代码;
title lines above it and a second header line joined to it by merged cells are fine. Headers
match as core.sheets.header_key says (spaces, line breaks, full/half width, a unit in
brackets). A header that is not the template's refuses the file (FileRejected); a bad cell is
a Problem naming its sheet, row and column, and the reading goes on so the user sees every
error at once.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.sheets import (
    CellError,
    FileRejected,
    Problem,
    Sheet,
    canonical_column,
    canonical_number,
    code_column,
    column_letter,
    header_key,
    is_blank,
    is_ignored,
    load_book,
    number_text,
    parse_date,
    parse_money,
    parse_text,
    row_kind,
    text_column,
)
from core.sheets.reading import HEADER_SEARCH_ROWS, Book
from targets.selectors import reported_metrics

from ..columns import DATA_SHEET, INDICATOR_COLUMNS, KEY_COLUMNS, SUMMARY_SHEET, Column
from .identity import IDENTITY_SHEET, read_identity

GUIDE_SHEET = "填写说明"
SUMMARY_HEADERS = {"code": "指标代码", "name": "指标名称", "value": "本年累计值"}
Progress = Callable[[int, int], None]


@dataclass(slots=True)  # 100 000 of them in a big file
class ParsedRow:
    row: int  # the row number Excel shows
    uscc: str  # normalised; "" if blank
    name: str
    values: dict[str, Any] = field(default_factory=dict)  # code → canonical text | date | None


@dataclass
class ParsedUpload:
    sheet: str
    rows: list[ParsedRow]
    reported: dict[str, Decimal]
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)
    title: str = ""  # the lines above the header: what the file says it is (identity.py)
    identity: dict[str, str] = field(default_factory=dict)  # the template's 报送标识 sheet


@dataclass
class _Rows:
    """What the data area holds: enterprise rows, 合计 rows (row, label, {code: text}), and the
    first row with a value in each column the template does not have."""

    rows: list[ParsedRow] = field(default_factory=list)
    totals: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    stray: dict[int, int] = field(default_factory=dict)  # column index → first row with data


USCC_KEY = header_key(KEY_COLUMNS[0].header)


def parse_cell(value: Any, column: Column) -> Any:
    """A cell as staged: numbers as canonical text ("12", "1234.50"), dates as dates."""
    if column.kind in ("int", "money"):
        negative = column.code == "net_assets"  # an insolvent enterprise's net assets
        return canonical_number(value, integer=column.kind == "int", negative=negative)
    if column.kind == "date":
        return parse_date(value)
    return parse_text(value)


def read_upload(
    data: bytes,
    *,
    columns: list[Column],
    progress: Progress | None = None,
    metrics: dict[str, str] | None = None,
) -> ParsedUpload:
    """`metrics` (code → name of the "reported" metrics) is read from the database if not given."""
    book = load_book(data)
    sheet, top = _data_sheet(book)
    bottom, texts = sheet.header(top)
    positions, unknown = _match_header(sheet.name, top + 1, texts, columns)
    problems: list[Problem] = []
    found = _read_rows(sheet, bottom + 1, positions, unknown, problems, progress)
    warnings = _stray_columns(sheet.name, top + 1, texts, found.stray)
    warnings += _check_totals(sheet.name, positions, found)
    reported: dict[str, Decimal] = {}
    if SUMMARY_SHEET in book.visible:
        reported = _read_summary(book.sheet(SUMMARY_SHEET), metrics, problems)
    if not found.rows and not reported:
        problems.append(
            Problem(sheet.name, top + 1, "", "没有数据行：表头下方没有填写任何企业数据。")
        )
    title = " ".join(parse_text(v) for line in sheet.rows[:top] for v in line if not is_blank(v))
    return ParsedUpload(
        sheet.name, found.rows, reported, problems, warnings, title, read_identity(book)
    )


def _has_header(cells: list[Any]) -> bool:
    return any(isinstance(v, str) and header_key(v) == USCC_KEY for v in cells)


def _data_sheet(book: Book) -> tuple[Sheet, int]:
    """The sheet holding the data and its header row: 企业季度数据 first, else the first
    visible sheet with a 统一社会信用代码 header. Hidden sheets are never read."""
    candidates = sorted(
        (n for n in book.visible if n not in (SUMMARY_SHEET, GUIDE_SHEET, IDENTITY_SHEET)),
        key=lambda n: n != DATA_SHEET,
    )
    for name in candidates:
        sheet = book.sheet(name)
        if (top := sheet.find_row(_has_header)) is not None:
            return sheet, top
    for name in book.hidden:
        if name != IDENTITY_SHEET and book.sheet(name).find_row(_has_header) is not None:
            raise FileRejected(
                f"数据在隐藏的工作表“{name}”中，系统不读取隐藏的工作表。"
                "请取消隐藏（或把数据复制到可见的工作表）后再上传。"
            )
    raise FileRejected(
        f"未找到数据表：应有工作表“{DATA_SHEET}”，其前 {HEADER_SEARCH_ROWS} 行中有一行表头"
        f"包含“{KEY_COLUMNS[0].header}”。请使用本期下载的模板填写。"
    )


def _match_header(
    sheet: str, row: int, texts: list[str], columns: list[Column]
) -> tuple[dict[Column, int], list[int]]:
    """Template column → its position, and the positions of headers the template does not
    have (their data decide: stray_columns). A missing or repeated column refuses the file."""
    expected = {header_key(c.header): c for c in columns}
    positions: dict[Column, int] = {}
    unknown: list[int] = []
    problems: list[Problem] = []
    for index, text in enumerate(texts):
        key = header_key(text)
        if not key or is_ignored(text):
            continue
        column = expected.get(key)
        if column is None:
            unknown.append(index)
        elif column in positions:
            letter, first = column_letter(index), column_letter(positions[column])
            problems.append(
                Problem(sheet, row, text, f"{letter}列“{text}”与{first}列重复，请检查表头")
            )
        else:
            positions[column] = index
    for column in columns:
        if column not in positions:
            problems.append(Problem(sheet, row, column.header, f"缺少“{column.header}”列"))
    if problems:
        problems.append(
            Problem(sheet, row, "", "表头与本期模板不一致，请下载本期模板，不要增删或改动表头。")
        )
        raise FileRejected(problems)
    return positions, unknown


def _stray_columns(sheet: str, row: int, texts: list[str], stray: dict[int, int]) -> list[Problem]:
    """Columns the template does not have: empty ones are ignored (a warning says so); one
    holding data refuses the file — dropping it would lose what the clerk typed."""
    others = {header_key(c.header) for c in INDICATOR_COLUMNS}
    warnings, problems = [], []
    for index in sorted(stray):
        text, letter, first = texts[index], column_letter(index), stray[index]
        if first < 0:
            warnings.append(
                Problem(sheet, row, text, f"{letter}列“{text}”不是本期模板中的列，该列为空，已忽略")
            )
            continue
        what = "本期模板不含该列" if header_key(text) in others else "不是本期模板中的列"
        problems.append(
            Problem(
                sheet,
                row,
                text,
                f"{letter}列“{text}”{what}，但第{first}行等填有数据，系统不会读取这些数据。"
                "若它就是模板中的某一列，请改回模板中的列名；若不需报送，请把该列移到其他工作表后再上传",
            )
        )
    if problems:
        raise FileRejected(problems)
    return warnings


BLOCK_ROWS = 1000  # rows read, then parsed column by column, between progress reports


def _read_rows(
    sheet: Sheet,
    first: int,
    positions: dict[Column, int],
    unknown: list[int],
    problems: list[Problem],
    progress: Progress | None,
) -> _Rows:
    """Sort the data area's lines into enterprise rows (parsed a block at a time, column by
    column: _parse_block), 合计 rows, and blank or footer lines (skipped)."""
    uscc_at = next(i for c, i in positions.items() if c.code == "uscc")
    at = list(positions.values())
    found = _Rows(stray={i: -1 for i in unknown})
    grid, total = sheet.rows, max(len(sheet.rows) - first, 0)
    for start in range(first, len(grid), BLOCK_ROWS):
        if progress and start > first:
            progress(start - first, total)
        block: list[tuple[int, list[Any]]] = []
        for index in range(start, min(start + BLOCK_ROWS, len(grid))):
            line = grid[index]
            code = line[uscc_at] if uscc_at < len(line) else ""
            # The usual line: a code typed in its column, so neither blank nor a 合计 row.
            if not (isinstance(code, str) and code[:1].isascii() and code[:1].isalnum()):
                kind = _line_kind(line, code, at)
                if kind == "total":
                    label = parse_text(next(v for v in line if not is_blank(v)))
                    found.totals.append((index + 1, label, _total_values(line, positions)))
                if kind is not None:
                    continue
            block.append((index + 1, line))
            for stray, seen in found.stray.items():
                if seen < 0 and stray < len(line) and not is_blank(line[stray]):
                    found.stray[stray] = index + 1
        found.rows += _parse_block(sheet.name, block, positions, problems)
    if progress:
        progress(total, total)
    return found


def _line_kind(line: list[Any], code: Any, at: list[int]) -> str | None:
    """None for an enterprise row; "blank", "total" or "footer" for the lines skipped."""
    if all(is_blank(line[i]) if i < len(line) else True for i in at):
        return "blank"
    return None if isinstance(code, str) and code[:1].isascii() and code else row_kind(line)


def _parse_block(
    sheet: str, block: list[tuple[int, list[Any]]], positions: dict[Column, int], problems
) -> list[ParsedRow]:
    """Enterprise rows, parsed column by column (core.sheets' *_column: the usual cells in one
    comprehension each); a bad cell is a Problem, in row order, its value None."""
    if not block:
        return []
    numbers = [number for number, _ in block]
    usccs: list[str] = [""] * len(block)
    names: list[str] = [""] * len(block)
    codes, values = [], []
    found: list[Problem] = []
    for column, at in positions.items():
        cells = [line[at] if at < len(line) else "" for _, line in block]
        errors: dict[int, CellError] = {}
        if column.code == "uscc":
            usccs, errors = code_column(cells)
        elif column.code == "name":
            names = text_column(cells)
        elif column.kind in ("int", "money"):
            negative = column.code == "net_assets"  # an insolvent enterprise's net assets
            texts, errors = canonical_column(cells, integer=column.kind == "int", negative=negative)
            codes.append(column.code)
            values.append(texts)
        else:
            texts = []
            for i, cell in enumerate(cells):
                try:
                    texts.append(parse_cell(cell, column))
                except CellError as exc:
                    texts.append(None)
                    errors[i] = exc
            codes.append(column.code)
            values.append(texts)
        found += [Problem(sheet, numbers[i], column.header, str(e)) for i, e in errors.items()]
    if found:  # by row, and within a row by column (sort is stable)
        problems += sorted(found, key=lambda p: p.row or 0)
    return [
        ParsedRow(number, uscc, name, dict(zip(codes, row, strict=True)))
        for number, uscc, name, row in zip(
            numbers,
            usccs,
            names,
            zip(*values, strict=True) if values else [()] * len(block),
            strict=True,
        )
    ]


def _total_values(line: list[Any], positions: dict[Column, int]) -> dict[str, Any]:
    values = {}
    for column, at in positions.items():
        if column.kind in ("int", "money") and at < len(line):
            try:
                values[column.code] = parse_cell(line[at], column)
            except CellError:
                values[column.code] = None  # a total we cannot read checks nothing
    return values


def _check_totals(sheet: str, positions: dict[Column, int], found: _Rows) -> list[Problem]:
    """A 合计 row (not a 小计) below the data is checked against the column sums: a mismatch
    is a warning for the preview, the total itself is never stored."""
    warnings = []
    for number, label, values in found.totals:
        if "小计" in label:
            continue
        above = [r for r in found.rows if r.row < number]
        for column in positions:
            stated = values.get(column.code)
            if stated is None:
                continue
            parts = [Decimal(r.values[column.code]) for r in above if r.values.get(column.code)]
            if sum(parts, Decimal(0)) != Decimal(stated):
                summed = (
                    number_text(sum(parts, Decimal(0)))
                    if column.kind == "money"
                    else str(sum(parts))
                )
                message = f"合计行（{label}）为 {stated}，上方各企业之和为 {summed}，请核对"
                warnings.append(Problem(sheet, number, column.header, message))
    return warnings


def _read_summary(
    sheet: Sheet, metrics: dict[str, str] | None, problems: list[Problem]
) -> dict[str, Decimal]:
    """(指标代码 |) 指标名称 | 本年累计值 → {code: value}; blank values are not reported. The
    template names each metric only; one downloaded before gave its code first (and still
    uploads: the code, where there is one, decides)."""
    found = _summary_columns(sheet, problems)
    if found is None:
        return {}
    top, at = found
    reported: dict[str, Decimal] = {}
    seen: dict[str, int] = {}  # code → the row it was first on
    for index in range(top + 1, len(sheet.rows)):
        line, number = sheet.rows[index], index + 1
        cell = {role: line[i] if i < len(line) else "" for role, i in at.items()}
        if is_blank(cell["value"]):
            continue
        metrics = reported_metrics() if metrics is None else metrics
        problem = None
        code = _summary_code(cell, metrics)
        name = metrics.get(code, "")
        if code not in metrics:
            problem = _unknown_metric(sheet.name, number, cell)
        elif code in seen:
            message = f"指标“{name}”与第{seen[code]}行重复"
            problem = Problem(sheet.name, number, _metric_header(at), message, name)
        else:
            seen[code] = number
            try:
                if (value := parse_money(cell["value"], negative=False)) is not None:
                    reported[code] = value
            except CellError as exc:
                problem = Problem(sheet.name, number, SUMMARY_HEADERS["value"], str(exc), name)
        if problem is not None:
            problems.append(problem)
    return reported


def _metric_header(at: dict[str, int]) -> str:
    """The column that names a row's metric: 指标名称, or 指标代码 in an older template."""
    return SUMMARY_HEADERS["name" if "name" in at else "code"]


def _unknown_metric(sheet: str, number: int, cell: dict[str, Any]) -> Problem:
    code, name = parse_text(cell.get("code")), parse_text(cell.get("name"))
    if code:  # an older template's code column, typed over
        return Problem(sheet, number, SUMMARY_HEADERS["code"], f"未知的指标代码“{code}”", name)
    message = f"未知的指标“{name or '（空）'}”：请使用本期模板中的指标名称，不要改动或新增指标行"
    return Problem(sheet, number, SUMMARY_HEADERS["name"], message)


def _summary_columns(sheet: Sheet, problems: list[Problem]) -> tuple[int, dict[str, int]] | None:
    """The summary's header row and where each of its columns is (None: not readable). The
    header holds 指标名称 (this template) or 指标代码 (one downloaded before it), or both."""
    keys = {header_key(SUMMARY_HEADERS[role]) for role in ("code", "name")}
    top = sheet.find_row(lambda cells: any(header_key(v) in keys for v in cells if v != ""))
    if top is None:
        message = f"找不到表头“{SUMMARY_HEADERS['name']}”，该表未读取。"
        problems.append(Problem(sheet.name, None, "", message))
        return None
    at: dict[str, int] = {}
    for index, text in enumerate(sheet.header(top)[1]):
        for role, header in SUMMARY_HEADERS.items():
            if header_key(text) == header and role not in at:
                at[role] = index
    if "value" not in at:
        problems.append(Problem(sheet.name, top + 1, "", "缺少“本年累计值”列，该表未读取。"))
        return None
    return top, at


def _summary_code(cell: dict[str, Any], metrics: dict[str, str]) -> str:
    """The row's metric code: as typed (an older template's 指标代码), or found by the
    metric's name (this template names it only)."""
    code = parse_text(cell.get("code"))
    if code:
        return code
    name = header_key(parse_text(cell.get("name")))
    return next((c for c, n in metrics.items() if header_key(n) == name), "")
