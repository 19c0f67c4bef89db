"""An upload's errors name the enterprise beside the row number — "企业季度数据 第12行
（常州某某科技有限公司）【职工总数】：…" — so a clerk finds the row in a long file by its name:
the name the file gives it, or the registry's where the row has only its code."""

from datetime import date

import pytest
from django.urls import reverse

from core.sheets import Problem
from reports import services
from reports.columns import DATA_SHEET, SUMMARY_SHEET
from tests.enterprises.conftest import code
from tests.reports import (
    HUTANG,
    period,  # noqa: F401
    pipeline,
    row_for,
    summary_sheet,
    to_bytes,
    workbook,
    xlsx,
    year_2019,  # noqa: F401
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(period, units, hutang, year_2019):  # noqa: F811
    def run(data):
        return pipeline(data, period=period, unit=units["湖塘镇"], user=hutang)

    return run


def texts(found) -> list[str]:
    return [str(p) for p in found]


def test_a_bad_cell_names_the_enterprise_of_its_row(run):
    preview = run(xlsx([row_for(1, 120, 20, 1500), row_for(2, "十二", 6, 100)]))
    assert texts(preview.problems) == [
        f"{DATA_SHEET} 第4行（{HUTANG[2]}）【职工总数】：“十二”不是有效的数字"
    ]


def test_a_row_without_a_name_gets_the_registry_s(run):
    preview = run(xlsx([row_for(1, 30, 40, 1500, name="")]))  # 科技人员数 > 职工总数
    [problem] = preview.problems
    assert str(problem).startswith(f"{DATA_SHEET} 第3行（{HUTANG[1]}）【科技人员数】：")


def test_a_new_enterprise_is_named_as_the_file_names_it(run):
    preview = run(xlsx([[code(70), "常州湖塘新设科技有限公司", "很多", 3, 100]]))
    [problem] = preview.problems
    assert str(problem).startswith(f"{DATA_SHEET} 第3行（常州湖塘新设科技有限公司）【职工总数】：")


def test_warnings_and_alerts_name_it_too(run, registry):
    preview = run(xlsx([row_for(1, 120, 20, 1500, name="常州湖塘精机")]))  # not the registry's
    [warning] = preview.warnings
    assert str(warning).startswith(f"{DATA_SHEET} 第3行（常州湖塘精机）【企业名称】：")


def test_a_summary_row_names_its_metric(run):
    wb = summary_sheet(
        workbook([row_for(1, 120, 20, 1500)]), [[None, "科创项目招引数", "个", "很多"]]
    )
    assert texts(run(to_bytes(wb)).problems) == [
        f"{SUMMARY_SHEET} 第2行（科创项目招引数）【本年累计值】：“很多”不是有效的数字"
    ]


def test_problems_of_no_enterprise_row_read_as_before(run):
    preview = run(xlsx([row_for(1, 120, 20, 1500)] + [[None] * 7] * 2 + [["合计", None, 999]]))
    assert [str(w) for w in preview.warnings if w.row is not None] == [
        f"{DATA_SHEET} 第6行【职工总数】：合计行（合计）为 999，上方各企业之和为 120，请核对"
    ]
    assert str(Problem("汇总指标", None, "", "x", "不显示")) == "汇总指标：x"  # no row, no name


def test_the_upload_page_shows_the_enterprise_beside_the_row(
    period,  # noqa: F811
    units,
    hutang,
    client_for,
    settings,
    year_2019,  # noqa: F811
):
    settings.PORTAL_TODAY = date(2019, 4, 10)
    unit = units["湖塘镇"]
    period.required_units.set([unit])
    data = xlsx([row_for(1, 120, 20, 1500), row_for(3, 80, 8, "1,2,3")])
    job = services.start_upload(
        actor=hutang, period=period, unit=unit, file_name="湖塘.xlsx", data=data
    )
    html = client_for(hutang).get(reverse("reports:job", args=[job.pk])).content.decode()
    assert f"{DATA_SHEET} 第4行（{HUTANG[3]}）【销售收入（万元）】：" in html
