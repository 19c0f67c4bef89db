"""/api/v1/target-plans/ and /api/v1/metrics/ as an integrator's script meets them: the same
scope, validation and change log as the target pages, with ETag / If-Match on writes."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from core.choices import Action, UnitKind
from core.models import ChangeLog, OrgUnit
from targets import services
from targets.models import Metric, TargetPlan, TargetValue

pytestmark = pytest.mark.django_db


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


@pytest.fixture
def district_plan(units):
    """武进区's 2019 plan: a baseline and two grouped columns, one own goal, a few values."""
    plan = services.create_plan(
        actor=None,
        unit=units["武进区"],
        year=2019,
        title="2019年全区任务分解表",
        columns=[
            (metric("baseline_valid_hte"), ""),
            (metric("first_applications"), "争取上报"),
            (metric("applications"), "争取上报"),
        ],
        own_goals=[metric("new_hte")],
    )
    services.set_values(
        actor=None,
        plan=plan,
        cells={
            (metric("first_applications").pk, units["湖塘镇"].pk): Decimal(30),
            (metric("first_applications").pk, units["牛塘镇"].pk): Decimal(20),
            (metric("first_applications").pk, units["武进区"].pk): Decimal(50),
            (metric("new_hte").pk, units["武进区"].pk): Decimal(120),
        },
    )
    return plan


@pytest.fixture
def niutang_plan(units):
    return services.create_plan(
        actor=None, unit=units["牛塘镇"], year=2019, columns=[(metric("pool_entries"), "")]
    )


def logged(plan, action) -> list[ChangeLog]:
    """What users did to the plan (the fixtures' own writes have no actor)."""
    kind = ContentType.objects.get_for_model(TargetPlan)
    entries = ChangeLog.objects.filter(content_type=kind, object_id=str(plan.pk), action=action)
    return list(entries.filter(actor__isnull=False))


def cell(plan, code, unit):
    found = TargetValue.objects.filter(plan=plan, metric=metric(code), unit=unit).first()
    return None if found is None else found.value


# --- reading --------------------------------------------------------------------------------


def test_anonymous_gets_401_everywhere(district_plan, api_for):
    api = api_for(None)
    for url in [
        "/api/v1/target-plans/",
        f"/api/v1/target-plans/{district_plan.pk}/",
        f"/api/v1/target-plans/{district_plan.pk}/values/",
        f"/api/v1/target-plans/{district_plan.pk}/completion/",
        "/api/v1/metrics/",
    ]:
        assert api.get(url).status_code == 401, url
    assert api.post("/api/v1/target-plans/", {"year": 2020}, format="json").status_code == 401


def test_a_town_sees_the_plan_above_it_and_its_own_but_not_another_towns(
    district_plan, niutang_plan, api_for, hutang, niutang
):
    listed = api_for(hutang).get("/api/v1/target-plans/").json()
    assert [p["id"] for p in listed["results"]] == [district_plan.pk]
    assert listed["count"] == 1
    assert api_for(hutang).get(f"/api/v1/target-plans/{niutang_plan.pk}/").status_code == 404
    for tail in ("values/", "completion/"):
        url = f"/api/v1/target-plans/{niutang_plan.pk}/{tail}"
        assert api_for(hutang).get(url).status_code == 404
    own = api_for(niutang).get("/api/v1/target-plans/", {"year": 2019}).json()["results"]
    assert {p["id"] for p in own} == {district_plan.pk, niutang_plan.pk}


def test_a_plan_shows_its_columns_and_own_goals_with_an_etag(district_plan, api_for, district):
    response = api_for(district).get(f"/api/v1/target-plans/{district_plan.pk}/")
    data = response.json()
    assert response["ETag"].startswith('"')
    assert data["breakdown_metrics"] == ["baseline_valid_hte", "first_applications", "applications"]
    assert data["own_metrics"] == ["new_hte"]
    assert (data["group"], data["unit_name"], data["year"]) == ("争取上报", "武进区", 2019)


def test_a_bad_filter_value_is_a_400_not_the_whole_list(district_plan, api_for, district):
    response = api_for(district).get("/api/v1/target-plans/", {"year": "二〇一九"})
    assert response.status_code == 400
    assert "year" in response.json()["errors"]


