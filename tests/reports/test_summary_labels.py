"""The template's 汇总指标 sheet shows clerks metric names, never codes such as
projects_attracted — and reads back both the template of today (names only) and a template
downloaded before (指标代码 first), which clerks still have in their folders."""

import io
import re
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.sheets import to_bytes
from reports import services
from reports.columns import SUMMARY_SHEET
from reports.io.template import build_template
from targets.models import Metric
from targets.selectors import reported_metric_rows
from tests.reports import period, pipeline, year_2019  # noqa: F401

pytestmark = pytest.mark.django_db
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")  # how the catalogue's codes look


@pytest.fixture(autouse=True)
def _registry(year_2019):  # noqa: F811
    """湖塘镇's enterprises, pre-filled in its template."""


@pytest.fixture
def second_metric(db):
    """A second metric the towns report, so order and lookup are not a one-row accident."""
    return Metric.objects.create(
        code="talents_hired",
        name="引进科技人才数",
        header="{year}年引进科技人才数",
        unit="个",
        source="reported",
        order=999,
    )


def template(period, unit):  # noqa: F811
    return load_workbook(io.BytesIO(build_template(period=period, unit=unit)))


def as_downloaded_before(period, unit):  # noqa: F811
    """The template as the portal made it until now: 指标代码 | 指标名称 | 计量单位 | 本年累计值."""
    book = template(period, unit)
    del book[SUMMARY_SHEET]
    old = book.create_sheet(SUMMARY_SHEET, 1)
    old.append(["指标代码", "指标名称", "计量单位", "本年累计值"])
    for code, name, measure in reported_metric_rows():
        old.append([code, name, measure, None])
    return book


def fill(book, column: int, values: dict[str, object], *, by: int) -> bytes:
    """Put values (metric name or code → value) in `column` of the rows whose cell `by` holds
    the key (1-based columns)."""
    for row in book[SUMMARY_SHEET].iter_rows(min_row=2):
        if row[by - 1].value in values:
            row[column - 1].value = values[row[by - 1].value]
    return to_bytes(book)


def test_the_summary_sheet_shows_names_and_units_never_codes(
    period,  # noqa: F811
    units,
    second_metric,
):
    sheet = template(period, units["湖塘镇"])[SUMMARY_SHEET]
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    codes = set(Metric.objects.values_list("code", flat=True))
    assert not [v for v in cells if v in codes or (isinstance(v, str) and CODE.match(v))]
    assert [c.value for c in sheet[1]] == ["指标名称", "计量单位", "本年累计值"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["科创项目招引数", "个", None],
        ["引进科技人才数", "个", None],
    ]


def test_the_new_template_uploads_its_figures_by_name(
    period,  # noqa: F811
    units,
    hutang,
    second_metric,
):
    unit = units["湖塘镇"]
    data = fill(template(period, unit), 3, {"科创项目招引数": 6, "引进科技人才数": "１２"}, by=1)
    preview = pipeline(data, period=period, unit=unit, user=hutang)
    assert preview.problems == []
    assert preview.reported == {"projects_attracted": "6.00", "talents_hired": "12.00"}


def test_a_template_downloaded_before_the_change_still_uploads(
    period,  # noqa: F811
    units,
    hutang,
    second_metric,
):
    unit = units["湖塘镇"]
    data = fill(as_downloaded_before(period, unit), 4, {"projects_attracted": 6}, by=1)
    preview = pipeline(data, period=period, unit=unit, user=hutang)
    assert preview.problems == [] and preview.reported == {"projects_attracted": "6.00"}
    # The code decides where there is one: a metric renamed since still finds its row.
    Metric.objects.filter(code="projects_attracted").update(name="科创项目招引数（个）")
    preview = pipeline(data, period=period, unit=unit, user=hutang)
    assert preview.reported == {"projects_attracted": "6.00"}


def test_an_unknown_name_is_a_problem_naming_the_name_column(period, units, hutang):  # noqa: F811
    unit = units["湖塘镇"]
    book = template(period, unit)
    book[SUMMARY_SHEET].append(["自创指标", "个", 3])
    preview = pipeline(to_bytes(book), period=period, unit=unit, user=hutang)
    [problem] = preview.problems
    assert (problem.sheet, problem.column) == (SUMMARY_SHEET, "指标名称")
    assert "未知的指标“自创指标”" in problem.message and "projects" not in str(problem)


def test_the_submission_page_names_the_reported_figures(
    period,  # noqa: F811
    units,
    hutang,
    district,
    client_for,
    settings,
):
    settings.PORTAL_TODAY = date(2019, 4, 10)
    unit = units["湖塘镇"]
    period.required_units.set([unit])
    data = fill(template(period, unit), 3, {"科创项目招引数": 6}, by=1)
    job = services.start_upload(
        actor=hutang, period=period, unit=unit, file_name="湖塘.xlsx", data=data
    )
    submission, _ = services.confirm_upload(actor=hutang, job=job, acknowledged=True)
    html = client_for(district).get(reverse("reports:submission", args=[submission.pk]))
    text = html.content.decode()
    assert "汇总指标：科创项目招引数 6个" in text and "projects_attracted" not in text
