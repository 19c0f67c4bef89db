"""The quarterly template a town downloads: its active enterprises pre-filled with the values
the registry holds for the period's year, a sheet for the unit-level "reported" figures and
a 填写说明 sheet. Uploading it untouched changes nothing."""

from core.models import OrgUnit
from core.sheets import (
    Alignment,
    Font,
    Look,
    Worksheet,
    column_letter,
    first_sheet,
    new_workbook,
    put,
    set_widths,
    to_bytes,
)
from core.sheets.templates import TITLE, add_number_check, header_row
from enterprises.models import Enterprise, EnterpriseYear
from targets.selectors import reported_metric_rows

from ..columns import DATA_SHEET, KEY_COLUMNS, SUMMARY_SHEET, Column, columns_for
from ..models import ReportingPeriod
from .identity import write_identity
from .reading import GUIDE_SHEET, SUMMARY_HEADERS

TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3
FORMATS = {"text": "@", "int": "#,##0", "money": "#,##0.00", "date": "yyyy-mm-dd"}
SPARE_ROWS = 1000  # rows below the enterprises keep the formats and checks, for new ones
TEXT = Look(number_format="@")  # an empty "@" cell keeps a typed 18-digit code whole
NOTE = Look(font=Font(color="6B7280", size=9))


def build_template(*, period: ReportingPeriod, unit: OrgUnit) -> bytes:
    columns = columns_for(period.columns)
    book = new_workbook()
    _data_sheet(first_sheet(book, DATA_SHEET), period, unit, columns)
    _summary_sheet(book.create_sheet(SUMMARY_SHEET))
    _guide_sheet(book.create_sheet(GUIDE_SHEET), period, columns)
    write_identity(book, period, unit)
    return to_bytes(book)


def _data_sheet(
    ws: Worksheet, period: ReportingPeriod, unit: OrgUnit, columns: list[Column]
) -> None:
    last = len(columns)
    title = f"{period.year}年第{period.quarter}季度 {unit.name} 企业季度数据报送表"
    put(
        ws,
        TITLE_ROW,
        1,
        title,
        Look(font=Font(bold=True, size=14), alignment=Alignment(horizontal="center")),
    )
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=last)
    note = "金额单位：万元。请勿修改表头；数值为空表示未知。" + (
        "新增企业请在末尾添加行。" if period.allow_new else "本期不允许新增企业。"
    )
    put(ws, NOTE_ROW, 1, note, NOTE)
    ws.merge_cells(start_row=NOTE_ROW, start_column=1, end_row=NOTE_ROW, end_column=last)
    header_row(ws, HEADER_ROW, [c.header for c in columns], [c.header for c in KEY_COLUMNS])
    ws.row_dimensions[HEADER_ROW].height = 32
    ws.freeze_panes = f"C{HEADER_ROW + 1}"
    set_widths(ws, [22, 36] + [max(12, len(c.header) * 2 + 2) for c in columns[2:]])
    filled = _prefill(ws, period, unit, columns)
    end = HEADER_ROW + filled + SPARE_ROWS
    for index, column in enumerate(columns, start=1):
        letter = column_letter(index - 1)
        ws.column_dimensions[letter].number_format = FORMATS[column.kind]
        if column.kind == "text":
            for row in range(HEADER_ROW + filled + 1, end + 1):
                TEXT.apply(ws.cell(row, index))
        if column.kind in ("int", "money"):
            add_number_check(
                ws,
                f"{letter}{HEADER_ROW + 1}:{letter}{end}",
                integer=column.kind == "int",
                negative_ok=column.code == "net_assets",
                label=column.header,
            )


def _prefill(ws: Worksheet, period: ReportingPeriod, unit: OrgUnit, columns: list[Column]) -> int:
    """The unit's active enterprises with the year's values; returns how many rows."""
    indicators = [c.code for c in columns if c not in KEY_COLUMNS]
    enterprises = list(
        Enterprise.objects.in_unit(unit)
        .filter(is_active=True)
        .order_by("name", "id")
        .values_list("id", "uscc", "name")
    )
    years = {
        row[0]: row[1:]
        for row in EnterpriseYear.objects.in_unit(unit)
        .filter(year=period.year)
        .values_list("enterprise_id", *indicators)
    }
    looks = [Look(number_format=FORMATS[c.kind]) for c in columns]
    for number, (eid, uscc, name) in enumerate(enterprises, start=HEADER_ROW + 1):
        values = years.get(eid, (None,) * len(indicators))
        for index, value in enumerate((uscc, name, *values), start=1):
            put(ws, number, index, value, looks[index - 1])
    return len(enterprises)


def _summary_sheet(ws: Worksheet) -> None:
    """指标名称 | 计量单位 | 本年累计值: the clerk sees the metrics by their names only (their
    codes are the catalogue's, not the clerk's); the reader finds each row's metric by its name
    — and by its code in a template downloaded before, which had a 指标代码 column first."""
    headers = [SUMMARY_HEADERS["name"], "计量单位", SUMMARY_HEADERS["value"]]
    header_row(ws, 1, headers, [SUMMARY_HEADERS["name"], SUMMARY_HEADERS["value"]])
    set_widths(ws, [36, 10, 16])
    ws.freeze_panes = "A2"
    for number, (_, name, unit) in enumerate(reported_metric_rows(), start=2):
        put(ws, number, 1, name)
        put(ws, number, 2, unit)
        put(ws, number, 3, None, Look(number_format="#,##0.##"))


def _guide_sheet(ws: Worksheet, period: ReportingPeriod, columns: list[Column]) -> None:
    put(ws, 1, 1, f"{period.year}年第{period.quarter}季度 企业季度数据报送 填写说明", TITLE)
    lines = [
        f"1. 在“{DATA_SHEET}”表中填写，已列出本单位企业库中的全部有效企业及其{period.year}年已有数值。",
        "2. 请勿修改、增删表头和工作表名称；不要把数据放在隐藏的工作表中。",
        "3. 统一社会信用代码须为 18 位，该列已设为文本格式，请勿改成数字（否则后几位会丢失）。",
        "4. 金额单位为万元，最多两位小数；人数、知识产权数、成果转化数须为整数。",
        "5. 数值不能为负数（净资产除外）；科技人员数不能大于职工总数，境内研发费用不能大于研发费用。",
        "6. 单元格留空表示未知；已有数值被清空的，确认时会提示。",
        (
            "7. 新增企业：在表格末尾添加一行，须填写统一社会信用代码和企业名称。"
            if period.allow_new
            else "7. 本期不允许新增企业：企业库中没有的企业请联系区科技局。"
        ),
        f"8. “{SUMMARY_SHEET}”表填写本单位的本年累计值，不清楚的留空；请勿改动指标名称（系统按名称识别指标）。",
        "9. 支持 .xlsx 和 .xls 文件；请勿设置打开密码，不要包含宏。",
        "本期模板包含的列：" + "、".join(c.header for c in columns),
    ]
    for row, line in enumerate(lines, start=3):
        put(ws, row, 1, line)
    ws.column_dimensions["A"].width = 100
