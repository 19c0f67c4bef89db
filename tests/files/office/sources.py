"""The sheets make.sh hands to LibreOffice, laid out as town clerks and bureaus lay them out.

Usage: python sources.py OUTDIR (with DJANGO_SETTINGS_MODULE set; no database is used).
The enterprises are the test registry's (tests/enterprises/conftest.py): code(1)–code(3) in
湖塘镇, with 2019 values 120/20/1500 and 60/6/—/45.5 (tests/reports VALUES_2019).
"""

import datetime
import sys
from pathlib import Path
from types import SimpleNamespace

import django

django.setup()

from openpyxl import Workbook  # noqa: E402
from openpyxl.worksheet.worksheet import Worksheet  # noqa: E402

from core.seeds import WUJIN_2019_ROWS, WUJIN_2019_TITLE, WUJIN_2019_TOTAL  # noqa: E402
from enterprises.uscc import with_check_digit  # noqa: E402
from reports.io.identity import write_identity  # noqa: E402

OUT = Path(sys.argv[1])
HUTANG = ["常州湖塘精密机械有限公司", "常州湖塘新材料有限公司", "常州同名科技有限公司"]


def code(n: int) -> str:
    return with_check_digit(f"91320412MA{n:07d}")


def sheet(title: str) -> tuple[Workbook, Worksheet]:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    return wb, ws


def enterprises() -> list[list]:
    """The three 湖塘镇 rows every quarterly file carries: 1 changes (121 staff), 2 is as the
    registry has it, 3 gets its first 2019 values."""
    return [
        [code(1), HUTANG[0], 121, 20, 1500, None, None],
        [code(2), HUTANG[1], 60, 6, None, 45.5, None],
        [code(3), HUTANG[2], 10, 2, 300, 12, 80],
    ]


def quarterly_brackets() -> Workbook:
    wb, ws = sheet("Sheet1")
    ws.append(
        [
            "序号",
            "统一社会信用代码",
            "企业名称",
            "职工总数(人)",
            "科技人员数（人）",
            "销售收入 (万元)",
            "研发费用\n（万元）",
            "高新技术产品（服务）\n收入(万元)",
        ]
    )
    for n, row in enumerate(enterprises(), start=1):
        ws.append([n, *row])
    return wb


def quarterly_title_rows() -> Workbook:
    wb, ws = sheet("湖塘镇")
    ws["A1"] = "湖塘镇高新技术企业培育季度数据报送表（2019年第一季度）"
    ws.merge_cells("A1:G1")
    ws["A2"] = "填报单位：湖塘镇科技服务中心（盖章）"
    ws["E2"] = "填报日期：2019年4月10日"
    ws["A3"] = "单位：人、万元"
    ws.append([])
    ws.append(
        [
            "统一社会信用代码",
            "企业名称",
            "职工总数",
            "科技人员数",
            "销售收入",
            "研发费用",
            "高新技术产品（服务）收入",
        ]
    )
    for row in enterprises():
        ws.append(row)
    return wb


def quarterly_groups() -> Workbook:
    wb, ws = sheet("企业季度数据")
    ws["A1"] = "2019年第1季度 湖塘镇 企业季度数据"
    ws.merge_cells("A1:G1")
    ws.append(["统一社会信用代码", "企业名称", "人员情况", None, "经营情况（万元）"])
    ws.append(
        [None, None, "职工总数", "科技人员数", "销售收入", "研发费用", "高新技术产品（服务）收入"]
    )
    for cells in ("A2:A3", "B2:B3", "C2:D2", "E2:G2"):
        ws.merge_cells(cells)
    for row in enterprises():
        ws.append(row)
    return wb


