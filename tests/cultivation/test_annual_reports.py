"""年报 (annual development reports), as the district and the towns live them on the demo date
(2019-07-15, after the 31 May deadline for the 2018 reports): the district imports the list
the national system exports and the overdue list shrinks; a bad file changes nothing; a town
sees and is told about its own enterprises only; two missed years put the qualification at
risk; the leader only reads."""

import io
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from core.models import ChangeLog, Notification
from cultivation import services
from cultivation import tasks as notices
from cultivation.choices import AnnualReportSource
from cultivation.io.annual_reports import import_annual_reports
from cultivation.models import AnnualReport, Certificate
from enterprises.models import Enterprise

ON = date(2019, 7, 15)
PAGE = reverse("cultivation:annual_reports")
IMPORT = reverse("cultivation:annual_report_import")


@pytest.fixture
def demo(demo_data, db, settings):
    settings.PORTAL_TODAY = ON


def held_at_end_of(year: int):
    """Enterprise ids with a valid certificate on 31 Dec of `year`, read straight from the
    certificates (not through the selectors under test)."""
    end = date(year, 12, 31)
    return set(
        Certificate.objects.filter(
            issued_on__lte=end, expires_on__gte=end, revoked_on__isnull=True
        ).values_list("enterprise_id", flat=True)
    )


def unfiled_2018(town, on=ON) -> list[Enterprise]:
    filed = AnnualReport.objects.filter(year=2018, filed_on__lte=on).values("enterprise_id")
    return list(
        Enterprise.objects.filter(town=town, pk__in=held_at_end_of(2018))
        .exclude(pk__in=filed)
        .order_by("name")
    )


def national_export(rows, *, date_header="提交日期", title=True) -> io.BytesIO:
    """A filed list laid out as 高新技术企业认定管理工作网 exports it: a title line, columns of
    its own (序号, 所在地区) and the date as text with a time."""
    wb = Workbook()
    ws = wb.active
    ws.title = "已填报企业"
    if title:
        ws.append(["2018年度高新技术企业发展情况报表填报名单"])
    ws.append(["序号", "企业名称", "统一社会信用代码", "所在地区", date_header])
    for n, (name, uscc, filed) in enumerate(rows, start=1):
        ws.append([n, name, uscc, "江苏省常州市武进区", filed])
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "2018年度年报填报名单.xlsx"
    return buffer


