"""Issue 17 §4, an audit of what leaves the portal: every export and download is recorded by
one middleware (who, when, which file, which filter, how many rows) and shown to the district
and the admin; admin edits of users, roles and units go into the change log."""

import datetime
import json
import logging

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils.timezone import localtime

from bulletins.services import issue_bulletin
from core.choices import DownloadKind
from core.models import ChangeLog, DownloadRecord, OrgUnit, User
from core.services import record_download
from reports.models import ReportingPeriod, Submission
from targets.models import TargetPlan

TODAY = datetime.date(2019, 7, 15)


@pytest.fixture
def demo(demo_data, personas, settings):
    settings.PORTAL_TODAY = TODAY
    return personas


def export_as(client, town: OrgUnit, fmt: str = "csv"):
    query = f"town={town.pk}&rung=pool&format={fmt}"
    return client.get(f"{reverse('enterprises:export')}?{query}"), query


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- what is recorded ----------------------------------------------------------------------------


def test_hutang_exports_a_filtered_list_and_one_record_says_who_what_and_how_many(
    demo, hutang, client_for
):
    response, query = export_as(client_for(hutang), hutang.unit)
    lines = body(response).decode("utf-8-sig").strip().splitlines()
    assert response.status_code == 200 and len(lines) > 1

    record = DownloadRecord.objects.get()
    assert (record.user, record.user_name, record.unit) == (hutang, str(hutang), hutang.unit)
    assert record.kind == DownloadKind.ENTERPRISES and record.url_name == "enterprises:export"
    assert record.query == query  # the filter exactly as given
    assert record.rows == len(lines) - 1  # the file's data rows, header not counted
    assert record.file_name == "企业名录_20190715.csv"  # Chinese name decoded from filename*
    assert localtime(record.created_at).date() == TODAY  # the portal's clock
    assert record.via_api is False and record.ip == "127.0.0.1"


def test_the_xlsx_export_is_recorded_with_the_same_count(demo, hutang, client_for):
    client = client_for(hutang)
    export_as(client, hutang.unit, "csv")
    response, _ = export_as(client, hutang.unit, "xlsx")
    assert body(response)[:2] == b"PK"
    csv, xlsx = DownloadRecord.objects.order_by("pk")
    assert xlsx.file_name.endswith(".xlsx") and xlsx.rows == csv.rows


def test_a_streamed_file_is_recorded_before_it_is_read(demo, hutang, client_for):
    response, _ = export_as(client_for(hutang), hutang.unit, "csv")
    assert response.streaming
    assert DownloadRecord.objects.count() == 1  # nothing of the stream consumed yet
    # Read, not closed: closing a response sends request_finished, whose handler closes
    # the database connection the rest of the module's tests share (PostgreSQL).
    assert body(response)


def test_template_and_bulletin_downloads_are_recorded(demo, hutang, district, client_for):
    period = ReportingPeriod.objects.filter(required_units=hutang.unit).first()
    response = client_for(hutang).get(reverse("reports:template", args=[period.pk]))
    assert response.status_code == 200
    template = DownloadRecord.objects.get()
    assert template.kind == DownloadKind.TEMPLATE and template.user == hutang
    assert template.file_name == f"{period.code}_湖塘_企业季度数据报送表.xlsx"
    assert template.rows is None  # the view does not count: unknown, not zero

    plan = TargetPlan.objects.get(year=2019, unit__name="武进区")
    bulletin = issue_bulletin(actor=district, plan=plan)
    response = client_for(district).get(reverse("bulletins:xlsx", args=[bulletin.pk]))
    assert response.streaming  # a FileResponse of the stored file
    body(response)
    record = DownloadRecord.objects.get(kind=DownloadKind.BULLETIN)
    assert record.user == district and record.file_name.startswith(bulletin.title)


def test_the_apis_file_answers_are_recorded_for_the_tokens_user(demo, district, api_for):
    plan = TargetPlan.objects.get(year=2019, unit__name="武进区")
    bulletin = issue_bulletin(actor=district, plan=plan)
    response = api_for(district).get(f"/api/v1/bulletins/{bulletin.pk}/xlsx/")
    assert response.status_code == 200
    record = DownloadRecord.objects.get()
    assert (record.user, record.kind, record.url_name) == (
        district,
        DownloadKind.BULLETIN,
        "bulletin-xlsx",
    )
    assert record.via_api is True


