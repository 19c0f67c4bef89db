"""The wrong file is refused: last quarter's, or a neighbour's, picked from the clerk's folder.

The template says what it is for (a hidden sheet and its title row); a clerk's own form is
judged by its title. Either way a file for another quarter or unit is refused whole, through
the upload service, and nothing is written.
"""

import datetime

import pytest

from core.models import ChangeLog
from enterprises.models import EnterpriseYear
from reports import services
from reports.choices import JobStatus
from reports.io.identity import IDENTITY_SHEET
from reports.io.template import build_template
from reports.models import ReportingPeriod, Submission
from tests.reports import (
    period,  # noqa: F401
    reopen,
    row_for,
    to_bytes,
    workbook,
    year_2019,  # noqa: F401
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_quarter(units):
    return ReportingPeriod.objects.create(
        unit=units["武进区"],
        year=2018,
        quarter=4,
        window_start=datetime.date(2019, 1, 1),
        deadline=datetime.date(2019, 1, 15),
    )


@pytest.fixture
def upload(period, units, hutang, settings):  # noqa: F811
    settings.PORTAL_TODAY = datetime.date(2019, 4, 8)  # inside the period's window
    period.required_units.set([units["湖塘镇"], units["牛塘镇"]])

    def upload(data: bytes):
        before = (
            list(EnterpriseYear.objects.values_list("pk", "staff_total", "sales_revenue")),
            ChangeLog.objects.count(),
        )
        job = services.start_upload(
            actor=hutang, period=period, unit=units["湖塘镇"], file_name="上报.xlsx", data=data
        )
        after = (
            list(EnterpriseYear.objects.values_list("pk", "staff_total", "sales_revenue")),
            ChangeLog.objects.count(),
        )
        return job, before == after

    return upload


def filled(template: bytes, staff: int = 999) -> bytes:
    """The template with the first enterprise's 职工总数 typed over, as a clerk fills it."""
    wb = reopen(template)
    ws = wb.worksheets[0]
    ws.cell(4, 3).value = staff
    return to_bytes(wb)


def messages(job) -> list[str]:
    return [p["message"] for p in job.result.get("problems", [])]


def test_last_quarters_template_is_refused_naming_both(upload, last_quarter, year_2019, units):  # noqa: F811
    old = filled(build_template(period=last_quarter, unit=units["湖塘镇"]))
    job, unchanged = upload(old)
    assert job.status == JobStatus.REJECTED and unchanged
    assert messages(job) == [
        "该文件是 湖塘镇 2018年第4季度 的报表，本次报送的是 2019年第1季度。"
        "请确认选对了文件；如需重新填写，请下载本期模板。"
    ]
    assert not Submission.objects.exists()


def test_the_identity_survives_a_retitled_file(upload, last_quarter, year_2019, units):  # noqa: F811
    """The title row is the clerk's to edit; the hidden sheet still says what the file is."""
    wb = reopen(filled(build_template(period=last_quarter, unit=units["湖塘镇"])))
    wb.worksheets[0]["A1"] = "企业季度数据报送表"  # the clerk retypes the title
    job, unchanged = upload(to_bytes(wb))
    assert job.status == JobStatus.REJECTED and unchanged
    assert "2018年第4季度" in messages(job)[0]


def test_a_neighbours_template_is_refused(upload, year_2019, period, units):  # noqa: F811
    theirs = build_template(period=period, unit=units["牛塘镇"])
    job, unchanged = upload(theirs)
    assert job.status == JobStatus.REJECTED and unchanged
    assert messages(job)[0].startswith(
        "该文件是 牛塘镇 2019年第1季度 的报表，本次报送的是 湖塘镇 2019年第1季度。"
    )


def test_this_quarters_template_is_accepted(upload, year_2019, period, units):  # noqa: F811
    job, _ = upload(filled(build_template(period=period, unit=units["湖塘镇"]), staff=121))
    assert job.status == JobStatus.READY, messages(job)
    assert job.result["counts"]["updated"] == 1
    assert IDENTITY_SHEET in reopen(build_template(period=period, unit=units["湖塘镇"])).sheetnames


@pytest.mark.parametrize(
    "title",
    [
        "2018年第4季度 湖塘镇 企业季度数据报送表",
        "湖塘镇2018年四季度高企培育企业数据",
        "武进区 2019年第2季度 企业数据",
        "2018Q4 企业数据",
    ],
)
def test_a_clerks_form_for_another_quarter_is_refused(upload, year_2019, title):  # noqa: F811
    job, unchanged = upload(to_bytes(workbook([row_for(1, 999, 20, 1500)], title=title)))
    assert job.status == JobStatus.REJECTED and unchanged
    assert "的报表，本次报送的是 2019年第1季度" in messages(job)[0]


def test_a_clerks_form_for_another_unit_is_refused(upload, year_2019):  # noqa: F811
    form = workbook([row_for(1, 999, 20, 1500)], title="填报单位：牛塘镇（盖章）")
    job, unchanged = upload(to_bytes(form))
    assert job.status == JobStatus.REJECTED and unchanged
    assert messages(job)[0].startswith("该文件是 牛塘镇 的报表，本次报送的是 湖塘镇 2019年第1季度")


@pytest.mark.parametrize(
    "title",
    [
        "",  # no title at all: the header decides
        "2019年第1季度 湖塘镇 企业季度数据报送表",
        "武进区湖塘镇 2019年一季度 企业数据",  # the district beside the town is fine
        "填报单位：湖塘镇    填报日期：2019年4月10日",
        "高企培育企业季度数据",
    ],
)
def test_a_clerks_form_for_this_quarter_is_read(upload, year_2019, title):  # noqa: F811
    job, _ = upload(to_bytes(workbook([row_for(1, 121, 20, 1500)], title=title)))
    assert job.status == JobStatus.READY, messages(job)
    assert job.result["counts"]["updated"] == 1


def test_a_shown_identity_sheet_is_not_read_as_data(upload, year_2019, period, units):  # noqa: F811
    """Even moved first and shown, the identity sheet is never read as the data."""
    wb = reopen(filled(build_template(period=period, unit=units["湖塘镇"]), staff=121))
    wb.move_sheet(IDENTITY_SHEET, offset=-len(wb.sheetnames) + 1)
    wb[IDENTITY_SHEET].sheet_state = "visible"
    job, _ = upload(to_bytes(wb))
    assert job.status == JobStatus.READY, messages(job)
    assert job.result["counts"]["updated"] == 1


def test_an_identity_edited_into_nonsense_leaves_the_title_to_decide(
    upload,
    year_2019,  # noqa: F811
    period,  # noqa: F811
    units,
):
    wb = reopen(filled(build_template(period=period, unit=units["湖塘镇"]), staff=121))
    wb[IDENTITY_SHEET]["B2"] = "第二季度"  # the period code, retyped by hand
    wb[IDENTITY_SHEET]["B3"] = "湖塘"
    first, _ = upload(to_bytes(wb))
    assert first.status == JobStatus.READY, messages(first)
    wb.worksheets[0]["A1"] = "2019年第2季度 湖塘镇"
    job, unchanged = upload(to_bytes(wb))
    assert job.status == JobStatus.REJECTED and unchanged
    assert "该文件是 湖塘镇 2019年第2季度 的报表" in messages(job)[0]
