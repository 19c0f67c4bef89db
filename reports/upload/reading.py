"""Read a checked workbook (.xlsx or .xls, both through python-calamine) into typed rows.

The data sheet is 企业季度数据, or else the first visible sheet with a header row; hidden sheets
are never read. The header row is the first row (of the first 50) holding 统一社会信用代码;
title lines above it and a second header line joined to it by merged cells are fine. Headers
match ignoring spaces, line breaks, full/half-width forms and an optional “（万元）”. A header
that is not the template's refuses the file (UploadRejected); a bad cell is a Problem naming
its sheet, row and column, and the reading goes on so the user sees every error at once.
"""

import datetime
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from openpyxl.utils import get_column_letter
from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from cultivation.excel import CellError, parse_date, parse_text, shown
from reports.columns import DATA_SHEET, INDICATOR_COLUMNS, KEY_COLUMNS, SUMMARY_SHEET, Column

from .safety import CORRUPT, ENCRYPTED, Problem, UploadRejected

GUIDE_SHEET = "填写说明"
HEADER_SEARCH_ROWS = 50
IGNORED_HEADERS = {"序号", "备注", "说明"}  # columns people add that carry nothing we store
EMPTY_MARKS = {"-", "--", "—", "——", "–", "/"}
UNIT_SUFFIXES = {"money": ("万元",), "int": ("人", "个", "项", "件", "家")}
MONEY_LIMIT = Decimal(10) ** 12  # EnterpriseYear: max_digits=14, decimal_places=2
INT_LIMIT = 2_147_483_647
CENT = Decimal("0.01")
FAST_LIMIT = 1e11  # below it a float's cents are exact enough to round without Decimal
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
SUMMARY_HEADERS = {"code": "指标代码", "name": "指标名称", "value": "本年累计值"}


@dataclass
class ParsedRow:
    row: int  # the row number Excel shows
    uscc: str  # normalised; "" if blank
    name: str
    values: dict = field(default_factory=dict)  # code → canonical text (as_text) | date | None


@dataclass
class ParsedUpload:
    sheet: str
    rows: list[ParsedRow]
    reported: dict[str, Decimal]
    problems: list[Problem]


def header_key(text) -> str:
    """统一社会信用代码 == ' 统一社会\n信用代码 '; 销售收入（万元） == 销售收入 == 销售收入(万元)."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).strip("*")
    return key.replace("(万元)", "")


USCC_KEY = header_key(KEY_COLUMNS[0].header)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_number(value, kind: str = "money") -> Decimal | int | None:
    """A cell as a number: 1234.5, "1,234.5", "１２３", "  12 ", "30万元"; "—", "-" and "" are
    empty. Money is rounded to 0.01; "int" must be whole. CellError quotes what was typed."""
    if type(value) is float and math.isfinite(value):  # what calamine mostly gives: fast
        if kind == "int" and value.is_integer() and abs(value) <= INT_LIMIT:
            return int(value)
        number = Decimal(repr(round(value, 6)))  # drop binary noise from formulas
    elif is_blank(value):
        return None
    elif isinstance(value, bool) or not isinstance(value, int | float | str):
        what = "日期" if isinstance(value, datetime.date | datetime.time) else "非数字内容"
        raise CellError(f"“{shown(value)}”是{what}，应填写数字")
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        raise CellError(f"“{shown(value)}”不是有效的数字")
    else:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
        if text in EMPTY_MARKS:
            return None
        for suffix in UNIT_SUFFIXES.get(kind, ()):
            text = text.removesuffix(suffix)
        if "," in text and _GROUPED.fullmatch(text):
            text = text.replace(",", "")
        if not _NUMBER.fullmatch(text):
            raise CellError(f"“{shown(value)}”不是有效的数字")
        number = Decimal(text)
    if kind == "int":
        if number != number.to_integral_value():
            raise CellError(f"“{shown(value)}”不是整数，应填写整数")
        if abs(number) > INT_LIMIT:
            raise CellError(f"“{shown(value)}”数值过大")
        return int(number)
    number = number.quantize(CENT, rounding=ROUND_HALF_UP)
    if abs(number) >= MONEY_LIMIT:
        raise CellError(f"“{shown(value)}”数值过大（单位为万元，请核对）")
    return number


# A cell's date and text read the same way as in the ladder import.
parse_day = parse_date


def parse_uscc(value) -> str:
    """The code as typed (normalised later). A long number means Excel already dropped digits."""
    from enterprises.uscc import normalise

    if isinstance(value, float | int) and not isinstance(value, bool) and abs(value) >= 1e15:
        raise CellError(
            f"统一社会信用代码被 Excel 存成了数字（{value:.6G}），后几位已丢失。"
            "请把该列设为“文本”格式后重新填写"
        )
    return normalise(parse_text(value))


def as_text(value) -> str | None:
    """How a value is staged, shown and compared: "12", "1234.50", "2019-03-05"."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value.quantize(CENT) or Decimal('0.00'):f}"  # never "-0.00"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _float_text(value: float, kind: str) -> str | None:
    """as_text(parse_number(value)) for the common case, a plain float cell, without building
    a Decimal (100 000 cells a 20k-row file); None leaves the rest to parse_number."""
    if not abs(value) < FAST_LIMIT:  # also NaN and infinities
        return None
    if kind == "int":
        return str(int(value)) if value.is_integer() else None
    if not value:
        return "0.00"  # and never "-0.00"
    shown_ = repr(value)  # what was typed, usually: "15080.79", "225.0"
    places = len(shown_) - shown_.find(".") - 1
    if places <= 2 and "e" not in shown_:
        return shown_ + "0" * (2 - places)
    cents = math.floor(abs(round(value * 100, 4)) + 0.5)  # ROUND_HALF_UP of the decimal shown
    sign = "-" if value < 0 and cents else ""
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def parse_cell(value, column: Column):
    """A cell as staged: numbers as canonical text ("12", "1234.50"), dates as dates."""
    if column.kind in ("int", "money"):
        text = _float_text(value, column.kind) if type(value) is float else None
        if text is None:
            text = as_text(parse_number(value, column.kind))
        if text is not None and text.startswith("-") and column.code != "net_assets":
            raise CellError(f"不能为负数（{shown(value)}）")
        return text
    if column.kind == "date":
        return parse_day(value)
    return parse_text(value)


