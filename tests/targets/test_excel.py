"""任务分解表 ⇄ Excel, on the real 附件 of 武科发〔2019〕14号 (copied here as the fixture)."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from core.seeds import WUJIN_2019_ROWS, WUJIN_2019_TITLE, WUJIN_2019_TOTAL
from targets.io import TableErrors, parse_attachment, write_attachment
from targets.models import Metric, TargetPlan, TargetValue
from targets.services import create_plan, replace_table, set_values

GROUP = "2019年争取上报任务数"
CODES = ["baseline_valid_hte", "renewal_applications", "first_applications", "applications"]
FIRST_ROW = 5  # the 附件's first data row (高新区); 湖塘镇 is row 7, 全  区 row 16
TOTAL_ROW = FIRST_ROW + len(WUJIN_2019_ROWS)


def seed_workbook() -> Workbook:
    """The 附件 exactly as issued: title, 单位 line, two-row merged header, 11 rows, 全  区."""
    wb = Workbook()
    ws = wb.active
    ws.title = "附件"
    ws["A1"] = WUJIN_2019_TITLE
    ws.merge_cells("A1:E1")
    ws["A2"] = "单位：家"
    ws["A3"] = "镇（开发区）"
    ws.merge_cells("A3:A4")
    ws["B3"] = "2018年底高新技术\n企业数"
    ws.merge_cells("B3:B4")
    ws["C3"] = GROUP
    ws.merge_cells("C3:E3")
    ws["C4"] = "2018年底高企\n到期数"
    ws["D4"] = "2019年高企\n新申报数"
    ws["E4"] = "小  计"
    for r, row in enumerate([*WUJIN_2019_ROWS, WUJIN_2019_TOTAL], start=FIRST_ROW):
        label = "全  区" if row is WUJIN_2019_TOTAL else row.unit
        for c, value in enumerate(
            [label, row.valid_2018, row.expiring, row.new_applications, row.subtotal], start=1
        ):
            ws.cell(r, c, value)
    return wb


def to_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def errors_of(wb: Workbook, unit, year=2019) -> list[str]:
    with pytest.raises(TableErrors) as caught:
        parse_attachment(to_bytes(wb), unit=unit, year=year)
    return caught.value.errors


@pytest.fixture
def metrics(db) -> list[Metric]:
    by_code = {m.code: m for m in Metric.objects.all()}
    return [by_code[code] for code in CODES]


@pytest.fixture
def wujin(units):
    return units["武进区"]


@pytest.fixture
def seed_file(tmp_path):
    path = tmp_path / "附件.xlsx"
    path.write_bytes(to_bytes(seed_workbook()))
    return path


def expected_cells(units, metrics) -> dict:
    cells = {}
    for row in [*WUJIN_2019_ROWS, WUJIN_2019_TOTAL]:
        unit = units["武进区"] if row is WUJIN_2019_TOTAL else units[row.unit]
        numbers = [row.valid_2018, row.expiring, row.new_applications, row.subtotal]
        for metric, number in zip(metrics, numbers, strict=True):
            cells[(metric.pk, unit.pk)] = Decimal(number)
    return cells


def column_keys(columns) -> list[tuple[int, str]]:
    return [(metric.pk, group) for metric, group in columns]


def imported_plan(wujin) -> TargetPlan:
    table = parse_attachment(to_bytes(seed_workbook()), unit=wujin, year=2019)
    plan = create_plan(actor=None, unit=wujin, year=2019, title=table.title, columns=table.columns)
    replace_table(actor=None, plan=plan, table=table)
    return plan


# -- the seed table -----------------------------------------------------------------------


def test_seed_attachment_imports_per_town_values_and_totals(units, wujin, metrics):
    table = parse_attachment(to_bytes(seed_workbook()), unit=wujin, year=2019)

    assert column_keys(table.columns) == [
        (metrics[0].pk, ""),
        (metrics[1].pk, GROUP),
        (metrics[2].pk, GROUP),
        (metrics[3].pk, GROUP),
    ]
    assert table.cells == expected_cells(units, metrics)
    totals = [table.cells[(m.pk, wujin.pk)] for m in metrics]
    assert totals == [533, 148, 350, 498]
    hutang = units["湖塘镇"]
    assert [table.cells[(m.pk, hutang.pk)] for m in metrics] == [32, 9, 25, 34]
    gxq = units["武进国家高新技术产业开发区"]  # the 附件 says 高新区 (short name)
    assert table.cells[(metrics[2].pk, gxq.pk)] == 106
    assert table.title == WUJIN_2019_TITLE
    assert table.unit_text == "家"
    assert table.warnings == []


def test_seed_attachment_via_services_stores_48_values(units, wujin, metrics):
    plan = imported_plan(wujin)
    assert plan.values.count() == 12 * 4
    assert [(pm.metric_id, pm.group) for pm in plan.plan_metrics.all()] == [
        (metrics[0].pk, ""),
        *[(m.pk, GROUP) for m in metrics[1:]],
    ]


# -- export ---------------------------------------------------------------------------------


def test_export_then_import_is_identical(units, wujin, metrics):
    plan = imported_plan(wujin)
    stored = {(v.metric_id, v.unit_id): v.value for v in plan.values.all()}

    again = parse_attachment(write_attachment(plan), unit=wujin, year=2019)

    assert again.cells == stored == expected_cells(units, metrics)
    assert column_keys(again.columns) == [
        (pm.metric_id, pm.group) for pm in plan.plan_metrics.filter(breakdown=True)
    ]
    assert again.title == plan.title == WUJIN_2019_TITLE


def test_export_round_trips_blank_units_and_decimals(units, wujin, metrics):
    plan = create_plan(
        actor=None,
        unit=wujin,
        year=2019,
        columns=[(metrics[1], ""), (metrics[2], "")],  # no groups → one-row header
    )
    cells = {
        (metrics[1].pk, units["湖塘"].pk): Decimal("2.5"),
        (metrics[1].pk, wujin.pk): Decimal("2.5"),
        (metrics[2].pk, units["牛塘"].pk): Decimal("3"),
        (metrics[2].pk, units["高新区"].pk): Decimal("1234"),
        (metrics[2].pk, wujin.pk): Decimal("1237"),
    }
    replace_table(actor=None, plan=plan, table=parse_table(plan, cells))

    data = write_attachment(plan)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.max_row == 3 + 11 + 1  # title, 单位, header, 11 units (most blank), total
    assert ws.print_title_rows.replace("$", "") == "3:3"

    again = parse_attachment(data, unit=wujin, year=2019)
    assert again.cells == cells
    assert column_keys(again.columns) == [(metrics[1].pk, ""), (metrics[2].pk, "")]


def test_own_goals_stay_out_of_the_attachment_and_survive_reimport(units, wujin, metrics):
    new_hte = Metric.objects.get(code="new_hte")
    table = parse_attachment(to_bytes(seed_workbook()), unit=wujin, year=2019)
    plan = create_plan(
        actor=None, unit=wujin, year=2019, columns=table.columns, own_goals=[new_hte]
    )
    replace_table(actor=None, plan=plan, table=table)
    set_values(actor=None, plan=plan, cells={(new_hte.pk, wujin.pk): Decimal(232)})

    data = write_attachment(plan)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.max_column == 5  # 全区新增高企数 232 is the district's own goal, not a column

    replace_table(actor=None, plan=plan, table=parse_attachment(data, unit=wujin, year=2019))
    assert plan.values.get(metric=new_hte).value == 232
    assert plan.values.count() == 48 + 1


def parse_table(plan, cells):
    from targets.services import PlanTable

    return PlanTable(columns=[(pm.metric, pm.group) for pm in plan.plan_metrics.all()], cells=cells)


def test_exported_sheet_is_the_printed_attachment(units, wujin, metrics):
    ws = load_workbook(io.BytesIO(write_attachment(imported_plan(wujin)))).active

    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:E1", "A3:A4", "B3:B4", "C3:E3"} <= merged
    assert ws["A1"].value == WUJIN_2019_TITLE
    assert ws["A1"].font.b and ws["A1"].font.sz == 16
    assert ws["A2"].value == "单位：家"
    assert [ws.cell(4, c).value for c in range(3, 6)] == [
        "2018年底高企到期数",
        "2019年高企新申报数",
        "小计",
    ]
    # units as the notice's 附件 names them: 湖塘镇 in full, 高新区 / 常经开 short
    assert [ws.cell(r, 1).value for r in range(FIRST_ROW, TOTAL_ROW)] == [
        row.unit for row in WUJIN_2019_ROWS
    ]
    assert ws[f"A{TOTAL_ROW}"].value == "全  区"
    assert [ws.cell(TOTAL_ROW, c).value for c in range(2, 6)] == [533, 148, 350, 498]
    assert all(type(ws.cell(r, 2).value) is int for r in range(FIRST_ROW, TOTAL_ROW + 1))

    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows.replace("$", "") == "3:4"
    cell = ws["C7"]
    assert cell.border.left.style == cell.border.bottom.style == "thin"
    assert cell.alignment.horizontal == "center"
    assert ws["C3"].alignment.wrap_text
    assert cell.font.name == "宋体" and cell.font.sz == 11


# -- errors ---------------------------------------------------------------------------------


def test_wrong_total_row_is_reported_with_the_column_header(wujin):
    wb = seed_workbook()
    wb.active[f"D{TOTAL_ROW}"] = 351
    errors = errors_of(wb, wujin)
    assert any("【2019年高企新申报数】合计行为 351，各单位之和为 350" in e for e in errors)
    assert any(f"第{TOTAL_ROW}行D列" in e for e in errors)


def test_missing_total_row_is_an_error(wujin):
    wb = seed_workbook()
    wb.active.delete_rows(TOTAL_ROW)
    assert any("缺少合计行" in e for e in errors_of(wb, wujin))


def test_wrong_subtotal_is_reported_with_the_row(wujin):
    wb = seed_workbook()
    wb.active["E7"] = 35  # 湖塘镇: 9 + 25 = 34
    errors = errors_of(wb, wujin)
    assert any(
        e.startswith("工作表“附件”第7行E列") and "【小计】为 35" in e and "之和为 34" in e
        for e in errors
    ), errors


def test_unknown_town_is_rejected_by_name(wujin):
    wb = seed_workbook()
    wb.active["A7"] = "湖塘街道"
    errors = errors_of(wb, wujin)
    assert "工作表“附件”第7行A列：“湖塘街道”不是武进区的下级单位" in errors
    assert not any("合计行为" in e for e in errors)  # its numbers still count in the sums


def test_duplicate_unit_is_an_error(wujin):
    wb = seed_workbook()
    wb.active["A8"] = "湖塘"  # row 7 is 湖塘镇: same unit by short name
    errors = errors_of(wb, wujin)
    assert any("第8行A列：“湖塘”与第7行重复" in e for e in errors)


def test_text_in_a_numeric_cell_is_reported_with_row_and_column(wujin):
    wb = seed_workbook()
    wb.active["C8"] = "五"
    errors = errors_of(wb, wujin)
    assert errors == ["工作表“附件”第8行C列：“五”不是有效的数字"]


def test_unknown_header_is_reported_by_column(wujin):
    wb = seed_workbook()
    wb.active["D4"] = "2019年高企\n新申报家数"
    errors = errors_of(wb, wujin)
    assert errors[0].startswith("工作表“附件”第4行D列：表头“2019年高企新申报家数”不是")
    assert len(errors) == 1, errors  # no 小计 noise from the group missing a column


def test_header_of_another_year_gets_a_hint(wujin):
    errors = errors_of(seed_workbook(), wujin, year=2020)
    assert any("这是2019年度的表头" in e for e in errors), errors


def test_all_errors_are_collected(wujin):
    wb = seed_workbook()
    ws = wb.active
    ws["A6"], ws["C8"], ws["B3"], ws["D9"] = "太湖湾", "abc", "企业总数", -3
    errors = errors_of(wb, wujin)
    assert len(errors) >= 4
    assert any("“太湖湾”不是武进区的下级单位" in e for e in errors)
    assert any("第8行C列：“abc”不是有效的数字" in e for e in errors)
    assert any("B列" in e and "“企业总数”" in e for e in errors)
    assert any("第9行D列" in e and "负数" in e for e in errors)


def test_unit_line_mismatch_is_only_a_warning(wujin):
    wb = seed_workbook()
    wb.active["A2"] = "单位：个"
    table = parse_attachment(to_bytes(wb), unit=wujin, year=2019)
    assert table.warnings and "单位：个" in table.warnings[0]


def test_not_an_xlsx_file(wujin):
    with pytest.raises(TableErrors) as caught:
        parse_attachment(b"not a workbook", unit=wujin, year=2019)
    assert ".xlsx" in caught.value.errors[0]


# -- other shapes -----------------------------------------------------------------------------


def test_one_row_header_and_typed_numbers_import(units, wujin, metrics):
    """No title or 单位 line, one header row, numbers typed as text, a blank row, no merges."""
    wb = Workbook()
    ws = wb.active
    ws.append(["单位", "2018年底高新技术企业数", "到期数", "2019年 新申报数", "小计"])
    for i, row in enumerate(WUJIN_2019_ROWS):
        values = [row.valid_2018, row.expiring, row.new_applications, row.subtotal]
        if i == 0:
            values = ["１６６", "45 ", " 106", "151"]  # full-width digits, stray spaces
        ws.append([row.unit, *values])
        if i == 4:
            ws.append([None, None, "  "])  # a blank row
    ws.append(["合 计", "533", 148, 350.0, "498"])

    table = parse_attachment(to_bytes(wb), unit=wujin, year=2019)

    assert column_keys(table.columns) == [(m.pk, "") for m in metrics]
    assert table.cells == expected_cells(units, metrics)


def test_thousands_separators_and_decimals(units, wujin, metrics):
    wb = Workbook()
    ws = wb.active
    ws.append(["附件1"])
    ws.append(["2019年 任务分解表", None, "单位：家"])
    ws.append(["镇(街道)", "2019年高企新申报数"])
    ws.append(["湖塘镇", "1,234"])
    ws.append(["牛塘", "0.5"])
    ws.append(["武进区", "1，234.5"])
    table = parse_attachment(to_bytes(wb), unit=wujin, year=2019)
    assert (table.title, table.unit_text) == ("2019年任务分解表", "家")
    first = metrics[2].pk
    assert table.cells == {
        (first, units["湖塘镇"].pk): Decimal("1234"),
        (first, units["牛塘镇"].pk): Decimal("0.5"),
        (first, wujin.pk): Decimal("1234.5"),
    }


def test_serial_and_remarks_columns_are_ignored_but_headerless_data_is_not(units, wujin):
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "镇（园区）", "2019年高企新申报数", "备注"])
    ws.append([1, "湖塘镇", 25, "含2家迁入"])
    ws.append([2, "牛塘镇", 15, None, 99])  # E has no header
    ws.append([None, "全区合计", 40])
    errors = errors_of(wb, wujin)
    assert errors == ["工作表“Sheet”第3行E列：该列没有表头，无法识别“99”"]

    ws["E3"] = None
    table = parse_attachment(to_bytes(wb), unit=wujin, year=2019)
    assert sorted(table.cells.values()) == [15, 25, 40]


# -- commands --------------------------------------------------------------------------------


def test_import_dry_run_then_import_then_export(units, wujin, metrics, seed_file, tmp_path):
    out = io.StringIO()
    call_command(
        "import_targets", str(seed_file), "--year", "2019", "--unit", "武进区", "--dry-run",
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "【2018年底高新技术企业数】11 个单位，合计 533" in text
    assert f"【{GROUP} / 2019年高企新申报数】11 个单位，合计 350" in text
    assert "试运行" in text
    assert TargetPlan.objects.count() == 0 and TargetValue.objects.count() == 0

    out = io.StringIO()
    call_command("import_targets", str(seed_file), "--year", "2019", "--unit", "武进", stdout=out)
    plan = TargetPlan.objects.get(unit=wujin, year=2019)
    assert plan.title == WUJIN_2019_TITLE
    assert {(v.metric_id, v.unit_id): v.value for v in plan.values.all()} == expected_cells(
        units, metrics
    )
    assert "48 个数值有变化" in out.getvalue()

    exported = tmp_path / "导出.xlsx"
    call_command(
        "export_targets", "--year", "2019", "--unit", "武进区", "--output", str(exported),
        stdout=io.StringIO(),
    )  # fmt: skip
    again = parse_attachment(exported.read_bytes(), unit=wujin, year=2019)
    assert again.cells == expected_cells(units, metrics)

    out = io.StringIO()  # re-importing the export changes nothing
    call_command("import_targets", str(exported), "--year", "2019", "--unit", "武进区", stdout=out)
    assert "0 个数值有变化" in out.getvalue()
    assert TargetPlan.objects.count() == 1 and TargetValue.objects.count() == 48


def test_import_with_errors_writes_nothing(wujin, tmp_path):
    wb = seed_workbook()
    wb.active["A7"] = "湖塘街道"
    wb.active[f"D{TOTAL_ROW}"] = 351
    path = tmp_path / "错误.xlsx"
    path.write_bytes(to_bytes(wb))

    with pytest.raises(CommandError) as caught:
        call_command("import_targets", str(path), "--year", "2019", "--unit", "武进区")

    message = str(caught.value)
    assert "导入失败" in message and "“湖塘街道”不是武进区的下级单位" in message
    assert "【2019年高企新申报数】合计行为 351" in message
    assert TargetPlan.objects.count() == 0
    assert TargetValue.objects.count() == 0


def test_commands_reject_unknown_unit_and_missing_plan(units, seed_file, tmp_path):
    with pytest.raises(CommandError, match="没有名称或简称为“太湖湾”的单位"):
        call_command("import_targets", str(seed_file), "--year", "2019", "--unit", "太湖湾")
    with pytest.raises(CommandError, match="武进区没有2019年的目标任务"):
        call_command(
            "export_targets", "--year", "2019", "--unit", "武进区", "--output", str(tmp_path / "x")
        )


def test_a_towns_export_holds_its_row_and_the_total_as_its_page_does(
    units, wujin, metrics, client_for, hutang, district
):
    plan = imported_plan(wujin)

    def first_column(user) -> list[str]:
        response = client_for(user).get(f"/targets/{plan.pk}/export/")
        assert response.status_code == 200
        ws = load_workbook(io.BytesIO(b"".join(response))).active
        return [ws.cell(r, 1).value for r in range(FIRST_ROW, ws.max_row + 1)]

    assert first_column(hutang) == ["湖塘镇", "全  区"]
    assert len(first_column(district)) == len(WUJIN_2019_ROWS) + 1
