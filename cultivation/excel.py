"""Reading what people type into Excel: Chinese dates, years, numbers, 是/否 and dropdown labels.

Every parser takes a raw cell value (as openpyxl returns it: str, int, float, bool, datetime
or None) and returns the Python value, or None for a blank cell; a value that cannot be read
raises `CellError` whose message is for the user, in Chinese, and quotes what was typed.
Callers add the sheet, row and column (see cultivation/imports.py).

Also the shared pieces of downloadable templates (styled header, dropdowns, text columns) and
`read_table`, which finds columns by header and skips blank rows.
"""

import datetime
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

MIN_YEAR, MAX_YEAR = 1900, 2100
# Excel serial numbers accepted as dates: 1950-01-01 … 2099-12-31 (a bare 2019 is no date).
MIN_SERIAL, MAX_SERIAL = 18264, 73050

TRUE_WORDS = {"是", "Y", "YES", "TRUE", "1", "√", "✓", "有"}
FALSE_WORDS = {"否", "N", "NO", "FALSE", "0", "×", "✗", "无"}

_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[ T]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YEAR = re.compile(r"(\d{4})\s*(?:年度?)?(?:\.0+)?")


class CellError(ValueError):
    """A value that cannot be read; the message is for the user."""


def nfkc(text: str) -> str:
    """Full-width digits, letters and punctuation → half-width; trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value) -> str:
    """How a raw value is quoted back in a message: as the user would see it in Excel."""
    if isinstance(value, datetime.datetime):
        return f"{value:%Y-%m-%d}" if value.time() == datetime.time() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text if len(text) <= 40 else text[:40] + "…"


def parse_text(value) -> str:
    """Any cell as text: numbers without a spurious “.0”, dates as 2019-03-05, trimmed."""
    if is_blank(value):
        return ""
    if isinstance(value, str):
        return value.strip()
    return shown(value)


def parse_date(value) -> datetime.date | None:
    """A real Excel date, 2019-03-05, 2019/3/5, 2019.3.5, 2019年3月5日, 20190305, or a serial."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    found = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if MIN_SERIAL <= value <= MAX_SERIAL:
            return from_excel(value).date()
        found = _COMPACT_DATE.fullmatch(shown(value))
    elif isinstance(value, str):
        text = nfkc(value)
        found = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if found:
        try:
            day = datetime.date(*(int(part) for part in found.groups()))
        except ValueError:
            day = None
        if day and MIN_YEAR <= day.year <= MAX_YEAR:
            return day
    raise CellError(f"“{shown(value)}”不是有效的日期（可填 2019-03-05、2019/3/5 或 2019年3月5日）")


def parse_year(value) -> int | None:
    """2019, "2019", "2019年", "2019年度"."""
    if is_blank(value):
        return None
    year = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        year = int(value) if float(value).is_integer() else None
    elif isinstance(value, str) and (found := _YEAR.fullmatch(nfkc(value))):
        year = int(found.group(1))
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise CellError(f"“{shown(value)}”不是有效的年份")
    return year


def parse_decimal(value) -> Decimal | None:
    """12345.6, "12,345.6", "１２３４５.６" → an exact Decimal (floats through their shortest repr)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"“{shown(value)}”不是有效的数字")
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = nfkc(str(value)).replace(",", "").replace(" ", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise CellError(f"“{shown(value)}”不是有效的数字")
    return number


def parse_int(value) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise CellError(f"“{shown(value)}”不是整数")
    return int(number)


def parse_bool(value) -> bool | None:
    """是/否 (also Y/N, TRUE/FALSE, 1/0, √/×); blank → None, so the caller's default applies."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    word = nfkc(shown(value)).upper()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"“{shown(value)}”无效，请填写“是”或“否”")


def _choice_key(text: str) -> str:
    """Tolerate spaces, full-width forms and the kind of quotes around 小巨人."""
    return re.sub(r"[\s\"'“”‘’「」]", "", nfkc(text))


def parse_choice(value, labels: Mapping[str, str]) -> str | None:
    """One of the labels shown in the dropdown (label → stored value)."""
    if is_blank(value):
        return None
    wanted = _choice_key(shown(value))
    for label, stored in labels.items():
        if _choice_key(label) == wanted:
            return stored
    raise CellError(f"“{shown(value)}”不是有效的选项，可选：{'、'.join(labels)}")


def header_key(text) -> str:
    """Headers match ignoring spaces, full/half-width forms and a required-marker asterisk."""
    return re.sub(r"\s", "", nfkc(parse_text(text))).strip("*")


# The look of template headers, shared by every downloadable template.
HEADER_FONT = Font(bold=True, color="1F2937")
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_BORDER = Border(bottom=Side(style="thin", color="8EA9C1"))
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


