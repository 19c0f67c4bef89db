"""Writing the completion table as the 完成情况表 a bureau sends upward, in the 附件's style:
title row, a line with 单位 / 统计日期 / 序时进度, two-row merged headers (a metric over
目标 / 完成 / 完成率 / 状态 / 排名), one row per unit, the 全区 total row, notes under it;
A4 landscape, one page wide, the header rows on every page.

It lays out a `selectors.CompletionTable` and computes nothing: the numbers are the ones
the 目标任务 page shows for the same date and reader.
"""

from dataclasses import replace
from decimal import Decimal

from core.notifications import chinese_date
from core.selectors import OFFICIAL_DATA
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

from ..choices import MetricSource, Status
from ..models import PlanMetric
from ..selectors import Cell, CompletionTable, Row
from .write import TOTAL_LABEL

SCORED = ["目标", "完成", "完成率", "状态", "排名"]
BASELINE = ["通知数", "系统统计"]  # last year's closing figure: the notice's and the registry's
WIDTHS = {"目标": 8, "完成": 8, "完成率": 9, "状态": 10, "排名": 6, "通知数": 10, "系统统计": 10}
NOT_REPORTED = "待季度报送"  # as the page: no approved quarterly submission gives it yet
REPORTED = MetricSource.REPORTED
HEAD, SUB = 3, 4  # the two header rows
# Fills as on the page's badges; the status text is always written too (grey-scale print).
STATUS_COLOURS = {
    Status.DONE: ("E3F3E8", "1E7B3C"),
    Status.AHEAD: ("E3F3E8", "1E7B3C"),
    Status.BEHIND: ("FFF1D6", "8A5300"),
    Status.SEVERE: ("FDE3E1", "B42318"),
}
TITLE = document_look(
    font=TITLE_FONT, size=16, ruled=False, align=Alignment(horizontal="center", vertical="center")
)
LINE = document_look(ruled=False, align=LEFT)
NOTE = document_look(size=10, ruled=False, align=LEFT)
HEADER, CELL = document_look(bold=True), document_look()
TOTAL = document_look(bold=True)


def title_of(table: CompletionTable) -> str:
    plan, on = table.result.plan, table.result.on
    return f"{plan.year}年{plan.unit.name}高新技术企业培育任务完成情况表（截至{chinese_date(on)}）"


def completion_filename(table: CompletionTable) -> str:
    return f"{title_of(table)}.xlsx"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _number(value: Decimal | int | None) -> int | float | None:
    if value is None or isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


def _subs(column: PlanMetric) -> list[str]:
    return BASELINE if column.metric.baseline else SCORED


def write_completion(table: CompletionTable) -> bytes:
    """The table as .xlsx bytes: the rows and metric groups `table` holds, nothing more."""
    result, columns = table.result, table.shown
    ncols = 1 + sum(len(_subs(c)) for c in columns)
    book = new_workbook()
    ws = first_sheet(book, f"完成情况{result.on:%Y%m%d}")

    merged_line(ws, 1, title_of(table), ncols, TITLE, 36)
    merged_line(ws, 2, _date_line(table), ncols, LINE, 22)
    _header(ws, table)
    body: list[tuple[str, Row]] = [(row.unit.notice_name, row) for row in table.rows]
    body.append((TOTAL_LABEL.get(result.plan.unit.kind, "合计"), result.total))
    for r, (label, row) in enumerate(body, start=SUB + 1):
        look = TOTAL if row.is_total else CELL
        put(ws, r, 1, label, look)
        col = 2
        for column in columns:
            col = _cells(ws, r, col, column, row.cells[column.metric_id], look)
        ws.row_dimensions[r].height = 20
    _notes(ws, table, SUB + len(body) + 2, ncols)

    unit_width = max(12, *(text_width(label) + 4 for label, _ in body))
    set_widths(ws, [unit_width] + [WIDTHS[s] for c in columns for s in _subs(c)])
    print_setup(ws, title_rows=f"{HEAD}:{SUB}", margins=(0.5, 0.5, 0.6, 0.8), page_numbers=True)
    ws.freeze_panes = f"B{SUB + 1}"
    return to_bytes(book)


def _date_line(table: CompletionTable) -> str:
    result, plan = table.result, table.result.plan
    units = list(dict.fromkeys(str(c.metric.unit) for c in table.shown))
    mode = plan.get_progress_mode_display().split("（")[0]  # 按季度 / 按日
    line = f"单位：{'、'.join(units)}　　统计日期：{chinese_date(result.on)}"
    line += f"　　序时进度：{_pct(result.expected)}（{mode}）"
    if plan.doc_number:
        line += f"　　任务依据：{plan.doc_number}"
    return line


