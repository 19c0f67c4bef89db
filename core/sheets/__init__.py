"""The one spreadsheet toolkit: every import and every export of the portal goes through it.

- safety.py    — is an uploaded file a spreadsheet we may open (size, type by content, macros,
                 passwords, zip bombs, cell-range bombs), decided before parsing;
- reading.py   — open .xlsx/.xls (python-calamine) into sheets with merged cells resolved,
                 find the header row below title rows, read a table by its headers;
- cells.py     — cell parsers with one set of Chinese messages (text, numbers with thousands
                 separators / full-width digits / 万元, dates, years, 是/否, choices, USCC);
- headers.py   — header matching (spaces, full/half width, a unit in brackets);
- problems.py  — Problem (sheet, row, column, message) and FileRejected;
- writing.py   — the formula-safe write path for .xlsx and CSV, looks, widths, print setup;
- templates.py — the pieces of downloadable templates;
- import_export.py — django-import-export widgets and formats on top of all this.

Nothing outside this package imports openpyxl, python_calamine, tablib or csv
(tests/core/test_layout.py checks it).
"""

from .cells import (
    CellError,
    canonical_number,
    is_blank,
    nfkc,
    normalise_code,
    number_text,
    parse_bool,
    parse_choice,
    parse_code,
    parse_count,
    parse_date,
    parse_money,
    parse_number,
    parse_text,
    parse_uscc,
    parse_year,
    shown,
    text_key,
)
from .headers import header_key, is_ignored
from .problems import FileRejected, Problem
from .reading import (
    Book,
    Sheet,
    Table,
    column_letter,
    file_bytes,
    load_book,
    open_workbook,
    read_table,
    row_kind,
)
from .safety import check_file
from .writing import (
    CENTRE,
    DOCUMENT_FONT,
    LEFT,
    RULED,
    TITLE_FONT,
    Alignment,
    Border,
    Font,
    Look,
    PatternFill,
    Side,
    Workbook,
    Worksheet,
    csv_lines,
    document_look,
    first_sheet,
    is_formula_like,
    merged_line,
    new_workbook,
    print_setup,
    put,
    restyle,
    set_widths,
    stream_row,
    text_width,
    to_bytes,
)

__all__ = [
    "CENTRE",
    "DOCUMENT_FONT",
    "LEFT",
    "RULED",
    "TITLE_FONT",
    "Alignment",
    "Book",
    "Border",
    "CellError",
    "FileRejected",
    "Font",
    "Look",
    "PatternFill",
    "Problem",
    "Sheet",
    "Side",
    "Table",
    "Workbook",
    "Worksheet",
    "canonical_number",
    "check_file",
    "column_letter",
    "csv_lines",
    "document_look",
    "file_bytes",
    "first_sheet",
    "header_key",
    "is_blank",
    "is_formula_like",
    "is_ignored",
    "load_book",
    "merged_line",
    "new_workbook",
    "nfkc",
    "normalise_code",
    "number_text",
    "open_workbook",
    "parse_bool",
    "parse_choice",
    "parse_code",
    "parse_count",
    "parse_date",
    "parse_money",
    "parse_number",
    "parse_text",
    "parse_uscc",
    "parse_year",
    "print_setup",
    "put",
    "read_table",
    "restyle",
    "row_kind",
    "set_widths",
    "shown",
    "stream_row",
    "text_key",
    "text_width",
    "to_bytes",
]