# --- creating -------------------------------------------------------------------------------


def test_district_creates_a_plan_through_the_service_and_it_is_logged(api_for, district, units):
    response = api_for(district).post(
        "/api/v1/target-plans/",
        {
            "year": 2020,
            "doc_number": "武科发〔2020〕3号",
            "progress_mode": "day",
            "breakdown_metrics": ["baseline_valid_hte", "pool_entries"],
            "own_metrics": ["new_hte"],
            "group": "2020年任务",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    plan = TargetPlan.objects.get(pk=data["id"])
    assert response["ETag"] and data["title"] == "2020年武进区高新技术企业任务分解表"
    assert (plan.unit, plan.progress_mode, plan.created_by) == (units["武进区"], "day", district)
    columns = [(pm.metric.code, pm.group, pm.breakdown) for pm in plan.plan_metrics.all()]
    # The merged header sits above every column but the baseline, as on the page.
    assert columns == [
        ("baseline_valid_hte", "", True),
        ("pool_entries", "2020年任务", True),
        ("new_hte", "", False),
    ]
    assert len(logged(plan, Action.CREATE)) == 1


def test_a_town_plans_for_its_parks_but_not_for_the_district(api_for, hutang, units):
    created = api_for(hutang).post(
        "/api/v1/target-plans/",
        {"year": 2019, "breakdown_metrics": ["pool_entries"]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["unit"] == units["湖塘镇"].pk
    refused = api_for(hutang).post(
        "/api/v1/target-plans/", {"year": 2020, "unit": units["武进区"].pk}, format="json"
    )
    assert refused.status_code == 400 and "unit" in refused.json()["errors"]
    assert not TargetPlan.objects.filter(year=2020).exists()


def test_a_leader_cannot_create(api_for, leader):
    response = api_for(leader).post("/api/v1/target-plans/", {"year": 2020}, format="json")
    assert response.status_code == 403
    assert "只读" in response.json()["message"]
    assert not TargetPlan.objects.exists()


def test_the_services_refusals_are_400s_naming_the_field(district_plan, api_for, district):
    api = api_for(district)
    twice = api.post("/api/v1/target-plans/", {"year": 2019}, format="json")
    assert twice.status_code == 400
    assert twice.json()["errors"]["year"] == ["武进区已有2019年的目标任务，请直接修改。"]
    both = api.post(
        "/api/v1/target-plans/",
        {"year": 2021, "breakdown_metrics": ["new_hte"], "own_metrics": ["new_hte"]},
        format="json",
    )
    assert both.status_code == 400
    assert "不能同时分解到下级和只设本级目标" in both.json()["errors"]["own_metrics"][0]
    # A baseline cannot be an own goal (the page offers none), nor an unknown code a column.
    baseline = api.post(
        "/api/v1/target-plans/",
        {"year": 2021, "own_metrics": ["baseline_valid_hte"]},
        format="json",
    )
    assert baseline.status_code == 400 and "own_metrics" in baseline.json()["errors"]
    unknown = api.post(
        "/api/v1/target-plans/", {"year": 2021, "breakdown_metrics": ["nope"]}, format="json"
    )
    assert unknown.status_code == 400
    assert "nope" in unknown.json()["errors"]["breakdown_metrics"][0]
    assert TargetPlan.objects.count() == 1


# --- editing --------------------------------------------------------------------------------


def test_district_edits_the_header_and_the_change_is_logged(district_plan, api_for, district):
    api = api_for(district)
    url = f"/api/v1/target-plans/{district_plan.pk}/"
    etag = api.get(url)["ETag"]
    response = api.patch(
        url, {"doc_number": "武科发〔2019〕14号"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200 and response["ETag"] != etag
    district_plan.refresh_from_db()
    assert district_plan.doc_number == "武科发〔2019〕14号"
    # Only the header changed: the columns and their values are as they were.
    assert response.json()["breakdown_metrics"] == [
        "baseline_valid_hte",
        "first_applications",
        "applications",
    ]
    assert cell(district_plan, "first_applications", district_plan.unit) == 50
    (entry,) = logged(district_plan, Action.UPDATE)
    assert entry.after["文号"] == "武科发〔2019〕14号" and entry.actor == district


def test_dropping_a_column_drops_its_values_as_the_edit_page_does(district_plan, api_for, district):
    url = f"/api/v1/target-plans/{district_plan.pk}/"
    response = api_for(district).patch(
        url, {"breakdown_metrics": ["applications"], "group": "新表头"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["breakdown_metrics"] == ["applications"]
    assert response.json()["group"] == "新表头"
    assert cell(district_plan, "first_applications", district_plan.unit) is None
    assert cell(district_plan, "new_hte", district_plan.unit) == 120  # the own goal stays


@pytest.mark.parametrize("persona", ["hutang", "leader"])
def test_towns_and_leaders_cannot_edit_the_district_plan(district_plan, api_for, personas, persona):
    url = f"/api/v1/target-plans/{district_plan.pk}/"
    response = api_for(personas[persona]).patch(url, {"title": "改了"}, format="json")
    assert response.status_code == 403
    assert "不能修改" in response.json()["message"]
    district_plan.refresh_from_db()
    assert district_plan.title == "2019年全区任务分解表"
    assert logged(district_plan, Action.UPDATE) == []


def test_another_towns_plan_is_404_to_write(niutang_plan, api_for, hutang):
    url = f"/api/v1/target-plans/{niutang_plan.pk}/"
    assert api_for(hutang).patch(url, {"title": "改了"}, format="json").status_code == 404


def test_a_stale_if_match_is_412_and_changes_nothing(district_plan, api_for, district):
    api = api_for(district)
    url = f"/api/v1/target-plans/{district_plan.pk}/"
    etag = api.get(url)["ETag"]
    assert api.patch(url, {"notes": "第一次"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    stale = api.patch(url, {"notes": "第二次"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    district_plan.refresh_from_db()
    assert district_plan.notes == "第一次"


def test_a_bad_value_in_an_edit_is_a_400_naming_it(district_plan, api_for, district):
    url = f"/api/v1/target-plans/{district_plan.pk}/"
    response = api_for(district).patch(url, {"progress_mode": "weekly"}, format="json")
    assert response.status_code == 400 and "progress_mode" in response.json()["errors"]
    assert api_for(district).delete(url).status_code == 405  # the pages have no delete


# --- the value grid -------------------------------------------------------------------------


def test_the_value_grid_is_the_pages(district_plan, api_for, district, units):
    response = api_for(district).get(f"/api/v1/target-plans/{district_plan.pk}/values/")
    data = response.json()
    assert response["ETag"]
    assert [m["code"] for m in data["metrics"]] == [
        "baseline_valid_hte",
        "first_applications",
        "applications",
        "new_hte",
    ]
    children = list(units["武进区"].children.filter(is_active=True).order_by("order"))
    assert [u["id"] for u in data["units"]] == [*[c.pk for c in children], units["武进区"].pk]
    assert [u["is_total"] for u in data["units"]][-2:] == [False, True]
    values = {(v["unit"], v["metric"]): v["value"] for v in data["values"]}
    # Three table columns for every row, the own goal for the total row only.
    assert len(values) == 3 * len(data["units"]) + 1
    assert values[(units["湖塘镇"].pk, "first_applications")] == 30
    assert values[(units["武进区"].pk, "new_hte")] == 120
    assert (units["湖塘镇"].pk, "new_hte") not in values
    assert values[(units["湖塘镇"].pk, "applications")] is None


def test_a_town_reads_its_row_and_the_total_only(district_plan, api_for, hutang, units):
    data = api_for(hutang).get(f"/api/v1/target-plans/{district_plan.pk}/values/").json()
    assert [u["name"] for u in data["units"]] == ["湖塘镇", "武进区"]
    assert {v["unit"] for v in data["values"]} == {units["湖塘镇"].pk, units["武进区"].pk}


def grid(api, plan):
    response = api.get(f"/api/v1/target-plans/{plan.pk}/values/")
    return response["ETag"], response.json()["values"]


def put_values(api, plan, values, **headers):
    return api.put(
        f"/api/v1/target-plans/{plan.pk}/values/", {"values": values}, format="json", **headers
    )


def test_district_writes_the_grid_through_the_service_and_it_is_logged(
    district_plan, api_for, district, units
):
    api = api_for(district)
    etag, values = grid(api, district_plan)
    for value in values:
        if value["unit"] == units["湖塘镇"].pk and value["metric"] == "first_applications":
            value["value"] = 35.5
        if value["unit"] == units["牛塘镇"].pk and value["metric"] == "first_applications":
            value["value"] = None  # cleared, as an emptied input on the page
    response = put_values(api, district_plan, values, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert response["ETag"] != etag
    assert cell(district_plan, "first_applications", units["湖塘镇"]) == Decimal("35.5")
    assert cell(district_plan, "first_applications", units["牛塘镇"]) is None
    assert cell(district_plan, "new_hte", units["武进区"]) == 120
    (entry,) = logged(district_plan, Action.UPDATE)
    assert entry.before == {"湖塘·高企新申报数": "30", "牛塘·高企新申报数": "20"}
    assert entry.after == {"湖塘·高企新申报数": "35.5"}
    again = api.get(f"/api/v1/target-plans/{district_plan.pk}/values/")
    assert again["ETag"] == response["ETag"] and again.json() == response.json()


def test_cells_left_out_of_a_put_are_cleared(district_plan, api_for, district, units):
    only = [{"unit": units["武进区"].pk, "metric": "new_hte", "value": 130}]
    assert put_values(api_for(district), district_plan, only).status_code == 200
    assert list(district_plan.values.values_list("metric__code", "value")) == [("new_hte", 130)]


def test_a_stale_grid_is_412_and_nothing_is_lost(district_plan, api_for, district, units):
    api = api_for(district)
    etag, values = grid(api, district_plan)
    services.set_values(  # someone else saves the page meanwhile
        actor=district,
        plan=district_plan,
        cells={(metric("applications").pk, units["湖塘镇"].pk): Decimal(7)},
    )
    response = put_values(api, district_plan, values, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert "已被他人修改" in response.json()["message"]
    assert cell(district_plan, "applications", units["湖塘镇"]) == 7


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"unit": 999999, "metric": "applications", "value": 1}, "values.0.unit"),
        ({"metric": "pool_entries", "value": 1}, "values.0.metric"),
        ({"metric": "new_hte", "value": 1}, "values.0.unit"),  # an own goal, on a town's row
        ({"metric": "applications", "value": -1}, "values.0.value"),
        ({"metric": "applications", "value": 1.005}, "values.0.value"),
        ({"metric": "applications", "value": "12"}, "values.0.value"),
    ],
)
def test_a_cell_the_grid_refuses_is_a_400_naming_it_and_nothing_changes(
    district_plan, api_for, district, units, item, field
):
    item = {"unit": units["湖塘镇"].pk, **item}
    response = put_values(api_for(district), district_plan, [item])
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and body["message"].startswith("提交的数据有误")
    assert cell(district_plan, "first_applications", units["湖塘镇"]) == 30
    assert logged(district_plan, Action.UPDATE) == []


def test_a_cell_listed_twice_is_a_400(district_plan, api_for, district, units):
    item = {"unit": units["湖塘镇"].pk, "metric": "applications", "value": 1}
    response = put_values(api_for(district), district_plan, [item, {**item, "value": 2}])
    assert response.status_code == 400
    assert response.json()["errors"]["values.1"] == ["与第 1 项重复（同一单位、同一指标）。"]


@pytest.mark.parametrize("persona", ["hutang", "leader"])
def test_only_the_issuing_units_writers_fill_the_grid(
    district_plan, api_for, personas, units, persona
):
    item = {"unit": units["湖塘镇"].pk, "metric": "first_applications", "value": 99}
    response = put_values(api_for(personas[persona]), district_plan, [item])
    assert response.status_code == 403
    assert cell(district_plan, "first_applications", units["湖塘镇"]) == 30


def test_a_town_fills_the_grid_of_its_own_plan_for_its_parks(api_for, hutang, units):
    park = OrgUnit.objects.create(
        name="湖塘科技园", kind=UnitKind.PARK, parent=units["湖塘镇"], order=1
    )
    plan = services.create_plan(
        actor=hutang, unit=units["湖塘镇"], year=2019, columns=[(metric("pool_entries"), "")]
    )
    api = api_for(hutang)
    etag, values = grid(api, plan)
    assert [(v["unit"], v["value"]) for v in values] == [
        (park.pk, None),
        (units["湖塘镇"].pk, None),
    ]
    values[0]["value"] = 4
    assert put_values(api, plan, values, HTTP_IF_MATCH=etag).status_code == 200
    assert cell(plan, "pool_entries", park) == 4


# --- the completion table -------------------------------------------------------------------


@pytest.fixture
def schema(api_for, district):
    response = api_for(district).get("/api/v1/schema/", {"format": "json"})
    return response.json()["components"]["schemas"]


def test_the_completion_table_is_what_the_schema_documents(
    district_plan, api_for, district, schema, settings
):
    settings.PORTAL_TODAY = datetime.date(2019, 7, 15)
    data = api_for(district).get(f"/api/v1/target-plans/{district_plan.pk}/completion/").json()
    assert set(data) == set(schema["TargetCompletion"]["properties"])
    assert set(data["plan"]) == set(schema["TargetPlan"]["properties"])
    assert set(data["metrics"][0]) == set(schema["TargetPlanColumn"]["properties"])
    row = data["rows"][0]
    assert set(row) == set(schema["TargetCompletionRow"]["properties"])
    assert set(row["cells"]) == {m["code"] for m in data["metrics"]}
    assert set(row["cells"]["first_applications"]) == set(
        schema["TargetCompletionCell"]["properties"]
    )
    total = data["total"]["cells"]
    assert data["total"]["is_total"] and total["first_applications"]["target"] == 50
    assert total["new_hte"]["target"] == 120 and total["new_hte"]["actual"] == 0
    assert data["expected_progress"] == 0.5 and data["as_of"] == "2019-07-15"


def test_the_schema_names_the_completion_response(schema, api_for, district):
    paths = api_for(district).get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    operation = paths["/api/v1/target-plans/{id}/completion/"]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/TargetCompletion"}
    values = paths["/api/v1/target-plans/{id}/values/"]
    assert {"If-Match"} <= {p["name"] for p in values["put"]["parameters"]}
    assert (
        "412" in values["put"]["responses"]
        and "ETag" in values["get"]["responses"]["200"]["headers"]
    )


def test_a_town_sees_its_own_completion_row_only(district_plan, api_for, hutang):
    data = api_for(hutang).get(f"/api/v1/target-plans/{district_plan.pk}/completion/").json()
    assert [row["unit"]["name"] for row in data["rows"]] == ["湖塘镇"]
    assert data["rows"][0]["cells"]["first_applications"]["target"] == 30


# --- the metric catalogue -------------------------------------------------------------------


def test_the_catalogue_lists_the_codes_plans_use(api_for, hutang):
    Metric.objects.filter(code="sme_evaluated").update(is_active=False)
    api = api_for(hutang)
    data = api.get("/api/v1/metrics/").json()
    codes = [m["code"] for m in data["results"]]
    assert codes[:2] == ["baseline_valid_hte", "renewal_applications"]
    assert data["count"] == Metric.objects.count() and "sme_evaluated" in codes
    reported = api.get("/api/v1/metrics/", {"source": "reported"}).json()["results"]
    assert [(m["code"], m["source_label"]) for m in reported] == [
        ("projects_attracted", "季度报送（已审核）")
    ]
    inactive = api.get("/api/v1/metrics/", {"is_active": "false"}).json()["results"]
    assert [m["code"] for m in inactive] == ["sme_evaluated"]
    one = api.get(f"/api/v1/metrics/{metric('new_hte').pk}/").json()
    assert one["aliases"] == ["新增高企", "新增高新技术企业"] and one["unit"] == "家"
    assert api.get("/api/v1/metrics/", {"is_active": "maybe"}).status_code == 400
