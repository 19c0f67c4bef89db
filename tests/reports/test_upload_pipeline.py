"""The quarterly upload pipeline up to the preview: template → fill → check → read → validate."""

import datetime
import json

import pytest
from openpyxl import Workbook

from enterprises.models import Enterprise
from reports.columns import DATA_SHEET, SUMMARY_SHEET, Column, columns_for
from reports.io.identity import IDENTITY_SHEET
from reports.io.reading import GUIDE_SHEET
from reports.io.template import build_template
from reports.io.validation import SAMPLE_CREATES, SAMPLE_UPDATES, validate_upload
from tests.enterprises.conftest import code
from tests.reports import (
    FILES,
    HEADERS,
    HUTANG,
    big_rows,
    parse,
    period,  # noqa: F401
    pipeline,
    reopen,
    row_for,
    set_cached,
    summary_sheet,
    to_bytes,
    workbook,
    xlsx,
    year_2019,  # noqa: F401
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hutang_unit(units):
    return units["湖塘镇"]


@pytest.fixture
def run(period, hutang_unit, hutang):  # noqa: F811
    def run(data, file_name="上报.xlsx", *, user=None, unit=None, **kwargs):
        return pipeline(
            data, file_name, period=period, unit=unit or hutang_unit, user=user or hutang, **kwargs
        )

    return run


def template_rows(ws) -> dict[str, int]:
    """USCC → row number in the template's data sheet."""
    return {ws.cell(r, 1).value: r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value}


# --- the template ---------------------------------------------------------------------------


def test_template_layout(period, year_2019, hutang_unit):  # noqa: F811
    wb = reopen(build_template(period=period, unit=hutang_unit))
    assert wb.sheetnames == [DATA_SHEET, SUMMARY_SHEET, GUIDE_SHEET, IDENTITY_SHEET]
    assert wb[IDENTITY_SHEET].sheet_state == "hidden"  # what the file is for; not the clerk's
    ws = wb[DATA_SHEET]
    assert ws["A1"].value == "2019年第1季度 湖塘镇 企业季度数据报送表"
    assert [ws.cell(3, c).value for c in range(1, len(HEADERS) + 1)] == HEADERS
    assert ws.cell(3, 1).font.b and ws.cell(3, 1).fill.fgColor.rgb.endswith("DDEBF7")
    assert ws.freeze_panes == "C4"
    rows = template_rows(ws)
    assert set(rows) == {code(1), code(2), code(3)}  # 湖塘镇's, none of 牛塘镇's
    first = rows[code(1)]
    assert ws.cell(first, 1).number_format == "@"  # Excel keeps all 18 characters
    assert ws.cell(first, 3).number_format == "#,##0"
    assert ws.cell(first, 5).number_format == "#,##0.00"
    assert [ws.cell(first, c).value for c in range(2, 6)] == [HUTANG[1], 120, 20, 1500]
    assert ws.cell(rows[code(3)], 3).value is None  # no 2019 row yet: blank, not 0
    assert ws.cell(rows[code(3)] + 5, 1).number_format == "@"  # spare rows for new ones too
    summary = wb[SUMMARY_SHEET]
    assert [c.value for c in summary[1]] == ["指标名称", "计量单位", "本年累计值"]
    assert ["科创项目招引数", "个", None] in [
        [c.value for c in row] for row in summary.iter_rows(min_row=2)
    ]


def staged_values(preview) -> dict[str, dict]:
    """uscc → {code: text} of the rows a confirm would apply."""
    n = len(preview.codes)
    return {row[1]: dict(zip(preview.codes, row[4 : 4 + n], strict=True)) for row in preview.staged}


def test_untouched_template_changes_nothing(run, period, year_2019, hutang_unit, district):  # noqa: F811
    data = build_template(period=period, unit=hutang_unit)
    for user in (None, district):  # the town itself, or the district for it
        preview = run(data, "2019年第1季度.xlsx", user=user)
        assert preview.problems == [] and preview.warnings == []
        assert (preview.creates, preview.updates, preview.unchanged) == ([], [], 3)
        assert preview.reported == {}
        assert len(preview.staged) == 3
        assert staged_values(preview)[code(1)] == {
            "staff_total": "120",
            "st_staff": "20",
            "sales_revenue": "1500.00",
            "rd_expense": None,
            "hightech_revenue": None,
        }


def test_filled_template_previews_exactly_the_changes(run, period, year_2019, hutang_unit):  # noqa: F811
    wb = reopen(build_template(period=period, unit=hutang_unit))
    ws = wb[DATA_SHEET]
    rows = template_rows(ws)
    ws.cell(rows[code(1)], 3, 130)  # 职工总数 120 → 130
    ws.cell(rows[code(1)], 5, "1,600.5")  # 销售收入 1500 → 1600.5, typed as text
    ws.cell(rows[code(3)], 3, "５０")  # no 2019 row yet: None → 50
    ws.cell(rows[code(3)], 4, "  5 ")
    new = ws.max_row + 1
    for column, value in enumerate([code(50), "常州湖塘新设科技有限公司", 12, 3, "30万元"], 1):
        ws.cell(new, column, value)
    wb[SUMMARY_SHEET]["C2"] = 4  # 本年累计值 of the first metric

    preview = run(to_bytes(wb))

    assert preview.problems == []
    assert preview.unchanged == 1  # code(2)
    assert sorted(preview.updates, key=lambda u: u["uscc"]) == [
        {
            "row": rows[code(1)],
            "uscc": code(1),
            "name": HUTANG[1],
            "enterprise_id": Enterprise.objects.get(uscc=code(1)).pk,
            "changes": {"staff_total": ["120", "130"], "sales_revenue": ["1500.00", "1600.50"]},
        },
        {
            "row": rows[code(3)],
            "uscc": code(3),
            "name": HUTANG[3],
            "enterprise_id": Enterprise.objects.get(uscc=code(3)).pk,
            "changes": {"staff_total": [None, "50"], "st_staff": [None, "5"]},
        },
    ]
    assert preview.creates == [
        {
            "row": new,
            "uscc": code(50),
            "name": "常州湖塘新设科技有限公司",
            "values": {
                "staff_total": "12",
                "st_staff": "3",
                "sales_revenue": "30.00",
                "rd_expense": None,
                "hightech_revenue": None,
            },
        }
    ]
    assert preview.reported == {"projects_attracted": "4.00"}
    assert len(preview.staged) == 4


def test_clearing_a_value_is_an_update_with_a_warning(run, year_2019):  # noqa: F811
    preview = run(xlsx([row_for(1, 120, None, "1500")]))
    assert preview.updates[0]["changes"] == {"st_staff": ["20", None]}
    assert any("将被清空" in w.message for w in preview.warnings)


def test_stored_preview_keeps_counts_and_located_problems(run, year_2019):  # noqa: F811
    preview = run(xlsx([row_for(1, 130, 20), row_for(60, 1, 1), ["123", "坏代码"]]))
    assert preview.problems  # the bad code
    data = json.loads(json.dumps(preview.as_json()))
    assert data["problems"][0] == {
        "sheet": DATA_SHEET,
        "row": 5,
        "column": "统一社会信用代码",
        "message": "统一社会信用代码应为 18 位，当前为 3 位。",
        "subject": "坏代码",  # the enterprise's name, as the row gives it
        "text": "企业季度数据 第5行（坏代码）【统一社会信用代码】：统一社会信用代码应为 18 位，当前为 3 位。",
    }
    assert data["counts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "problems": 1,
        "warnings": len(preview.warnings),
        "alerts": 0,
    }
    assert [c["uscc"] for c in data["creates"]] == [code(60)]


def test_stored_preview_lists_samples_not_every_row(run, period, hutang_unit, hutang):  # noqa: F811
    parsed = parse(xlsx(big_rows(SAMPLE_UPDATES + 10)), period=period)
    preview = validate_upload(parsed, period=period, unit=hutang_unit, user=hutang)
    data = preview.as_json()
    assert (
        data["counts"]["created"] == SAMPLE_UPDATES + 10
        and len(preview.staged) == SAMPLE_UPDATES + 10
    )
    assert len(data["creates"]) == SAMPLE_CREATES and "rows" not in data


def test_date_column_read_from_the_file(period):  # noqa: F811
    columns = [*columns_for(["staff_total"]), Column("registered_on", "注册日期", "date")]
    wb = workbook(
        [
            [code(1), "甲", 1, datetime.date(2019, 3, 5)],
            [code(2), "乙", 2, "2019年3月5日"],
            [code(3), "丙", 3, "2019.3.5"],
            [code(5), "丁", 4, 43529],
        ],
        headers=[c.header for c in columns],
    )
    wb.active["D3"].number_format = "yyyy-mm-dd"
    parsed = parse(to_bytes(wb), period=period, columns=columns)
    assert parsed.problems == []
    assert {r.values["registered_on"] for r in parsed.rows} == {datetime.date(2019, 3, 5)}


def test_headers_as_people_retype_them(run, year_2019):  # noqa: F811
    headers = [
        "统一社会\n信用代码",
        " 企业名称 ",
        "职工总数",
        "科技人员数",
        "销售收入",
        "研发费用(万元)",
    ]
    headers.append("高新技术产品(服务)收入（万元）")
    preview = run(xlsx([], headers=headers))
    assert [p.message for p in preview.problems] == ["没有数据行：表头下方没有填写任何企业数据。"]
    preview = run(xlsx([row_for(1, 121, 20, 1500)], headers=headers))
    assert preview.problems == []
    assert preview.updates[0]["changes"] == {"staff_total": ["120", "121"]}


def test_serial_number_column_is_ignored(run, year_2019):  # noqa: F811
    preview = run(xlsx([[1, *row_for(1, 121, 20, 1500)]], headers=["序号", *HEADERS]))
    assert preview.problems == []
    assert preview.updates[0]["changes"] == {"staff_total": ["120", "121"]}


def test_total_and_footer_rows_are_skipped(run, year_2019):  # noqa: F811
    serial = ["序号", *HEADERS]
    preview = run(
        xlsx(
            [
                [1, *row_for(1, 121, 20, 1500)],
                [2, *row_for(2, 60, 6, None, 45.5)],
                ["", "小计", "", 181, 26, 1500],
                [3, *row_for(3, 10, 2, 300)],
                ["合  计", "", "", 191, 28, 1800],
                ["填表人：张三", "", "联系电话：0519-86000000"],
                ["注：1. 本表数据截至3月31日；2. 金额单位为万元。"],
            ],
            headers=serial,
        )
    )
    assert preview.problems == [] and preview.warnings == []
    assert [u["uscc"] for u in preview.updates] == [code(1), code(3)]
    assert preview.unchanged == 1  # code(2): its 60 and 6 as in the registry


def test_a_total_that_does_not_add_up_is_a_warning(run, year_2019):  # noqa: F811
    rows = [row_for(1, 121, 20, 1500), row_for(2, 60, 6, None, 45.5), ["全镇合计", "", 200, 26]]
    preview = run(xlsx(rows))
    assert preview.problems == [] and len(preview.updates) == 1
    assert [(w.row, w.column, w.message) for w in preview.warnings] == [
        (5, "职工总数", "合计行（全镇合计）为 200，上方各企业之和为 181，请核对")
    ]


def test_group_headings_above_unmerged_column_names(run, year_2019):  # noqa: F811
    """人员情况 merged over two columns, the names below it, nothing merged down."""
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "人员情况", None, "财务情况（万元）"])
    ws.append(
        [
            None,
            None,
            "职工总数(人)",
            "科技人员数(人)",
            "销售收入",
            "研发费用",
            "高新技术产品（服务）收入",
        ]
    )
    ws.merge_cells("C1:D1")
    ws.merge_cells("E1:G1")
    ws.append(row_for(1, 121, 20, 1500))
    preview = run(to_bytes(wb))
    assert preview.problems == [] and preview.updates[0]["changes"] == {
        "staff_total": ["120", "121"]
    }