def _header(ws: Worksheet, table: CompletionTable) -> None:
    """单位 merged down; each metric merged across its sub-columns, the notice's column name
    under the portal's when they differ (上年末高企数 / 2018年底高新技术企业数)."""
    put(ws, HEAD, 1, "单位")
    ws.merge_cells(start_row=HEAD, start_column=1, end_row=SUB, end_column=1)
    col = 2
    for column in table.shown:
        name, notice = column.metric.name, column.header
        put(ws, HEAD, col, name if notice == name else f"{name}\n（{notice}）")
        subs = _subs(column)
        for offset, text in enumerate(subs):
            put(ws, SUB, col + offset, text)
        end = col + len(subs) - 1
        ws.merge_cells(start_row=HEAD, start_column=col, end_row=HEAD, end_column=end)
        col = end + 1
    restyle(ws, range(HEAD, SUB + 1), range(1, col), HEADER)
    ws.row_dimensions[HEAD].height = 46  # three lines: a long name wraps
    ws.row_dimensions[SUB].height = 20


def _cells(ws: Worksheet, r: int, col: int, column: PlanMetric, cell: Cell, look: Look) -> int:
    """One metric's cells of a row; returns the next free column."""
    target = _number(cell.target)
    actual = _number(cell.actual) if isinstance(cell.actual, int | Decimal) else None
    count = replace(look, number_format="#,##0") if column.metric.unit == "家" else look
    if column.metric.baseline:
        put(ws, r, col, target, count)
        put(ws, r, col + 1, actual, count)
        return col + 2
    status = Status(cell.status) if cell.status else None
    values: list = [
        target,
        NOT_REPORTED if cell.actual is None and column.metric.source == REPORTED else actual,
        cell.completion,
        status.label if status else None,
        cell.rank,
    ]
    looks = [count, count, replace(look, number_format="0.0%"), look, look]
    if status is not None:  # the rate and the status in the status's colour, as on the page
        fill, colour = STATUS_COLOURS[status]
        bold = look is TOTAL
        looks[2] = replace(
            looks[2], font=Font(name=DOCUMENT_FONT, size=11, color=colour, bold=bold)
        )
        looks[3] = replace(
            look,
            font=Font(name=DOCUMENT_FONT, size=11, color=colour, bold=True),
            fill=PatternFill("solid", fgColor=fill),
        )
    for offset, (value, cell_look) in enumerate(zip(values, looks, strict=True)):
        put(ws, r, col + offset, value, cell_look)
    return col + len(SCORED)


def _notes(ws: Worksheet, table: CompletionTable, first: int, ncols: int) -> None:
    """Under the table: the plan's own goals, figures that do not add up, what the statuses
    and ranks mean, where the numbers come from. A merged line does not grow by itself:
    each gets the height its text needs at the table's width."""
    result, plan = table.result, table.result.plan
    notes = []
    goals = [_goal(c, result.total.cells[c.metric_id]) for c in table.own_goals]
    if goals:
        notes.append(f"{plan.unit.name}本级目标：" + "；".join(goals) + "。")
    notes += [f"请注意：{m}。" for m in result.mismatches]
    notes.append(
        f"说明：已完成＝完成数≥目标；超序时＝完成率≥序时进度（{_pct(result.expected)}）；"
        f"落后序时＝低于序时进度；严重滞后＝低于序时进度超过 {plan.lag_threshold} 个百分点。"
        "排名为各单位按完成率的名次（完成率相同者并列）。"
    )
    if table.chosen:
        notes.append("本表只列出所选指标：" + "、".join(c.metric.name for c in table.shown) + "。")
    notes.append(OFFICIAL_DATA)
    room = 12 + sum(WIDTHS[s] for c in table.shown for s in _subs(c))
    for r, text in enumerate(notes, start=first):
        lines = -(-text_width(text) // room)
        merged_line(ws, r, text, ncols, NOTE, 15 * lines + 3)


def _goal(column: PlanMetric, cell: Cell) -> str:
    unit = column.metric.unit
    text = f"{column.metric.name}目标 {_number(cell.target) if cell.target is not None else '—'} {unit}"
    if cell.actual is not None:
        text += f"，完成 {_number(cell.actual)} {unit}（{_pct(cell.completion)}"
        text += f"，{Status(cell.status).label}）" if cell.status else "）"
    return text
