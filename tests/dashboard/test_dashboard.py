"""驾驶舱: its JSON equals the selectors, every endpoint is scoped, the cache never serves a
stale figure, queries do not grow with towns, and the page renders for every persona."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.cache import bump
from core.choices import UnitKind
from core.dates import quarter_ends
from core.demo import wujin_unit
from core.services import create_unit
from cultivation import selectors as ladder
from cultivation.prediagnosis import closest_to_passing
from dashboard.selectors import ENDPOINTS
from dashboard.services import take_snapshots
from enterprises.models import Enterprise
from targets import services as target_services
from targets.models import Metric, TargetPlan, TargetValue
from targets.selectors import completion

TODAY = date(2019, 7, 15)
PAGE = "/dashboard/"


def url(endpoint: str) -> str:
    return f"/dashboard/data/{endpoint}/"


@pytest.fixture
def demo(demo_data, db, settings, personas):
    settings.PORTAL_TODAY = TODAY
    for day in [*quarter_ends(2018), *quarter_ends(2019)[:2]]:
        take_snapshots(day)  # what the demo does too; idempotent
    return TargetPlan.objects.get(unit__name="武进区", year=2019)


def get_json(client, endpoint, **params):
    response = client.get(url(endpoint), params)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def cards(payload) -> dict[str, dict]:
    return {card["code"]: card for card in payload["cards"]}


# --- the numbers are the selectors' ------------------------------------------------------------


def test_summary_cards_are_the_plan_completion(demo, client_for, district, hutang):
    data = get_json(client_for(district), "summary")
    by_code = cards(data)
    assert by_code["baseline_valid_hte"]["target"] == by_code["baseline_valid_hte"]["actual"] == 533
    result = completion(demo, TODAY)
    assert data["expected"] == result.expected == 0.5
    for column in result.columns:
        cell, card = result.total.cells[column.metric_id], by_code[column.metric.code]
        assert card["target"] == cell.target
        assert card["actual"] == cell.actual
        assert card["completion"] == (
            None if cell.completion is None else round(cell.completion, 4)
        )
        assert card["status"] == (cell.status or "")
    assert by_code["first_applications"]["drill_url"] == (
        f"/targets/{demo.pk}/enterprises/?metric=first_applications&unit={wujin_unit('武进区').pk}"
    )

    town = cards(get_json(client_for(hutang), "summary"))  # the district plan's 湖塘 row
    assert town["baseline_valid_hte"]["actual"] == town["baseline_valid_hte"]["target"] == 32
    assert "new_hte" not in town  # own goals of the district are not broken down to towns
    assert town["first_applications"]["rank_of"] == 11


def test_trend_reads_the_snapshots(demo, client_for, district, hutang):
    for user, unit, expected in [(district, "武进区", 533), (hutang, "湖塘镇", 32)]:
        data = get_json(client_for(user), "trend", year=2019)
        assert data["years"] == [2018, 2019]
        series = {m["code"]: m["series"] for m in data["metrics"]}
        assert series["valid_hte"]["2018"][3] == expected  # 2018-12-31
        assert series["valid_hte"]["2019"][2:] == [None, None]  # quarter ends still to come
        assert data["missing"] == []
        unit_obj = wujin_unit(unit)
        for i, day in enumerate(quarter_ends(2018)):
            counts = ladder.metric_counts("new_hte", 2018, unit_obj.parent, day)
            assert series["new_hte"]["2018"][i] == counts[unit_obj.pk]


def test_ranking_is_the_completion_order(demo, client_for, leader):
    data = get_json(client_for(leader), "ranking")
    result = completion(demo, TODAY)
    metric = Metric.objects.get(code="first_applications")
    ranked = next(m for m in data["metrics"] if m["code"] == "first_applications")
    assert len(ranked["rows"]) == 11 and not data["self_only"]
    ranks = [row["rank"] for row in ranked["rows"]]
    assert ranks == sorted(ranks)
    by_unit = {row.unit.pk: row.cells[metric.pk] for row in result.rows}
    for row in ranked["rows"]:
        assert row["rank"] == by_unit[row["unit_id"]].rank
        assert row["actual"] == by_unit[row["unit_id"]].actual
        assert row["url"] == f"{PAGE}?unit={row['unit_id']}&year=2019"
    assert "baseline_valid_hte" not in {m["code"] for m in data["metrics"]}


def test_funnel_expiring_and_missing_match_their_selectors(demo, client_for, district):
    client = client_for(district)
    unit = wujin_unit("武进区")
    funnel = get_json(client, "funnel")
    assert [s["count"] for s in funnel["steps"]] == [s["count"] for s in ladder.funnel(unit, 2019)]
    expiring = get_json(client, "expiring")
    this_year = ladder.count_by_child(ladder.expiring_ids(2019), unit, TODAY)
    assert expiring["total"]["counts"][0] == this_year[unit.pk]
    assert {r["unit_id"]: r["counts"][0] for r in expiring["rows"]} == {
        k: v for k, v in this_year.items() if k != unit.pk
    }
    assert expiring["rows"][0]["urls"][1].startswith("/cultivation/expiring/?year=2020&unit=")
    missing = get_json(client, "missing")
    assert missing["period"]["label"] == "2019年第2季度" and missing["period"]["open"]
    assert {u["label"] for u in missing["units"]} == {"洛阳", "雪堰", "礼嘉", "嘉泽", "湟里"}


def test_closest_are_the_pool_members_ranked_by_prediagnosis(demo, client_for, district):
    data = get_json(client_for(district), "closest")
    unit = wujin_unit("武进区")
    in_pool = ladder.current_rung_annotations(TODAY)["rung_pool"]
    pool = Enterprise.objects.filter(in_pool, town__path__startswith=unit.path)
    expected = closest_to_passing(pool, apply_year=2019, limit=10)
    assert [r["id"] for r in data["rows"]] == [r.enterprise.pk for r in expected]
    assert 0 < len(data["rows"]) <= 10
    assert (
        data["rows"][0]["url"] == f"/cultivation/diagnosis/{expected[0].enterprise.pk}/?year=2019"
    )


# --- scoping -----------------------------------------------------------------------------------


def test_every_endpoint_is_scoped(demo, client_for, hutang, outsider):
    niutang, district = wujin_unit("牛塘镇"), wujin_unit("武进区")
    town = client_for(hutang)
    for path in [PAGE, *(url(endpoint) for endpoint in ENDPOINTS)]:
        assert town.get(path, {"unit": niutang.pk}).status_code == 404, path
        assert town.get(path, {"unit": district.pk}).status_code == 404, path
        assert town.get(path).status_code == 200, path  # their own town by default
    other = client_for(outsider)  # no unit: nothing to see
    for path in [PAGE, *(url(endpoint) for endpoint in ENDPOINTS)]:
        assert other.get(path).status_code == 404, path
    other.logout()
    for path in [PAGE, *(url(endpoint) for endpoint in ENDPOINTS)]:
        assert other.get(path).status_code == 302, path  # to the login page


def test_a_town_sees_only_itself(demo, client_for, hutang):
    client = client_for(hutang)
    ranking = get_json(client, "ranking")
    assert ranking["self_only"]
    assert {row["label"] for m in ranking["metrics"] for row in m["rows"]} == {"湖塘"}
    missing = get_json(client, "missing")
    assert missing["only_self"] and missing["units"] == []  # 湖塘 reported Q2
    assert get_json(client, "expiring")["rows"] == []
    assert {r["town"] for r in get_json(client, "closest")["rows"]} <= {"湖塘"}
    page = client.get(PAGE).content.decode()
    assert "牛塘" not in page and "洛阳" not in page


def test_the_read_only_leader_sees_the_whole_district(demo, client_for, leader):
    client = client_for(leader)
    ranking = get_json(client, "ranking")
    assert all(len(m["rows"]) == 11 for m in ranking["metrics"])
    assert len(get_json(client, "missing")["units"]) == 5
    page = client.get(PAGE, {"year": 2017}).content.decode()  # no plan: no "create" offer
    assert "尚无目标任务" in page and "/targets/new/" not in page


# --- cache and queries -------------------------------------------------------------------------


def test_repeat_requests_come_from_the_cache_and_a_change_shows_at_once(
    demo, client_for, district, django_capture_on_commit_callbacks
):
    client = client_for(district)
    hutang = wujin_unit("湖塘镇")
    metric = Metric.objects.get(code="first_applications")
    params = {"unit": hutang.pk}
    assert cards(get_json(client, "summary", **params))["first_applications"]["target"] == 25
    with CaptureQueriesContext(connection) as repeat:
        get_json(client, "summary", **params)
    assert len(repeat) <= 6  # session, user, unit, scope: no counting at all
    with django_capture_on_commit_callbacks(execute=True):  # the change log bumps the version
        target_services.set_values(
            actor=district, plan=demo, cells={(metric.pk, hutang.pk): Decimal(30)}
        )
    assert cards(get_json(client, "summary", **params))["first_applications"]["target"] == 30


def _cold_queries(client, path) -> int:
    bump()  # a new data version: nothing cached is read
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, {"year": 2019}).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_towns(demo, client_for, district):
    client = client_for(district)
    paths = [PAGE, *(url(e) for e in ENDPOINTS if e != "closest")]
    for path in paths:
        client.get(path)  # one-off lookups (content types…) are not what is measured
    before = {path: _cold_queries(client, path) for path in paths}
    unit = wujin_unit("武进区")
    metric_ids = list(demo.plan_metrics.filter(breakdown=True).values_list("metric_id", flat=True))
    for i in range(5):
        town = create_unit(
            actor=None, name=f"新设镇{i}", kind=UnitKind.TOWN, parent=unit, order=20 + i
        )
        TargetValue.objects.bulk_create(
            TargetValue(plan=demo, metric_id=m, unit=town, value=Decimal(3)) for m in metric_ids
        )
    after = {path: _cold_queries(client, path) for path in paths}
    assert after == before
    assert len(get_json(client, "ranking")["metrics"][0]["rows"]) == 16


# --- the page ----------------------------------------------------------------------------------


def test_the_page_renders_for_each_persona(demo, client_for, personas):
    for username in ["district", "hutang", "niutang", "leader", "admin"]:
        user = personas[username]
        response = client_for(user).get(PAGE)
        assert response.status_code == 200, username
        page = response.content.decode()
        assert f"驾驶舱 · {user.unit.name} · 2019年" in page
        assert "vendor/echarts/echarts.min.js" in page and "js/dashboard.js" in page
        assert "2019年全区高新技术企业任务分解表" in page
        assert "序时进度" in page and "落后序时" in page  # status colours carry their label
        assert f"/targets/{demo.pk}/enterprises/?metric=" in page  # numbers open enterprises


def test_the_district_page_links_each_town(demo, client_for, district):
    page = client_for(district).get(PAGE).content.decode()
    hutang = wujin_unit("湖塘镇")
    assert f'href="{PAGE}?unit={hutang.pk}&amp;year=2019"' in page
    assert f"/cultivation/expiring/?year=2019&amp;unit={hutang.pk}" in page
    assert "完成情况明细" in page and "各单位完成率排名" in page


def test_a_unit_without_a_plan_gets_an_empty_state(demo, client_for, district):
    client = client_for(district)
    page = client.get(PAGE, {"year": 2017}).content.decode()
    assert "武进区2017年尚无目标任务" in page
    assert f"/targets/new/?unit={wujin_unit('武进区').pk}" in page  # staff may create one
    summary = get_json(client, "summary", year=2017)
    assert summary["plan"] is None and summary["cards"] == []
    assert get_json(client, "ranking", year=2017)["metrics"] == []
    assert get_json(client, "funnel", year=2017)["steps"]  # the rest still shows


def test_the_old_addresses_under_reports_lead_to_the_dashboard(client_for, district):
    # Bookmarks and the links of notices sent before the dashboard became an app of its own.
    response = client_for(district).get("/reports/dashboard/data/funnel/?unit=3&year=2019")
    assert response.status_code == 301
    assert response["Location"] == "/dashboard/data/funnel/?unit=3&year=2019"
