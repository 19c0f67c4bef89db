"""Quarterly submissions end to end: template → fill → upload → preview → confirm → review."""

import io
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ChangeLog, Notification, User
from core.selectors import history_for
from enterprises.models import EnterpriseYear
from reports import selectors, services
from reports.choices import JobStatus, SubmissionStatus
from reports.columns import DATA_SHEET
from reports.io.processing import process_job
from reports.io.template import build_template
from reports.models import ReportingPeriod, Submission, UploadJob, UploadRow

DEADLINE = date(2019, 4, 15)


@pytest.fixture
def period(registry, units, settings):
    settings.PORTAL_TODAY = date(2019, 4, 10)
    return services.open_period(
        actor=None,
        unit=units["武进区"],
        year=2019,
        quarter=1,
        window_start=date(2019, 4, 1),
        deadline=DEADLINE,
        lock_days=7,
    )


def filled(period, unit, changes: dict[str, dict[str, object]]) -> bytes:
    """The unit's template with some cells changed: {uscc: {header: value}}."""
    book = load_workbook(io.BytesIO(build_template(period=period, unit=unit)))
    sheet = book[DATA_SHEET]
    header_row = next(r for r in sheet.iter_rows() if any(c.value == "统一社会信用代码" for c in r))
    headers = {c.value: c.column for c in header_row if c.value}
    for row in sheet.iter_rows(min_row=header_row[0].row + 1):
        code = row[headers["统一社会信用代码"] - 1].value
        for header, value in changes.get(code, {}).items():
            sheet.cell(row=row[0].row, column=headers[header], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload_entries(enterprise):
    """The entries of its history that quarterly uploads wrote, newest first."""
    return [e for e in history_for(enterprise) if "季度报送" in e.note]


def upload(period, unit, user, data, name="湖塘镇2019Q1.xlsx"):
    return services.start_upload(actor=user, period=period, unit=unit, file_name=name, data=data)


def test_upload_preview_confirm_records_a_pending_version_and_approval_applies_it(
    period, units, hutang, district, registry
):
    from tests.enterprises.conftest import code

    unit = units["湖塘镇"]
    job = upload(
        period, unit, hutang, filled(period, unit, {code(1): {"职工总数": 150, "科技人员数": 30}})
    )
    assert job.status == JobStatus.READY, job.result
    [update] = job.result["updates"]
    assert update["changes"]["staff_total"] == [None, "150"]
    submission, created = services.confirm_upload(actor=hutang, job=job)
    assert created and submission.version == 1 and submission.on_time
    assert submission.status == SubmissionStatus.SUBMITTED and submission.applied_at is None
    assert not EnterpriseYear.objects.filter(enterprise__uscc=code(1), year=2019).exists()
    assert ChangeLog.objects.filter(object_id=str(submission.pk), note="").exists()  # the version
    assert Notification.objects.filter(recipient=district, title__contains="湖塘镇已报送").exists()
    assert submission.file.read()[:2] == b"PK"  # the file is kept with the version

    approved = services.review(actor=district, submission=submission, approve=True)
    assert approved.applied_at is not None and approved.summary["applied"]["updated"] == 1
    assert EnterpriseYear.objects.get(enterprise__uscc=code(1), year=2019).staff_total == 150
    # The enterprise's history shows what the approved upload changed, and who approved it.
    entry = upload_entries(registry[("湖塘镇", "常州湖塘精密机械有限公司")])[0]  # the newest
    assert (
        entry.note.startswith("2019年第1季度季度报送（湖塘镇第1版，")
        and "审核通过后写入" in entry.note
    )
    assert entry.actor_name == str(district)
    assert entry.changed_fields() == [("职工总数", None, "150"), ("科技人员数", None, "30")]


def test_a_stale_preview_writes_what_is_needed_and_records_the_value_it_replaced(
    period, units, hutang, district, registry, settings
):
    from tests.enterprises.conftest import code

    unit, enterprise = units["湖塘镇"], registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    first = upload(period, unit, hutang, filled(period, unit, {code(1): {"职工总数": 140}}))
    second = upload(period, unit, hutang, filled(period, unit, {code(1): {"职工总数": 145}}))
    landed, _ = services.confirm_upload(actor=hutang, job=second)  # while the first is previewed
    services.review(actor=district, submission=landed, approve=True)
    services.reopen(actor=district, period=period, unit=unit, until=date(2019, 4, 30))
    submission, created = services.confirm_upload(actor=hutang, job=first)
    assert created and submission.version == 2
    services.review(actor=district, submission=submission, approve=True)
    assert EnterpriseYear.objects.get(enterprise=enterprise, year=2019).staff_total == 140
    newest = upload_entries(enterprise)[0]
    assert newest.changed_fields() == [("职工总数", "145", "140")]  # not the preview's None


def test_an_enterprise_moved_away_after_the_upload_stops_the_approval(
    period, units, hutang, district, registry
):
    from enterprises.services import move_enterprise
    from tests.enterprises.conftest import code

    unit, enterprise = units["湖塘镇"], registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    job = upload(period, unit, hutang, filled(period, unit, {code(1): {"职工总数": 150}}))
    submission, _ = services.confirm_upload(actor=hutang, job=job)
    move_enterprise(actor=district, enterprise=enterprise, town=units["牛塘镇"])
    with pytest.raises(
        ValidationError, match="常州湖塘精密机械有限公司 等 1 家企业在报送后已迁出湖塘镇"
    ):
        services.review(actor=district, submission=submission, approve=True)
    assert not EnterpriseYear.objects.filter(enterprise=enterprise, year=2019).exists()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED  # still there, to be returned


def test_the_same_file_twice_makes_no_new_version(period, units, hutang):
    unit = units["湖塘镇"]
    data = filled(period, unit, {})
    first, _ = services.confirm_upload(actor=hutang, job=upload(period, unit, hutang, data))
    again, created = services.confirm_upload(actor=hutang, job=upload(period, unit, hutang, data))
    assert not created and again.pk == first.pk
    assert Submission.objects.filter(period=period, unit=unit).count() == 1


def test_a_file_with_one_bad_row_changes_nothing(period, units, hutang):
    from tests.enterprises.conftest import code

    unit = units["湖塘镇"]
    before = (EnterpriseYear.objects.count(), ChangeLog.objects.count())
    data = filled(
        period, unit, {code(1): {"职工总数": 150}, code(2): {"科技人员数": 500, "职工总数": 10}}
    )
    job = upload(period, unit, hutang, data)
    assert job.status == JobStatus.REJECTED
    texts = [p["text"] for p in job.result["problems"]]
    assert any("科技人员数" in t and "第" in t and "行" in t for t in texts), texts
    with pytest.raises(ValidationError):
        services.confirm_upload(actor=hutang, job=job)
    assert (EnterpriseYear.objects.count(), ChangeLog.objects.count()) == before
    assert not Submission.objects.exists()
    assert not UploadRow.objects.exists()  # rows staged before the problem row are dropped


def test_uploads_lock_after_the_deadline_plus_lock_days_unless_reopened(
    period, units, hutang, district, settings
):
    unit = units["湖塘镇"]
    settings.PORTAL_TODAY = DEADLINE + timedelta(days=7)
    upload(period, unit, hutang, filled(period, unit, {}))  # still allowed on the last day
    settings.PORTAL_TODAY = DEADLINE + timedelta(days=8)
    with pytest.raises(ValidationError, match="截止日期为 2019年04月15日"):
        upload(period, unit, hutang, filled(period, unit, {}))
    services.reopen(
        actor=district, period=period, unit=unit, until=DEADLINE + timedelta(days=20), reason="补报"
    )
    job = upload(period, unit, hutang, filled(period, unit, {}))
    submission, _ = services.confirm_upload(actor=hutang, job=job)
    assert not submission.on_time  # late is late, reopened or not
    with pytest.raises(ValidationError):  # another town stays locked
        upload(
            period,
            units["牛塘镇"],
            User.objects.get(username="niutang"),
            filled(period, units["牛塘镇"], {}),
        )


def test_review_approves_and_locks_or_returns_with_a_notice(
    period, units, hutang, district, leader
):
    unit = units["湖塘镇"]
    submission, _ = services.confirm_upload(
        actor=hutang, job=upload(period, unit, hutang, filled(period, unit, {}))
    )
    for outsider in (hutang, leader):
        with pytest.raises(PermissionDenied):
            services.review(actor=outsider, submission=submission, approve=True)
    with pytest.raises(ValidationError, match="退回时请填写退回意见"):
        services.review(actor=district, submission=submission, approve=False)
    services.review(actor=district, submission=submission, approve=False, comment="请补充研发费用")
    notice = Notification.objects.get(recipient=hutang, title__contains="被退回")
    assert notice.body == "请补充研发费用"
    second, created = services.confirm_upload(
        actor=hutang, job=upload(period, unit, hutang, filled(period, unit, {}), name="v2.xlsx")
    )
    assert created and second.version == 2
    services.review(actor=district, submission=second, approve=True)
    assert "已审核通过并锁定" in services.upload_refusal(period, unit)


def test_reporting_rate(period, units, hutang):
    unit = units["湖塘镇"]
    services.confirm_upload(
        actor=hutang, job=upload(period, unit, hutang, filled(period, unit, {}))
    )
    rows = selectors.reporting_rate(period)
    totals = selectors.rate_totals(rows)
    assert (totals["expected"], totals["received"], totals["on_time"], totals["approved"]) == (
        11,
        1,
        1,
        0,
    )
    assert units["牛塘镇"] in selectors.missing_units(period)


def test_town_cannot_upload_for_another_town(period, units, hutang):
    with pytest.raises(PermissionDenied):
        upload(period, units["牛塘镇"], hutang, b"PK")


def test_reported_metric_actuals_come_from_approved_submissions(period, units, district, hutang):
    from reports.selectors import reported_totals

    unit = units["湖塘镇"]
    submission, _ = services.confirm_upload(
        actor=hutang, job=upload(period, unit, hutang, filled(period, unit, {}))
    )
    Submission.objects.filter(pk=submission.pk).update(
        summary={**submission.summary, "reported": {"projects_attracted": "6"}}
    )
    on = date(2019, 12, 31)
    assert (
        reported_totals("projects_attracted", 2019, units["武进区"], on)[unit.pk] is None
    )  # not approved yet
    services.review(
        actor=district, submission=Submission.objects.get(pk=submission.pk), approve=True
    )
    totals = reported_totals("projects_attracted", 2019, units["武进区"], on)
    assert totals[unit.pk] == Decimal(6) and totals[units["武进区"].pk] == Decimal(6)
    assert totals[units["牛塘镇"].pk] is None


def test_the_web_flow_for_a_town_user(client_for, period, units, hutang):
    from tests.enterprises.conftest import code

    client = client_for(hutang)
    page = client.get(reverse("reports:period", args=[period.pk])).content.decode()
    assert "下载预填模板" in page and "牛塘" not in page.replace("牛塘镇服务中心", "")
    template = client.get(reverse("reports:template", args=[period.pk]))
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    data = filled(period, units["湖塘镇"], {code(2): {"职工总数": 188}})
    response = client.post(
        reverse("reports:upload", args=[period.pk]), {"file": _upload_file(data, "湖塘.xlsx")}
    )
    job_url = response.url
    preview = client.get(job_url).content.decode()
    assert "确认报送" in preview and "职工总数" in preview and "188" in preview
    assert (
        "新增企业 <strong>0</strong> 家，数据有变化 <strong>1</strong> 家，无变化 2 家" in preview
    )
    confirmed = client.post(job_url + "confirm/")
    submission = Submission.objects.get()
    assert confirmed.url == reverse("reports:submission", args=[submission.pk])
    assert "第1版" in client.get(confirmed.url).content.decode()


def test_other_towns_pages_are_404(client_for, period, units, hutang, niutang):
    unit = units["湖塘镇"]
    submission, _ = services.confirm_upload(
        actor=hutang, job=upload(period, unit, hutang, filled(period, unit, {}))
    )
    client = client_for(niutang)
    assert client.get(reverse("reports:submission", args=[submission.pk])).status_code == 404
    assert client.get(reverse("reports:submission_file", args=[submission.pk])).status_code == 404
    rate = client.get(reverse("reports:period", args=[period.pk])).context["rows"]
    assert [r["unit"].name for r in rate] == ["牛塘镇"]


def test_import_quarterly_command(period, units, tmp_path):
    from tests.enterprises.conftest import code

    path = tmp_path / "湖塘.xlsx"
    path.write_bytes(filled(period, units["湖塘镇"], {code(1): {"职工总数": 77}}))
    out = StringIO()
    call_command(
        "import_quarterly",
        str(path),
        "--unit",
        "湖塘镇",
        "--period",
        "2019Q1",
        "--dry-run",
        stdout=out,
    )
    assert "更新 1 家" in out.getvalue() and not Submission.objects.exists()
    call_command("import_quarterly", str(path), "--unit", "湖塘", "--period", "2019Q1", stdout=out)
    assert Submission.objects.get().version == 1
    with pytest.raises(CommandError, match="没有 2019年第3季度 的报送期次"):
        call_command("import_quarterly", str(path), "--unit", "湖塘镇", "--period", "2019Q3")


def test_quarterly_template_command_writes_the_pages_template(period, units, tmp_path):
    path = tmp_path / "湖塘镇2019Q1.xlsx"
    out = StringIO()
    call_command(
        "quarterly_template",
        "--unit",
        "湖塘",
        "--period",
        "2019Q1",
        "--output",
        str(path),
        stdout=out,
    )
    assert "已导出 湖塘镇 2019年第1季度 的模板" in out.getvalue()
    page = load_workbook(io.BytesIO(build_template(period=period, unit=units["湖塘镇"])))
    written = load_workbook(path)
    assert written.sheetnames == page.sheetnames
    assert all(list(written[name].values) == list(page[name].values) for name in page.sheetnames)
    with pytest.raises(CommandError, match="期次“2019-1”格式不对"):
        call_command(
            "quarterly_template", "--unit", "湖塘镇", "--period", "2019-1", "--output", "x"
        )


def test_import_quarterly_runs_a_big_file_once(period, units, tmp_path, settings, monkeypatch):
    from tests.enterprises.conftest import code

    settings.UPLOAD_INLINE_MAX_BYTES = 1  # every file "big": the web would use the worker
    runs = []
    monkeypatch.setattr(
        services, "process_job", lambda *a, **k: runs.append(1) or process_job(*a, **k)
    )
    path = tmp_path / "湖塘.xlsx"
    path.write_bytes(filled(period, units["湖塘镇"], {code(1): {"职工总数": 110}}))
    out = StringIO()
    call_command(
        "import_quarterly", str(path), "--unit", "湖塘镇", "--period", "2019Q1", stdout=out
    )
    assert len(runs) == 1 and "已报送：湖塘镇 2019年第1季度 第1版，待区科技局审核" in out.getvalue()


def test_import_quarterly_says_why_a_file_is_refused(period, units, tmp_path):
    """A sheet reaching row 100 002 is refused for its size, and the command says so."""
    book = load_workbook(io.BytesIO(filled(period, units["湖塘镇"], {})))
    book[DATA_SHEET]["A100002"] = "x"
    path = tmp_path / "湖塘.xlsx"
    book.save(path)
    with pytest.raises(CommandError) as refused:
        call_command("import_quarterly", str(path), "--unit", "湖塘镇", "--period", "2019Q1")
    assert "远至第 100002 行" in str(refused.value) and "上限 100000 行" in str(refused.value)
    assert "文件无法解析" not in str(refused.value) and not Submission.objects.exists()


def test_import_quarterly_asks_for_alerts_to_be_acknowledged(period, units, tmp_path):
    from tests.enterprises.conftest import code

    path = tmp_path / "湖塘.xlsx"
    path.write_bytes(filled(period, units["湖塘镇"], {code(1): {"职工总数": 400}}))
    out = StringIO()
    args = ["import_quarterly", str(path), "--unit", "湖塘镇", "--period", "2019Q1"]
    with pytest.raises(CommandError, match="有 1 条数据提醒（见上），未报送"):
        call_command(*args, stdout=out)
    assert "数据提醒：" in out.getvalue() and "变化超过一半" in out.getvalue()
    assert not Submission.objects.exists()
    call_command(*args, "--acknowledge", stdout=out)
    assert Submission.objects.get().summary["alerts"][0]["column"] == "职工总数"


def _upload_file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_only_the_district_opens_periods(client_for, district, hutang, leader, units, settings):
    settings.PORTAL_TODAY = date(2019, 6, 20)
    for user in (hutang, leader):
        assert client_for(user).get(reverse("reports:period_create")).status_code == 403
    response = client_for(district).post(
        reverse("reports:period_create"),
        {
            "year": 2019,
            "quarter": 2,
            "window_start": "2019-07-01",
            "deadline": "2019-07-15",
            "lock_days": 5,
            "allow_new": "on",
            "columns": ["staff_total", "sales_revenue"],
            "required_units": [units["湖塘镇"].pk, units["牛塘镇"].pk],
        },
    )
    period = ReportingPeriod.objects.get(year=2019, quarter=2)
    assert response.url == reverse("reports:period", args=[period.pk])
    assert period.columns == ["staff_total", "sales_revenue"]
    assert set(period.required_units.values_list("name", flat=True)) == {"湖塘镇", "牛塘镇"}
    page = client_for(hutang).get(reverse("reports:index")).content.decode()
    assert "2019年第2季度" in page and "开启报送期次" not in page


def test_previews_nobody_confirms_expire_and_give_back_their_rows(period, units, hutang):
    from datetime import timedelta as days

    from core.dates import now as portal_now
    from reports.io.staging import expire_previews

    unit = units["湖塘镇"]
    old, fresh = (upload(period, unit, hutang, filled(period, unit, {})) for _ in range(2))
    UploadJob.objects.filter(pk=old.pk).update(created_at=portal_now() - days(days=8))
    assert expire_previews() == 1
    old.refresh_from_db()
    assert old.status == JobStatus.EXPIRED
    assert not UploadRow.objects.filter(job=old).exists()
    assert UploadRow.objects.filter(job=fresh).exists()
    with pytest.raises(ValidationError, match="没有可确认的内容"):
        services.confirm_upload(actor=hutang, job=old)
