"""Completion of the demo 2019 plan: computed actuals, 序时进度, status, rank, forecast, cascade."""

from datetime import date
from decimal import Decimal

import pytest

from core.models import OrgUnit
from core.seeds import WUJIN_2019_ROWS
from targets import selectors, services
from targets.choices import ProgressMode, Status
from targets.models import Metric, TargetPlan

MID_2019 = date(2019, 7, 15)


@pytest.fixture
def plan(demo_data, db):
    return TargetPlan.objects.get(year=2019, unit__name="武进区")


def cells(result, code):
    metric = Metric.objects.get(code=code)
    by_unit = {row.unit.short_name or row.unit.name: row.cells[metric.pk] for row in result.rows}
    return by_unit, result.total.cells[metric.pk]


def test_the_demo_plan_reproduces_the_notice(plan):
    result = selectors.completion(plan, MID_2019)
    targets = {
        code: cells(result, code)
        for code in [
            "baseline_valid_hte",
            "renewal_applications",
            "first_applications",
            "applications",
        ]
    }
    for row in WUJIN_2019_ROWS:
        name = row.unit.removesuffix("镇") if row.unit.endswith("镇") else row.unit
        assert targets["baseline_valid_hte"][0][name].target == row.valid_2018
        assert targets["renewal_applications"][0][name].target == row.expiring
        assert targets["first_applications"][0][name].target == row.new_applications
        assert targets["applications"][0][name].target == row.subtotal
    totals = [
        targets[c][1].target
        for c in [
            "baseline_valid_hte",
            "renewal_applications",
            "first_applications",
            "applications",
        ]
    ]
    assert totals == [533, 148, 350, 498]
    assert result.mismatches == []


def test_the_2018_baseline_is_computed_from_the_ladder_and_equals_the_notice(plan):
    by_unit, total = cells(selectors.completion(plan, MID_2019), "baseline_valid_hte")
    assert total.actual == 533
    assert all(cell.actual == cell.target for cell in by_unit.values())


def test_own_goals_of_the_district(plan):
    result = selectors.completion(plan, MID_2019)
    _, new = cells(result, "new_hte")
    _, valid = cells(result, "valid_hte")
    assert (new.target, valid.target) == (232, 765)
    assert valid.actual == 533  # certificates expiring in 2019 are still valid in July
    assert valid.completion == pytest.approx(533 / 765)


@pytest.mark.parametrize(
    ("on", "mode", "expected"),
    [
        (date(2019, 3, 30), ProgressMode.QUARTER, 0.0),
        (date(2019, 3, 31), ProgressMode.QUARTER, 0.25),
        (MID_2019, ProgressMode.QUARTER, 0.5),
        (date(2019, 12, 31), ProgressMode.QUARTER, 1.0),
        (date(2020, 2, 1), ProgressMode.QUARTER, 1.0),
        (date(2019, 7, 2), ProgressMode.DAY, 183 / 365),
    ],
)
def test_expected_progress_by_quarter_and_by_day(plan, on, mode, expected):
    plan.progress_mode = mode
    assert selectors.expected_progress(plan, on) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("completion", "status"),
    [
        (1.0, Status.DONE),
        (1.2, Status.DONE),
        (0.5, Status.AHEAD),
        (0.49, Status.BEHIND),
        (0.3, Status.BEHIND),
        (0.29, Status.SEVERE),
    ],
)
def test_status_against_progress_with_the_lag_threshold(completion, status):
    assert selectors.status_of(completion, 0.5, 20) == status


def test_statuses_ranks_and_forecast_inputs_in_the_table(plan):
    result = selectors.completion(plan, MID_2019)
    by_unit, total = cells(result, "renewal_applications")
    ranked = sorted((c for c in by_unit.values()), key=lambda c: c.rank)
    assert ranked[0].rank == 1 and ranked[0].completion == max(
        c.completion for c in by_unit.values()
    )
    assert [c.completion for c in ranked] == sorted((c.completion for c in ranked), reverse=True)
    for cell in by_unit.values():
        assert cell.status == selectors.status_of(cell.completion, 0.5, plan.lag_threshold)
        assert cell.forecast == cell.actual + cell.forecast_inputs["拟申报"]
    _, new = cells(result, "new_hte")
    rate = new.forecast_inputs["近三年通过率"]
    assert 0 < rate < 1
    assert new.forecast == pytest.approx(new.actual + new.forecast_inputs["已申报待结果"] * rate)


def test_query_count_does_not_grow_with_towns(plan, django_assert_max_num_queries, units):
    from core.services import create_unit

    selectors.completion(plan, MID_2019)  # warm caches (content types…)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        selectors.completion(plan, MID_2019)
    for n in range(10):
        create_unit(
            actor=None, name=f"新设街道{n}", kind="subdistrict", parent=plan.unit, order=20 + n
        )
    with CaptureQueriesContext(connection) as after:
        selectors.completion(plan, MID_2019)
    assert len(after) == len(before)


def test_children_not_adding_up_and_the_city_cascade_are_shown(plan):
    metric = Metric.objects.get(code="first_applications")
    hutang = OrgUnit.objects.get(name="湖塘镇")
    services.set_values(actor=None, plan=plan, cells={(metric.pk, hutang.pk): Decimal(26)})
    city = services.create_plan(
        actor=None, unit=plan.unit.parent, year=2019, columns=[(metric, "")]
    )
    services.set_values(actor=None, plan=city, cells={(metric.pk, plan.unit.pk): Decimal(360)})
    mismatches = selectors.completion(plan, MID_2019).mismatches
    assert "【高企新申报数】各下级单位之和为 351，武进合计为 350" in mismatches
    assert "【高企新申报数】上级下达 360，本级合计为 350" in mismatches


def test_set_values_is_logged_and_refuses_foreign_units(plan, district, hutang):
    from django.core.exceptions import PermissionDenied, ValidationError

    from core.selectors import history_for

    metric = Metric.objects.get(code="first_applications")
    luoyang = OrgUnit.objects.get(name="洛阳镇")
    services.set_values(actor=district, plan=plan, cells={(metric.pk, luoyang.pk): Decimal(16)})
    entry = history_for(plan)[0]
    assert entry.actor == district and ("洛阳·高企新申报数", "15", "16") in entry.changed_fields()
    with pytest.raises(PermissionDenied):
        services.set_values(actor=hutang, plan=plan, cells={(metric.pk, luoyang.pk): Decimal(1)})
    with pytest.raises(ValidationError, match="目标值不能为负数"):
        services.set_values(actor=district, plan=plan, cells={(metric.pk, luoyang.pk): Decimal(-1)})