def test_an_empty_column_the_template_lacks_is_ignored_with_a_warning(run, year_2019):  # noqa: F811
    preview = run(xlsx([row_for(1, 121, 20, 1500)], headers=[*HEADERS, "利润总额"]))
    assert preview.problems == [] and len(preview.updates) == 1
    assert [w.message for w in preview.warnings] == [
        "H列“利润总额”不是本期模板中的列，该列为空，已忽略"
    ]


# --- workbook features ------------------------------------------------------------------------


def test_formulas_are_read_as_their_cached_values(run, year_2019):  # noqa: F811
    wb = workbook([row_for(1, "=100+21", "=C3/6", "=1000*1.5")])
    data = set_cached(to_bytes(wb), {"C3": "121", "D3": "20.166666666666668", "E3": "1500"})
    preview = run(data)
    assert [str(p) for p in preview.problems] == [
        f"企业季度数据 第3行（{HUTANG[1]}）【科技人员数】：“20.166666666666668”不是整数，应填写整数"
    ]
    wb = workbook([row_for(1, "=100+21", "=ROUND(C3/6,0)", "=1000*1.5")])
    data = set_cached(to_bytes(wb), {"C3": "121", "D3": "20", "E3": "1500"})
    preview = run(data)
    assert preview.problems == []
    assert preview.updates[0]["changes"] == {"staff_total": ["120", "121"]}