def listed(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- the district imports the filed list --------------------------------------------------------


def test_the_district_imports_the_filed_list_and_the_overdue_list_shrinks(
    demo, district, client_for
):
    hutang_unit = district.unit.children.get(name="湖塘镇")
    overdue = unfiled_2018(hutang_unit)
    assert len(overdue) == 8  # the demo's gap in 湖塘镇
    client = client_for(district)
    page = listed(client.get(PAGE, {"unit": hutang_unit.pk, "year": 2018}))
    assert "逾期未报 <strong>8</strong> 家" in page
    assert all(e.name in page for e in overdue)

    late, still = overdue[:5], overdue[5:]
    rows = [(e.name, e.uscc, f"2019-06-{10 + n} 09:3{n}:00") for n, e in enumerate(late)]
    logged = ChangeLog.objects.count()
    response = client.post(IMPORT, {"year": 2018, "file": national_export(rows)})
    assert "已新增 5 条" in listed(response)
    stored = AnnualReport.objects.filter(enterprise__in=late, year=2018)
    assert stored.count() == 5
    assert {r.source for r in stored} == {AnnualReportSource.IMPORTED}
    assert {r.filed_on for r in stored} == {date(2019, 6, 10 + n) for n in range(5)}
    assert ChangeLog.objects.count() == logged + 5  # each filing logged on its enterprise

    page = listed(client.get(PAGE, {"unit": hutang_unit.pk, "year": 2018}))
    assert "逾期未报 <strong>3</strong> 家" in page
    assert not any(e.name in page for e in late) and all(e.name in page for e in still)

    # The same list again: nothing changes, nothing is logged.
    response = client.post(IMPORT, {"year": 2018, "file": national_export(rows)})
    assert "新增 0 条" in listed(response) and "5 条与已有记录相同" in response.content.decode()
    assert AnnualReport.objects.filter(year=2018).count() == stored.count() + (
        AnnualReport.objects.filter(year=2018).exclude(enterprise__in=late).count()
    )
    assert ChangeLog.objects.count() == logged + 5


def test_a_bad_file_is_rejected_whole_with_the_row_named(demo, district, client_for):
    hutang_unit = district.unit.children.get(name="湖塘镇")
    good, wrong_date = unfiled_2018(hutang_unit)[:2]
    rows = [
        (good.name, good.uscc, "2019-06-03"),
        ("常州查无此企业有限公司", "91320412MA1XXXXXX0", "2019-06-04"),
        (wrong_date.name, wrong_date.uscc, "2019-13-45"),
    ]
    before = (AnnualReport.objects.count(), ChangeLog.objects.count())
    page = listed(client_for(district).post(IMPORT, {"year": 2018, "file": national_export(rows)}))
    assert "文件未导入" in page or "未导入任何数据" in page
    # Row 1 is the title, row 2 the header: the data start on row 3.
    assert "已填报企业 第4行（常州查无此企业有限公司）【统一社会信用代码】" in page
    assert f"已填报企业 第5行（{wrong_date.name}）【提交日期】：“2019-13-45”不是有效的日期" in page
    assert (AnnualReport.objects.count(), ChangeLog.objects.count()) == before
    assert not AnnualReport.objects.filter(enterprise=good, year=2018).exists()


def test_a_list_without_a_date_column_names_the_missing_column(demo, district):
    e = unfiled_2018(district.unit.children.get(name="湖塘镇"))[0]
    result = import_annual_reports(
        national_export([(e.name, e.uscc, "2019-06-03")], date_header="所属行业"),
        actor=district,
        year=2018,
    )
    assert not result.ok
    assert "【填报日期】：缺少该列（表头可为：填报日期、提交日期" in str(result.errors[0])


# --- a town sees its own ------------------------------------------------------------------------


def test_a_town_sees_only_its_own_overdue_enterprises(demo, hutang, niutang, client_for):
    own, theirs = unfiled_2018(hutang.unit), unfiled_2018(niutang.unit)
    assert own and theirs
    page = listed(client_for(hutang).get(PAGE, {"year": 2018}))
    assert all(e.name in page for e in own)
    assert not any(e.uscc in page for e in theirs)
    assert client_for(hutang).get(PAGE, {"unit": niutang.unit.pk}).status_code == 404


def test_a_town_cannot_import_another_towns_filing(demo, hutang, niutang):
    theirs = unfiled_2018(niutang.unit)[0]
    result = import_annual_reports(
        national_export([(theirs.name, theirs.uscc, "2019-06-03")]), actor=hutang, year=2018
    )
    assert "不在企业库中，或不在您的权限范围内" in str(result.errors[0])
    assert not AnnualReport.objects.filter(enterprise=theirs, year=2018).exists()


def test_the_overdue_notice_names_the_towns_own_unfiled_and_only_once(
    demo, hutang, niutang, district
):
    assert notices.send_annual_report_overdue(date(2019, 5, 31)) == 0  # not yet overdue
    notices.send_annual_report_overdue(date(2019, 6, 1))
    [notice] = Notification.objects.filter(recipient=hutang)
    own, theirs = unfiled_2018(hutang.unit, date(2019, 6, 1)), unfiled_2018(niutang.unit)
    assert notice.title == "2018年度高企年报逾期：湖塘镇 8 家未填报"
    assert all(e.name in notice.body for e in own)
    assert not any(e.name in notice.body for e in theirs if e.name not in {o.name for o in own})
    [summary] = Notification.objects.filter(recipient=district)
    assert "湖塘镇 8 家" in summary.body and "牛塘镇 4 家" in summary.body
    assert notices.send_annual_report_overdue(date(2019, 6, 2)) == 0  # deduplicated


def test_the_may_reminder_names_only_those_not_yet_filed(demo, hutang, niutang):
    notices.send_annual_report_reminders(date(2019, 5, 20))
    [notice] = Notification.objects.filter(recipient=hutang)
    names = notice.body.splitlines()[-1].split("、")
    expected = [e.name for e in unfiled_2018(hutang.unit, date(2019, 5, 20))]
    assert sorted(names) == sorted(expected)
    assert len(expected) < len(
        held_at_end_of(2018)
        & set(Enterprise.objects.filter(town=hutang.unit).values_list("pk", flat=True))
    )  # those who filed by 20 May are no longer named
    assert f"{len(expected)} 家未填报" in notice.title


# --- two missed years -------------------------------------------------------------------------


@pytest.fixture
def steady_filer(demo, hutang):
    """A 湖塘镇 高企 certified in 2016 (so due for 2017 and 2018) that filed both years."""
    due_both = held_at_end_of(2017) & held_at_end_of(2018)
    filed_both = [
        e
        for e in Enterprise.objects.filter(town=hutang.unit, pk__in=due_both).order_by("name")
        if set(e.annualreports.values_list("year", flat=True)) == {2017, 2018}
        and e.certificates.filter(issued_on__year=2016).exists()
    ]
    return filed_both[0]


def test_two_missed_years_put_the_qualification_at_risk(steady_filer, hutang, client_for):
    client = client_for(hutang)
    detail = reverse("enterprises:detail", args=[steady_filer.pk])
    page = listed(client.get(detail))
    assert "2018年度年报已填报" in page and "未报：风险" not in page  # 2016 is not tracked

    steady_filer.annualreports.filter(year=2018).delete()
    page = listed(client.get(detail))
    assert "1 年未报：风险" in page and "资格取消风险" not in page
    assert "2018年度年报逾期未报" in page

    steady_filer.annualreports.filter(year=2017).delete()
    page = listed(client.get(detail))
    assert "累计 2 年未报：资格取消风险" in page
    overdue = listed(client.get(PAGE, {"year": 2018, "risk": "2"}))
    assert steady_filer.name in overdue and "累计 2 年未报：资格取消风险" in overdue


# --- entering one by hand; the leader only reads --------------------------------------------------


def test_a_town_enters_a_filing_by_hand_for_its_own_enterprise(demo, hutang, niutang, client_for):
    own, theirs = unfiled_2018(hutang.unit)[0], unfiled_2018(niutang.unit)[0]
    client = client_for(hutang)
    url = reverse("cultivation:record_add", args=[own.pk, "annual_report"])
    response = client.post(url, {"year": 2018, "filed_on": "2019-06-28", "notes": "企业补报"})
    assert response.status_code == 302
    report = AnnualReport.objects.get(enterprise=own, year=2018)
    assert (report.source, report.recorded_by, report.filed_on) == (
        AnnualReportSource.ENTERED,
        hutang,
        date(2019, 6, 28),
    )
    assert own.name not in listed(client.get(PAGE, {"year": 2018}))
    again = client.post(url, {"year": 2018, "filed_on": "2019-06-29"})
    assert "已登记" in listed(again)  # a second entry does not move the date
    other = reverse("cultivation:record_add", args=[theirs.pk, "annual_report"])
    assert client.post(other, {"year": 2018, "filed_on": "2019-06-28"}).status_code == 404


def test_the_leader_cannot_import_or_enter(demo, leader, client_for):
    e = unfiled_2018(leader.unit.children.get(name="湖塘镇"))[0]
    client = client_for(leader)
    assert client.get(PAGE).status_code == 200  # reads the list
    assert "导入已填报名单" not in client.get(PAGE).content.decode()
    assert client.get(IMPORT).status_code == 403
    file = national_export([(e.name, e.uscc, "2019-06-03")])
    assert client.post(IMPORT, {"year": 2018, "file": file}).status_code == 403
    url = reverse("cultivation:record_add", args=[e.pk, "annual_report"])
    assert client.post(url, {"year": 2018, "filed_on": "2019-06-03"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.record_annual_report(
            actor=leader, enterprise=e, year=2018, filed_on=date(2019, 6, 3)
        )
    assert not import_annual_reports(file, actor=leader, year=2018).ok
    assert not AnnualReport.objects.filter(enterprise=e, year=2018).exists()


def test_a_filing_date_inside_the_report_year_is_refused(demo, district):
    e = unfiled_2018(district.unit.children.get(name="湖塘镇"))[0]
    result = import_annual_reports(
        national_export([(e.name, e.uscc, "2018-12-30")], date_header="填报日期"),
        actor=district,
        year=2018,
    )
    assert "【填报日期】：2018年度年报的填报日期须在2019年1月1日之后" in str(result.errors[0])


def test_the_demo_loads_its_reports_once(demo):
    count = AnnualReport.objects.count()
    assert count > 0
    call_command("load_demo", stdout=StringIO())
    assert AnnualReport.objects.count() == count
