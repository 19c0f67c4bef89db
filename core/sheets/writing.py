"""Writing workbooks and CSV: the one path every export and template takes to a cell.

Text that begins with = + - @, a tab or a carriage return is what spreadsheet programs run as
a formula (CSV/formula injection: an enterprise named =HYPERLINK(…) or +cmd|…). Here such
text is always written as text: in .xlsx as a string cell with Excel's quote prefix (so
editing it keeps it text), in CSV behind a leading apostrophe, as OWASP advises. Numbers,
dates and booleans are written as they are.

    ws = book.active
    put(ws, 1, 1, "企业名称", HEADER)            # value and look in one call
    sheet = stream_sheet(book_stream, "企业名录")
    sheet.append(stream_row(sheet, values, looks))  # write-only mode, same rule
    yield from csv_lines(rows)                  # CSV, same rule
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


@dataclass(frozen=True)
class Look:
    """How a cell looks; unset parts keep the cell's own."""

    font: Font | None = None
    fill: PatternFill | None = None
    border: Border | None = None
    alignment: Alignment | None = None
    number_format: str | None = None

    def apply(self, cell: Any) -> None:
        if self.font is not None:
            cell.font = self.font
        if self.fill is not None:
            cell.fill = self.fill
        if self.border is not None:
            cell.border = self.border
        if self.alignment is not None:
            cell.alignment = self.alignment
        if self.number_format is not None:
            cell.number_format = self.number_format


# The look of the tables bureaus print and attach to a notice (附件, 通报): 宋体 in thin-ruled
# cells; 黑体 for a title, since 方正小标宋 is rarely installed on office PCs.
DOCUMENT_FONT, TITLE_FONT = "宋体", "黑体"
THIN = Side(style="thin", color="000000")
RULED = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def document_look(
    *,
    size: float = 11,
    bold: bool = False,
    color: str | None = None,
    fill: str | None = None,
    ruled: bool = True,
    align: Alignment = CENTRE,
    font: str = DOCUMENT_FONT,
) -> Look:
    return Look(
        font=Font(name=font, size=size, bold=bold, color=color),
        fill=PatternFill("solid", fgColor=fill) if fill else None,
        border=RULED if ruled else None,
        alignment=align,
    )


def _assign(cell: Any, value: Any) -> None:
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"  # openpyxl made it a formula ("=…"): store the text itself
        cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell


def put(ws: Worksheet, row: int, column: int, value: Any = None, look: Look | None = None) -> Any:
    """Write one cell of a normal worksheet: the value (formula-safe) and its look."""
    cell = ws.cell(row=row, column=column)
    _assign(cell, value)
    if look is not None:
        look.apply(cell)
    return cell


def restyle(ws: Worksheet, rows: Iterable[int], columns: Iterable[int], look: Look) -> None:
    """Give a block of cells one look, keeping their values (borders over a table …)."""
    columns = list(columns)
    for r in rows:
        for c in columns:
            look.apply(ws.cell(row=r, column=c))


def stream_row(ws: Any, values: Sequence[Any], looks: Sequence[Look | None] = ()) -> list[Any]:
    """A row for a write-only worksheet (`ws.append(...)`): plain values where nothing needs
    saying, cells where a value must be kept as text or carries a look."""
    row: list[Any] = []
    for index, value in enumerate(values):
        look = looks[index] if index < len(looks) else None
        if look is None and not is_formula_like(value):
            row.append(value)
            continue
        cell = WriteOnlyCell(ws)
        _assign(cell, value)
        if look is not None:
            look.apply(cell)
        row.append(cell)
    return row


def merged_line(
    ws: Worksheet, row: int, text: str, last_column: int, look: Look, height: float | None = None
) -> None:
    """A line of text across the table: a title, a date line, a note under it."""
    put(ws, row, 1, text, look)
    if last_column > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
    if height is not None:
        ws.row_dimensions[row].height = height


def text_width(text: str) -> int:
    """Excel column units a text needs: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def set_widths(ws: Worksheet, widths: Iterable[float], first: int = 1) -> None:
    for column, width in enumerate(widths, start=first):
        ws.column_dimensions[get_column_letter(column)].width = width


def print_setup(
    ws: Worksheet,
    *,
    title_rows: str | None = None,
    landscape: bool = True,
    fit_width: bool = True,
    margins: tuple[float, float, float, float] | None = (0.5, 0.5, 0.75, 0.75),
    page_numbers: bool = False,
) -> None:
    """A4, one page wide, header rows repeated on every page — how 附件 and 通报 are printed."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if fit_width:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    if margins is not None:
        margin = ws.page_margins
        margin.left, margin.right, margin.top, margin.bottom = margins
    if page_numbers:
        ws.page_margins.footer = 0.35
        footer = ws.oddFooter
        assert footer is not None and footer.center is not None  # openpyxl gives every sheet one
        footer.center.text = "第 &P 页，共 &N 页"


def new_workbook(*, write_only: bool = False) -> Workbook:
    return Workbook(write_only=write_only)


def first_sheet(book: Workbook, title: str) -> Worksheet:
    """A new workbook's one sheet, named."""
    ws = book.active
    assert isinstance(ws, Worksheet), "a new workbook starts with one worksheet"
    ws.title = title
    return ws


def to_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- CSV -------------------------------------------------------------------------------------


def csv_value(value: Any) -> Any:
    if value is None:
        return ""
    return "'" + value if is_formula_like(value) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]], *, bom: bool = True) -> Iterator[str]:
    """CSV lines (UTF-8 with a BOM first, so Excel and WPS read the Chinese right), each
    text value formula-safe."""
    writer = csv.writer(_Echo())
    for index, row in enumerate(rows):
        line = writer.writerow([csv_value(v) for v in row])
        yield ("\ufeff" + line) if bom and index == 0 else line
