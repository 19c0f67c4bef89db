"""Writing a plan as the 附件 the bureau prints: title, 单位 line, header, one row per unit, total."""

from decimal import Decimal

from core.choices import UnitKind
from core.sheets import (
    Alignment,
    Look,
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

from ..models import PlanMetric, TargetPlan

TOTAL_LABEL: dict[str, str] = {
    UnitKind.DISTRICT: "全  区",
    UnitKind.COUNTY: "全  县",
    UnitKind.CITY: "全  市",
}
LABEL_HEADER: dict[str, str] = {UnitKind.DISTRICT: "镇（开发区）", UnitKind.COUNTY: "镇（开发区）"}
TITLE = document_look(
    size=16, bold=True, ruled=False, align=Alignment(horizontal="center", vertical="center")
)
UNITS_LINE = document_look(ruled=False, align=Alignment(horizontal="left", vertical="center"))
HEADER, CELL = document_look(bold=True), document_look()


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _units_line(metrics: list) -> str:
    units = list(dict.fromkeys(m.unit for m in metrics))
    return "单位：" + "、".join(units) if units else ""


def write_attachment(plan: TargetPlan, *, units: set[int] | None = None) -> bytes:
    """The plan's table as .xlsx bytes, in the shape of 武科发〔2019〕14号's 附件.

    `units`: the unit ids the reader may see (`core.scoping.visible_unit_ids`); a town's
    export then holds its own row and the total, as its page does. None: every row (the
    shell's export_targets)."""
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
        if (child.is_active or child.pk in with_values) and (units is None or child.pk in units)
    ]
    grouped = any(pm.group for pm in plan_metrics)
    ncols = 1 + len(plan_metrics)

    book = new_workbook()
    ws = first_sheet(book, f"{year}年任务分解表")
    # Row 1: the title, merged across the table. Row 2: 单位：家.
    merged_line(ws, 1, plan.title or f"{year}年全区高新技术企业任务分解表", ncols, TITLE, 36)
    put(ws, 2, 1, _units_line(metrics), UNITS_LINE)
    head, sub = 3, 4 if grouped else 3
    _header(ws, plan_metrics, head, sub, LABEL_HEADER.get(unit.kind, "单位"), year)

    # One row per child unit (blank cells where there is no value), then the total row.
    rows = [(child.notice_name, child.pk) for child in children]
    rows.append((TOTAL_LABEL.get(unit.kind, "合计"), unit.pk))
    for offset, (label, unit_id) in enumerate(rows):
        r = sub + 1 + offset
        put(ws, r, 1, label, CELL)
        for c, metric in enumerate(metrics, start=2):
            value = _number(values.get((metric.pk, unit_id)))
            number_format = "0" if isinstance(value, int) else "General"
            put(ws, r, c, value, Look(number_format=number_format))
        ws.row_dimensions[r].height = 20
    restyle(ws, range(sub + 1, sub + 1 + len(rows)), range(2, ncols + 1), CELL)

    # Widths: the unit column fits its longest label; a metric column about 7 CJK characters.
    headers = [m.header_for(year) for m in metrics]
    set_widths(
        ws,
        [max(14, *(text_width(label) + 4 for label, _ in rows))]
        + [17 if text_width(h) > 8 else 12 for h in headers],
    )
    print_setup(ws, title_rows=f"{head}:{sub}", margins=(0.5, 0.5, 1.0, 1.0))
    ws.freeze_panes = f"B{sub + 1}"
    return to_bytes(book)


def _header(
    ws: Worksheet, plan_metrics: list[PlanMetric], head: int, sub: int, label: str, year: int
) -> None:
    """Rows 3 (–4): grouped columns share a merged top cell; others merge down."""
    ncols = 1 + len(plan_metrics)
    put(ws, head, 1, label)
    col = 2
    while col <= ncols:
        pm = plan_metrics[col - 2]
        put(ws, sub, col, pm.metric.header_for(year))
        if not pm.group:
            put(ws, head, col, pm.metric.header_for(year))
            col += 1
            continue
        end = col
        while end + 1 <= ncols and plan_metrics[end - 1].group == pm.group:
            put(ws, sub, end + 1, plan_metrics[end - 1].metric.header_for(year))
            end += 1
        put(ws, head, col, pm.group)
        if end > col:
            ws.merge_cells(start_row=head, start_column=col, end_row=head, end_column=end)
        col = end + 1
    if sub != head:
        for c in range(1, ncols + 1):
            if c == 1 or not plan_metrics[c - 2].group:
                ws.merge_cells(start_row=head, start_column=c, end_row=sub, end_column=c)
        ws.row_dimensions[head].height = 27
        ws.row_dimensions[sub].height = 42
    else:
        ws.row_dimensions[head].height = 42
    restyle(ws, range(head, sub + 1), range(1, ncols + 1), HEADER)
