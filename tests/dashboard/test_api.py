"""/api/v1/dashboard/<block>/: what the 驾驶舱's charts read, for an integrator's token — the
page's own JSON (same scope, same cache), in the shape the schema documents, and a 400 for a
unit or year that is not one."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.dates import quarter_ends
from core.demo import wujin_unit
from dashboard.selectors import ENDPOINTS
from dashboard.services import take_snapshots
from targets import services as target_services
from targets.models import Metric, TargetPlan

TODAY = date(2019, 7, 15)


def api_url(endpoint: str) -> str:
    return f"/api/v1/dashboard/{endpoint}/"


def page_url(endpoint: str) -> str:
    return f"/dashboard/data/{endpoint}/"


@pytest.fixture
def demo(demo_data, db, settings, personas):
    settings.PORTAL_TODAY = TODAY
    for day in [*quarter_ends(2018), *quarter_ends(2019)[:2]]:
        take_snapshots(day)  # the trend's quarters, as the demo takes them
    return TargetPlan.objects.get(unit__name="武进区", year=2019)


def test_every_block_is_the_pages_json_in_the_documented_shape(
    demo, conforms, api_for, client_for, district, hutang, leader
):
    for user in (district, hutang, leader):
        api, page = api_for(user), client_for(user)
        for endpoint in ENDPOINTS:
            response = api.get(api_url(endpoint), {"year": 2019})
            assert response.status_code == 200, (user, endpoint, response.content[:300])
            assert response["Content-Type"] == "application/json"
            body = response.json()
            assert body == page.get(page_url(endpoint), {"year": 2019}).json(), (user, endpoint)
            conforms(body, api_url(endpoint))
    # What the shape must hold beyond the happy case: a year without a plan, a town's own row.
    for endpoint in ("summary", "ranking"):
        body = api_for(district).get(api_url(endpoint), {"year": 2017}).json()
        assert body["plan"] is None
        conforms(body, api_url(endpoint))
    town = api_for(hutang).get(api_url("summary")).json()
    assert town["unit"]["name"] == "湖塘镇" and max(c["rank_of"] for c in town["cards"]) == 11


def test_the_blocks_hold_real_numbers(demo, api_for, district):
    """Not only empty lists conform: the demo's blocks have rows in every list."""
    api = api_for(district)
    summary = api.get(api_url("summary")).json()
    assert summary["plan"]["id"] == demo.pk and summary["expected"] == 0.5
    assert {"target", "actual", "completion", "status"} <= set(summary["cards"][-1])
    assert all(len(m["rows"]) == 11 for m in api.get(api_url("ranking")).json()["metrics"])
    trend = api.get(api_url("trend")).json()
    assert trend["latest"] == "2019-06-30" and trend["metrics"][0]["series"]["2019"][1] is not None
    assert api.get(api_url("expiring")).json()["rows"]
    assert len(api.get(api_url("missing")).json()["units"]) == 5
    assert api.get(api_url("closest")).json()["rows"]


# --- scope -------------------------------------------------------------------------------------


def test_a_unit_outside_the_scope_is_a_404_and_ones_own_unit_the_default(
    demo, api_for, hutang, district, outsider
):
    town = api_for(hutang)
    niutang, wujin = wujin_unit("牛塘镇"), wujin_unit("武进区")
    for endpoint in ENDPOINTS:
        for unit in (niutang, wujin):
            response = town.get(api_url(endpoint), {"unit": unit.pk})
            assert response.status_code == 404, (endpoint, unit)
            assert response.json()["errors"] == {} and "权" in response.json()["message"]
        assert api_for(outsider).get(api_url(endpoint)).status_code == 404  # no unit: nothing
        assert api_for(None).get(api_url(endpoint)).status_code == 401
    assert town.get(api_url("summary")).json()["unit"]["unit_id"] == wujin_unit("湖塘镇").pk
    # The district opens a town's view: that town's numbers only.
    hutang_unit = wujin_unit("湖塘镇")
    ranking = api_for(district).get(api_url("ranking"), {"unit": hutang_unit.pk}).json()
    assert ranking["self_only"]
    assert {row["unit_id"] for m in ranking["metrics"] for row in m["rows"]} == {hutang_unit.pk}
    assert api_for(district).get(api_url("funnel"), {"unit": 99999999}).status_code == 404


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("year=abc", "year"),
        ("year=1999", "year"),
        ("year=2101", "year"),
        ("year=", "year"),  # empty is not "this year" through the API
        ("unit=abc", "unit"),
        ("unit=0", "unit"),
        ("unit=1.5", "unit"),
        ("unit=", "unit"),
    ],
)
def test_a_unit_or_year_that_is_not_one_is_a_400_naming_it(db, api_for, hutang, query, parameter):
    response = api_for(hutang).get(f"{api_url('funnel')}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [parameter]
    assert body["message"].startswith(f"提交的数据有误（{parameter}）：")


# --- cache -------------------------------------------------------------------------------------


def test_the_api_reads_the_pages_cache_and_a_change_shows_at_once(
    demo, api_for, client_for, district, django_capture_on_commit_callbacks
):
    hutang = wujin_unit("湖塘镇")
    params = {"unit": hutang.pk, "year": 2019}
    client_for(district).get(page_url("summary"), params)  # the page computes and caches it
    api = api_for(district)
    with CaptureQueriesContext(connection) as queries:
        cards = api.get(api_url("summary"), params).json()["cards"]
    counted = [q["sql"] for q in queries if "targets_" in q["sql"] or "cultivation_" in q["sql"]]
    assert counted == []  # the page's entry, not a second computation
    first = next(c for c in cards if c["code"] == "first_applications")
    assert first["target"] == 25

    metric = Metric.objects.get(code="first_applications")
    with django_capture_on_commit_callbacks(execute=True):  # the change log bumps the version
        target_services.set_values(
            actor=district, plan=demo, cells={(metric.pk, hutang.pk): Decimal(30)}
        )
    cards = api.get(api_url("summary"), params).json()["cards"]
    assert next(c for c in cards if c["code"] == "first_applications")["target"] == 30
