"""通报: built from the demo 2019 plan as of 2019-07-15 — the Excel file, the print page, who
sees the list, who may generate one, delivery to leaders, and the monthly schedule."""

from datetime import date
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from openpyxl import load_workbook

from bulletins import selectors, services, tasks
from bulletins.models import Bulletin
from core.models import Notification
from targets.models import TargetPlan

STATUS_TEXTS = {"已完成", "超序时", "落后序时", "严重滞后"}
TOWNS = {
    "高新区",
    "西太湖",
    "湖塘镇",
    "牛塘镇",
    "洛阳镇",
    "雪堰镇",
    "前黄镇",
    "礼嘉镇",
    "嘉泽镇",
    "湟里镇",
    "常经开",
}


@pytest.fixture
def plan(demo_data, personas, settings):
    settings.PORTAL_TODAY = date(2019, 7, 15)
    return TargetPlan.objects.get(year=2019, unit__name="武进区")


@pytest.fixture
def bulletin(plan, district):
    return services.issue_bulletin(actor=district, plan=plan)


def sheet(bulletin):
    with bulletin.xlsx.open("rb") as f:
        return load_workbook(BytesIO(f.read())).active


def row_values(ws, r):
    return [c.value for c in ws[r]]


def test_the_excel_file_is_the_print_ready_table(bulletin):
    ws = sheet(bulletin)
    assert ws["A1"].value == "武进区2019年高新技术企业培育工作进展通报"
    assert "2019年7月15日" in ws["A2"].value and "序时进度：50.0%" in ws["A2"].value
    assert "武科发〔2019〕14号" in ws["A2"].value
    assert "高企申报 160 家（目标 498 家，完成 32.1%）" in ws["A3"].value

    head, sub = row_values(ws, 4), row_values(ws, 5)
    assert head[:3] == ["单位", "2018年底高新技术企业数", "到期重新认定申报数"]
    assert "高企申报数" in head
    assert sub[2:7] == ["任务数", "完成数", "完成率", "排名", "状态"]

    towns = [row_values(ws, r) for r in range(6, 17)]
    assert {row[0] for row in towns} == TOWNS  # one row per town
    total = row_values(ws, 17)
    assert total[0] == "全区" and total[1] == 533
    assert total[12:15] == [498, 160, pytest.approx(160 / 498)]  # 高企申报数: target, actual, rate

    # Rows in rank order of 高企申报数 (competition ranking: ties share a place).
    ranks = [row[15] for row in towns]
    assert ranks == sorted(ranks) and ranks[0] == 1 and towns[0][0] == "嘉泽镇"
    hutang = next(row for row in towns if row[0] == "湖塘镇")
    assert hutang[12:14] == [34, 12]  # the 附件's 34 and what the ladder counts

    # Every status is written as text, and coloured.
    statuses = {row[c] for row in [*towns, total] for c in (6, 11, 16)}
    assert statuses <= STATUS_TEXTS and "严重滞后" in statuses
    severe = next(ws.cell(r, 12) for r in range(6, 18) if ws.cell(r, 12).value == "严重滞后")
    assert severe.fill.fgColor.rgb.endswith("FDE3E1")
    assert ws.cell(6, 15).number_format == "0.0%"
    assert any("进度滞后单位" in str(ws.cell(r, 1).value) for r in range(18, ws.max_row + 1))

    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$4:$5"


def test_the_data_are_the_completion_table(bulletin):
    data = bulletin.data
    assert data["as_of"] == "2019-07-15" and data["expected"] == 0.5
    assert data["rank_metric"] == "高企申报数"
    assert [f["label"] for f in data["key"]] == ["有效高企", "新增高企", "高企申报"]
    assert (data["key"][0]["actual"], data["key"][0]["target"]) == (533, 765)
    lagging = {t["label"]: t for t in data["lagging"]}
    assert lagging["常经开"]["status_label"] == "严重滞后"
    assert all(t["items"] for t in data["lagging"])