def test_merged_two_line_header(run, year_2019):  # noqa: F811
    wb = Workbook()
    ws = wb.active
    ws.append(["湖塘镇 2019年第1季度"])
    ws.merge_cells("A1:G1")
    ws.append(["统一社会信用代码", "企业名称", "人员情况", None, "财务情况（万元）"])
    ws.append(
        [None, None, "职工总数", "科技人员数", "销售收入", "研发费用", "高新技术产品（服务）收入"]
    )
    for cells in ("A2:A3", "B2:B3", "C2:D2", "E2:G2"):
        ws.merge_cells(cells)
    ws.append(row_for(1, 121, 20, 1500))
    preview = run(to_bytes(wb))
    assert preview.problems == []
    assert preview.updates == [
        {
            "row": 4,
            "uscc": code(1),
            "name": HUTANG[1],
            "enterprise_id": Enterprise.objects.get(uscc=code(1)).pk,
            "changes": {"staff_total": ["120", "121"]},
        }
    ]


def test_hidden_sheets_are_not_read(run, period, year_2019):  # noqa: F811
    wb = workbook([row_for(1, 121, 20, 1500)])
    hidden = wb.create_sheet("旧数据")
    hidden.append(HEADERS)
    hidden.append(row_for(2, 999, 999, "不是数字"))
    hidden.sheet_state = "hidden"
    preview = run(to_bytes(wb))
    assert preview.problems == [] and len(preview.staged) == 1

    # The template's sheet hidden, a visible copy under another name: the visible one counts.
    wb = workbook([row_for(1, 999, 999)])
    wb.active.sheet_state = "hidden"
    visible = wb.create_sheet("Sheet1")
    visible.append(HEADERS)
    visible.append(row_for(1, 121, 20, 1500))
    parsed = parse(to_bytes(wb), period=period)
    assert parsed.sheet == "Sheet1" and parsed.rows[0].values["staff_total"] == "121"


