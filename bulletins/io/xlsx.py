"""A bulletin as a print-ready Excel sheet: title, date line, headline sentence, the table
(a baseline column merged down, each scored metric over 任务数 / 完成数 / 完成率 / 排名 / 状态),
the towns behind schedule and what the statuses mean; A4 landscape, one page wide."""

from dataclasses import replace

from core.sheets import (
    DOCUMENT_FONT,
    LEFT,
    TITLE_FONT,
    Alignment,
    Font,
    Look,
    PatternFill,
    Worksheet,
    document_look,
    first_sheet,
    merged_line,
    new_workbook,
    print_setup,
    put,
    restyle,
    set_widths,
    text_width,
    to_bytes,
)
from targets.choices import Status

from ..selectors import SOURCE, SUB_HEADERS, explanation, key_sentence, lagging_line, pct

# Fills as on the portal's badges; the status TEXT is always written too (grey-scale print).
STATUS_COLOURS = {
    Status.DONE.value: ("E3F3E8", "1E7B3C"),
    Status.AHEAD.value: ("E3F3E8", "1E7B3C"),
    Status.BEHIND.value: ("FFF1D6", "8A5300"),
    Status.SEVERE.value: ("FDE3E1", "B42318"),
}
WIDTH_UNIT, WIDTH_BASELINE, WIDTHS = 11, 14, [8, 8, 9, 6, 10]  # unit, baseline, 5 subs
HEAD, SUB = 4, 5  # the two header rows
TITLE = document_look(
    font=TITLE_FONT, size=18, ruled=False, align=Alignment(horizontal="center", vertical="center")
)
LINE = document_look(ruled=False, align=LEFT)
CELL, HEADER = document_look(), document_look(bold=True, fill="EEF1F6")
TOTAL = document_look(bold=True, fill="F4F6F9")


def write_xlsx(data: dict) -> bytes:
    columns = data["columns"]
    ncols = 1 + sum(1 if c["baseline"] else len(SUB_HEADERS) for c in columns)
    book = new_workbook()
    ws = first_sheet(book, f"通报{data['as_of'].replace('-', '')}")
    _top_lines(ws, data, ncols)
    _header(ws, columns)
    last_row = _body(ws, data, columns, ncols)
    _notes(ws, data, columns, last_row, ncols)
    set_widths(ws, [WIDTH_UNIT] + [w for c in columns for w in _widths(c)])
    print_setup(ws, title_rows=f"{HEAD}:{SUB}", margins=(0.5, 0.5, 0.6, 0.8), page_numbers=True)
    ws.freeze_panes = f"B{SUB + 1}"
    return to_bytes(book)


def _widths(column: dict) -> list[int]:
    return [WIDTH_BASELINE] if column["baseline"] else WIDTHS


def _top_lines(ws: Worksheet, data: dict, ncols: int) -> None:
    """Rows 1–3: title, date line, the headline numbers."""
    merged_line(ws, 1, data["title"], ncols, TITLE, 40)
    date_line = (
        f"统计日期：{data['as_of_text']}　　序时进度：{pct(data['expected'])}"
        f"（{data['progress_mode']}）　　单位：{data['units_text']}"
    )
    if data["plan"]["doc_number"]:
        date_line += f"　　任务依据：{data['plan']['doc_number']}"
    merged_line(ws, 2, date_line, ncols, LINE, 22)
    merged_line(ws, 3, "总体情况：" + key_sentence(data), ncols, LINE, 36)


def _header(ws: Worksheet, columns: list[dict]) -> None:
    """A baseline column merges down; each scored metric spans its sub-columns."""
    put(ws, HEAD, 1, "单位")
    ws.merge_cells(start_row=HEAD, start_column=1, end_row=SUB, end_column=1)
    col = 2
    for column in columns:
        put(ws, HEAD, col, column["name"])
        if column["baseline"]:
            ws.merge_cells(start_row=HEAD, start_column=col, end_row=SUB, end_column=col)
            col += 1
            continue
        for offset, text in enumerate(SUB_HEADERS):
            put(ws, SUB, col + offset, text)
        end = col + len(SUB_HEADERS) - 1
        ws.merge_cells(start_row=HEAD, start_column=col, end_row=HEAD, end_column=end)
        col = end + 1
    ws.row_dimensions[HEAD].height = 30
    ws.row_dimensions[SUB].height = 20


def _body(ws: Worksheet, data: dict, columns: list[dict], ncols: int) -> int:
    """One row per town in rank order, then the total row; returns the total row's number."""
    body = [*data["rows"], data["total"]]
    last_row = SUB + len(body)
    restyle(ws, range(HEAD, SUB + 1), range(1, ncols + 1), HEADER)
    for r, row in enumerate(body, start=SUB + 1):
        look = TOTAL if r == last_row else CELL
        put(ws, r, 1, row["label"], look)
        col = 2
        for column, cell in zip(columns, row["cells"], strict=True):
            col = _cells(ws, r, col, column, cell, look, bold=r == last_row)
        ws.row_dimensions[r].height = 20
    return last_row


def _cells(
    ws: Worksheet, r: int, col: int, column: dict, cell: dict, look: Look, bold: bool
) -> int:
    """One metric's cells of a row; returns the next free column."""
    if column["baseline"]:
        value = cell["target"] if cell["target"] is not None else cell["actual"]
        put(ws, r, col, value, look)
        return col + 1
    values = [
        cell["target"],
        cell["actual"],
        cell["completion"],
        cell["rank"],
        cell["status_label"],
    ]
    looks = [look, look, replace(look, number_format="0.0%"), look, look]
    if cell["status"]:  # the rate and the status in the status's colour
        fill, colour = STATUS_COLOURS[cell["status"]]
        looks[2] = replace(
            looks[2], font=Font(name=DOCUMENT_FONT, size=11, color=colour, bold=bold)
        )
        looks[4] = replace(
            look,
            font=Font(name=DOCUMENT_FONT, size=11, color=colour, bold=True),
            fill=PatternFill("solid", fgColor=fill),
        )
    for offset, (value, cell_look) in enumerate(zip(values, looks, strict=True)):
        put(ws, r, col + offset, value, cell_look)
    return col + len(SUB_HEADERS)


def _notes(ws: Worksheet, data: dict, columns: list[dict], last_row: int, ncols: int) -> None:
    """Below the table: the towns behind schedule, one line each (a line never wraps), and
    what the statuses mean."""
    lagging = [f"{n}. {lagging_line(t)}" for n, t in enumerate(data["lagging"], start=1)]
    notes = ["进度滞后单位：" + ("" if lagging else "无"), *lagging, explanation(data), SOURCE]
    room = sum(sum(_widths(c)) for c in columns) + WIDTH_UNIT
    for r, text in enumerate(notes, start=last_row + 2):
        lines = -(-text_width(text) // room)  # 10 pt text in 11 pt column units: a little spare
        look = document_look(size=10, bold=r == last_row + 2, ruled=False, align=LEFT)
        merged_line(ws, r, text, ncols, look, 15 * lines + 3)
