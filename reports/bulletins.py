"""通报 (progress bulletins): a district's target completion by town as of a date, ranked and
coloured — kept as data (JSON), an Excel file ready to print, and a printable A4 page.

Every number comes from targets.selectors.completion, so a bulletin says what the 目标任务
page said that day. The Excel file and the page are both written from the stored data, so
they always agree, and an old bulletin stays as issued after the registry changes.
"""

import datetime
import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.choices import UnitKind
from core.scoping import ensure_unit_in_scope
from cultivation import selectors as ladder
from targets.choices import Status
from targets.models import TargetPlan
from targets.selectors import completion

from .models import Bulletin

KEY_FIGURES = [("valid_hte", "有效高企"), ("new_hte", "新增高企"), ("applications", "高企申报")]
LAGGING = (Status.BEHIND.value, Status.SEVERE.value)
TOTAL_LABEL = {UnitKind.DISTRICT: "全区", UnitKind.COUNTY: "全县", UnitKind.CITY: "全市"}
SOURCE = "数据来源：高企培育管理平台（企业库、梯次培育记录、已审核的季度报送）。"
SUB_HEADERS = ["任务数", "完成数", "完成率", "排名", "状态"]


def _num(value):
    """JSON-friendly: integral values as int (家), others as float (万元, %)."""
    if value is None or isinstance(value, int):
        return value
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def unit_label(unit) -> str:
    """As the 附件 prints units: 湖塘镇 in full, 常州经济开发区 as 常经开."""
    return unit.name if len(unit.name) <= 4 else unit.label