def read_upload(
    data: bytes, kind: str, *, columns: list[Column], progress=None, metrics=None
) -> ParsedUpload:
    """`metrics` (code → name of the "reported" metrics) is read from the database if not given."""
    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
            return _read(book, columns, progress, metrics)
    except PasswordError as exc:
        raise UploadRejected(ENCRYPTED) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise UploadRejected(CORRUPT) from exc
    except BaseException as exc:  # a Rust panic on a malformed file: pyo3's PanicException
        if type(exc).__name__ != "PanicException":
            raise
        raise UploadRejected(CORRUPT) from exc


class _Sheet:
    """A sheet's cells as a grid with absolute positions (row 0 = Excel row 1)."""

    def __init__(self, book, name: str):
        sheet = book.get_sheet_by_name(name)
        self.name = name
        self.grid = sheet.to_python(skip_empty_area=False)
        self.merged = sheet.merged_cell_ranges or []

    def header_row(self, key: str) -> int | None:
        for index, row in enumerate(self.grid[:HEADER_SEARCH_ROWS]):
            if any(isinstance(v, str) and header_key(v) == key for v in row):
                return index
        return None

    def value(self, r: int, c: int):
        for (r0, c0), (r1, c1) in self.merged:
            if r0 <= r <= r1 and c0 <= c <= c1:
                r, c = r0, c0
                break
        row = self.grid[r] if r < len(self.grid) else []
        return row[c] if c < len(row) else ""

    def header(self, top: int) -> tuple[int, list[str]]:
        """The header's last row and each column's text: a header cell merged down over a
        second line makes a two-line header, whose lower (leaf) texts count."""
        bottom = max([top] + [r1 for (r0, _), (r1, _) in self.merged if r0 <= top <= r1])
        width = max(len(self.grid[r]) for r in range(top, min(bottom + 1, len(self.grid))))
        texts = []
        for c in range(width):
            cells = [parse_text(self.value(r, c)) for r in range(top, bottom + 1)]
            texts.append(next((t for t in reversed(cells) if t), ""))
        return bottom, texts


