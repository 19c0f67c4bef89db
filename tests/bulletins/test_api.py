"""/api/v1/bulletins/: the 通报 each persona's list page shows, with their stored data and Excel
file, and issuing one — for district staff only, through the page's service (delivered to the
leaders), refused with a reason to leaders and towns."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from bulletins import services
from bulletins.models import Bulletin
from bulletins.selectors import NOT_ISSUER
from core.models import Notification
from targets import services as target_services
from targets.models import Metric

LIST = "/api/v1/bulletins/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def detail(pk: int) -> str:
    return f"{LIST}{pk}/"


@pytest.fixture
def plan(units, personas, settings):
    """A small 武进区 plan: first applications for 湖塘 and 牛塘."""
    settings.PORTAL_TODAY = date(2019, 7, 15)
    metric = Metric.objects.get(code="first_applications")
    made = target_services.create_plan(
        actor=None, unit=units["武进区"], year=2019, columns=[(metric, "")]
    )
    cells = {(metric.pk, units[town].pk): Decimal(n) for town, n in (("湖塘镇", 20), ("牛塘镇", 5))}
    target_services.set_values(actor=None, plan=made, cells=cells)
    return made


@pytest.fixture
def bulletin(plan, district):
    return services.issue_bulletin(actor=district, plan=plan)


# --- reading -----------------------------------------------------------------------------------


def test_each_persona_lists_what_the_page_shows_them(
    bulletin, api_for, conforms, district, leader, admin_user, hutang, niutang, outsider
):
    for user in (district, leader, admin_user):
        body = api_for(user).get(LIST).json()
        conforms(body, "/api/v1/bulletins/")
        assert body["count"] == 1, user
        [row] = body["results"]
        assert (row["id"], row["title"]) == (
            bulletin.pk,
            "武进区2019年高新技术企业培育工作进展通报",
        )
        assert row["as_of"] == "2019-07-15" and row["expected"] == 0.5
        assert [f["label"] for f in row["key"]] == ["有效高企", "新增高企", "高企申报"]
        assert row["created_by_name"] == district.display_name and not row["scheduled"]
        assert row["xlsx_url"] == f"{detail(bulletin.pk)}xlsx/"
        assert "data" not in row  # the list is the page's summary; the detail has the data
    for user in (hutang, niutang, outsider):  # a bulletin holds every town's row
        assert api_for(user).get(LIST).json()["count"] == 0, user
    assert api_for(None).get(LIST).status_code == 401


def test_a_bulletin_is_its_stored_data_and_a_town_gets_a_404(
    bulletin, api_for, conforms, leader, hutang
):
    response = api_for(leader).get(detail(bulletin.pk))
    assert response.status_code == 200
    body = response.json()
    conforms(body, "/api/v1/bulletins/{id}/")
    assert body["data"] == bulletin.data  # as issued, every key documented
    assert {row["label"] for row in body["data"]["rows"]} >= {"湖塘镇", "牛塘镇"}
    assert response["ETag"].startswith('"')
    for url in (detail(bulletin.pk), f"{detail(bulletin.pk)}xlsx/"):
        refused = api_for(hutang).get(url)
        assert refused.status_code == 404, url
        assert refused.json() == {"message": "未找到该记录，或不在您的权限范围内。", "errors": {}}
    assert api_for(leader).get(detail(bulletin.pk + 1000)).status_code == 404


def test_the_excel_download_is_the_pages_file_whatever_the_client_accepts(
    bulletin, api_for, leader
):
    api = api_for(leader)
    for accept in ("application/json", XLSX, "*/*"):
        response = api.get(f"{detail(bulletin.pk)}xlsx/", HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert response["Content-Type"] == XLSX
        assert "attachment" in response["Content-Disposition"]
        workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
        assert workbook.active["A1"].value == bulletin.title
    bulletin.xlsx.storage.delete(bulletin.xlsx.name)  # the media volume lost it: rebuilt
    response = api.get(f"{detail(bulletin.pk)}xlsx/")
    assert response.status_code == 200
    assert load_workbook(BytesIO(response.content)).active["A1"].value == bulletin.title


# --- issuing -----------------------------------------------------------------------------------


def test_district_staff_issue_one_and_the_leaders_receive_it(
    plan, api_for, conforms, district, leader
):
    api = api_for(district)
    response = api.post(LIST, {"plan": plan.pk, "as_of": "2019-06-30"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    conforms(body, "/api/v1/bulletins/", "post", "201")
    made = Bulletin.objects.get()
    assert (body["id"], body["as_of"]) == (made.pk, "2019-06-30")
    assert made.created_by == district and not made.scheduled
    assert made.data["as_of"] == "2019-06-30" and made.xlsx.name.endswith(".xlsx")
    again = api.get(detail(made.pk))
    assert again.json() == body and again["ETag"] == response["ETag"]
    [notice] = Notification.objects.filter(recipient=leader)  # as the page sends it
    assert notice.title.startswith(made.title)
    # No date: today, as on the page; a date outside the plan's year: that year's end.
    assert api.post(LIST, {"plan": plan.pk}, format="json").json()["as_of"] == "2019-07-15"
    late = api.post(LIST, {"plan": plan.pk, "as_of": "2020-03-01"}, format="json")
    assert late.json()["as_of"] == "2019-12-31"


def test_leaders_and_towns_are_refused_with_the_reason_and_nothing_is_made(
    plan, api_for, leader, hutang
):
    for user in (leader, hutang):
        response = api_for(user).post(LIST, {"plan": plan.pk}, format="json")
        assert response.status_code == 403, user
        assert response.json() == {"message": NOT_ISSUER, "errors": {}}
    assert api_for(None).post(LIST, {"plan": plan.pk}, format="json").status_code == 401
    assert not Bulletin.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "plan"),
        ({"plan": 99999}, "plan"),
        ({"plan": "town"}, "plan"),  # a plan the district may change, but no units below
        ({"plan": "1"}, "plan"),  # JSON: a number is a number
        ({"plan": "own", "as_of": "2019-02-30"}, "as_of"),
        ({"plan": "own", "as_of": 20190630}, "as_of"),
    ],
)
def test_a_plan_or_date_that_will_not_do_is_a_400_naming_it(
    plan, units, api_for, district, body, field
):
    metric = Metric.objects.get(code="first_applications")
    town_plan = target_services.create_plan(
        actor=None, unit=units["湖塘镇"], year=2019, columns=[(metric, "")]
    )
    body = {
        **body,
        **{k: {"town": town_plan.pk, "own": plan.pk}.get(v, v) for k, v in body.items()},
    }
    response = api_for(district).post(LIST, body, format="json")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert list(answer["errors"]) == [field]
    assert answer["message"].startswith(f"提交的数据有误（{field}）：")
    assert not Bulletin.objects.exists()


def test_a_bulletin_is_never_edited_or_deleted(bulletin, api_for, district):
    api = api_for(district)
    for method in ("put", "patch", "delete"):
        assert getattr(api, method)(detail(bulletin.pk), {}, format="json").status_code == 405
    assert Bulletin.objects.get().title == bulletin.title