def _d(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- data -------------------------------------------------------------------------------------


def _status(status) -> dict:
    status = Status(status) if status else None
    return {
        "status": status.value if status else None,
        "status_label": status.label if status else "",
    }


def _cell(cell) -> dict:
    numbers = {"target": _num(cell.target), "actual": _num(cell.actual), "rank": cell.rank}
    return numbers | {"completion": cell.completion} | _status(cell.status)


def _rank_index(columns: list[dict]) -> int | None:
    """Rows are ordered by one metric's rank: BULLETIN_RANK_METRIC if the plan has it (the
    notice's 小计, i.e. all applications), else its last scored column."""
    scored = [i for i, c in enumerate(columns) if not c["baseline"]]
    wanted = getattr(settings, "BULLETIN_RANK_METRIC", "applications")
    chosen = [i for i in scored if columns[i]["code"] == wanted]
    return (chosen or scored or [None])[-1]


def _key_figures(plan: TargetPlan, result) -> list[dict]:
    """Headline numbers for the district: from the plan's own goals where it sets them,
    else counted from the ladder (no target then)."""
    figures = []
    for code, label in KEY_FIGURES:
        column = next(
            (c for c in result.columns if c.metric.ladder_metric == code and not c.metric.baseline),
            None,
        )
        if column is not None:
            figures.append({"label": label, **_cell(result.total.cells[column.metric_id])})
            continue
        counts = ladder.metric_counts(code, plan.year, plan.unit, result.on)
        no_target = {"target": None, "completion": None, "rank": None} | _status(None)
        figures.append({"label": label, "actual": counts.get(plan.unit.pk)} | no_target)
    return figures


def _lagging(rows: list[dict], columns: list[dict]) -> list[dict]:
    """Towns behind 序时进度 on any metric: 严重滞后 first, then 落后序时, each in rank order."""
    lagging = []
    for row in rows:
        items = [
            {"metric": col["name"], **cell}
            for col, cell in zip(columns, row["cells"], strict=True)
            if cell["status"] in LAGGING
        ]
        if items:
            severe = any(i["status"] == Status.SEVERE for i in items)
            worst = Status.SEVERE if severe else Status.BEHIND
            lagging.append({"label": row["label"], "items": items} | _status(worst))
    return sorted(lagging, key=lambda t: t["status"] != Status.SEVERE)


def build_data(plan: TargetPlan, on: datetime.date | None = None) -> dict:
    result = completion(plan, on)
    unit = plan.unit
    plan_columns = [c for c in result.columns if c.breakdown]
    columns = [
        {
            "code": c.metric.code,
            "name": c.metric.header_for(plan.year) if c.metric.baseline else c.metric.name,
            "header": c.header,
            "unit": c.metric.unit,
            "baseline": c.metric.baseline,
        }
        for c in plan_columns
    ]
    rows = [
        {
            "unit_id": row.unit.pk,
            "label": unit_label(row.unit),
            "cells": [_cell(row.cells[c.metric_id]) for c in plan_columns],
        }
        for row in result.rows
    ]
    rank_at = _rank_index(columns)
    if rank_at is not None:  # stable sort: unranked towns and ties keep the plan's order
        rows.sort(key=lambda r: (r["cells"][rank_at]["rank"] is None, r["cells"][rank_at]["rank"]))
    total = {
        "unit_id": unit.pk,
        "label": TOTAL_LABEL.get(unit.kind, "合计"),
        "cells": [_cell(result.total.cells[c.metric_id]) for c in plan_columns],
    }
    units = list(dict.fromkeys(c["unit"] for c in columns))
    return {
        "title": f"{unit.name}{plan.year}年高新技术企业培育工作进展通报",
        "unit": {"id": unit.pk, "name": unit.name, "label": unit.label},
        "year": plan.year,
        "as_of": result.on.isoformat(),
        "as_of_text": _d(result.on),
        "expected": result.expected,
        "progress_mode": plan.get_progress_mode_display().split("（")[0],  # 按季度 / 按日
        "lag_threshold": plan.lag_threshold,
        "plan": {"id": plan.pk, "title": str(plan), "doc_number": plan.doc_number},
        "units_text": "、".join(units),
        "columns": columns,
        "rank_index": rank_at,
        "rank_metric": columns[rank_at]["name"] if rank_at is not None else "",
        "rows": rows,
        "total": total,
        "key": _key_figures(plan, result),
        "lagging": _lagging(rows, columns),
    }


# --- Excel ------------------------------------------------------------------------------------

FONT = "宋体"
TITLE_FONT = "黑体"  # 方正小标宋 is rarely installed on office PCs; 黑体 always is
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
# Fills as on the portal's badges; the status TEXT is always written too (grey-scale print).
STATUS_STYLE = {
    Status.DONE.value: ("E3F3E8", "1E7B3C"),
    Status.AHEAD.value: ("E3F3E8", "1E7B3C"),
    Status.BEHIND.value: ("FFF1D6", "8A5300"),
    Status.SEVERE.value: ("FDE3E1", "B42318"),
}
WIDTH_UNIT, WIDTHS_BASE, WIDTHS = 11, 14, [8, 8, 9, 6, 10]  # Excel widths: unit, baseline, 5 subs
HEAD_FILL = PatternFill("solid", fgColor="EEF1F6")
TOTAL_FILL = PatternFill("solid", fgColor="F4F6F9")


def _width(text: str) -> int:
    """Excel column units a text needs: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def key_sentence(data: dict) -> str:
    parts = []
    for f in data["key"]:
        text = f"{f['label']} {f['actual'] if f['actual'] is not None else '—'} 家"
        if f["target"]:
            text += f"（目标 {f['target']} 家，完成 {_pct(f['completion'])}）"
        parts.append(text)
    return "；".join(parts) + f"；序时进度 {_pct(data['expected'])}。"


def lagging_line(town: dict) -> str:
    items = "，".join(f"{i['metric']}完成 {_pct(i['completion'])}" for i in town["items"])
    return f"{town['label']}（{town['status_label']}）：{items}"


def explanation(data: dict) -> str:
    return (
        f"说明：按“{data['rank_metric']}”完成率排名。已完成＝完成数≥任务数；超序时＝完成率≥序时进度"
        f"（{_pct(data['expected'])}，{data['progress_mode']}）；落后序时＝低于序时进度；严重滞后＝低于"
        f"序时进度超过 {data['lag_threshold']} 个百分点。"
    )


def write_xlsx(data: dict) -> bytes:
    columns = data["columns"]
    ncols = 1 + sum(1 if c["baseline"] else len(SUB_HEADERS) for c in columns)
    last = get_column_letter(ncols)
    wb = Workbook()
    ws = wb.active
    ws.title = f"通报{data['as_of'].replace('-', '')}"

    def line(row: int, text: str, height: float, font: Font, align=LEFT):
        ws.cell(row, 1, text).font = font
        ws.cell(row, 1).alignment = align
        ws.merge_cells(f"A{row}:{last}{row}")
        ws.row_dimensions[row].height = height

    # Rows 1–3: title, date line, the headline numbers.
    line(1, data["title"], 40, Font(name=TITLE_FONT, size=18), Alignment(horizontal="center"))
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    date_line = (
        f"统计日期：{data['as_of_text']}　　序时进度：{_pct(data['expected'])}"
        f"（{data['progress_mode']}）　　单位：{data['units_text']}"
    )
    if data["plan"]["doc_number"]:
        date_line += f"　　任务依据：{data['plan']['doc_number']}"
    line(2, date_line, 22, Font(name=FONT, size=11))
    line(3, "总体情况：" + key_sentence(data), 36, Font(name=FONT, size=11))

    # Rows 4–5: a baseline column merges down; each scored metric spans its sub-columns.
    head, sub = 4, 5
    ws.cell(head, 1, "单位")
    ws.merge_cells(start_row=head, start_column=1, end_row=sub, end_column=1)
    col = 2
    for column in columns:
        ws.cell(head, col, column["name"])
        if column["baseline"]:
            ws.merge_cells(start_row=head, start_column=col, end_row=sub, end_column=col)
            col += 1
            continue
        for offset, text in enumerate(SUB_HEADERS):
            ws.cell(sub, col + offset, text)
        end = col + len(SUB_HEADERS) - 1
        ws.merge_cells(start_row=head, start_column=col, end_row=head, end_column=end)
        col = end + 1
    ws.row_dimensions[head].height = 30
    ws.row_dimensions[sub].height = 20

    # One row per town in rank order, then the total row.
    body = [*data["rows"], data["total"]]
    last_row = sub + len(body)
    coloured = []  # (completion cell, status cell, status)
    for r, row in enumerate(body, start=sub + 1):
        ws.cell(r, 1, row["label"])
        col = 2
        for column, cell in zip(columns, row["cells"], strict=True):
            if column["baseline"]:
                ws.cell(r, col, cell["target"] if cell["target"] is not None else cell["actual"])
                col += 1
                continue
            values = [cell["target"], cell["actual"], cell["completion"], cell["rank"]]
            for offset, value in enumerate([*values, cell["status_label"]]):
                ws.cell(r, col + offset, value)
            ws.cell(r, col + 2).number_format = "0.0%"
            if cell["status"]:
                coloured.append((ws.cell(r, col + 2), ws.cell(r, col + 4), cell["status"]))
            col += len(SUB_HEADERS)
        ws.row_dimensions[r].height = 20

    for r in range(head, last_row + 1):
        strong = r <= sub or r == last_row
        for c in range(1, ncols + 1):
            cell = ws.cell(r, c)
            cell.border, cell.alignment = BORDER, CENTRE
            cell.font = Font(name=FONT, size=11, bold=strong)
            if strong:
                cell.fill = HEAD_FILL if r <= sub else TOTAL_FILL
    for rate, status_cell, status in coloured:
        fill, colour = STATUS_STYLE[status]
        bold = status_cell.row == last_row
        rate.font = Font(name=FONT, size=11, color=colour, bold=bold)
        status_cell.font = Font(name=FONT, size=11, color=colour, bold=True)
        status_cell.fill = PatternFill("solid", fgColor=fill)

    # Below the table: the towns behind schedule, one line each (a line never wraps), and
    # what the statuses mean.
    lagging = [f"{n}. {lagging_line(t)}" for n, t in enumerate(data["lagging"], start=1)]
    notes = ["进度滞后单位：" + ("" if lagging else "无"), *lagging, explanation(data), SOURCE]
    room = sum(WIDTHS_BASE if c["baseline"] else sum(WIDTHS) for c in columns) + WIDTH_UNIT
    for r, text in enumerate(notes, start=last_row + 2):
        lines = -(-_width(text) // room)  # 10 pt text in 11 pt column units: a little spare
        line(r, text, 15 * lines + 3, Font(name=FONT, size=10, bold=r == last_row + 2))

    ws.column_dimensions["A"].width = WIDTH_UNIT
    col = 2
    for column in columns:
        for width in [WIDTHS_BASE] if column["baseline"] else WIDTHS:
            ws.column_dimensions[get_column_letter(col)].width = width
            col += 1

    # Print: A4 landscape, one page wide, the header rows repeated on every page.
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = f"{head}:{sub}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top, ws.page_margins.bottom, ws.page_margins.footer = 0.6, 0.8, 0.35
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.freeze_panes = ws.cell(sub + 1, 2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- printable page ---------------------------------------------------------------------------


def _css() -> str:
    """The print styles, inlined: a saved or forwarded page prints the same anywhere."""
    path = finders.find("css/bulletin.css")
    return Path(path).read_text(encoding="utf-8") if path else ""


def render_html(data: dict) -> str:
    columns = data["columns"]

    def view(row):
        return {
            **row,
            "cells": [
                {**cell, "baseline": col["baseline"]}
                for col, cell in zip(columns, row["cells"], strict=True)
            ],
        }

    return render_to_string(
        "reports/bulletin_print.html",
        {
            "d": data,
            "rows": [view(r) for r in data["rows"]] + [{**view(data["total"]), "is_total": True}],
            "key_sentence": key_sentence(data),
            "explanation": explanation(data),
            "source": SOURCE,
            "scored": [c for c in columns if not c["baseline"]],
            "sub_headers": SUB_HEADERS,
            "css": _css(),
        },
    )


# --- storing ---------------------------------------------------------------------------------


@transaction.atomic
def create_bulletin(
    *, actor, plan: TargetPlan, on: datetime.date | None = None, scheduled: bool = False
) -> Bulletin:
    """Build and store (delivery to leaders: reports.notices.issue_bulletin). Only who may
    change the plan's unit (district staff, administrators) may issue one: leaders read."""
    if actor is not None:
        ensure_unit_in_scope(actor, plan.unit)
    data = build_data(plan, on)
    bulletin = Bulletin(
        unit=plan.unit,
        year=plan.year,
        as_of=datetime.date.fromisoformat(data["as_of"]),
        title=data["title"],
        html=render_html(data),
        data=data,
        scheduled=scheduled,
        created_by=actor,
    )
    name = f"bulletin_{plan.unit_id}_{data['as_of'].replace('-', '')}.xlsx"
    bulletin.xlsx.save(name, ContentFile(write_xlsx(data)), save=False)
    bulletin.save()
    return bulletin