def test_committed_xls_reads_correctly(run, year_2019):  # noqa: F811
    data = (FILES / "quarterly.xls").read_bytes()
    preview = run(data, "2019年第1季度.xls")
    assert preview.problems == []
    updates = {u["uscc"]: u["changes"] for u in preview.updates}
    assert updates == {
        code(1): {
            "staff_total": ["120", "150"],
            "st_staff": ["20", "30"],
            "sales_revenue": ["1500.00", "2000.50"],
            "rd_expense": [None, "100.03"],  # =E4*0.05, computed by LibreOffice
            "hightech_revenue": [None, "1500.00"],
        },
        code(2): {  # "２２０", " 25 ", "1,234.5", "30万元", "—"
            "staff_total": ["60", "220"],
            "st_staff": ["6", "25"],
            "sales_revenue": [None, "1234.50"],
            "rd_expense": ["45.50", "30.00"],
        },
        code(3): {"staff_total": [None, "80"], "st_staff": [None, "8"]},
    }
    assert [(c["row"], c["uscc"], c["name"]) for c in preview.creates] == [
        (8, code(99), "常州湖塘新设科技有限公司")  # row 7 is blank; the hidden sheet is ignored
    ]
    assert preview.reported == {"projects_attracted": "7.00"}


# --- the summary sheet ------------------------------------------------------------------------


def test_summary_sheet_values(run, year_2019):  # noqa: F811
    wb = workbook([row_for(1, 120, 20, 1500)])
    summary_sheet(wb, [["projects_attracted", "科创项目招引数", "个", "１２"]])
    assert run(to_bytes(wb)).reported == {"projects_attracted": "12.00"}

    wb = workbook([row_for(1, 120, 20, 1500)])
    summary_sheet(wb, [[None, "科创项目招引数", "个", 3]])  # found by its name
    assert run(to_bytes(wb)).reported == {"projects_attracted": "3.00"}

    wb = workbook([row_for(1, 120, 20, 1500)])
    summary_sheet(wb, [["projects_attracted", "科创项目招引数", "个", 3]])
    wb[SUMMARY_SHEET].sheet_state = "hidden"
    assert run(to_bytes(wb)).reported == {}


# --- scope and size ---------------------------------------------------------------------------


def test_leader_can_change_nothing(run, year_2019, leader):  # noqa: F811
    preview = run(xlsx([row_for(1, 121, 20)]), user=leader)
    assert [p.message for p in preview.problems] == ["该企业不属于湖塘镇，不能报送"]


