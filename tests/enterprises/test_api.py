"""The registry over the API, as an integrator's script meets it: the same scope, validation
and change log as the pages, a 404 for another town's enterprise, a 403 for a leader's write,
and a 412 for a write based on a stale read."""

import datetime

import pytest

from core.choices import Action
from core.models import ChangeLog
from enterprises.models import Enterprise, EnterpriseYear, TownSpan

from .conftest import code

pytestmark = pytest.mark.django_db

HUTANG = ("湖塘镇", "常州湖塘精密机械有限公司")
NIUTANG = ("牛塘镇", "常州牛塘电子有限公司")


def url(enterprise, tail: str = "") -> str:
    return f"/api/v1/enterprises/{enterprise.pk}/{tail}"


def log_of(enterprise) -> list[ChangeLog]:
    """The enterprise's change log, oldest first (the registry's own: created, 2018 added)."""
    entries = ChangeLog.objects.filter(
        object_id=str(enterprise.pk), content_type__model="enterprise"
    )
    return list(entries.order_by("created_at", "pk"))


def message(response) -> str:
    body = response.json()
    assert set(body) == {"message", "errors"}
    return body["message"]


# --- enterprises ------------------------------------------------------------------------------


def test_a_town_adds_an_enterprise_in_its_town_and_the_log_says_who(api_for, hutang, units):
    response = api_for(hutang).post(
        "/api/v1/enterprises/",
        {
            "uscc": f" {code(77).lower()} ",
            "name": "常州湖塘新企业有限公司",
            "town": units["湖塘镇"].pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["uscc"], body["town_name"], body["is_active"]) == (code(77), "湖塘镇", True)
    assert response["ETag"]
    enterprise = Enterprise.objects.get(pk=body["id"])
    assert TownSpan.objects.get(enterprise=enterprise).town == units["湖塘镇"]
    [entry] = log_of(enterprise)
    assert (entry.action, entry.actor, entry.after["企业名称"]) == (
        Action.CREATE,
        hutang,
        "常州湖塘新企业有限公司",
    )


def test_adding_in_another_town_or_a_known_code_is_a_400_naming_the_field(
    api_for, hutang, registry, units
):
    api = api_for(hutang)
    other_town = api.post(
        "/api/v1/enterprises/",
        {"uscc": code(78), "name": "越权企业", "town": units["牛塘镇"].pk},
        format="json",
    )
    assert other_town.status_code == 400
    assert list(other_town.json()["errors"]) == ["town"] and "权限范围" in message(other_town)
    known = api.post(
        "/api/v1/enterprises/",
        {"uscc": code(1).lower(), "name": "重复企业", "town": units["湖塘镇"].pk},
        format="json",
    )
    assert known.status_code == 400
    assert "已登记为“常州湖塘精密机械有限公司”" in known.json()["errors"]["uscc"][0]
    assert Enterprise.objects.count() == 6


def test_a_leader_can_read_but_not_add_or_edit(api_for, leader, registry, units):
    api = api_for(leader)
    enterprise = registry[HUTANG]
    assert api.get(url(enterprise)).status_code == 200
    added = api.post(
        "/api/v1/enterprises/",
        {"uscc": code(79), "name": "领导新增", "town": units["湖塘镇"].pk},
        format="json",
    )
    assert added.status_code == 403 and "只读" in message(added)
    edited = api.patch(url(enterprise), {"name": "领导改名"}, format="json")
    assert edited.status_code == 403 and "只读" in message(edited)
    moved = api.post(url(enterprise, "move/"), {"town": units["牛塘镇"].pk}, format="json")
    assert moved.status_code == 403
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.town) == (HUTANG[1], units["湖塘镇"])
    assert Enterprise.objects.count() == 6
    assert [e.action for e in log_of(enterprise)] == [Action.CREATE, Action.CREATE]


def test_another_towns_enterprise_is_404_for_every_operation(api_for, hutang, registry, units):
    api = api_for(hutang)
    other = registry[NIUTANG]
    assert api.get(url(other)).status_code == 404
    assert api.patch(url(other), {"name": "改名"}, format="json").status_code == 404
    assert api.post(url(other, "set-active/"), {"active": False}, format="json").status_code == 404
    assert api.get(url(other, "years/")).status_code == 404
    assert api.get(url(other, "years/2018/")).status_code == 404
    assert api.post(url(other, "years/"), {"year": 2019}, format="json").status_code == 404
    other.refresh_from_db()
    assert (other.name, other.is_active) == (NIUTANG[1], True)


def test_anonymous_is_401(api_for, registry):
    enterprise = registry[HUTANG]
    api = api_for(None)
    assert api.patch(url(enterprise), {"name": "x"}, format="json").status_code == 401
    assert api.get(url(enterprise, "years/")).status_code == 401