def quarterly_totals() -> Workbook:
    wb, ws = sheet("企业季度数据")
    ws.append(
        [
            "序号",
            "统一社会信用代码",
            "企业名称",
            "职工总数",
            "科技人员数",
            "销售收入（万元）",
            "研发费用（万元）",
            "高新技术产品（服务）收入（万元）",
        ]
    )
    first, second, third = enterprises()
    ws.append([1, *first])
    ws.append([2, *second])
    ws.append(["", "小计", "", *(f"=SUM({c}2:{c}3)" for c in "DEFGH")])
    ws.append([3, *third])
    ws.append(["全镇合计", "", "", *(f"=SUM({c}2:{c}3)+{c}5" for c in "DEFGH")])
    ws.append([])
    ws.append(["填表人：王芳", "", "审核人：李强", "", "联系电话：0519-86123456"])
    ws.append(["填报日期：2019年4月10日"])
    ws.append(["注：1. 金额单位为万元；2. 科技人员数不得大于职工总数。"])
    return wb


def quarterly_last_quarter() -> Workbook:
    """As build_template lays it out, for 2018年第4季度, and filled in."""
    wb, ws = sheet("企业季度数据")
    ws["A1"] = "2018年第4季度 湖塘镇 企业季度数据报送表"
    ws["A2"] = "灰色列为企业库信息；白色列请填写。"
    ws.append(
        [
            "统一社会信用代码",
            "企业名称",
            "职工总数",
            "科技人员数",
            "销售收入（万元）",
            "研发费用（万元）",
            "高新技术产品（服务）收入（万元）",
        ]
    )
    for row in enterprises():
        ws.append([*row[:2], 999, *row[3:]])
    write_identity(wb, SimpleNamespace(code="2018Q4"), SimpleNamespace(pk=0, name="湖塘镇"))
    return wb


def targets_clerk() -> Workbook:
    wb, ws = sheet("Sheet1")
    ws["A1"] = "附件1"
    ws["A2"] = WUJIN_2019_TITLE
    ws.merge_cells("A2:F2")
    ws["A3"] = "填报单位：武进区科技局"
    ws["E3"] = "单位：家"
    ws.append(["序号", "镇（开发区）", "2018年底高新技术企业数（家）", "2019年争取上报任务数"])
    ws.append([None, None, None, "2018年底高企到期数（家）", "2019年高企新申报数(家)", "小  计"])
    for cells in ("A4:A5", "B4:B5", "C4:C5", "D4:F4"):
        ws.merge_cells(cells)
    for n, row in enumerate([*WUJIN_2019_ROWS, WUJIN_2019_TOTAL], start=1):
        label = "全  区" if row is WUJIN_2019_TOTAL else row.unit
        serial = "" if row is WUJIN_2019_TOTAL else n
        r = ws.max_row + 1
        ws.append(
            [serial, label, row.valid_2018, row.expiring, row.new_applications, f"=D{r}+E{r}"]
        )
    ws.append([])
    ws.append(["制表人：张明", None, None, "联系电话：0519-86311234"])
    ws.append(["注：到期数为2016年认定、2019年到期须重新认定的企业数。"])
    return wb


def ladder_clerk() -> Workbook:
    wb, ws = sheet("培育库")
    ws["A1"] = "2019年武进区高企培育库入库企业名单（第1批）"
    ws.merge_cells("A1:J1")
    ws.append(
        [
            "序号",
            "统一社会信用代码",
            "企业名称",
            "入库信息",
            None,
            None,
            None,
            "出库信息",
            None,
            "来源",
        ]
    )
    ws.append(
        [
            None,
            None,
            None,
            "入库级别",
            "入库年度（年）",
            "批次",
            "入库日期",
            "出库日期",
            "出库原因",
            None,
        ]
    )
    for cells in ("A2:A3", "B2:B3", "C2:C3", "D2:G2", "H2:I2", "J2:J3"):
        ws.merge_cells(cells)
    day = datetime.date(2019, 4, 1)
    ws.append([1, code(1), HUTANG[0], "区级", 2019, "第1批", day, None, None, "武科发〔2019〕14号"])
    ws.append([2, code(2), HUTANG[1], "区级", 2019, "第1批", day, None, None, "武科发〔2019〕14号"])
    ws.append(["合计：2家"])
    ws.append(["填表人：张明", None, None, "填报日期：2019年4月2日"])
    return wb


for make in (
    quarterly_brackets,
    quarterly_title_rows,
    quarterly_groups,
    quarterly_totals,
    quarterly_last_quarter,
    targets_clerk,
    ladder_clerk,
):
    make().save(OUT / f"{make.__name__}.xlsx")