def _read(book, columns, progress, metrics) -> ParsedUpload:
    worksheets = [m for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    visible = [m.name for m in worksheets if m.visible == SheetVisibleEnum.Visible]
    hidden = [m.name for m in worksheets if m.visible != SheetVisibleEnum.Visible]
    candidates = sorted(
        (n for n in visible if n not in (SUMMARY_SHEET, GUIDE_SHEET)), key=lambda n: n != DATA_SHEET
    )
    sheet = top = None
    for name in candidates:
        sheet = _Sheet(book, name)
        if (top := sheet.header_row(USCC_KEY)) is not None:
            break
    else:
        for name in hidden:
            if _Sheet(book, name).header_row(USCC_KEY) is not None:
                raise UploadRejected(
                    f"数据在隐藏的工作表“{name}”中，系统不读取隐藏的工作表。"
                    "请取消隐藏（或把数据复制到可见的工作表）后再上传。"
                )
        raise UploadRejected(
            f"未找到数据表：应有工作表“{DATA_SHEET}”，其前 {HEADER_SEARCH_ROWS} 行中有一行表头"
            f"包含“{KEY_COLUMNS[0].header}”。请使用本期下载的模板填写。"
        )
    bottom, texts = sheet.header(top)
    positions = _match_header(sheet.name, top + 1, texts, columns)
    problems: list[Problem] = []
    rows = _read_rows(sheet, bottom + 1, positions, problems, progress)
    reported = {}
    if SUMMARY_SHEET in visible:
        reported = _read_summary(_Sheet(book, SUMMARY_SHEET), metrics, problems)
    if not rows and not reported:
        problems.append(
            Problem(sheet.name, top + 1, "", "没有数据行：表头下方没有填写任何企业数据。")
        )
    return ParsedUpload(sheet.name, rows, reported, problems)


def _match_header(sheet: str, row: int, texts: list[str], columns: list[Column]) -> dict:
    """Template column → its position; a header that is not the template's is refused."""
    expected = {header_key(c.header): c for c in columns}
    others = {header_key(c.header): c for c in INDICATOR_COLUMNS if c not in columns}
    positions, problems = {}, []
    for index, text in enumerate(texts):
        key, letter = header_key(text), get_column_letter(index + 1)
        if not key or key in IGNORED_HEADERS:
            continue
        column = expected.get(key)
        if column is None:
            hint = "本期模板不含该列" if key in others else "不是模板中的列"
            problems.append(Problem(sheet, row, text, f"{letter}列“{text}”{hint}，请删除该列"))
        elif column in positions:
            first = get_column_letter(positions[column] + 1)
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
        raise UploadRejected(problems)
    return positions


def _read_rows(sheet: _Sheet, first: int, positions: dict, problems, progress) -> list[ParsedRow]:
    indicators = [(c, i) for c, i in positions.items() if c.code not in ("uscc", "name")]
    uscc_at = next(i for c, i in positions.items() if c.code == "uscc")
    name_at = next(i for c, i in positions.items() if c.code == "name")
    grid, rows, total = sheet.grid, [], max(len(sheet.grid) - first, 0)
    for index in range(first, len(grid)):
        done = index - first
        if progress and done and done % 1000 == 0:
            progress(done, total)
        line = grid[index]
        cells = [line[i] if i < len(line) else "" for i in positions.values()]
        if all(map(is_blank, cells)):
            continue
        number = index + 1
        parsed = ParsedRow(number, "", parse_text(line[name_at] if name_at < len(line) else ""))
        try:
            parsed.uscc = parse_uscc(line[uscc_at] if uscc_at < len(line) else "")
        except CellError as exc:
            problems.append(Problem(sheet.name, number, KEY_COLUMNS[0].header, str(exc)))
        for column, at in indicators:
            raw = line[at] if at < len(line) else ""
            try:
                parsed.values[column.code] = parse_cell(raw, column)
            except CellError as exc:
                parsed.values[column.code] = None
                problems.append(Problem(sheet.name, number, column.header, str(exc)))
        rows.append(parsed)
    if progress:
        progress(total, total)
    return rows


def _reported_metrics() -> dict[str, str]:
    from targets.choices import MetricSource
    from targets.models import Metric

    found = Metric.objects.filter(source=MetricSource.REPORTED, is_active=True)
    return dict(found.values_list("code", "name"))


def _read_summary(sheet: _Sheet, metrics, problems) -> dict[str, Decimal]:
    """指标代码 | 指标名称 | 本年累计值 → {code: value}; blank values are not reported."""
    top = sheet.header_row(SUMMARY_HEADERS["code"])
    if top is None:
        problems.append(Problem(sheet.name, None, "", "找不到表头“指标代码”，该表未读取。"))
        return {}
    at = {}
    for index, text in enumerate(sheet.header(top)[1]):
        for role, header in SUMMARY_HEADERS.items():
            if header_key(text) == header and role not in at:
                at[role] = index
    if "value" not in at:
        problems.append(Problem(sheet.name, top + 1, "", "缺少“本年累计值”列，该表未读取。"))
        return {}
    reported, seen = {}, {}
    for index in range(top + 1, len(sheet.grid)):
        line, number = sheet.grid[index], index + 1
        cell = {role: line[i] if i < len(line) else "" for role, i in at.items()}
        code, name = parse_text(cell.get("code")), parse_text(cell.get("name"))
        if is_blank(cell["value"]):
            continue
        if metrics is None:
            metrics = _reported_metrics()
        if not code:
            code = next((c for c, n in metrics.items() if header_key(n) == header_key(name)), "")
        if code not in metrics:
            shown_code = code or name or "（空）"
            problems.append(
                Problem(sheet.name, number, "指标代码", f"未知的指标代码“{shown_code}”")
            )
            continue
        if code in seen:
            problems.append(
                Problem(sheet.name, number, "指标代码", f"指标“{code}”与第{seen[code]}行重复")
            )
            continue
        seen[code] = number
        try:
            value = parse_number(cell["value"], "money")
            if value is not None and value < 0:
                raise CellError(f"不能为负数（{shown(cell['value'])}）")
        except CellError as exc:
            problems.append(Problem(sheet.name, number, "本年累计值", str(exc)))
            continue
        if value is not None:
            reported[code] = value
    return reported
