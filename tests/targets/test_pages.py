"""Target pages, drill-down and API as each persona sees them."""

from datetime import date

import pytest
from django.urls import reverse

from targets.models import Metric, TargetPlan, TargetValue


@pytest.fixture
def plan(demo_data, db, settings):
    settings.PORTAL_TODAY = date(2019, 7, 15)
    return TargetPlan.objects.get(year=2019)


def login(client, username):
    from core.models import User

    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.parametrize("username", ["district", "leader", "hutang", "niutang", "admin"])
def test_everyone_in_scope_sees_the_district_plan(client, plan, username):
    page = login(client, username).get(reverse("targets:index")).content.decode()
    assert "2019年全区高新技术企业任务分解表" in page


def test_town_users_see_their_row_and_the_district_totals_only(client, plan):
    response = login(client, "hutang").get(reverse("targets:detail", args=[plan.pk]))
    assert [row.unit.name for row in response.context["rows"]] == ["湖塘镇"]
    html = response.content.decode()
    assert "武进区合计" in html and "牛塘" not in html.replace("牛塘镇服务中心", "")


def test_district_sees_every_town_with_completion_and_status(client, plan):
    response = login(client, "district").get(reverse("targets:detail", args=[plan.pk]))
    assert len(response.context["rows"]) == 11
    html = response.content.decode()
    assert "序时进度 <strong>50%</strong>" in html and "超序时" in html and "严重滞后" in html
    assert "武科发〔2019〕14号" in html


def test_drill_down_lists_the_enterprises_behind_a_number(client, plan, units):
    result = login(client, "district").get(
        reverse("targets:drill_down", args=[plan.pk]),
        {"metric": "baseline_valid_hte", "unit": units["湖塘镇"].pk},
    )
    assert result.context["page"].paginator.count == 32
    assert (
        login(client, "hutang")
        .get(
            reverse("targets:drill_down", args=[plan.pk]),
            {"metric": "baseline_valid_hte", "unit": units["牛塘镇"].pk},
        )
        .status_code
        == 404
    )


def test_only_the_issuing_units_writers_edit(client, plan):
    for username, status in [("leader", 403), ("hutang", 403)]:
        assert (
            login(client, username).get(reverse("targets:values", args=[plan.pk])).status_code
            == status
        )
    assert (
        login(client, "district").get(reverse("targets:values", args=[plan.pk])).status_code == 200
    )


def test_value_grid_saves_and_reports_bad_numbers(client, plan, units):
    metric = Metric.objects.get(code="first_applications")
    client = login(client, "district")
    url = reverse("targets:values", args=[plan.pk])
    bad = client.post(url, {f"v_{metric.pk}_{units['湖塘镇'].pk}": "二十五"})
    assert "湖塘【高企新申报数】：“二十五”不是数字" in bad.content.decode()
    form = {f"v_{v.metric_id}_{v.unit_id}": str(v.value) for v in plan.values.all()}
    form[f"v_{metric.pk}_{units['湖塘镇'].pk}"] = "1,026"
    assert client.post(url, form).status_code == 302
    assert TargetValue.objects.get(plan=plan, metric=metric, unit=units["湖塘镇"]).value == 1026


def test_district_creates_a_plan(client, plan):
    metric = Metric.objects.get(code="pool_entries")
    response = login(client, "district").post(
        reverse("targets:create"),
        {
            "year": 2020,
            "title": "2020年任务",
            "progress_mode": "day",
            "lag_threshold": 15,
            "breakdown_metrics": [metric.pk],
        },
    )
    created = TargetPlan.objects.get(year=2020)
    assert response.status_code == 302 and [m.code for m in created.metrics.all()] == [
        "pool_entries"
    ]


def test_completion_api_is_scoped(client, plan):
    data = login(client, "hutang").get(f"/api/v1/target-plans/{plan.pk}/completion/").json()
    assert [row["unit"]["name"] for row in data["rows"]] == ["湖塘镇"]
    assert float(data["total"]["cells"]["applications"]["target"]) == 498
    assert data["expected_progress"] == 0.5