def test_refused_missing_and_header_only_downloads_record_nothing(
    demo, hutang, niutang, leader, client, client_for
):
    mine = Submission.objects.filter(unit=hutang.unit, file__gt="").first()
    # the demo's stored file is not in this test's media folder: a real "file gone" 404
    assert (
        client_for(hutang).get(reverse("reports:submission_file", args=[mine.pk])).status_code
        == 404
    )
    assert (
        client_for(hutang).get(reverse("reports:submission_file", args=[99999])).status_code == 404
    )
    assert (
        client_for(niutang).get(reverse("reports:submission_file", args=[mine.pk])).status_code
        == 404
    )
    period = ReportingPeriod.objects.filter(required_units=hutang.unit).first()
    assert client_for(leader).get(reverse("reports:template", args=[period.pk])).status_code == 404
    assert client_for(hutang).head(reverse("enterprises:export")).status_code == 200
    client.logout()
    assert client.get(reverse("enterprises:export")).status_code == 302
    assert not DownloadRecord.objects.exists()


def test_a_failing_recorder_does_not_break_the_download(
    demo, hutang, client_for, monkeypatch, caplog
):
    def broken(self, *args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(DownloadRecord, "save", broken)
    with caplog.at_level(logging.ERROR, logger="core.middleware"):
        response, _ = export_as(client_for(hutang), hutang.unit, "xlsx")
    assert response.status_code == 200 and body(response)[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]
    assert "导出记录写入失败" in caplog.text
    monkeypatch.undo()
    assert not DownloadRecord.objects.exists()  # and the request's transaction still works
    export_as(client_for(hutang), hutang.unit, "xlsx")
    assert DownloadRecord.objects.count() == 1


# --- who sees the records -------------------------------------------------------------------------


def test_the_district_sees_hutangs_export_and_niutang_does_not_get_the_page(
    demo, hutang, niutang, district, client_for
):
    export_as(client_for(hutang), hutang.unit)
    page = client_for(district).get(reverse("audit"))
    text = page.content.decode()
    assert page.status_code == 200 and "导出与下载记录" in text
    assert "企业名录_20190715.csv" in text and str(hutang) in text
    assert f"town={hutang.unit.pk}&amp;rung=pool" in text  # the filter, readable
    assert client_for(niutang).get(reverse("audit")).status_code == 403
    assert client_for(hutang).get(reverse("audit")).status_code == 403


def test_the_leader_is_refused_and_the_admin_sees_everything(
    demo, hutang, leader, admin_user, outsider, client_for
):
    record_download(
        user=outsider, file_name="无单位.xlsx", kind=DownloadKind.OTHER, url_name="x", path="/x/"
    )
    export_as(client_for(hutang), hutang.unit)
    assert client_for(leader).get(reverse("audit")).status_code == 403
    text = client_for(admin_user).get(reverse("audit")).content.decode()
    assert "无单位.xlsx" in text and "企业名录_20190715.csv" in text


def test_the_district_sees_only_its_subtrees_users(demo, district, outsider, client_for):
    record_download(
        user=outsider, file_name="无单位.xlsx", kind=DownloadKind.OTHER, url_name="x", path="/x/"
    )
    assert "无单位.xlsx" not in client_for(district).get(reverse("audit")).content.decode()


def test_the_page_filters_by_user_kind_and_date(demo, hutang, niutang, district, client_for):
    export_as(client_for(hutang), hutang.unit)
    export_as(client_for(niutang), niutang.unit)
    client = client_for(district)

    def shown(**params) -> list[str]:
        page = client.get(reverse("audit"), params)
        return [r.user_name for r in page.context["page"].object_list]

    assert sorted(shown()) == sorted([str(hutang), str(niutang)])
    assert shown(user=hutang.pk) == [str(hutang)]
    assert shown(kind=DownloadKind.BULLETIN) == []
    assert len(shown(kind=DownloadKind.ENTERPRISES)) == 2
    assert shown(start="2019-07-16") == [] and len(shown(start="2019-07-15", end="2019-07-15")) == 2
    assert shown(end="2019-07-14") == []
    assert len(shown(user="abc", kind="nonsense", start="x")) == 2  # junk is ignored


def test_the_page_paginates(demo, hutang, district, client_for):
    for n in range(55):
        record_download(
            user=hutang, file_name=f"f{n}.xlsx", kind=DownloadKind.OTHER, url_name="", path="/"
        )
    page = client_for(district).get(reverse("audit"))
    assert len(page.context["page"].object_list) == 50 and "共 55 条" in page.content.decode()
    assert len(client_for(district).get(reverse("audit"), {"page": 2}).context["page"]) == 5


def test_the_link_is_shown_only_to_those_who_may_open_it(demo, district, hutang, client_for):
    link = f'href="{reverse("audit")}"'
    assert link in client_for(district).get(reverse("home")).content.decode()
    assert link not in client_for(hutang).get(reverse("home")).content.decode()


def test_the_admin_lists_the_records_in_scope(demo, hutang, admin_user, client_for):
    export_as(client_for(hutang), hutang.unit)
    page = client_for(admin_user).get(reverse("admin:core_downloadrecord_changelist"))
    assert page.status_code == 200 and "企业名录_20190715.csv" in page.content.decode()


# --- admin changes to users, roles and units --------------------------------------------------------


def user_form(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "email": user.email,
        "unit": user.unit_id or "",
        "role": user.role,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return data


def test_an_admin_role_change_is_in_the_change_log_without_the_password_hash(
    demo, hutang, admin_user, district, client_for
):
    client = client_for(admin_user)
    url = reverse("admin:core_user_change", args=[hutang.pk])
    response = client.post(url, user_form(hutang, role="leader"))
    assert response.status_code == 302, response.content.decode()[:2000]

    change = ChangeLog.objects.get(object_id=str(hutang.pk), content_type__model="user")
    assert change.actor == admin_user and change.unit == hutang.unit
    assert change.changed_fields() == [("角色", "镇（园区）服务中心工作人员", "领导（只读）")]
    logged = json.dumps([change.before, change.after, change.note], ensure_ascii=False)
    hutang.refresh_from_db()
    assert hutang.password not in logged and "md5$" not in logged and "密码" not in logged

    # In the history page like any other change, for the district as for the admin.
    history = reverse("history", args=["core", "user", hutang.pk])
    for viewer in (admin_user, district):
        text = client_for(viewer).get(history).content.decode()
        assert "领导（只读）" in text and "镇（园区）服务中心工作人员" in text


def test_saving_an_unchanged_user_logs_nothing(demo, hutang, admin_user, client_for):
    url = reverse("admin:core_user_change", args=[hutang.pk])
    assert client_for(admin_user).post(url, user_form(hutang)).status_code == 302
    assert not ChangeLog.objects.filter(content_type__model="user").exists()


def test_an_admin_password_reset_is_logged_without_the_hash(demo, hutang, admin_user, client_for):
    url = reverse("admin:auth_user_password_change", args=[hutang.pk])
    response = client_for(admin_user).post(
        url, {"password1": "Reset#2019pw!", "password2": "Reset#2019pw!"}
    )
    assert response.status_code == 302
    change = ChangeLog.objects.get(content_type__model="user", object_id=str(hutang.pk))
    hutang.refresh_from_db()
    assert change.note == "系统管理员重设了密码"
    assert change.before is None and change.after is None
    assert hutang.password not in json.dumps([change.before, change.after, change.note])


def test_a_user_made_in_the_admin_is_logged_with_unit_and_role(demo, admin_user, units, client_for):
    client_for(admin_user).post(
        reverse("admin:core_user_add"),
        {
            "username": "luoyang",
            "password1": "Luoyang#2026pw",
            "password2": "Luoyang#2026pw",
            "display_name": "洛阳镇服务中心 吴涛",
            "unit": units["洛阳镇"].pk,
            "role": "town_staff",
        },
    )
    user = User.objects.get(username="luoyang")
    change = ChangeLog.objects.get(content_type__model="user", object_id=str(user.pk))
    assert change.action == "create" and change.unit == units["洛阳镇"]
    assert change.after["所属单位"] == "洛阳镇" and change.after["用户名"] == "luoyang"
    assert user.password not in json.dumps(change.after, ensure_ascii=False)


def test_an_admin_unit_rename_is_in_the_change_log(demo, admin_user, units, client_for):
    unit = units["洛阳镇"]
    data = {
        "name": "洛阳镇（新）",
        "short_name": unit.short_name,
        "kind": unit.kind,
        "code": unit.code,
        "parent": unit.parent_id,
        "order": unit.order,
        "is_active": "on",
    }
    response = client_for(admin_user).post(
        reverse("admin:core_orgunit_change", args=[unit.pk]), data
    )
    assert response.status_code == 302
    change = ChangeLog.objects.filter(
        content_type__model="orgunit", object_id=str(unit.pk), actor=admin_user
    ).get()
    assert ("名称", "洛阳镇", "洛阳镇（新）") in change.changed_fields()
