"""Quarterly reporting through /api/v1/, as an integrator's script lives it: open a period,
upload a filled template, read its problems or its preview, confirm it, have the district
review it — the same services, scope, change log and all-or-nothing rules as the pages."""

# ruff: noqa: F811  (the `period` fixture, imported, is every test's argument)

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import ChangeLog, Notification
from enterprises.models import EnterpriseYear
from reports.choices import JobStatus, SubmissionStatus
from reports.models import Reopening, ReportingPeriod, Submission, UploadJob
from tests.enterprises.conftest import code
from tests.reports.test_submissions import DEADLINE, filled, period  # noqa: F401

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_file(data: bytes, name: str = "湖塘镇2019Q1.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


def upload(api, period, data: bytes, **extra):
    return api.post(
        "/api/v1/upload-jobs/",
        {"period": period.pk, "file": xlsx_file(data), **extra},
        format="multipart",
    )


def logged(model, pk, action: str) -> ChangeLog:
    return ChangeLog.objects.get(
        content_type=ContentType.objects.get_for_model(model), object_id=str(pk), action=action
    )


def staff_2019() -> int | None:
    found = EnterpriseYear.objects.filter(enterprise__uscc=code(1), year=2019).first()
    return found.staff_total if found else None


def submitted(api, period, units, staff: int = 150) -> dict:
    """湖塘镇's template with code(1)'s 职工总数 set, uploaded and confirmed: the new version."""
    data = filled(period, units["湖塘镇"], {code(1): {"职工总数": staff}})
    job = upload(api, period, data).json()
    confirmed = api.post(f"/api/v1/upload-jobs/{job['id']}/confirm/", {}, format="json")
    assert confirmed.status_code == 201, confirmed.json()
    return confirmed.json()


# --- uploads --------------------------------------------------------------------------------------


def test_a_town_uploads_reads_the_preview_and_confirms_a_pending_version(
    api_for, period, units, hutang
):
    api = api_for(hutang)
    data = filled(period, units["湖塘镇"], {code(1): {"职工总数": 150, "科技人员数": 30}})
    created = upload(api, period, data)
    assert created.status_code == 201, created.json()
    job = created.json()
    assert (job["status"], job["unit_name"], job["can_confirm"]) == ("ready", "湖塘镇", True)
    assert job["counts"]["updated"] == 1 and job["submission"] is None

    polled = api.get(f"/api/v1/upload-jobs/{job['id']}/")
    assert polled.status_code == 200 and polled["ETag"]
    preview = api.get(f"/api/v1/upload-jobs/{job['id']}/preview/").json()
    assert preview["ready"] is True
    [update] = preview["updates"]
    assert update["uscc"] == code(1)
    assert {(c["header"], c["before"], c["after"]) for c in update["changes"]} == {
        ("职工总数", None, "150"),
        ("科技人员数", None, "30"),
    }
    problems = api.get(f"/api/v1/upload-jobs/{job['id']}/problems/").json()
    assert (problems["count"], problems["problems"]) == (0, [])
    assert staff_2019() is None  # nothing is written before the district approves

    confirmed = api.post(f"/api/v1/upload-jobs/{job['id']}/confirm/", {}, format="json")
    assert confirmed.status_code == 201
    version = confirmed.json()
    assert (version["version"], version["status"], version["on_time"]) == (1, "submitted", True)
    assert version["counts"] == {"rows": 3, "created": 0, "updated": 1, "unchanged": 2}
    assert version["uploaded_by"] == str(hutang)
    entry = logged(Submission, version["id"], "create")
    assert entry.actor == hutang and entry.after["版本"] == 1  # as the page's confirm logs
    assert api.get(f"/api/v1/upload-jobs/{job['id']}/").json()["submission"] == version["id"]
    assert staff_2019() is None

    again = api.post(f"/api/v1/upload-jobs/{job['id']}/confirm/", {}, format="json")
    assert again.status_code == 409
    assert "没有可确认的内容" in again.json()["message"]
    assert Submission.objects.count() == 1


def test_a_refused_file_is_a_rejected_job_whose_problems_name_sheet_row_and_column(
    api_for, period, units, hutang
):
    api = api_for(hutang)
    data = filled(period, units["湖塘镇"], {code(1): {"职工总数": 10, "科技人员数": 30}})
    job = upload(api, period, data).json()
    assert job["status"] == "rejected" and job["can_confirm"] is False
    problems = api.get(f"/api/v1/upload-jobs/{job['id']}/problems/").json()
    assert problems["count"] == 1
    [problem] = problems["problems"]
    assert problem["sheet"] == "企业季度数据" and problem["row"] >= 4
    assert problem["column"] == "科技人员数"
    where = f"企业季度数据 第{problem['row']}行（常州湖塘精密机械有限公司）【科技人员数】："
    assert problem["text"].startswith(where)
    assert "职工总数" in problem["message"]
    preview = api.get(f"/api/v1/upload-jobs/{job['id']}/preview/").json()
    assert (preview["ready"], preview["updates"], preview["counts"]) == (False, [], None)
    refused = api.post(f"/api/v1/upload-jobs/{job['id']}/confirm/", {}, format="json")
    assert refused.status_code == 409
    assert not Submission.objects.exists()


def test_not_a_spreadsheet_is_refused_before_parsing(api_for, period, hutang):
    api = api_for(hutang)
    response = api.post(
        "/api/v1/upload-jobs/",
        {"period": period.pk, "file": SimpleUploadedFile("报送.xlsx", b"not a spreadsheet")},
        format="multipart",
    )
    assert response.status_code == 201
    job = UploadJob.objects.get(pk=response.json()["id"])
    assert job.status == JobStatus.REJECTED and not job.file  # not even kept
    problems = api.get(f"/api/v1/upload-jobs/{job.pk}/problems/").json()["problems"]
    assert problems and problems[0]["text"]


def test_alerts_must_be_acknowledged_naming_the_field(api_for, period, units, hutang):
    api = api_for(hutang)
    job = upload(api, period, filled(period, units["湖塘镇"], {code(1): {"职工总数": 400}})).json()
    preview = api.get(f"/api/v1/upload-jobs/{job['id']}/preview/").json()
    assert [a["message"] for a in preview["alerts"]] == [
        "职工总数由2018年已审核值 100 变为 400，变化超过一半，请核对"
    ]
    refused = api.post(f"/api/v1/upload-jobs/{job['id']}/confirm/", {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"acknowledged": ["请先核对并确认 1 条数据提醒，再报送。"]}
    assert not Submission.objects.exists()
    done = api.post(
        f"/api/v1/upload-jobs/{job['id']}/confirm/", {"acknowledged": True}, format="json"
    )
    assert done.status_code == 201 and len(done.json()["alerts"]) == 1


def test_the_district_uploads_for_a_town_by_naming_it(api_for, period, units, district):
    api = api_for(district)
    data = filled(period, units["湖塘镇"], {code(1): {"职工总数": 150}})
    unnamed = upload(api, period, data)
    assert unnamed.status_code == 400 and "unit" in unnamed.json()["errors"]
    named = upload(api, period, data, unit=units["湖塘镇"].pk)
    assert named.status_code == 201 and named.json()["unit"] == units["湖塘镇"].pk
    outside = upload(api, period, data, unit=units["武进区"].pk)  # not a reporting unit
    assert outside.status_code == 400 and "unit" in outside.json()["errors"]


def test_uploads_after_the_lock_are_a_conflict_and_keep_nothing(
    api_for, period, units, hutang, settings
):
    settings.PORTAL_TODAY = DEADLINE + datetime.timedelta(days=30)
    response = upload(api_for(hutang), period, filled(period, units["湖塘镇"], {}))
    assert response.status_code == 409
    assert "锁定" in response.json()["message"] and response.json()["errors"] == {}
    assert not UploadJob.objects.exists()


def test_a_big_file_goes_to_the_background_and_is_polled(
    api_for, period, units, hutang, settings, django_capture_on_commit_callbacks
):
    settings.UPLOAD_INLINE_MAX_BYTES = 10  # every file is "big": dispatched on commit
    api = api_for(hutang)
    with django_capture_on_commit_callbacks(execute=False):
        response = upload(api, period, filled(period, units["湖塘镇"], {}))
    assert response.status_code == 202
    assert response.json()["status"] == "queued" and response.json()["counts"] is None


def test_a_failed_upload_is_retried_as_on_its_page(api_for, period, units, hutang, leader):
    api = api_for(hutang)
    job = upload(api, period, filled(period, units["湖塘镇"], {code(1): {"职工总数": 150}})).json()
    not_failed = api.post(f"/api/v1/upload-jobs/{job['id']}/retry/")
    assert (
        not_failed.status_code == 409
        and "只有处理失败的上传可以重试" in not_failed.json()["message"]
    )
    UploadJob.objects.filter(pk=job["id"]).update(status=JobStatus.FAILED, result={})
    assert api.get(f"/api/v1/upload-jobs/{job['id']}/").json()["can_retry"] is True
    assert api_for(leader).post(f"/api/v1/upload-jobs/{job['id']}/retry/").status_code == 403
    retried = api.post(f"/api/v1/upload-jobs/{job['id']}/retry/")
    assert retried.status_code == 200, retried.json()
    assert retried.json()["status"] == "ready" and retried.json()["counts"]["updated"] == 1


def test_uploads_are_throttled_but_polling_is_not(api_for, period, units, hutang, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**SimpleRateThrottle.THROTTLE_RATES, "uploads": "1/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    api = api_for(hutang)
    data = filled(period, units["湖塘镇"], {})
    first = upload(api, period, data)
    assert first.status_code == 201
    second = upload(api, period, data)
    assert second.status_code == 429 and "秒" in second.json()["message"]
    assert UploadJob.objects.count() == 1
    for _ in range(3):
        assert api.get(f"/api/v1/upload-jobs/{first.json()['id']}/").status_code == 200


def test_an_upload_must_be_multipart(api_for, period, hutang):
    response = api_for(hutang).post("/api/v1/upload-jobs/", {"period": period.pk}, format="json")
    assert response.status_code == 415 and response.json()["message"]


# --- scope ----------------------------------------------------------------------------------------


def test_another_towns_jobs_and_versions_are_not_found(
    api_for, period, units, hutang, niutang, district
):
    town = api_for(hutang)
    data = filled(period, units["湖塘镇"], {code(1): {"职工总数": 150}})
    job = upload(town, period, data).json()
    version = submitted(town, period, units, staff=140)
    other = api_for(niutang)
    for url in (
        f"/api/v1/upload-jobs/{job['id']}/",
        f"/api/v1/upload-jobs/{job['id']}/preview/",
        f"/api/v1/upload-jobs/{job['id']}/problems/",
        f"/api/v1/submissions/{version['id']}/",
        f"/api/v1/submissions/{version['id']}/file/",
    ):
        response = other.get(url)
        assert response.status_code == 404, url
        assert response.json()["message"] == "未找到该记录，或不在您的权限范围内。"
    assert (
        other.post(f"/api/v1/upload-jobs/{job['id']}/confirm/", {}, format="json").status_code
        == 404
    )
    assert other.get("/api/v1/upload-jobs/").json()["count"] == 0
    assert other.get("/api/v1/submissions/").json()["count"] == 0
    assert api_for(district).get("/api/v1/submissions/").json()["count"] == 1
    # The period itself is the district's: every town sees it, and only its own row of it.
    rate = other.get(f"/api/v1/reporting-periods/{period.pk}/reporting-rate/").json()
    assert [r["unit_name"] for r in rate["rows"]] == ["牛塘镇"]
    assert rate["totals"]["expected"] == 1 and rate["rows"][0]["received"] is False
    shown = other.get(f"/api/v1/reporting-periods/{period.pk}/").json()
    assert shown["required_units"] == [units["牛塘镇"].pk]


def test_the_district_sees_who_has_and_has_not_reported(api_for, period, units, hutang, district):
    version = submitted(api_for(hutang), period, units)
    rate = api_for(district).get(f"/api/v1/reporting-periods/{period.pk}/reporting-rate/").json()
    rows = {r["unit_name"]: r for r in rate["rows"]}
    assert len(rows) == period.required_units.count() > 2
    assert rows["湖塘镇"]["received"] and rows["湖塘镇"]["on_time"]
    assert rows["湖塘镇"]["latest"]["id"] == version["id"]
    assert rows["牛塘镇"]["received"] is False and rows["牛塘镇"]["latest"] is None
    assert rate["totals"]["received"] == 1
    assert rate["totals"]["received_rate"] == pytest.approx(1 / len(rows))


def test_anonymous_gets_401(api_for, period):
    for url in ("/api/v1/reporting-periods/", "/api/v1/upload-jobs/", "/api/v1/submissions/"):
        assert api_for(None).get(url).status_code == 401


# --- submissions ----------------------------------------------------------------------------------


def test_the_district_approves_and_the_registry_gets_the_values(
    api_for, period, units, hutang, district
):
    version = submitted(api_for(hutang), period, units)
    api = api_for(district)
    current = api.get(f"/api/v1/submissions/{version['id']}/")
    approved = api.post(
        f"/api/v1/submissions/{version['id']}/review/",
        {"decision": "approve"},
        format="json",
        HTTP_IF_MATCH=current["ETag"],
    )
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert (body["status"], body["reviewed_by"]) == ("approved", str(district))
    assert body["applied"]["updated"] == 1 and body["applied_at"]
    assert staff_2019() == 150
    entry = logged(Submission, version["id"], "update")
    assert entry.actor == district and entry.after["状态"] == "已审核通过"
    again = api.post(
        f"/api/v1/submissions/{version['id']}/review/", {"decision": "approve"}, format="json"
    )
    assert again.status_code == 409 and "不能重复审核" in again.json()["message"]


def test_returning_needs_a_comment_and_a_stale_version_is_refused(
    api_for, period, units, hutang, district
):
    version = submitted(api_for(hutang), period, units)
    api = api_for(district)
    url = f"/api/v1/submissions/{version['id']}/review/"
    read = api.get(f"/api/v1/submissions/{version['id']}/")
    no_comment = api.post(url, {"decision": "return", "comment": "  "}, format="json")
    assert no_comment.status_code == 400
    assert list(no_comment.json()["errors"]) == ["comment"]
    assert "退回意见" in no_comment.json()["message"]
    returned = api.post(
        url,
        {"decision": "return", "comment": "职工总数有误"},
        format="json",
        HTTP_IF_MATCH=read["ETag"],
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert Notification.objects.filter(title__contains="被退回").exists()
    # Read before it was returned: refused, whatever the body says — a bad one is named first.
    bad = api.post(url, {"decision": "maybe"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["decision"]
    stale = api.post(url, {"decision": "approve"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412
    assert Submission.objects.get(pk=version["id"]).status == SubmissionStatus.RETURNED
    assert staff_2019() is None


def test_towns_and_leaders_cannot_review(api_for, period, units, hutang, leader):
    version = submitted(api_for(hutang), period, units)
    url = f"/api/v1/submissions/{version['id']}/review/"
    for user in (hutang, leader):
        refused = api_for(user).post(url, {"decision": "approve"}, format="json")
        assert refused.status_code == 403
        assert refused.json()["message"] == "只有区科技局可以审核报送。"
    assert Submission.objects.get(pk=version["id"]).status == SubmissionStatus.SUBMITTED
    assert staff_2019() is None


def test_a_versions_file_downloads_as_uploaded(api_for, period, units, hutang):
    api = api_for(hutang)
    data = filled(period, units["湖塘镇"], {code(1): {"职工总数": 150}})
    job = upload(api, period, data).json()
    version = api.post(f"/api/v1/upload-jobs/{job['id']}/confirm/", {}, format="json").json()
    response = api.get(f"/api/v1/submissions/{version['id']}/file/")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert b"".join(response.streaming_content) == data
    assert "attachment" in response["Content-Disposition"]
    submission = Submission.objects.get(pk=version["id"])
    submission.file.storage.delete(submission.file.name)
    lost = api.get(f"/api/v1/submissions/{version['id']}/file/")
    assert lost.status_code == 404 and "已不在服务器上" in lost.json()["message"]


def test_submissions_filter_as_on_the_period_page(api_for, period, units, hutang, district):
    submitted(api_for(hutang), period, units, staff=150)
    submitted(api_for(hutang), period, units, staff=140)  # replaces the pending first version
    api = api_for(district)
    by_status = api.get("/api/v1/submissions/", {"status": "submitted"}).json()
    assert [s["version"] for s in by_status["results"]] == [2]
    mine = api.get("/api/v1/submissions/", {"period": period.pk, "unit": units["湖塘镇"].pk})
    assert [s["version"] for s in mine.json()["results"]] == [2, 1]
    assert api.get("/api/v1/submissions/", {"unit": units["牛塘镇"].pk}).json()["count"] == 0
    assert api.get("/api/v1/submissions/", {"status": "pending"}).status_code == 400
    assert api.get("/api/v1/submissions/", {"period": "x"}).status_code == 400


# --- periods --------------------------------------------------------------------------------------


def test_the_district_opens_a_period_as_on_its_page(api_for, units, district, settings):
    settings.PORTAL_TODAY = datetime.date(2019, 6, 1)
    api = api_for(district)
    body = {
        "year": 2019,
        "quarter": 2,
        "window_start": "2019-07-01",
        "deadline": "2019-07-15",
        "columns": ["staff_total", "sales_revenue"],
        "required_units": [units["湖塘镇"].pk, units["牛塘镇"].pk],
    }
    created = api.post("/api/v1/reporting-periods/", body, format="json")
    assert created.status_code == 201, created.json()
    period = created.json()
    assert (period["code"], period["unit_name"], period["locked_after"]) == (
        "2019Q2",
        "武进区",
        "2019-07-22",
    )
    assert [c["header"] for c in period["column_headers"]] == ["职工总数", "销售收入（万元）"]
    assert sorted(period["required_units"]) == sorted([units["湖塘镇"].pk, units["牛塘镇"].pk])
    assert created["ETag"]
    entry = logged(ReportingPeriod, period["id"], "create")
    assert entry.actor == district
    again = api.post("/api/v1/reporting-periods/", body, format="json")
    assert again.status_code == 400 and list(again.json()["errors"]) == ["quarter"]
    assert ReportingPeriod.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda units: {"deadline": "2019-06-30"}, "deadline"),
        # the district itself is not a unit below it
        (lambda units: {"required_units": [units["武进区"].pk]}, "required_units"),
        (lambda units: {"columns": []}, "columns"),
        (lambda units: {"quarter": "2"}, "quarter"),  # JSON types as documented: not text
        (lambda units: {"year": 1900}, "year"),
        (lambda units: {"deadline": "9999-12-30"}, "lock_days"),  # locks after date.max
    ],
)
def test_a_period_the_service_or_the_schema_refuses_is_a_400_naming_the_field(
    api_for, units, district, change, field
):
    body = {"year": 2019, "quarter": 2, "window_start": "2019-07-01", "deadline": "2019-07-15"}
    response = api_for(district).post(
        "/api/v1/reporting-periods/", {**body, **change(units)}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not ReportingPeriod.objects.exists()


def test_only_the_district_opens_periods(api_for, hutang, leader):
    body = {"year": 2019, "quarter": 2, "window_start": "2019-07-01", "deadline": "2019-07-15"}
    for user in (hutang, leader):
        refused = api_for(user).post("/api/v1/reporting-periods/", body, format="json")
        assert refused.status_code == 403
        assert refused.json()["message"] == "只有区科技局可以开启报送期次。"
    assert not ReportingPeriod.objects.exists()


def test_the_district_reopens_a_locked_period_for_a_town(
    api_for, period, units, hutang, district, settings
):
    settings.PORTAL_TODAY = DEADLINE + datetime.timedelta(days=30)
    url = f"/api/v1/reporting-periods/{period.pk}/reopen/"
    town = api_for(hutang)
    assert upload(town, period, filled(period, units["湖塘镇"], {})).status_code == 409
    body = {"unit": units["湖塘镇"].pk, "until": "2019-05-31", "reason": "补报"}
    refused = town.post(url, body, format="json")
    assert (
        refused.status_code == 403 and refused.json()["message"] == "只有区科技局可以重新开放报送。"
    )
    api = api_for(district)
    past = api.post(url, {**body, "until": "2019-05-01"}, format="json")
    assert past.status_code == 400 and list(past.json()["errors"]) == ["until"]
    read = api.get(f"/api/v1/reporting-periods/{period.pk}/")
    reopened = api.post(url, body, format="json", HTTP_IF_MATCH=read["ETag"])
    assert reopened.status_code == 200, reopened.json()
    assert [(r["unit_name"], r["until"]) for r in reopened.json()["reopenings"]] == [
        ("湖塘镇", "2019-05-31")
    ]
    assert Reopening.objects.count() == 1
    entry = logged(ReportingPeriod, period.pk, "update")
    assert entry.after == {"重新开放": "湖塘镇 至 2019-05-31"} and entry.actor == district
    stale = api.post(url, body, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412 and Reopening.objects.count() == 1
    assert upload(town, period, filled(period, units["湖塘镇"], {})).status_code == 201
