"""Writing a plan as the 附件 the bureau prints: title, 单位 line, header, one row per unit, total."""

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from core.choices import UnitKind

from .models import TargetPlan

FONT_NAME = "宋体"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
TOTAL_LABEL = {UnitKind.DISTRICT: "全  区", UnitKind.COUNTY: "全  县", UnitKind.CITY: "全  市"}
LABEL_HEADER = {UnitKind.DISTRICT: "镇（开发区）", UnitKind.COUNTY: "镇（开发区）"}


def _number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _width(text: str) -> float:
    """Excel column width of a text: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _units_line(metrics) -> str:
    units = list(dict.fromkeys(m.unit for m in metrics))
    return "单位：" + "、".join(units) if units else ""


def write_attachment(plan: TargetPlan) -> bytes:
    """The plan's table as .xlsx bytes, in the shape of 武科发〔2019〕14号's 附件."""
    unit, year = plan.unit, plan.year
    # Own goals (breakdown=False, e.g. 全区新增高企数) are set for the unit alone: not in the 附件.
    table_metrics = plan.plan_metrics.filter(breakdown=True).select_related("metric")
    plan_metrics = list(table_metrics.order_by("order", "pk"))
    metrics = [pm.metric for pm in plan_metrics]
    values = {(v.metric_id, v.unit_id): v.value for v in plan.values.filter(metric__in=metrics)}
    with_values = {unit_id for _, unit_id in values}
    children = [
        child
        for child in unit.children.order_by("order", "name")
        if child.is_active or child.pk in with_values
    ]
    grouped = any(pm.group for pm in plan_metrics)
    ncols = 1 + len(plan_metrics)
    last = get_column_letter(ncols)
    font = Font(name=FONT_NAME, size=11)
    bold = Font(name=FONT_NAME, size=11, bold=True)

    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年任务分解表"

    # Row 1: the title, merged across the table. Row 2: 单位：家.
    ws.cell(1, 1, plan.title or f"{year}年全区高新技术企业任务分解表")
    ws.cell(1, 1).font = Font(name=FONT_NAME, size=16, bold=True)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    if ncols > 1:
        ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 36
    ws.cell(2, 1, _units_line(metrics)).font = font
    ws.cell(2, 1).alignment = Alignment(horizontal="left", vertical="center")

    # Rows 3 (–4): the header. Grouped columns share a merged top cell; others merge down.
    head, sub = 3, 4 if grouped else 3
    ws.cell(head, 1, LABEL_HEADER.get(unit.kind, "单位"))
    col = 2
    while col <= ncols:
        pm = plan_metrics[col - 2]
        ws.cell(sub, col, pm.metric.header_for(year))
        if not pm.group:
            ws.cell(head, col, pm.metric.header_for(year))
            col += 1
            continue
        end = col
        while end + 1 <= ncols and plan_metrics[end - 1].group == pm.group:
            ws.cell(sub, end + 1, plan_metrics[end - 1].metric.header_for(year))
            end += 1
        ws.cell(head, col, pm.group)
        if end > col:
            ws.merge_cells(start_row=head, start_column=col, end_row=head, end_column=end)
        col = end + 1
    if grouped:
        for c in range(1, ncols + 1):
            if c == 1 or not plan_metrics[c - 2].group:
                ws.merge_cells(start_row=head, start_column=c, end_row=sub, end_column=c)
        ws.row_dimensions[head].height = 27
        ws.row_dimensions[sub].height = 42
    else:
        ws.row_dimensions[head].height = 42

    # One row per child unit (blank cells where there is no value), then the total row.
    rows = [(child.short_name or child.name, child.pk) for child in children]
    rows.append((TOTAL_LABEL.get(unit.kind, "合计"), unit.pk))
    for offset, (label, unit_id) in enumerate(rows):
        r = sub + 1 + offset
        ws.cell(r, 1, label)
        for c, metric in enumerate(metrics, start=2):
            ws.cell(r, c, _number(values.get((metric.pk, unit_id))))
        ws.row_dimensions[r].height = 20
    last_row = sub + len(rows)

    for r in range(head, last_row + 1):
        for c in range(1, ncols + 1):
            cell = ws.cell(r, c)
            cell.border = BORDER
            cell.alignment = CENTRE
            cell.font = bold if r <= sub else font
            if r > sub:
                cell.number_format = "0" if isinstance(cell.value, int) else "General"

    # Widths: the unit column fits its longest label; a metric column about 7 CJK characters.
    ws.column_dimensions["A"].width = max(14, *(_width(label) + 4 for label, _ in rows))
    for c, metric in enumerate(metrics, start=2):
        header = metric.header_for(year)
        ws.column_dimensions[get_column_letter(c)].width = 17 if _width(header) > 8 else 12

    # Print: A4 landscape, one page wide, the header repeated on every page.
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{head}:{sub}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.freeze_panes = ws.cell(sub + 1, 2)

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