def test_an_edit_logs_before_and_after_like_the_page(api_for, client_for, hutang, registry):
    enterprise, twin = registry[HUTANG], registry[("湖塘镇", "常州湖塘新材料有限公司")]
    response = api_for(hutang).patch(
        url(enterprise), {"name": " 常州湖塘精工有限公司 ", "phone": "0519-1234"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["phone"]) == (
        "常州湖塘精工有限公司",
        "0519-1234",
    )
    form = {"uscc": twin.uscc, "name": "常州湖塘新材料股份公司", "phone": "0519-1234"}
    form["tech_field"] = twin.tech_field  # a form posts every field it shows
    page = client_for(hutang).post(f"/enterprises/{twin.pk}/edit/", form)
    assert page.status_code == 302
    [*_, by_api] = log_of(enterprise)
    [*_, by_page] = log_of(twin)
    assert (
        (by_api.action, by_api.actor) == (by_page.action, by_page.actor) == (Action.UPDATE, hutang)
    )
    assert by_api.changed_fields() == [
        ("企业名称", HUTANG[1], "常州湖塘精工有限公司"),
        ("联系电话", None, "0519-1234"),
    ]
    assert [f for f, *_ in by_api.changed_fields()] == [f for f, *_ in by_page.changed_fields()]


def test_a_stale_if_match_is_412_and_changes_nothing(api_for, hutang, registry):
    api = api_for(hutang)
    enterprise = registry[HUTANG]
    read = api.get(url(enterprise))
    etag = read["ETag"]
    first = api.patch(url(enterprise), {"industry": "机械"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] != etag
    stale = api.patch(url(enterprise), {"industry": "电子"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and "未保存" in message(stale)
    for action, body in (
        ("move/", {"town": enterprise.town_id}),
        ("set-active/", {"active": False}),
    ):
        assert (
            api.post(url(enterprise, action), body, format="json", HTTP_IF_MATCH=etag).status_code
            == 412
        )
    # A body that cannot be saved is a 400 whatever version it names.
    bad = api.patch(url(enterprise), {"name": ""}, format="json", HTTP_IF_MATCH=etag)
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["name"]
    enterprise.refresh_from_db()
    assert (enterprise.industry, enterprise.is_active) == ("机械", True)
    # The body read with GET, changed and sent back whole, with the current ETag, is saved.
    body = {**api.get(url(enterprise)).json(), "legal_rep": "张三"}
    put = api.put(url(enterprise), body, format="json", HTTP_IF_MATCH=first["ETag"])
    assert put.status_code == 200 and put.json()["legal_rep"] == "张三"


def test_the_town_and_the_active_flag_are_not_changed_by_an_edit(
    api_for, district, registry, units
):
    api = api_for(district)
    enterprise = registry[HUTANG]
    response = api.patch(
        url(enterprise), {"town": units["牛塘镇"].pk, "name": "新名"}, format="json"
    )
    assert response.status_code == 400
    assert f"/api/v1/enterprises/{enterprise.pk}/move/" in response.json()["errors"]["town"][0]
    flag = api.patch(url(enterprise), {"is_active": False}, format="json")
    assert flag.status_code == 400 and "set-active" in flag.json()["errors"]["is_active"][0]
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.town, enterprise.is_active) == (
        HUTANG[1],
        units["湖塘镇"],
        True,
    )


def test_a_move_keeps_the_old_towns_past_and_is_logged(api_for, district, registry, units):
    enterprise = registry[HUTANG]
    response = api_for(district).post(
        url(enterprise, "move/"),
        {"town": units["牛塘镇"].pk, "on": "2019-07-01", "note": "厂区搬迁"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["town_name"] == "牛塘镇" and response["ETag"]
    spans = list(enterprise.town_spans.order_by("pk").values_list("town__name", "end"))
    assert spans == [("湖塘镇", datetime.date(2019, 6, 30)), ("牛塘镇", None)]
    entry = log_of(enterprise)[-1]
    assert (entry.action, entry.note, entry.after["迁入日期"]) == (
        Action.MOVE,
        "厂区搬迁",
        "2019-07-01",
    )


def test_a_move_the_service_refuses_is_a_400_naming_the_field(
    api_for, district, hutang, registry, units
):
    enterprise = registry[HUTANG]
    same = api_for(district).post(
        url(enterprise, "move/"), {"town": units["湖塘镇"].pk}, format="json"
    )
    assert same.status_code == 400 and "与当前相同" in same.json()["errors"]["town"][0]
    ancient = api_for(district).post(
        url(enterprise, "move/"), {"town": units["牛塘镇"].pk, "on": "0001-01-01"}, format="json"
    )
    assert ancient.status_code == 400 and list(ancient.json()["errors"]) == ["on"]
    outside = api_for(hutang).post(
        url(enterprise, "move/"), {"town": units["牛塘镇"].pk}, format="json"
    )
    assert outside.status_code == 400 and "权限范围" in outside.json()["errors"]["town"][0]
    enterprise.refresh_from_db()
    assert enterprise.town == units["湖塘镇"] and enterprise.town_spans.count() == 1


def test_a_deactivated_enterprise_leaves_the_list_but_stays_readable(api_for, hutang, registry):
    api = api_for(hutang)
    enterprise = registry[HUTANG]
    off = api.post(
        url(enterprise, "set-active/"), {"active": False, "note": "已注销"}, format="json"
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert log_of(enterprise)[-1].action == Action.DEACTIVATE
    listed = {e["id"] for e in api.get("/api/v1/enterprises/").json()["results"]}
    inactive = {e["id"] for e in api.get("/api/v1/enterprises/?status=inactive").json()["results"]}
    assert enterprise.pk not in listed and inactive == {enterprise.pk}
    assert api.get(url(enterprise)).status_code == 200
    on = api.post(url(enterprise, "set-active/"), {"active": True}, format="json")
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert log_of(enterprise)[-1].action == Action.ACTIVATE


def test_a_bad_filter_value_is_a_400_naming_it(api_for, hutang, registry):
    response = api_for(hutang).get("/api/v1/enterprises/?status=gone")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["status"]


# --- annual indicators ------------------------------------------------------------------------


def test_years_are_listed_added_and_edited_like_the_indicator_table(api_for, hutang, registry):
    api = api_for(hutang)
    enterprise = registry[HUTANG]
    listed = api.get(url(enterprise, "years/")).json()
    assert listed["count"] == 1 and listed["results"][0]["staff_total"] == 100
    added = api.post(
        url(enterprise, "years/"),
        {"year": 2019, "staff_total": 120, "sales_revenue": 1500.5},
        format="json",
    )
    assert added.status_code == 201, added.json()
    assert (added.json()["year"], added.json()["sales_revenue"]) == (2019, 1500.5)
    entry = log_of(enterprise)[-1]
    assert (entry.action, entry.actor, entry.note) == (Action.CREATE, hutang, "2019年度指标")
    read = api.get(url(enterprise, "years/2019/"))
    edited = api.patch(
        url(enterprise, "years/2019/"), {"st_staff": 30}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert edited.status_code == 200 and edited.json()["staff_total"] == 120  # untouched
    assert log_of(enterprise)[-1].changed_fields() == [("科技人员数", None, 30)]
    assert [y["year"] for y in api.get(url(enterprise)).json()["years"]] == [2019, 2018]


def test_a_year_the_form_refuses_is_refused_naming_the_field(api_for, hutang, registry):
    api = api_for(hutang)
    enterprise = registry[HUTANG]
    again = api.post(url(enterprise, "years/"), {"year": 2018, "staff_total": 1}, format="json")
    assert again.status_code == 400 and "已存在" in again.json()["errors"]["year"][0]
    early = api.post(url(enterprise, "years/"), {"year": 1979}, format="json")
    assert early.json()["errors"] == {"year": ["请填写 1980–2100 之间的年度。"]}
    negative = api.post(url(enterprise, "years/"), {"year": 2019, "rd_expense": -1}, format="json")
    assert negative.status_code == 400 and list(negative.json()["errors"]) == ["rd_expense"]
    staff = api.patch(url(enterprise, "years/2018/"), {"st_staff": 101}, format="json")
    assert staff.status_code == 400 and "科技人员数不能大于职工总数" in message(staff)
    assert api.get(url(enterprise, "years/2017/")).status_code == 404
    row = EnterpriseYear.objects.get(enterprise=enterprise)
    assert (row.year, row.staff_total, row.st_staff) == (2018, 100, 12)
    assert [e.action for e in log_of(enterprise)] == [Action.CREATE, Action.CREATE]


def test_a_years_stale_etag_is_412_and_a_leader_cannot_write_years(
    api_for, hutang, leader, registry
):
    enterprise = registry[HUTANG]
    api = api_for(hutang)
    etag = api.get(url(enterprise, "years/2018/"))["ETag"]
    assert (
        api.patch(url(enterprise, "years/2018/"), {"ip_class1": 2}, format="json").status_code
        == 200
    )
    stale = api.put(
        url(enterprise, "years/2018/"), {"ip_class1": 9}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    reader = api_for(leader)
    assert reader.get(url(enterprise, "years/2018/")).status_code == 200
    assert (
        reader.patch(url(enterprise, "years/2018/"), {"ip_class1": 5}, format="json").status_code
        == 403
    )
    added = reader.post(url(enterprise, "years/"), {"year": 2019}, format="json")
    assert added.status_code == 403 and "只读" in message(added)
    assert list(enterprise.years.values_list("year", "ip_class1")) == [(2018, 2)]