def test_the_print_page_is_a4_landscape_with_the_table(bulletin, client_for, leader):
    response = client_for(leader).get(reverse("bulletins:print", args=[bulletin.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>武进区2019年高新技术企业培育工作进展通报" in html
    assert "size: A4 landscape" in html and "@page" in html  # styles are inlined
    assert '<table class="grid">' in html and "display: table-header-group" in html
    assert "仿宋" in html and "方正小标宋" in html
    assert all(town in html for town in TOWNS) and "严重滞后" in html and "全区" in html


def test_the_list_shows_bulletins_to_the_district_and_its_leaders_only(
    bulletin, client_for, district, leader, hutang, outsider
):
    url = reverse("bulletins:list")
    for user in (district, leader):
        page = client_for(user).get(url).content.decode()
        assert bulletin.title in page
        assert reverse("bulletins:xlsx", args=[bulletin.pk]) in page

    page = client_for(hutang).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "镇（园区）账号不能查阅" in text  # a proper empty state
    assert bulletin.title not in text and "牛塘" not in text
    for name in ("bulletins:print", "bulletins:xlsx"):
        assert client_for(hutang).get(reverse(name, args=[bulletin.pk])).status_code == 404

    assert bulletin.title not in client_for(outsider).get(url).content.decode()


def test_the_excel_download(bulletin, client_for, leader):
    response = client_for(leader).get(reverse("bulletins:xlsx", args=[bulletin.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert workbook.active["A1"].value == bulletin.title


def test_only_district_staff_generate_leaders_read(plan, client_for, district, leader, hutang):
    url = reverse("bulletins:create")
    for user in (leader, hutang):
        assert client_for(user).post(url, {"plan": plan.pk}).status_code == 403
        with pytest.raises(PermissionDenied):
            services.issue_bulletin(actor=user, plan=plan)
    assert not Bulletin.objects.exists()
    assert "生成通报" not in client_for(leader).get(reverse("bulletins:list")).content.decode()

    page = client_for(district).get(reverse("bulletins:list")).content.decode()
    assert "生成通报" in page and "暂无通报" in page
    response = client_for(district).post(url, {"plan": plan.pk, "as_of": "2019-06-30"})
    assert response.status_code == 302
    made = Bulletin.objects.get()
    assert made.as_of == date(2019, 6, 30) and made.created_by == district and not made.scheduled
    assert client_for(district).post(url, {"plan": 99999}).status_code == 400


def test_leaders_receive_the_bulletin_once(bulletin, leader, district, hutang):
    [notice] = Notification.objects.filter(recipient=leader)
    assert notice.title.startswith(bulletin.title)
    assert notice.link == reverse("bulletins:print", args=[bulletin.pk])
    assert "高企申报 160 家" in notice.body
    assert services.deliver_bulletin(bulletin) == []  # a re-run delivers nothing new
    assert Notification.objects.filter(recipient=leader).count() == 1
    assert not Notification.objects.filter(recipient__in=[district, hutang]).exists()


def test_the_monthly_task_issues_one_per_district_and_is_idempotent(plan, leader, settings):
    settings.PORTAL_TODAY = date(2019, 8, 5)
    first = tasks.monthly_bulletin()
    again = tasks.monthly_bulletin.apply().get()
    assert first == again and len(first) == 1
    made = Bulletin.objects.get()
    assert made.scheduled and made.as_of == date(2019, 8, 5) and made.unit == plan.unit
    assert made.data["expected"] == 0.5  # Q2 done, Q3 not yet
    assert Notification.objects.filter(recipient=leader).count() == 1
    assert tasks.monthly_bulletin("2020-08-05") == []  # no 2020 plan


def test_the_monthly_schedule_is_registered_after_migrate(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="月度通报")
    assert task.task == "bulletins.monthly_bulletin"
    assert (task.crontab.day_of_month, task.crontab.hour) == ("5", "8")


def test_the_ranking_metric_is_a_setting(plan, settings):
    settings.BULLETIN_RANK_METRIC = "first_applications"
    data = selectors.build_data(plan)
    assert data["rank_metric"] == "高企新申报数"
    at = data["rank_index"]
    ranks = [row["cells"][at]["rank"] for row in data["rows"]]
    assert ranks == sorted(ranks) and data["rows"][0]["label"] == "嘉泽镇"


def test_the_download_survives_a_lost_file(bulletin, client_for, district):
    bulletin.xlsx.storage.delete(bulletin.xlsx.name)
    response = client_for(district).get(reverse("bulletins:xlsx", args=[bulletin.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert load_workbook(BytesIO(response.content)).active["A1"].value == bulletin.title


def test_links_in_earlier_notices_still_open_the_bulletin(bulletin, client_for, leader):
    old = f"/reports/bulletins/{bulletin.pk}/print/"
    response = client_for(leader).get(old, follow=True)
    assert response.redirect_chain == [(reverse("bulletins:print", args=[bulletin.pk]), 301)]
    assert bulletin.title in response.content.decode()
