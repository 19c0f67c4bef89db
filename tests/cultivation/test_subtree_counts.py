"""The per-unit counts (count_by_child, application_outcomes) read only the unit's subtree,
grouped by town id; they must give exactly what the plain per-path ORM formulation gives,
also for a unit below the top, a move, and overlapping spans (one enterprise counted once per
town, an application once per span covering the date)."""

from datetime import date

import pytest
from django.db.models import Count, Q

from core.scoping import subtree_q
from cultivation import selectors, services
from cultivation.choices import DECIDED, ApplicationKind, ApplicationStatus
from cultivation.models import Application
from enterprises import services as registry_services
from enterprises.models import TownSpan

pytestmark = pytest.mark.django_db

DATES = [date(2017, 12, 31), date(2019, 2, 28), date(2019, 3, 1), date(2019, 12, 31)]


def reference_count_by_child(ids, parent, on):
    per_town = dict(
        selectors.spans_on(on)
        .order_by()
        .filter(subtree_q(parent, "town"), enterprise_id__in=ids)
        .values_list("town__path")
        .annotate(n=Count("enterprise_id", distinct=True))
    )
    return selectors._roll_up(per_town, parent)


def reference_outcomes(parent, years, on):
    span = "enterprise__town_spans__"
    rows = (
        Application.objects.filter(
            Q(**{f"{span}start__isnull": True}) | Q(**{f"{span}start__lte": on}),
            Q(**{f"{span}end__isnull": True}) | Q(**{f"{span}end__gte": on}),
            subtree_q(parent, f"{span}town"),
            year__in=list(years),
            status__in=DECIDED,
        )
        .order_by()
        .values_list(f"{span}town__path")
        .annotate(
            passed=Count("id", filter=Q(status=ApplicationStatus.PASSED)), decided=Count("id")
        )
    )
    passed = selectors._roll_up({path: p for path, p, _ in rows}, parent)
    decided = selectors._roll_up({path: d for path, _, d in rows}, parent)
    return {unit_id: (passed[unit_id], decided[unit_id]) for unit_id in decided}


def decide(enterprise, year, status):
    services.add_application(
        actor=None,
        enterprise=enterprise,
        year=year,
        kind=ApplicationKind.FIRST,
        status=ApplicationStatus.SUBMITTED,
        submitted_on=date(year, 6, 1),
    )
    if status == ApplicationStatus.PASSED:
        services.record_certificate(
            actor=None,
            enterprise=enterprise,
            number=f"GR{year}32{enterprise.pk:06d}",
            issued_on=date(year, 11, 30),
        )
    else:
        Application.objects.filter(enterprise=enterprise, year=year).update(
            status=status, decided_on=date(year, 11, 30)
        )


@pytest.fixture
def ladder(registry, units, district):
    precision = registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    materials = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    electronics = registry[("牛塘镇", "常州牛塘电子有限公司")]
    decide(precision, 2016, ApplicationStatus.PASSED)
    decide(materials, 2017, ApplicationStatus.PASSED)
    decide(electronics, 2017, ApplicationStatus.FAILED)
    services.record_evaluation(actor=None, enterprise=electronics, year=2019)
    registry_services.move_enterprise(
        actor=district, enterprise=precision, town=units["牛塘镇"], on=date(2019, 3, 1)
    )
    # Overlapping spans (a data-entry slip the counts must survive as before): one more span
    # of the same town, and one in another town, both covering every date counted here.
    TownSpan.objects.create(enterprise=materials, town=units["湖塘镇"], end=date(2030, 1, 1))
    TownSpan.objects.create(
        enterprise=electronics, town=units["湖塘镇"], start=date(2017, 1, 1), end=date(2030, 1, 1)
    )
    return units


def test_counts_match_the_per_path_formulation(ladder):
    for parent in (ladder["武进区"], ladder["湖塘镇"], ladder["牛塘镇"]):
        for on in DATES:
            for ids in (
                selectors.valid_hte_ids(on),
                selectors.application_ids(2017),
                selectors.sme_ids(2019),
            ):
                assert selectors.count_by_child(ids, parent, on) == reference_count_by_child(
                    ids, parent, on
                )
            for years in (range(2015, 2018), [2017], []):
                assert selectors.application_outcomes(parent, years, on) == reference_outcomes(
                    parent, years, on
                )


def test_outcomes_follow_the_town_of_the_date(ladder):
    wujin, hutang, niutang = ladder["武进区"], ladder["湖塘镇"], ladder["牛塘镇"]
    before = selectors.application_outcomes(wujin, range(2015, 2018), date(2019, 2, 28))
    after = selectors.application_outcomes(wujin, range(2015, 2018), date(2019, 3, 1))
    # 湖塘镇 before the move: precision, materials twice (two spans); electronics' extra span.
    assert before[hutang.pk] == (3, 4) and before[niutang.pk] == (0, 1)
    assert after[hutang.pk] == (2, 3) and after[niutang.pk] == (1, 2)
    assert after[wujin.pk] == (3, 5)