def test_large_file_and_progress(run, period, hutang_unit, hutang, django_assert_max_num_queries):  # noqa: F811
    rows = big_rows(2000)
    calls = []
    parsed = parse(xlsx(rows), period=period, progress=lambda done, total: calls.append(done))
    assert parsed.problems == [] and len(parsed.rows) == 2000
    assert calls[0] == 1000 and calls[-1] == 2000
    assert parsed.rows[1].values["hightech_revenue"] == "1001.50"  # "1,001.5"
    assert hutang.unit  # loaded once per request by the scoping rule, not per row
    # the period's units (whom the title names), the unit's enterprises, the file's other codes
    with django_assert_max_num_queries(3):
        preview = validate_upload(parsed, period=period, unit=hutang_unit, user=hutang)
    assert preview.problems == [] and preview.created == 2000 and len(preview.staged) == 2000
    assert len(preview.creates) == SAMPLE_CREATES  # the samples the page lists, no more kept
    assert preview.creates[0]["uscc"] == code(1000) and preview.creates[0]["row"] == 3


def test_checksum_failure_is_only_a_warning(run, year_2019):  # noqa: F811
    wrong = code(60)[:-1] + ("0" if code(60)[-1] != "0" else "1")
    preview = run(xlsx([[wrong, "常州校验位企业有限公司", 5]]))
    assert preview.problems == []
    assert [(w.row, w.column) for w in preview.warnings] == [(3, "统一社会信用代码")]
    assert "校验位不符" in preview.warnings[0].message
    assert preview.creates[0]["uscc"] == wrong


def test_net_assets_may_be_negative(run, period, year_2019):  # noqa: F811
    period.columns = ["staff_total", "net_assets"]
    period.save()
    headers = ["统一社会信用代码", "企业名称", "职工总数", "净资产（万元）"]
    preview = run(xlsx([row_for(1, 120, "-50.5")], headers=headers))
    assert preview.problems == []
    assert preview.updates[0]["changes"] == {"net_assets": [None, "-50.50"]}


def test_content_decides_the_kind_not_the_extension(run, year_2019):  # noqa: F811
    preview = run(xlsx([row_for(1, 121, 20, 1500)]), "另存时改了扩展名.xls")
    assert preview.problems == [] and preview.updates[0]["changes"] == {
        "staff_total": ["120", "121"]
    }
    data = (FILES / "quarterly.xls").read_bytes()
    assert run(data, "其实是xls.xlsx").problems == []


def test_a_long_file_read_in_blocks_names_every_bad_cell_in_row_order(period, run):  # noqa: F811
    # Rows are parsed a block (reading.BLOCK_ROWS) at a time, column by column: the problems
    # still come row by row, left to right, each with its sheet, row and column.
    from reports.io.reading import BLOCK_ROWS

    rows = big_rows(BLOCK_ROWS * 2 + 50)
    rows[10][2], rows[10][4] = "十二", "abc"  # row 13: 职工总数 and 销售收入
    rows[BLOCK_ROWS + 5][3] = -1  # 科技人员数 in the second block
    rows[BLOCK_ROWS + 5][0] = "123"  # and its code
    rows[2 * BLOCK_ROWS + 1].insert(1, "合计")  # a 合计 row in the third block: skipped
    rows[2 * BLOCK_ROWS + 1][0] = ""
    seen = []
    parsed = parse(xlsx(rows), period=period, progress=lambda done, total: seen.append(done))
    assert len(parsed.rows) == len(rows) - 1
    assert [(p.sheet, p.row, p.column) for p in parsed.problems] == [
        (DATA_SHEET, 13, "职工总数"),
        (DATA_SHEET, 13, "销售收入（万元）"),
        (DATA_SHEET, BLOCK_ROWS + 8, "科技人员数"),
    ]
    assert str(parsed.problems[0]) == f"{DATA_SHEET} 第13行【职工总数】：“十二”不是有效的数字"
    assert seen == [BLOCK_ROWS, 2 * BLOCK_ROWS, len(rows)]
    preview = run(xlsx(rows))
    assert [(p.row, p.column) for p in preview.problems][:4] == [
        (13, "职工总数"),
        (13, "销售收入（万元）"),
        (BLOCK_ROWS + 8, "科技人员数"),
        (BLOCK_ROWS + 8, "统一社会信用代码"),  # the cells' problems first, as before
    ]
