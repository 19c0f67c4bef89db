"""The pieces of a downloadable template: a styled header row, dropdowns and number checks,
an empty data sheet, a 填写说明 sheet with examples. Shared by every template the portal
offers (quarterly report, ladder history) so they look and behave alike."""

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .writing import Alignment, Border, Font, Look, PatternFill, Side, put, set_widths

HEADER = Look(
    font=Font(bold=True, color="1F2937"),
    fill=PatternFill("solid", fgColor="DDEBF7"),
    border=Border(bottom=Side(style="thin", color="8EA9C1")),
    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
)
REQUIRED_HEADER = Look(
    font=Font(bold=True, color="C00000"),
    fill=HEADER.fill,
    border=HEADER.border,
    alignment=HEADER.alignment,
)
HINT = Look(font=Font(color="6B7280", size=9), alignment=Alignment(wrap_text=True, vertical="top"))
TITLE = Look(font=Font(bold=True, size=14))
SECTION = Look(font=Font(bold=True, size=12))
LAST_TEMPLATE_ROW = 5000  # rows that keep a sheet's dropdowns and formats


def header_row(
    ws: Worksheet, row: int, headers: Iterable[str], required: Iterable[str] = ()
) -> None:
    """A bold, filled header row; required columns in dark red."""
    required = set(required)
    for column, header in enumerate(headers, start=1):
        put(ws, row, column, header, REQUIRED_HEADER if header in required else HEADER)


def add_dropdown(
    ws: Worksheet,
    column: int,
    labels: Iterable[str],
    first_row: int = 2,
    last_row: int = LAST_TEMPLATE_ROW,
) -> None:
    """A list validation (dropdown) on one column; anything else typed is refused by Excel."""
    labels = list(labels)
    letter = get_column_letter(column)
    check = DataValidation(
        type="list",
        formula1='"' + ",".join(labels) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="无效选项",
        error="请从下拉列表中选择：" + "、".join(labels),
    )
    check.add(f"{letter}{first_row}:{letter}{last_row}")
    ws.add_data_validation(check)


def add_number_check(
    ws: Worksheet, ref: str, *, integer: bool, negative_ok: bool, label: str
) -> None:
    """Excel refuses text (and, unless allowed, negative numbers) typed into the range."""
    error = "请填写不小于 0 的整数" if integer else "请填写数字（单位：万元）"
    if not integer and not negative_ok:
        error += "，不能为负数"
    check = DataValidation(
        type="whole" if integer else "decimal",
        operator="between" if negative_ok else "greaterThanOrEqual",
        formula1="-1000000000000" if negative_ok else "0",
        formula2="1000000000000" if negative_ok else None,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="数值无效",
        error=f"{label}：{error}",
    )
    check.add(ref)
    ws.add_data_validation(check)


def table_sheet(
    ws: Worksheet,
    headers: Sequence[str],
    *,
    widths: Iterable[float],
    required: Iterable[str] = (),
    formats: dict[str, str] | None = None,
    dropdowns: dict[str, list[str]] | None = None,
) -> None:
    """An empty data sheet: styled, frozen header; column formats (e.g. "@" so Excel keeps
    long codes as text, "yyyy-mm-dd"); dropdowns keyed by header."""
    header_row(ws, 1, headers, required)
    set_widths(ws, widths)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 22
    for column, header in enumerate(headers, start=1):
        if fmt := (formats or {}).get(header):
            ws.column_dimensions[get_column_letter(column)].number_format = fmt
        if labels := (dropdowns or {}).get(header):
            add_dropdown(ws, column, labels)


def guide_sheet(
    ws: Worksheet,
    title: str,
    lines: Iterable[str],
    examples: Iterable[tuple[str, Sequence[str], Sequence[str], Sequence[Any], Sequence[str]]],
) -> None:
    """A 填写说明 sheet: a title, numbered notes, then for each data sheet a block of its styled
    header, one example row and a hint row. `examples` holds (sheet name, headers, required
    headers, example values, hints). Examples live here, never in the data sheets, so an
    untouched template imports as "nothing to do"."""
    put(ws, 1, 1, title, TITLE)
    lines = list(lines)
    for offset, line in enumerate(lines, start=2):
        put(ws, offset, 1, line)
    row, widths = len(lines) + 3, dict[int, int]()
    for name, headers, required, values, hints in examples:
        put(ws, row, 1, f"【{name}】示例", SECTION)
        header_row(ws, row + 1, headers, required)
        for column, (header, value, hint) in enumerate(zip(headers, values, hints, strict=True), 1):
            is_date = isinstance(value, datetime.date)
            example = Look(number_format="yyyy-mm-dd") if is_date else None
            put(ws, row + 2, column, value if value != "" else None, example)
            put(ws, row + 3, column, hint, HINT)
            widths[column] = max(widths.get(column, 0), len(header) * 2 + 4, 12)
        row += 5
    set_widths(ws, [widths[c] for c in sorted(widths)])
