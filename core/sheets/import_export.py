"""django-import-export, reading and writing through the toolkit.

The admin's bulk maintenance opens files like every other importer (safety checks, calamine,
.xlsx and .xls), parses cells with the same parsers and messages, and exports through the
formula-safe writers. Resources use these widgets; admins list these formats.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import tablib
from django.conf import settings
from import_export import widgets
from import_export.formats import base_formats

from . import cells
from .headers import header_key
from .reading import Sheet, open_workbook
from .writing import csv_lines, new_workbook, stream_row, to_bytes

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- widgets: the toolkit's parsers, with its messages -------------------------------------------


class TextWidget(widgets.CharWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return cells.parse_text(value)


class NumberWidget(widgets.Widget):
    """Counts (integer) or amounts in 万元 (two places), negative only where allowed."""

    def __init__(self, integer: bool, allow_negative: bool = False):
        super().__init__()
        self.integer, self.allow_negative = integer, allow_negative

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | int | None:
        if self.integer:
            return cells.parse_count(value, negative=self.allow_negative)
        return cells.parse_money(value, negative=self.allow_negative)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


class DateWidget(widgets.DateWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        return cells.parse_date(value)


class LabelWidget(widgets.Widget):
    """A value by its Chinese label: 是/否, 先进制造与自动化… (stored choice values work too)."""

    def __init__(self, pairs: Iterable[tuple[Any, Any]], blank: Any):
        super().__init__()
        self.labels = {str(label): value for value, label in pairs}
        self.values = {value: label for label, value in self.labels.items()}
        self.blank = blank

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if isinstance(value, bool) or value in self.values:
            return value
        if cells.is_blank(value):
            return self.blank
        return cells.parse_choice(value, self.labels)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return self.values.get(value, "")


# --- formats ------------------------------------------------------------------------------------


def dataset_from(sheet: Sheet) -> tablib.Dataset:
    """A sheet as import-export's Dataset: the first filled row is the header row, blank rows
    at the end (formatted but empty) are dropped."""
    rows = list(sheet.rows)
    while rows and all(map(cells.is_blank, rows[0])):
        rows.pop(0)
    while rows and all(map(cells.is_blank, rows[-1])):
        rows.pop()
    dataset = tablib.Dataset()
    if rows:
        dataset.headers = [cells.parse_text(h) for h in rows[0]]
        for row in rows[1:]:
            dataset.append([None if v == "" else v for v in row])
    return dataset


def match_headers(dataset: tablib.Dataset, expected: Iterable[str]) -> None:
    """Rename the file's headers to the expected ones they mean (header_key: spaces,
    full/half width, a unit in brackets), so "销售收入(万元)" is the 销售收入（万元） column."""
    by_key = {header_key(name): name for name in expected}
    if dataset.headers:
        dataset.headers = [by_key.get(header_key(h), cells.parse_text(h)) for h in dataset.headers]


class SheetFormat(base_formats.Format):
    """.xlsx and .xls in, .xlsx out — both through the toolkit."""

    def __init__(self, encoding: str | None = None):
        self.encoding = encoding  # import-export passes one to every format; bytes need none

    def get_title(self) -> str:
        return "xlsx"

    def get_extension(self) -> str:
        return "xlsx"

    def get_content_type(self) -> str:
        return XLSX_TYPE

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def can_import(self) -> bool:
        return True

    def can_export(self) -> bool:
        return True

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        book = open_workbook(in_stream, file_name=None, max_bytes=settings.UPLOAD_MAX_BYTES)
        if not book.visible:
            return tablib.Dataset()
        return dataset_from(book.sheet(book.visible[0]))

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        book = new_workbook(write_only=True)
        sheet = book.create_sheet(dataset.title or "Sheet1")
        sheet.append(stream_row(sheet, list(dataset.headers or [])))
        for row in dataset:
            sheet.append(stream_row(sheet, list(row)))
        return to_bytes(book)


class ChineseCSV(base_formats.CSV):
    """CSV in: saved by Excel or WPS on Chinese Windows it is GB18030, not UTF-8. CSV out:
    UTF-8 with a BOM (so Excel reads it as such), formula-safe."""

    def create_dataset(self, in_stream: Any, **kwargs: Any) -> tablib.Dataset:
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("gb18030")
        return super().create_dataset(in_stream, **kwargs)

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> str:
        rows = [list(dataset.headers or []), *(list(row) for row in dataset)]
        return "".join(csv_lines(rows, bom=False))  # the admin encodes with utf-8-sig


FORMATS = [SheetFormat, ChineseCSV]
