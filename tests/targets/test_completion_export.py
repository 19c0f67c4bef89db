"""The completion table as the 完成情况表 sent upward, and the page it comes from: the Excel
file carries the page's numbers for the page's date and reader, in the notice's shape
(title, 单位, merged two-row headers, 全区 total, 序时进度), ready to print; the page's table
scrolls in its own box with the 单位 column and the header rows held, its metric groups
chosen by the reader."""

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from targets.choices import Status
from targets.models import TargetPlan

TITLE = "2019年武进区高新技术企业培育任务完成情况表（截至{}）"
SCORED = ["目标", "完成", "完成率", "状态", "排名"]
HEAD, SUB, FIRST = 3, 4, 5  # the header rows and the first unit row
CSS = Path(__file__).parents[2] / "static" / "css" / "app.css"


@pytest.fixture
def plan(demo_data, db, settings):
    settings.PORTAL_TODAY = date(2019, 7, 15)
    return TargetPlan.objects.get(year=2019, unit__name="武进区")


def login(client, username):
    from core.models import User

    client.force_login(User.objects.get(username=username))
    return client


def page(client, plan, **query):
    return client.get(reverse("targets:detail", args=[plan.pk]), query)


def export(client, plan, **query):
    response = client.get(reverse("targets:completion_export", args=[plan.pk]), query)
    assert response.status_code == 200, response.content[:300]
    return response


