"""The quarterly template a town downloads: its active enterprises pre-filled with the values
the registry holds for the period's year, a sheet for the unit-level "reported" figures and
a 填写说明 sheet. Uploading it untouched changes nothing."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from cultivation.excel import set_widths, style_header_row
from enterprises.models import Enterprise, EnterpriseYear
from reports.columns import DATA_SHEET, KEY_COLUMNS, SUMMARY_SHEET, columns_for

from .reading import GUIDE_SHEET, SUMMARY_HEADERS

TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3
FORMATS = {"text": "@", "int": "#,##0", "money": "#,##0.00", "date": "yyyy-mm-dd"}
SPARE_ROWS = 1000  # rows below the enterprises keep the formats and checks, for new ones


def build_template(*, period, unit) -> bytes:
    columns = columns_for(period.columns)
    book = Workbook()
    data = book.active
    data.title = DATA_SHEET
    _data_sheet(data, period, unit, columns)
    _summary_sheet(book.create_sheet(SUMMARY_SHEET))
    _guide_sheet(book.create_sheet(GUIDE_SHEET), period, columns)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _data_sheet(ws, period, unit, columns) -> None:
    indicators = [c.code for c in columns if c not in KEY_COLUMNS]
    last = get_column_letter(len(columns))
    ws.cell(TITLE_ROW, 1, f"{period.year}年第{period.quarter}季度 {unit.name} 企业季度数据报送表")
    ws.cell(TITLE_ROW, 1).font = Font(bold=True, size=14)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    note = "金额单位：万元。请勿修改表头；数值为空表示未知。" + (
        "新增企业请在末尾添加行。" if period.allow_new else "本期不允许新增企业。"
    )
    ws.cell(NOTE_ROW, 1, note).font = Font(color="6B7280", size=9)
    ws.merge_cells(f"A{NOTE_ROW}:{last}{NOTE_ROW}")
    style_header_row(ws, HEADER_ROW, [c.header for c in columns], [c.header for c in KEY_COLUMNS])
    ws.row_dimensions[HEADER_ROW].height = 32
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
    set_widths(ws, [22, 36] + [max(12, len(c.header) * 2 + 2) for c in columns[2:]])

    enterprises = list(
        Enterprise.objects.filter(town__path__startswith=unit.path, is_active=True)
        .order_by("name", "id")
        .values_list("id", "uscc", "name")
    )
    years = {
        row[0]: row[1:]
        for row in EnterpriseYear.objects.filter(
            year=period.year, enterprise__town__path__startswith=unit.path
        ).values_list("enterprise_id", *indicators)
    }
    formats = [FORMATS[c.kind] for c in columns]
    for number, (eid, uscc, name) in enumerate(enterprises, start=HEADER_ROW + 1):
        values = years.get(eid, (None,) * len(indicators))
        for index, value in enumerate((uscc, name, *values), start=1):
            cell = ws.cell(number, index, value)
            cell.number_format = formats[index - 1]
    end = HEADER_ROW + len(enterprises) + SPARE_ROWS
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].number_format = FORMATS[column.kind]
        for row in range(HEADER_ROW + len(enterprises) + 1, end + 1):
            if column.kind == "text":  # an empty "@" cell keeps a typed 18-digit code whole
                ws.cell(row, index).number_format = "@"
        check = _number_check(column)
        if check is not None:
            check.add(f"{letter}{HEADER_ROW + 1}:{letter}{end}")
            ws.add_data_validation(check)


def _number_check(column) -> DataValidation | None:
    if column.kind not in ("int", "money"):
        return None
    negative_ok = column.code == "net_assets"
    if column.kind == "int":
        kind, error = "whole", "请填写不小于 0 的整数"
    else:
        kind, error = (
            "decimal",
            "请填写数字（单位：万元）" + ("" if negative_ok else "，不能为负数"),
        )
    bounds = {"operator": "between", "formula1": "-1000000000000", "formula2": "1000000000000"}
    if not negative_ok:
        bounds = {"operator": "greaterThanOrEqual", "formula1": "0"}
    return DataValidation(
        type=kind,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="数值无效",
        error=f"{column.header}：{error}",
        **bounds,
    )


def _summary_sheet(ws) -> None:
    from targets.choices import MetricSource
    from targets.models import Metric

    headers = [
        SUMMARY_HEADERS["code"],
        SUMMARY_HEADERS["name"],
        "计量单位",
        SUMMARY_HEADERS["value"],
    ]
    style_header_row(ws, 1, headers, [SUMMARY_HEADERS["code"], SUMMARY_HEADERS["value"]])
    set_widths(ws, [24, 28, 10, 16])
    ws.freeze_panes = "A2"
    metrics = Metric.objects.filter(source=MetricSource.REPORTED, is_active=True).order_by(
        "order", "code"
    )
    for number, metric in enumerate(metrics, start=2):
        ws.cell(number, 1, metric.code).number_format = "@"
        ws.cell(number, 2, metric.name)
        ws.cell(number, 3, metric.unit)
        ws.cell(number, 4).number_format = "#,##0.##"


def _guide_sheet(ws, period, columns) -> None:
    ws["A1"] = f"{period.year}年第{period.quarter}季度 企业季度数据报送 填写说明"
    ws["A1"].font = Font(bold=True, size=14)
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
        f"8. “{SUMMARY_SHEET}”表填写本单位的本年累计值，不清楚的留空。",
        "9. 支持 .xlsx 和 .xls 文件；请勿设置打开密码，不要包含宏。",
        "本期模板包含的列：" + "、".join(c.header for c in columns),
    ]
    for row, line in enumerate(lines, start=3):
        ws.cell(row, 1, line)
    ws.column_dimensions["A"].width = 100
