"""Bulk import of ladder history from Excel: what a bureau user sees, and all-or-nothing writes."""

import io
import re
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from core.models import ChangeLog
from cultivation.choices import ApplicationStatus, HonourType, PoolExit, PoolLevel
from cultivation.io.ladder import SHEET_NAMES, SHEETS, build_template, import_ladder
from cultivation.models import Application, Certificate, Honour, PoolMembership, TechSMEEvaluation
from tests.enterprises.conftest import code

pytestmark = pytest.mark.django_db

HEADERS = {sheet.name: sheet.headers for sheet in SHEETS}
PRECISION = "常州湖塘精密机械有限公司"  # code(1), 湖塘镇
MATERIALS = "常州湖塘新材料有限公司"  # code(2), 湖塘镇
NIUTANG = "常州牛塘电子有限公司"  # code(4), 牛塘镇


def book(sheets: dict, *, hidden=(), headers=None) -> io.BytesIO:
    """A workbook in memory: {sheet name: [row as {header: value}, …]}, headers as the template's."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        columns = (
            (headers or {}).get(name) or HEADERS.get(name) or sorted({k for r in rows for k in r})
        )
        ws.append(columns)
        for row in rows:
            ws.append([row.get(header) for header in columns])
        if name in hidden:
            ws.sheet_state = "hidden"
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def counts() -> dict:
    models = (TechSMEEvaluation, PoolMembership, Application, Certificate, Honour, ChangeLog)
    return {model.__name__: model.objects.count() for model in models}


def messages(result) -> list[str]:
    return [str(error) for error in result.errors]


def sme(n=1, year=2019, **extra):
    return {"统一社会信用代码": code(n), "评价年度": year, **extra}


@pytest.fixture(autouse=True)
def _registry(registry):
    """Six enterprises: code(1)–code(3) in 湖塘镇, code(4)–code(5) in 牛塘镇, code(6) in 高新区."""


@pytest.fixture
def before():
    return counts()


def assert_unchanged(before, result):
    assert counts() == before
    assert result.total == 0 or result.dry_run


# ---------------------------------------------------------------- template


def test_template_has_a_guide_then_one_styled_sheet_per_record_type():
    wb = load_workbook(io.BytesIO(build_template()))
    assert wb.sheetnames == ["填写说明", *SHEET_NAMES]
    pool = wb["培育库"]
    assert [c.value for c in pool[1]] == HEADERS["培育库"]
    assert pool["A1"].font.bold and pool.freeze_panes == "A2"
    assert pool.max_row == 1  # no example in the data sheets
    assert pool.column_dimensions["A"].width >= 20
    dropdowns = {str(dv.sqref): dv.formula1 for dv in pool.data_validations.dataValidation}
    assert dropdowns["C2:C5000"] == '"省级,市级,区级"'
    assert dropdowns["H2:H5000"] == '"认定为高企,培育期满,主动退出,不再符合条件,其他"'
    guide = [v for row in wb["填写说明"].iter_rows(values_only=True) for v in row if v]
    assert "【高企证书】示例" in guide and "GR201932001234" in guide


def test_the_untouched_template_imports_nothing_without_error(hutang, before):
    result = import_ladder(io.BytesIO(build_template()), actor=hutang)
    assert result.ok and result.errors == [] and result.notes == []
    assert result.created == dict.fromkeys(SHEET_NAMES, 0)
    assert result.summary == "文件中没有可导入的数据。"
    assert_unchanged(before, result)


# ---------------------------------------------------------------- a good file

GOOD = {
    "科小评价": [
        sme(1, 2018, **{"企业名称（核对用）": PRECISION, "入库登记编号": "2018320412A0001"})
    ],
    "培育库": [
        {
            "统一社会信用代码": code(1),
            "入库级别": "区级",
            "入库年度": 2018,
            "批次": "第1批",
            "入库日期": date(2018, 4, 1),
        }
    ],
    "高企申报": [
        {
            "统一社会信用代码": code(1),
            "申报年度": 2019,
            "申报类型": "首次申报",
            "状态": "已申报",
            "拟申报日期": "2019-03-01",
            "申报日期": date(2019, 6, 10),
        }
    ],
    "高企证书": [
        {"统一社会信用代码": code(1), "证书编号": "gr201932001234", "发证日期": "2019年11月22日"}
    ],
    "荣誉": [
        {
            "统一社会信用代码": code(1),
            "荣誉类型": "瞪羚企业",
            "级别": "市级",
            "认定年度": "2019年",
            "有效至年度": 2021,
            "来源": "常科发〔2019〕88号",
        }
    ],
}


def test_a_good_file_creates_every_record_and_links_the_certificate(hutang, registry, before):
    result = import_ladder(book(GOOD), actor=hutang)

    assert result.ok, messages(result)
    assert result.created == dict.fromkeys(SHEET_NAMES, 1)
    assert (
        result.summary
        == "已导入：科小评价 1 条、培育库 1 条、高企申报 1 条、高企证书 1 条、荣誉 1 条。"
    )
    enterprise = registry[("湖塘镇", PRECISION)]
    certificate = Certificate.objects.get(enterprise=enterprise)
    application = Application.objects.get(enterprise=enterprise)
    assert certificate.number == "GR201932001234" and certificate.issued_on == date(2019, 11, 22)
    assert certificate.application == application and not certificate.historical
    assert application.status == ApplicationStatus.PASSED
    assert application.decided_on == date(2019, 11, 22)
    assert application.planned_on == date(2019, 3, 1)
    membership = PoolMembership.objects.get(enterprise=enterprise)
    assert (membership.level, membership.batch) == (PoolLevel.DISTRICT, "1")
    assert (membership.end, membership.exit_reason) == (date(2019, 11, 22), PoolExit.CERTIFIED)
    evaluation = TechSMEEvaluation.objects.get(enterprise=enterprise)
    assert (evaluation.year, evaluation.reg_number) == (2018, "2018320412A0001")
    honour = Honour.objects.get(enterprise=enterprise)
    assert (honour.type, honour.year, honour.expires_year) == (HonourType.GAZELLE, 2019, 2021)
    assert honour.source == "常科发〔2019〕88号"
    # the services logged every step: 5 creations, the application passed, the pool ended
    assert counts()["ChangeLog"] == before["ChangeLog"] + 7
    assert ChangeLog.objects.filter(actor=hutang).count() == 7


def test_dry_run_reports_what_would_be_created_and_changes_nothing(hutang, before):
    result = import_ladder(book(GOOD), actor=hutang, dry_run=True)
    assert result.ok and result.dry_run
    assert result.created == dict.fromkeys(SHEET_NAMES, 1)
    assert result.summary.startswith("试导入通过，将导入：科小评价 1 条")
    assert_unchanged(before, result)
    # …and the same file then imports for real
    assert import_ladder(book(GOOD), actor=hutang).total == 5


def test_several_years_of_certificates_work_in_any_row_order(district, registry, before):
    """Newest first in the file: applications and certificates are applied year by year."""
    rows = {
        "高企申报": [
            {"统一社会信用代码": code(4), "申报年度": 2019, "申报类型": "重新认定", "状态": "已申报", "申报日期": "2019/6/1"},
            {"统一社会信用代码": code(4), "申报年度": 2016, "申报类型": "首次申报", "状态": "通过", "申报日期": "2016/6/1", "结果日期": "2016/11/30"},
        ],
        "高企证书": [
            {"统一社会信用代码": code(4), "证书编号": "GR201932000002", "发证日期": "2019.11.22"},
            {"统一社会信用代码": code(4), "证书编号": "GR201632000001", "发证日期": "2016.11.30"},
            {"统一社会信用代码": code(1), "证书编号": "GR201332000009", "发证日期": "2013-10-11", "历史补录": "是"},
        ],
    }  # fmt: skip
    result = import_ladder(book(rows), actor=district)
    assert result.ok, messages(result)
    enterprise = registry[("牛塘镇", NIUTANG)]
    issued = enterprise.certificates.order_by("issued_on").values_list(
        "number", "application__year"
    )
    assert list(issued) == [("GR201632000001", 2016), ("GR201932000002", 2019)]


# ---------------------------------------------------------------- all or nothing


def test_one_bad_row_among_ten_good_changes_nothing_and_names_sheet_row_column(hutang, before):
    rows = [sme(n, year) for n in (1, 2, 3) for year in (2015, 2016, 2017)] + [sme(1, 2018)]
    rows.insert(5, sme(2, "abc"))  # Excel row 7
    result = import_ladder(book({"科小评价": rows}), actor=hutang)

    assert not result.ok
    assert messages(result) == ["科小评价 第7行【评价年度】：“abc”不是有效的年份"]
    error = result.errors[0]
    assert (error.sheet, error.row, error.column) == ("科小评价", 7, "评价年度")
    assert result.summary == "发现 1 处错误，未导入任何数据。"
    assert_unchanged(before, result)


def test_every_error_is_collected_across_rows_and_sheets(hutang, before):
    rows = {
        "科小评价": [sme(1, 2019), sme(1, 2019), {"统一社会信用代码": code(2), "入库日期": "昨天"}],
        "荣誉": [{"统一社会信用代码": code(1), "荣誉类型": "瞪羚企业", "级别": "市级", "认定年度": 2019, "有效至年度": 2018}],
    }  # fmt: skip
    result = import_ladder(book(rows), actor=hutang)
    assert messages(result) == [
        "科小评价 第3行【评价年度】：该企业2019年已有科技型中小企业评价记录。",
        "科小评价 第4行【评价年度】：必填",
        "科小评价 第4行【入库日期】：“昨天”不是有效的日期（可填 2019-03-05、2019/3/5 或 2019年3月5日）",
        "荣誉 第2行【有效至年度】：有效至年度不能早于认定年度。",
    ]
    assert_unchanged(before, result)


# ---------------------------------------------------------------- who and which enterprise


def test_unknown_uscc_is_refused(hutang, before):
    result = import_ladder(book({"科小评价": [sme(99)]}), actor=hutang)
    assert messages(result) == [
        f"科小评价 第2行【统一社会信用代码】：“{code(99)}”对应的企业不存在或不在您的权限范围内"
    ]
    assert_unchanged(before, result)


def test_malformed_uscc_says_why(hutang, before):
    result = import_ladder(
        book({"科小评价": [sme(1) | {"统一社会信用代码": "9132-0412"}]}), actor=hutang
    )
    assert messages(result) == [
        "科小评价 第2行【统一社会信用代码】：统一社会信用代码应为 18 位，当前为 8 位"
    ]
    assert_unchanged(before, result)


def test_uscc_is_normalised(hutang):
    spaced = " " + code(1).lower()[:9] + " - " + code(1).lower()[9:] + "　"
    result = import_ladder(
        book({"科小评价": [sme(1) | {"统一社会信用代码": spaced}]}), actor=hutang
    )
    assert result.ok, messages(result)
    assert result.created["科小评价"] == 1


def test_a_town_cannot_import_another_towns_enterprise(hutang, niutang, before):
    file = book({"科小评价": [sme(4)]})
    result = import_ladder(file, actor=hutang)
    assert messages(result) == [
        f"科小评价 第2行【统一社会信用代码】：“{code(4)}”对应的企业不存在或不在您的权限范围内"
    ]
    assert_unchanged(before, result)
    file.seek(0)
    assert import_ladder(file, actor=niutang).ok  # its own town may


def test_leader_is_read_only(leader, before):
    result = import_ladder(book(GOOD), actor=leader)
    assert messages(result) == ["您的账户没有修改权限，不能导入数据。"]
    assert_unchanged(before, result)


def test_name_must_match_when_given(hutang, before):
    rows = [sme(1, 2018, **{"企业名称（核对用）": "常州牛塘电子有限公司"})]
    result = import_ladder(book({"科小评价": rows}), actor=hutang)
    assert messages(result) == [
        f"科小评价 第2行【企业名称（核对用）】：与统一社会信用代码对应的企业“{PRECISION}”不一致（表中为“{NIUTANG}”）"
    ]
    assert_unchanged(before, result)


def test_name_check_ignores_spaces_and_width(hutang):
    rows = [sme(1, 2018, **{"企业名称（核对用）": " 常州湖塘 精密机械有限公司 "})]
    assert import_ladder(book({"科小评价": rows}), actor=hutang).ok


# ---------------------------------------------------------------- the services' rules


def test_overlapping_pool_memberships_are_reported_on_the_second_row(hutang, before):
    pool = {
        "统一社会信用代码": code(1),
        "入库级别": "区级",
        "入库年度": 2018,
        "入库日期": "2018-04-01",
    }
    rows = [
        pool,
        pool | {"入库级别": "市级"},  # another level: no overlap
        pool | {"入库年度": 2019, "入库日期": "2019-04-01"},
    ]
    result = import_ladder(book({"培育库": rows}), actor=hutang)
    assert messages(result) == [
        "培育库 第4行【入库日期】：与已有的2018年区级培育库（2018-04-01 至 至今）时间重叠。"
    ]
    assert_unchanged(before, result)


def test_exit_date_needs_a_reason(hutang, before):
    pool = {"统一社会信用代码": code(1), "入库级别": "区级", "入库年度": 2018, "入库日期": "2018-04-01", "出库日期": "2019-04-01"}  # fmt: skip
    result = import_ladder(book({"培育库": [pool]}), actor=hutang)
    assert messages(result) == ["培育库 第2行【出库原因】：填写出库日期时请选择出库原因。"]
    assert_unchanged(before, result)


def test_passed_application_needs_its_dates(hutang, before):
    row = {"统一社会信用代码": code(1), "申报年度": 2019, "申报类型": "首次申报", "状态": "通过"}
    result = import_ladder(book({"高企申报": [row]}), actor=hutang)
    assert messages(result) == [
        "高企申报 第2行【申报日期】：状态为“通过”时请填写申报日期。",
        "高企申报 第2行【结果日期】：状态为“通过”时请填写结果日期。",
    ]
    assert_unchanged(before, result)


def test_certificate_without_application_needs_historical(hutang, before):
    row = {
        "统一社会信用代码": code(1),
        "证书编号": "GR201632000001",
        "发证日期": date(2016, 11, 30),
    }
    result = import_ladder(book({"高企证书": [row]}), actor=hutang)
    assert messages(result) == [
        "高企证书 第2行【发证日期】：2016年没有该企业已申报的高企申报记录：请先登记申报，或勾选“历史补录”。"
    ]
    assert_unchanged(before, result)


def test_historical_certificate_is_accepted(hutang, registry):
    row = {"统一社会信用代码": code(1), "证书编号": "GR201632000001", "发证日期": date(2016, 11, 30), "历史补录": "是"}  # fmt: skip
    result = import_ladder(book({"高企证书": [row]}), actor=hutang)
    assert result.ok, messages(result)
    certificate = Certificate.objects.get(number="GR201632000001")
    assert certificate.historical and certificate.application is None
    assert certificate.expires_on == date(2019, 11, 30)
    assert certificate.enterprise == registry[("湖塘镇", PRECISION)]


def test_historical_flag_must_be_yes_or_no(hutang, before):
    row = {"统一社会信用代码": code(1), "证书编号": "GR1", "发证日期": date(2016, 11, 30), "历史补录": "也许"}  # fmt: skip
    result = import_ladder(book({"高企证书": [row]}), actor=hutang)
    assert messages(result) == ["高企证书 第2行【历史补录】：“也许”无效，请填写“是”或“否”"]
    assert_unchanged(before, result)


# ---------------------------------------------------------------- cell formats


@pytest.mark.parametrize(
    "typed",
    [
        datetime(2019, 3, 5),
        date(2019, 3, 5),
        "2019-03-05",
        "2019/3/5",
        "2019.3.5",
        "2019年3月5日",
        "２０１９年３月５日",
        " 2019 - 3 - 5 ",
        "2019-03-05 00:00:00",
        "20190305",
        43529,  # the Excel serial number of 2019-03-05
    ],
)
def test_each_date_format_parses(hutang, typed):
    result = import_ladder(book({"科小评价": [sme(1, 2019, 入库日期=typed)]}), actor=hutang)
    assert result.ok, messages(result)
    assert TechSMEEvaluation.objects.get().evaluated_on == date(2019, 3, 5)


@pytest.mark.parametrize("typed", [2019, "2019", "2019年", "2019年度", "２０１９", 2019.0])
def test_each_year_format_parses(hutang, typed):
    result = import_ladder(book({"科小评价": [sme(1, typed)]}), actor=hutang)
    assert result.ok, messages(result)
    assert TechSMEEvaluation.objects.get().year == 2019


def test_bad_choice_lists_the_allowed_labels(hutang, before):
    pool = {
        "统一社会信用代码": code(1),
        "入库级别": "县级",
        "入库年度": 2018,
        "入库日期": "2018-04-01",
    }
    result = import_ladder(book({"培育库": [pool]}), actor=hutang)
    assert messages(result) == [
        "培育库 第2行【入库级别】：“县级”不是有效的选项，可选：省级、市级、区级"
    ]
    assert_unchanged(before, result)


def test_choice_labels_tolerate_quote_styles(hutang):
    honour = {"统一社会信用代码": code(1), "荣誉类型": '专精特新"小巨人"企业', "级别": "国家级", "认定年度": 2019}  # fmt: skip
    result = import_ladder(book({"荣誉": [honour]}), actor=hutang)
    assert result.ok, messages(result)
    assert Honour.objects.get().type == HonourType.LITTLE_GIANT


def test_missing_required_cell_says_required(hutang, before):
    result = import_ladder(
        book({"高企证书": [{"统一社会信用代码": code(1), "证书编号": "GR1"}]}), actor=hutang
    )
    assert messages(result) == ["高企证书 第2行【发证日期】：必填"]
    assert_unchanged(before, result)


# ---------------------------------------------------------------- the workbook itself


def test_hidden_and_unknown_sheets_are_ignored_with_a_note(hutang, before):
    file = book(
        {"科小评价": [sme(1, "abc")], "汇总": [{"x": 1}], "荣誉": []},
        hidden={"科小评价"},
    )
    result = import_ladder(file, actor=hutang)
    assert result.ok and result.total == 0
    assert result.notes == [
        "已跳过隐藏的工作表“科小评价”。",
        "已忽略未知的工作表“汇总”（可导入：科小评价、培育库、高企申报、高企证书、荣誉）。",
    ]
    assert_unchanged(before, result)


def test_columns_are_found_by_header_blank_rows_skipped_extra_columns_noted(hutang):
    headers = {"科小评价": ["备注", "评价年度", "统一社会信用代码"]}
    rows = [
        {"评价年度": 2018, "统一社会信用代码": code(1)},
        {},
        {"备注": "只有备注的行"},
        sme(2, 2018),
    ]
    result = import_ladder(book({"科小评价": rows}, headers=headers), actor=hutang)
    assert result.ok, messages(result)
    assert result.created["科小评价"] == 2
    assert result.notes == ["科小评价：已忽略未知或重复的列“备注”。"]


def test_missing_required_column_is_reported_on_the_header(hutang, before):
    headers = {"科小评价": ["统一社会信用代码", "入库日期"]}
    result = import_ladder(book({"科小评价": [sme(1)]}, headers=headers), actor=hutang)
    assert messages(result) == ["科小评价 第1行【评价年度】：缺少该列，请使用导入模板"]
    assert_unchanged(before, result)


def test_title_rows_above_the_header_are_skipped(hutang):
    wb = Workbook()
    ws = wb.active
    ws.title = "科小评价"
    ws.append(["2018年武进区科技型中小企业评价入库名单"])
    ws.append([])
    ws.append(["序号", "统一社会信用代码", "评价年度"])
    ws.append([1, code(1), 2018])
    ws.append([2, code(2), "二〇一八"])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = import_ladder(buffer.getvalue(), actor=hutang)
    assert messages(result) == ["科小评价 第5行【评价年度】：“二〇一八”不是有效的年份"]
    assert result.notes == ["科小评价：已忽略未知或重复的列“序号”。"]


def test_a_sheet_without_any_header_is_reported(hutang, before):
    wb = Workbook()
    wb.active.title = "荣誉"
    wb.active.append([code(1), "瞪羚企业", "市级", 2019])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = import_ladder(buffer.getvalue(), actor=hutang)
    assert messages(result) == [
        f"荣誉 第1行【{header}】：缺少该列，请使用导入模板"
        for header in ("统一社会信用代码", "荣誉类型", "级别", "认定年度")
    ]
    assert_unchanged(before, result)


def test_formulas_use_their_cached_values(hutang):
    """openpyxl cannot write a formula's cached value, so patch the sheet XML as Excel saves it.
    A formula never calculated (no cached value) reads as blank."""
    file = book({"科小评价": [sme(1, "=2018+1"), sme(2, "=2018+1")]})
    with zipfile.ZipFile(file) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/"))
    parts[sheet] = re.sub(rb"<v\s*/>", b"<v>2019</v>", parts[sheet], count=1)
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = import_ladder(patched.getvalue(), actor=hutang)
    assert messages(result) == ["科小评价 第3行【评价年度】：必填"]
    # the first row was read as 2019 (it failed nowhere); import it alone to see it stored
    parts[sheet] = re.sub(rb'<row r="3".*?</row>', b"", parts[sheet])
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    assert import_ladder(patched, actor=hutang).ok
    assert TechSMEEvaluation.objects.get().year == 2019


def test_a_file_that_is_not_a_workbook(hutang, before):
    result = import_ladder(io.BytesIO(b"not a workbook"), actor=hutang)
    assert messages(result) == [
        "该文件不是真正的 Excel 工作簿（实际是纯文本（如 CSV））。"
        "请用 Excel 或 WPS 打开后“另存为”Excel 工作簿（.xlsx）再上传。"
    ]
    assert_unchanged(before, result)