def style_header_row(ws, row: int, headers: Iterable[str], required: Iterable[str] = ()) -> None:
    """Write a bold, filled header row (required columns in dark red)."""
    required = set(required)
    for column, header in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=column, value=header)
        cell.font = REQUIRED_FONT if header in required else HEADER_FONT
        cell.fill, cell.border, cell.alignment = HEADER_FILL, HEADER_BORDER, HEADER_ALIGN


def set_widths(ws, widths: Iterable[int]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def add_dropdown(ws, column: int, labels: Iterable[str], first_row=2, last_row=5000) -> None:
    """A list validation (dropdown) on one column; anything else typed is refused by Excel."""
    labels = list(labels)
    letter = get_column_letter(column)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(labels) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="无效选项",
        error="请从下拉列表中选择：" + "、".join(labels),
    )
    dv.add(f"{letter}{first_row}:{letter}{last_row}")
    ws.add_data_validation(dv)


def write_table_sheet(ws, headers, *, widths, required=(), formats=None, dropdowns=None) -> None:
    """An empty data sheet of a template: styled, frozen header; column formats (e.g. "@" so
    Excel keeps long codes as text, "yyyy-mm-dd"); dropdowns keyed by header."""
    headers = list(headers)
    style_header_row(ws, 1, headers, required)
    set_widths(ws, widths)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 22
    for column, header in enumerate(headers, start=1):
        if fmt := (formats or {}).get(header):
            ws.column_dimensions[get_column_letter(column)].number_format = fmt
        if labels := (dropdowns or {}).get(header):
            add_dropdown(ws, column, labels)


@dataclass
class Table:
    """The data rows of a sheet, keyed by the expected headers (see `read_table`)."""

    header_row: int | None = None
    missing: list[str] = field(default_factory=list)  # required headers not found
    ignored: list[str] = field(default_factory=list)  # headers not expected (or repeated)
    rows: list[tuple[int, dict]] = field(default_factory=list)  # (Excel row number, values)


def read_table(ws, headers: Iterable[str], required: Iterable[str] = ()) -> Table:
    """Read a sheet by its header row: the first row naming any expected header (title rows
    above it are skipped). Columns are found by header in any order, ignoring spaces and
    full/half-width forms; rows blank in every expected column are skipped; row numbers are
    those Excel shows. Works on read-only worksheets."""
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # some writers record a wrong size: read what is there
    by_key = {header_key(h): h for h in headers}
    table, columns, first_filled = Table(), {}, None
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if table.header_row is None:
            if not any(header_key(v) in by_key for v in values if not is_blank(v)):
                if first_filled is None and not all(is_blank(v) for v in values):
                    first_filled = number
                continue
            table.header_row = number
            for index, value in enumerate(values):
                header = by_key.get(header_key(value))
                if header is not None and header not in columns:
                    columns[header] = index
                elif not is_blank(value):
                    table.ignored.append(parse_text(value))
            table.missing = [h for h in required if h not in columns]
            continue
        cells = {h: values[i] if i < len(values) else None for h, i in columns.items()}
        if not all(is_blank(v) for v in cells.values()):
            table.rows.append((number, cells))
    if table.header_row is None and first_filled is not None:  # data but no header at all
        table.header_row, table.missing = first_filled, list(required)
    return table


def write_guide_sheet(ws, title: str, lines: Iterable[str], examples: Iterable[tuple]) -> None:
    """A 填写说明 sheet: a title, numbered notes, then for each data sheet a block of its styled
    header, one example row and a hint row. `examples` holds (sheet name, headers, required
    headers, example values, hints). Examples live here, never in the data sheets, so an
    untouched template imports as "nothing to do"."""
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    lines = list(lines)
    for offset, line in enumerate(lines, start=2):
        ws.cell(row=offset, column=1, value=line)
    row, widths = len(lines) + 3, {}
    for name, headers, required, values, hints in examples:
        ws.cell(row=row, column=1, value=f"【{name}】示例").font = Font(bold=True, size=12)
        style_header_row(ws, row + 1, headers, required)
        for column, (header, value, hint) in enumerate(zip(headers, values, hints, strict=True), 1):
            example = ws.cell(row=row + 2, column=column, value=value if value != "" else None)
            if isinstance(value, datetime.date):
                example.number_format = "yyyy-mm-dd"
            note = ws.cell(row=row + 3, column=column, value=hint)
            note.font = Font(color="6B7280", size=9)
            note.alignment = Alignment(wrap_text=True, vertical="top")
            widths[column] = max(widths.get(column, 0), len(header) * 2 + 4, 12)
        row += 5
    set_widths(ws, [widths[c] for c in sorted(widths)])
