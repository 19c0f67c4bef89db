"""The spreadsheet toolkit every import and export goes through: each cell form a clerk may
type, accepted or refused (with its Chinese message); headers as they are retyped; sheets with
title rows and merged headers; and the formula-safe write path for .xlsx and CSV."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from core import sheets
from core.sheets import CellError, FileRejected, Problem, row_kind

XLS_FIXTURE = Path(__file__).parents[1] / "reports" / "files" / "quarterly.xls"
MARCH_5 = datetime.date(2019, 3, 5)

# (parser, what was typed or what the reader gives, the value read)
ACCEPTED = [
    # text
    (sheets.parse_text, "  常州某公司 ", "常州某公司"),
    (sheets.parse_text, 12.0, "12"),
    (sheets.parse_text, 201932041200001234, "201932041200001234"),
    (sheets.parse_text, datetime.datetime(2019, 3, 5), "2019-03-05"),
    (sheets.parse_text, None, ""),
    (sheets.parse_code, "GR201932001234", "GR201932001234"),
    (sheets.parse_code, 2019320412, "2019320412"),
    # counts
    (sheets.parse_count, "１２３", 123),
    (sheets.parse_count, "  12 ", 12),
    (sheets.parse_count, "12人", 12),
    (sheets.parse_count, "3 项", 3),
    (sheets.parse_count, "1,200", 1200),
    (sheets.parse_count, 12.0, 12),
    (sheets.parse_count, "-", None),
    (sheets.parse_count, "   ", None),
    # amounts in 万元
    (sheets.parse_money, "1,234.5", Decimal("1234.50")),
    (sheets.parse_money, "１，２３４．５", Decimal("1234.50")),
    (sheets.parse_money, "30万元", Decimal("30.00")),
    (sheets.parse_money, " 30 万元 ", Decimal("30.00")),
    (sheets.parse_money, 100.025, Decimal("100.03")),  # a formula's float, rounded to the cent
    (sheets.parse_money, 0.1 + 0.2, Decimal("0.30")),
    (sheets.parse_money, 1234, Decimal("1234.00")),
    (sheets.parse_money, "-12.5", Decimal("-12.50")),  # net assets may be negative
    (sheets.parse_money, "—", None),
    (sheets.parse_money, "", None),
    (sheets.parse_money, None, None),
    # exact numbers (target values)
    (sheets.parse_number, "１２,３４５.６", Decimal("12345.6")),
    (sheets.parse_number, 0.1, Decimal("0.1")),
    (sheets.parse_number, ".5", Decimal("0.5")),
    # dates
    (sheets.parse_date, "2019年3月5日", MARCH_5),
    (sheets.parse_date, "2019.3.5", MARCH_5),
    (sheets.parse_date, "2019/3/5", MARCH_5),
    (sheets.parse_date, "2019-03-05", MARCH_5),
    (sheets.parse_date, "２０１９年３月５日", MARCH_5),
    (sheets.parse_date, "20190305", MARCH_5),
    (sheets.parse_date, "2019-03-05 10:30", MARCH_5),
    (sheets.parse_date, 43529, MARCH_5),  # the Excel serial of 2019-03-05
    (sheets.parse_date, 43529.0, MARCH_5),
    (sheets.parse_date, MARCH_5, MARCH_5),
    (sheets.parse_date, datetime.datetime(2019, 3, 5, 0, 0), MARCH_5),
    (sheets.parse_date, "", None),
    # years
    (sheets.parse_year, 2019, 2019),
    (sheets.parse_year, "2019", 2019),
    (sheets.parse_year, "2019年", 2019),
    (sheets.parse_year, "2019年度", 2019),
    (sheets.parse_year, "２０１９", 2019),
    (sheets.parse_year, 2019.0, 2019),
    # yes / no
    (sheets.parse_bool, "是", True),
    (sheets.parse_bool, "√", True),
    (sheets.parse_bool, "Y", True),
    (sheets.parse_bool, "否", False),
    (sheets.parse_bool, "×", False),
    (sheets.parse_bool, "", None),
    # codes
    (sheets.parse_uscc, " 91320412mg1p6lx4q8 ", "91320412MG1P6LX4Q8"),
    (sheets.parse_uscc, "９１３２０４１２ＭＧ１Ｐ６ＬＸ４Ｑ８", "91320412MG1P6LX4Q8"),
    (sheets.parse_uscc, "913204-12MG1P 6LX4Q8", "91320412MG1P6LX4Q8"),
]

# (parser, what was typed, the message the user reads)
REFUSED = [
    (sheets.parse_count, "一百", "“一百”不是有效的数字"),
    (sheets.parse_count, "12.5", "“12.5”不是整数，应填写整数"),
    (sheets.parse_count, True, "“TRUE”是非数字内容，应填写数字"),
    (sheets.parse_count, "30万元", "“30万元”不是有效的数字"),  # not a count's unit
    (sheets.parse_count, 1e12, "数值过大"),
    (sheets.parse_money, "12,34", "“12,34”不是有效的数字"),  # not a thousands separator
    (sheets.parse_money, "1e5", "“1e5”不是有效的数字"),
    (sheets.parse_money, "30元", "“30元”不是有效的数字"),  # 元 is not 万元: never guessed
    (sheets.parse_money, MARCH_5, "“2019-03-05”是日期，应填写数字"),
    (sheets.parse_money, 1e13, "数值过大（单位为万元，请核对）"),
    (sheets.parse_money, float("nan"), "不是有效的数字"),
    (sheets.parse_number, "NaN", "“NaN”不是有效的数字"),
    (sheets.parse_date, "2019年13月1日", "不是有效的日期"),
    (sheets.parse_date, "2019-02-30", "不是有效的日期"),
    (sheets.parse_date, "三月五日", "不是有效的日期（可填 2019-03-05、2019/3/5 或 2019年3月5日）"),
    (sheets.parse_date, "05/03/2019", "不是有效的日期"),
    (sheets.parse_date, 2019, "不是有效的日期"),  # a bare year is no date
    (sheets.parse_year, "2019-03", "不是有效的年份"),
    (sheets.parse_year, 2019.5, "不是有效的年份"),
    (sheets.parse_year, 1800, "不是有效的年份"),
    (sheets.parse_year, True, "不是有效的年份"),
    (sheets.parse_bool, "也许", "“也许”无效，请填写“是”或“否”"),
    (sheets.parse_uscc, 9.13204126e17, "统一社会信用代码被 Excel 存成了数字"),
    (sheets.parse_code, 2.01932041200001e17, "编号被 Excel 存成了数字"),
]


@pytest.mark.parametrize(("parse", "raw", "expected"), ACCEPTED)
def test_accepted_cell_forms(parse, raw, expected):
    value = parse(raw)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("parse", "raw", "message"), REFUSED)
def test_refused_cell_forms_say_why(parse, raw, message):
    with pytest.raises(CellError) as caught:
        parse(raw)
    assert message in str(caught.value)


def test_negative_numbers_are_refused_where_the_column_says_so():
    with pytest.raises(CellError, match=r"不能为负数（-3）"):
        sheets.parse_count("-3", negative=False)
    assert sheets.parse_money("-3", negative=True) == Decimal("-3.00")


@pytest.mark.parametrize(
    ("raw", "integer", "text"),
    [
        (15080.79, False, "15080.79"),
        (225.0, False, "225.00"),
        (100.025, False, "100.03"),
        (-0.0, False, "0.00"),
        ("1,234.5", False, "1234.50"),
        (12.0, True, "12"),
        ("12人", True, "12"),
        (None, True, None),
    ],
)
def test_canonical_number_is_how_staged_values_read(raw, integer, text):
    assert sheets.canonical_number(raw, integer=integer) == text


def test_choices_by_label_tolerate_quotes_and_spaces():
    labels = {'专精特新"小巨人"企业': "giant", "瞪羚企业": "gazelle"}
    assert sheets.parse_choice(" 专精特新“小巨人”企业", labels) == "giant"
    with pytest.raises(CellError, match="可选：专精特新"):
        sheets.parse_choice("独角兽", labels)


@pytest.mark.parametrize(
    ("typed", "header"),
    [
        (" 统一社会\n信用代码 ", "统一社会信用代码"),
        ("销售收入（万元）", "销售收入"),
        ("销售收入(万元)", "销售收入"),
        ("销售收入（单位：万元）", "销售收入"),
        ("职工总数（人）", "职工总数"),
        ("科技型中小企业数（家）", "科技型中小企业数"),
        ("专利数(个)", "专利数"),
        ("项目数（项）", "项目数"),
        ("占比（%）", "占比"),
        ("占比（％）", "占比"),
        ("*职工总数", "职工总数"),
        ("Ⅰ类知识产权数", "I类知识产权数"),
    ],
)
def test_headers_match_as_clerks_retype_them(typed, header):
    assert sheets.header_key(typed) == sheets.header_key(header)


def test_a_bracket_that_is_no_unit_is_part_of_the_header():
    assert sheets.header_key("镇（开发区）") == "镇(开发区)"
    assert sheets.header_key("序号") == "序号" and sheets.is_ignored(" 序 号 ")


@pytest.mark.parametrize(
    "cells, kind",
    [
        (["合  计", "", 191], "total"),
        (["", "全镇合计", 191], "total"),
        ([3, "小计", 12], "total"),  # after a 序号
        (["合计：2家"], "total"),
        (["本页小计："], "total"),
        (["填表人：王芳", "", "联系电话：0519-86123456"], "footer"),
        (["审核人 李强"], "footer"),
        (["注：1. 金额单位为万元"], "footer"),
        (["说明:本表截至3月31日"], "footer"),
        ([1, "91320412MA00000017", "常州合计精密有限公司"], None),
        (["注塑科技有限公司"], None),  # an enterprise, not a 注：
        (["合计科技有限公司"], None),
        (["", "", ""], None),
    ],
)
def test_totals_and_footers_are_told_from_data(cells, kind):
    assert row_kind(cells) == kind


def test_problem_text():
    problem = Problem("企业季度数据", 5, "科技人员数", "科技人员数（120）不能大于职工总数（100）")
    assert (
        str(problem) == "企业季度数据 第5行【科技人员数】：科技人员数（120）不能大于职工总数（100）"
    )
    assert str(Problem(message="文件是空的")) == "文件是空的"
    assert str(Problem("汇总指标", None, "", "x")) == "汇总指标：x"
    assert problem.as_json()["text"] == str(problem)


# --- reading ----------------------------------------------------------------------------------


def _xlsx(build) -> bytes:
    wb = Workbook()
    build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _open(data: bytes, name: str = "表.xlsx"):
    return sheets.open_workbook(data, file_name=name, max_bytes=1 << 20)


def test_a_header_below_title_rows_with_a_two_row_merged_header():
    def build(wb):
        ws = wb.active
        ws.title = "数据"
        ws["A1"] = "2019年第1季度 湖塘镇 报送表"
        ws.merge_cells("A1:D1")
        ws["A2"] = "填报单位：湖塘镇"
        ws["A3"], ws["B3"], ws["C3"] = "统一社会信用代码", "企业名称", "2019年"
        ws.merge_cells("A3:A4")
        ws.merge_cells("B3:B4")
        ws.merge_cells("C3:D3")
        ws["C4"], ws["D4"] = "职工总数（人）", "销售收入（万元）"
        ws.append(["91320412MG1P6LX4Q8", "甲", 12, 30.5])

    book = _open(_xlsx(build))
    sheet = book.sheet("数据")
    top = sheet.find_row(lambda cells: "统一社会信用代码" in map(sheets.header_key, cells))
    bottom, headers = sheet.header(top)
    assert (top, bottom) == (2, 3)  # Excel rows 3 and 4
    assert [sheets.header_key(h) for h in headers] == [
        "统一社会信用代码",
        "企业名称",
        "职工总数",
        "销售收入",
    ]
    assert sheet.value(0, 3) == "2019年第1季度 湖塘镇 报送表"  # inside the merged title
    assert sheet.filled()[2][3] == "2019年"  # the group header over both leaf columns
    assert sheet.rows[4][:2] == ["91320412MG1P6LX4Q8", "甲"]


def test_hidden_sheets_are_listed_apart():
    def build(wb):
        wb.active.title = "可见"
        wb.create_sheet("隐藏").sheet_state = "hidden"

    book = _open(_xlsx(build))
    assert (book.visible, book.hidden) == (["可见"], ["隐藏"])


def test_a_legacy_xls_written_by_libreoffice_reads_the_same_way():
    book = _open(XLS_FIXTURE.read_bytes(), "quarterly.xls")
    sheet = book.sheet(book.visible[0])
    top = sheet.find_row(lambda cells: "统一社会信用代码" in cells)
    assert top == 2 and sheet.merged  # the title row is merged in the file
    assert sheet.rows[top + 1][0] == "91320412MA00000017"


def test_read_table_finds_columns_in_any_order_and_skips_blank_rows():
    def build(wb):
        ws = wb.active
        ws.append(["科小评价导入"])
        ws.append(["评价年度（年）", " 统一社会信用代码", "多余的列"])
        ws.append([2019, "A", "x"])
        ws.append([None, None, None])
        ws.append(["2018年", "B", None])

    sheet = _open(_xlsx(build)).sheet("Sheet")
    table = sheets.read_table(sheet, ["统一社会信用代码", "评价年度", "入库日期"], ["入库日期"])
    assert table.header_row == 2 and table.missing == ["入库日期"] and table.ignored == ["多余的列"]
    assert [(n, cells["统一社会信用代码"]) for n, cells in table.rows] == [(3, "A"), (5, "B")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件是空的"),
        (b"a,b\n1,2\n", "不是真正的 Excel 工作簿（实际是纯文本（如 CSV））"),
        (b"%PDF-1.4 ...", "实际是PDF 文件"),
        (b"PK\x03\x04broken", "文件已损坏或不完整"),
    ],
)
def test_what_is_no_workbook_is_refused_before_parsing(data, message):
    with pytest.raises(FileRejected) as caught:
        _open(data)
    assert message in str(caught.value)


# --- writing ----------------------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3+cmd|x",
    "\t=1",
    "\r=1",
]


def test_formula_like_text_is_written_as_text_in_xlsx():
    book = sheets.new_workbook()
    ws = book.active
    for row, text in enumerate(FORMULAS, start=1):
        sheets.put(ws, row, 1, text)
    sheets.put(ws, 1, 2, -2.5)  # a negative number stays a number
    data = sheets.to_bytes(book)
    reread = load_workbook(io.BytesIO(data)).active
    for row, text in enumerate(FORMULAS, start=1):
        cell = reread.cell(row, 1)
        shown = text.replace("\r", "\n")  # XML reads a lone carriage return as a line feed
        assert (cell.value, cell.data_type, cell.quotePrefix) == (shown, "s", True)
    assert reread.cell(1, 2).value == -2.5
    assert b"<f>" not in data and b"<f " not in data  # no formula anywhere in the file


def test_formula_like_text_is_written_as_text_in_streamed_xlsx():
    book = sheets.new_workbook(write_only=True)
    ws = book.create_sheet("导出")
    ws.append(sheets.stream_row(ws, [FORMULAS[0], "常州某公司", 3]))
    reread = load_workbook(io.BytesIO(sheets.to_bytes(book)))["导出"]
    assert [c.value for c in reread[1]] == [FORMULAS[0], "常州某公司", 3]
    assert reread.cell(1, 1).data_type == "s" and reread.cell(1, 1).quotePrefix


def test_formula_like_text_is_prefixed_in_csv():
    lines = list(sheets.csv_lines([["名称", "金额"], *[[text, -2] for text in FORMULAS[:4]]]))
    assert lines[0].startswith("\ufeff名称")
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[1].rstrip().endswith(",-2")
    assert [line.split(",")[0].strip('"') for line in lines[2:]] == [
        "'+cmd|' /C calc'!A0",
        "'@SUM(1)",
        "'-2+3+cmd|x",
    ]


# --- whole columns at once (the quarterly upload's reader) ---------------------------------------

ODD_CELLS = [
    15080.79, 225.0, 100.025, -0.0, -3.0, -0.004, 12.0, 12.5, 1e12, 1e15, float("nan"),
    float("inf"), 0.1 + 0.2, "", None, "  ", "—", "1,234.5", "１２３", "12人", "30万元", "abc",
    True, 7, -7, datetime.date(2019, 3, 5), "-5",
]  # fmt: skip


def per_cell(parse, values):
    texts, errors = [], {}
    for i, value in enumerate(values):
        try:
            texts.append(parse(value))
        except CellError as exc:
            texts.append(None)
            errors[i] = str(exc)
    return texts, errors


@pytest.mark.parametrize("negative", [True, False])
@pytest.mark.parametrize("integer", [True, False])
def test_a_column_reads_exactly_as_its_cells_one_by_one(integer, negative):
    texts, errors = sheets.canonical_column(ODD_CELLS, integer=integer, negative=negative)
    expected = per_cell(
        lambda v: sheets.canonical_number(v, integer=integer, negative=negative), ODD_CELLS
    )
    assert (texts, {i: str(e) for i, e in errors.items()}) == expected
    assert errors  # the odd ones are refused with their messages, not passed through


def test_a_code_column_reads_as_its_cells_one_by_one():
    values = ["91320412MA1MXXXX0X", " 91320412ma1mxxxx0x ", "９１３２", "", None, 9.1e17, 12.0]
    codes, errors = sheets.code_column(values)
    expected_codes, expected_errors = per_cell(sheets.parse_uscc, values)
    assert codes == [c if c is not None else "" for c in expected_codes]
    assert {i: str(e) for i, e in errors.items()} == expected_errors == {5: expected_errors[5]}
    assert sheets.text_column([" 甲 ", "", None, 12.0]) == ["甲", "", "", "12"]