def sheet_of(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def merged(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def groups(ws) -> list[tuple[str, int, int]]:
    """(top header text, first column, last column) of each metric group in row 3."""
    found = []
    for cell_range in ws.merged_cells.ranges:
        if cell_range.min_row == HEAD and cell_range.max_row == HEAD:
            text = ws.cell(HEAD, cell_range.min_col).value
            found.append((text, cell_range.min_col, cell_range.max_col))
    return sorted(found, key=lambda g: g[1])


def body(ws) -> dict[str, dict[str, list]]:
    """{unit label: {metric group's first header line: [its cells' values]}} from row 5 down
    to the total row (the last with a label before the notes' blank line)."""
    rows: dict[str, dict[str, list]] = {}
    r = FIRST
    while ws.cell(r, 1).value:
        label = ws.cell(r, 1).value
        rows[label] = {
            text.split("\n")[0]: [ws.cell(r, c).value for c in range(first, last + 1)]
            for text, first, last in groups(ws)
        }
        r += 1
    return rows


def _plain(value):
    return float(value) if isinstance(value, Decimal) else value


def page_cells(response) -> dict[str, dict[str, list]]:
    """What the page's table shows, in the same shape: its rows and the total, each scored
    metric's target, actual, completion, status label and rank."""
    result = response.context["result"]
    rows = [*response.context["rows"], result.total]
    shown = {}
    for row in rows:
        label = "全  区" if row.is_total else row.unit.notice_name
        shown[label] = {}
        for column in response.context["table"].shown:
            cell = row.cells[column.metric_id]
            if column.metric.baseline:
                shown[label][column.metric.name] = [_plain(cell.target), _plain(cell.actual)]
                continue
            status = Status(cell.status).label if cell.status else None
            values = [_plain(cell.target), _plain(cell.actual), cell.completion, status, cell.rank]
            shown[label][column.metric.name] = values
    return shown


# -- the file's shape ----------------------------------------------------------------------


def test_the_file_has_the_notices_title_unit_column_and_merged_two_row_headers(client, plan):
    ws = sheet_of(export(login(client, "district"), plan, as_of="2019-06-30").content)

    assert ws["A1"].value == TITLE.format("2019年6月30日")
    last = ws.max_column
    assert f"A1:{get_column_letter(last)}1" in merged(ws)
    assert ws.cell(HEAD, 1).value == "单位" and "A3:A4" in merged(ws)
    names = [text.split("\n")[0] for text, _, _ in groups(ws)]
    assert names == ["上年末高企数", "到期重新认定申报数", "高企新申报数", "高企申报数"]
    for text, first, end in groups(ws):
        subs = [ws.cell(SUB, c).value for c in range(first, end + 1)]
        assert subs == (["通知数", "系统统计"] if text.startswith("上年末") else SCORED)
    # The notice's own column name under the portal's, as the page's header says it.
    assert groups(ws)[0][0] == "上年末高企数\n（2018年底高新技术企业数）"
    assert groups(ws)[-1][2] == last


def test_the_date_line_states_the_date_and_序时进度_for_any_date(client, plan):
    client = login(client, "district")
    for as_of, expected in [("2019-03-31", "25.0%"), ("2019-06-30", "50.0%")]:
        ws = sheet_of(export(client, plan, as_of=as_of).content)
        line = ws["A2"].value
        assert "单位：家" in line and f"序时进度：{expected}（按季度）" in line
        assert "武科发〔2019〕14号" in line
        day = date.fromisoformat(as_of)
        assert f"统计日期：{day.year}年{day.month}月{day.day}日" in line
        assert ws["A1"].value == TITLE.format(f"{day.year}年{day.month}月{day.day}日")


def test_the_print_setup_is_a4_landscape_one_page_wide_with_the_headers_repeated(client, plan):
    ws = sheet_of(export(login(client, "district"), plan).content)
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4  # 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
    assert ws.print_title_rows == "$3:$4"
    assert ws.freeze_panes == "B5"


# -- the page's numbers --------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["2019-03-31", "2019-06-30"])
@pytest.mark.parametrize("username", ["district", "hutang", "leader"])
def test_every_number_status_and_rank_is_what_the_page_shows_that_day(
    client, plan, username, as_of
):
    client = login(client, username)
    shown = page_cells(page(client, plan, as_of=as_of))
    written = body(sheet_of(export(client, plan, as_of=as_of).content))
    assert written.keys() == shown.keys()
    for label, metrics in shown.items():
        for name, values in metrics.items():
            assert written[label][name] == pytest.approx(values), (label, name)


def test_the_status_follows_the_chosen_date_as_on_the_page(client, plan):
    client = login(client, "district")
    march = body(sheet_of(export(client, plan, as_of="2019-03-31").content))
    june = body(sheet_of(export(client, plan, as_of="2019-06-30").content))
    # 湖塘镇 has done 20% of its 新申报 target on both dates: within 20 points of March's 25%
    # 序时进度, more than 20 points under June's 50%. The same cell, two statuses.
    assert march["湖塘镇"]["高企新申报数"][3] == "落后序时"
    assert june["湖塘镇"]["高企新申报数"][3] == "严重滞后"
    assert page_cells(page(client, plan, as_of="2019-03-31"))["湖塘镇"]["高企新申报数"][3] == (
        "落后序时"
    )


def test_the_total_row_is_the_sum_of_the_units(client, plan):
    written = body(sheet_of(export(login(client, "district"), plan, as_of="2019-06-30").content))
    total = written.pop("全  区")
    assert len(written) == 11
    for name, values in total.items():
        for position in (0, 1):  # 目标 and 完成 (通知数 and 系统统计): counts add up
            assert values[position] == sum(cells[name][position] for cells in written.values())
        if name != "上年末高企数":  # the total's rate is its own, not a sum
            assert values[2] == pytest.approx(values[1] / values[0])
            assert values[4] is None  # the district is not ranked among its towns
    assert [total[n][0] for n in total] == [533, 148, 350, 498]


def test_a_town_exports_its_own_row_and_the_total_only(client, plan):
    client = login(client, "hutang")
    data = export(client, plan, as_of="2019-06-30").content
    written = body(sheet_of(data))
    assert list(written) == ["湖塘镇", "全  区"]
    text = " ".join(str(c.value) for row in sheet_of(data).iter_rows() for c in row if c.value)
    for other in ["牛塘", "西太湖", "高新区", "常经开", "洛阳"]:
        assert other not in text
    # Its rank is its rank among all towns, as its page says.
    assert written["湖塘镇"]["高企申报数"][4] == 5


def test_the_export_is_a_download_of_the_plan_only_to_those_who_see_it(client, plan, outsider):
    url = reverse("targets:completion_export", args=[plan.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    response = export(login(client, "district"), plan, as_of="2019-06-30")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    assert "%E5%AE%8C%E6%88%90%E6%83%85%E5%86%B5%E8%A1%A8" in response["Content-Disposition"]


def test_the_chosen_metric_groups_are_the_ones_exported(client, plan):
    client = login(client, "district")
    ws = sheet_of(export(client, plan, as_of="2019-06-30", show="applications").content)
    assert [text.split("\n")[0] for text, _, _ in groups(ws)] == ["高企申报数"]
    assert ws.max_column == 1 + len(SCORED)
    notes = [ws.cell(r, 1).value or "" for r in range(FIRST, ws.max_row + 1)]
    assert any(n.startswith("本表只列出所选指标：高企申报数") for n in notes)
    # An unknown code chooses nothing: every group, as the page shows.
    ws = sheet_of(export(client, plan, show="no-such-metric").content)
    assert len(groups(ws)) == 4


def test_the_notes_say_the_own_goals_and_what_the_statuses_mean(client, plan):
    ws = sheet_of(export(login(client, "district"), plan, as_of="2019-06-30").content)
    notes = [ws.cell(r, 1).value or "" for r in range(FIRST + 12, ws.max_row + 1)]
    goals = next(n for n in notes if n.startswith("武进区本级目标"))
    assert "新增高企数目标 232 家" in goals and "有效高企总量目标 765 家，完成 533 家" in goals
    meaning = next(n for n in notes if n.startswith("说明"))
    assert "超序时＝完成率≥序时进度（50.0%）" in meaning and "超过 20 个百分点" in meaning


# -- the shell -------------------------------------------------------------------------------


def values_of(ws) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_the_command_writes_the_same_file_as_the_districts_button(client, plan, tmp_path):
    out = tmp_path / "f.xlsx"
    stdout = io.StringIO()
    call_command(
        "export_targets",
        "--year=2019",
        "--unit=武进区",
        "--completion",
        "--as-of=2019-06-30",
        f"--output={out}",
        stdout=stdout,
    )
    assert "截至2019年6月30日的完成情况表" in stdout.getvalue()
    assert "序时进度 50%" in stdout.getvalue()
    written = sheet_of(out.read_bytes())
    downloaded = sheet_of(export(login(client, "district"), plan, as_of="2019-06-30").content)
    assert values_of(written) == values_of(downloaded)
    assert merged(written) == merged(downloaded)
    assert written.print_title_rows == downloaded.print_title_rows


def test_the_command_without_completion_still_writes_the_attachment(plan, tmp_path):
    out = tmp_path / "附件.xlsx"
    call_command(
        "export_targets", "--year=2019", "--unit=武进区", f"--output={out}", stdout=io.StringIO()
    )
    ws = sheet_of(out.read_bytes())
    assert ws["A1"].value == plan.title and ws["A2"].value == "单位：家"


def test_the_command_refuses_a_bad_date_and_completion_options_alone(plan, tmp_path):
    out = str(tmp_path / "f.xlsx")
    base = ["export_targets", "--year=2019", "--unit=武进区", f"--output={out}"]
    with pytest.raises(CommandError, match="不是有效日期"):
        call_command(*base, "--completion", "--as-of=2019-06-31")
    with pytest.raises(CommandError, match="同时加 --completion"):
        call_command(*base, "--as-of=2019-06-30")
    with pytest.raises(CommandError, match="没有指标“nope”"):
        call_command(*base, "--completion", "--metric=nope")
    assert not Path(out).exists()


# -- the page --------------------------------------------------------------------------------


def test_the_page_counts_on_the_chosen_date_and_its_button_keeps_it(client, plan):
    response = page(login(client, "district"), plan, as_of="2019-03-31")
    html = response.content.decode()
    assert "统计日期 <strong>2019年3月31日</strong>，序时进度 <strong>25%</strong>" in html
    button = re.search(r'href="([^"]*completion/xlsx/[^"]*)"', html)
    assert button and "as_of=2019-03-31" in button.group(1)
    assert 'value="2019-03-31"' in html  # the date field shows it
    # Drill-down links count the enterprises on the same date.
    drill = re.findall(r'href="([^"]*/enterprises/\?[^"]*)"', html)
    assert len(drill) > 12 and all(link.endswith("&as_of=2019-03-31") for link in drill)


def test_a_date_that_is_no_date_is_said_and_today_is_used(client, plan):
    html = page(login(client, "district"), plan, as_of="2019-13-01").content.decode()
    assert "统计日期“2019-13-01”不是有效日期" in html
    assert "统计日期 <strong>2019年7月15日</strong>" in html


def test_groups_not_chosen_are_rendered_hidden_and_their_boxes_unticked(client, plan):
    html = page(login(client, "district"), plan, show="applications").content.decode()
    assert re.search(r'<th [^>]*data-metric="first_applications" hidden>', html)
    assert not re.search(r'data-metric="applications" hidden', html)
    assert re.search(r'value="applications" checked', html)
    assert not re.search(r'value="first_applications" checked', html)
    assert "data-chosen-note>" in html  # "只显示所选指标" is shown (not hidden)


def test_the_table_scrolls_in_its_own_box_with_the_unit_column_and_headers_held(client, plan):
    html = page(login(client, "district"), plan).content.decode()
    assert '<div class="completion-scroll"' in html
    assert '<th rowspan="2" class="unit-col">单位</th>' in html
    assert html.count('<th scope="row" class="unit-col">') == 12  # 11 towns and the total
    block = CSS.read_text(encoding="utf-8").split("/* target completion table */", 1)[1]
    block = re.sub(r"/\*.*?\*/", "", block, flags=re.S)
    rules = dict(re.findall(r"([^{}]+)\{([^}]*)\}", block))

    def rule(selector: str) -> str:
        return next(body for sel, body in rules.items() if sel.strip() == selector)

    box = rule(".completion-scroll")
    assert "overflow: auto" in box and "max-height: calc(100vh" in box
    unit = rule(".completion-scroll .table.completion .unit-col")
    assert "position: sticky" in unit and "left: 0" in unit and "background:" in unit
    header = rule(".completion-scroll .table.completion thead th")
    assert "position: sticky" in header and "top: 0" in header


def test_the_toggles_script_is_a_local_file_not_inline(client, plan):
    html = page(login(client, "district"), plan).content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all(src.strip().startswith("src=") and not text.strip() for src, text in scripts)
    assert any("targets/completion.js" in src for src, _ in scripts)
    path = finders.find("targets/completion.js")
    assert isinstance(path, str)
    script = Path(path).read_text(encoding="utf-8")
    assert "localStorage" in script and "replaceState" in script
    assert "http://" not in script and "https://" not in script  # nothing from elsewhere
