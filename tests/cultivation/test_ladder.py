"""The ladder as dated history: consistency rules and the point-in-time counts built on it."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.selectors import history_for
from cultivation import selectors, services
from cultivation.choices import ApplicationKind, ApplicationStatus, PoolExit, PoolLevel
from cultivation.models import Application, Certificate
from enterprises import services as registry_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def precision(registry):
    return registry[("湖塘镇", "常州湖塘精密机械有限公司")]


@pytest.fixture
def electronics(registry):
    return registry[("牛塘镇", "常州牛塘电子有限公司")]


def certify(enterprise, year, *, on=None, kind=ApplicationKind.FIRST, actor=None):
    on = on or date(year, 11, 30)
    services.add_application(
        actor=actor,
        enterprise=enterprise,
        year=year,
        kind=kind,
        status=ApplicationStatus.SUBMITTED,
        submitted_on=date(year, 6, 1),
    )
    return services.record_certificate(
        actor=actor, enterprise=enterprise, number=f"GR{year}32{enterprise.pk:06d}", issued_on=on
    )


def test_a_certificate_runs_three_years_and_passes_its_application(precision, district):
    certificate = certify(precision, 2016, actor=district)
    assert certificate.expires_on == date(2019, 11, 30)
    application = Application.objects.get(enterprise=precision, year=2016)
    assert application.status == ApplicationStatus.PASSED and application.decided_on == date(
        2016, 11, 30
    )
    assert certificate.application == application
    notes = [entry.note for entry in history_for(precision)]
    assert any("高企证书" in note for note in notes) and any("高企申报" in note for note in notes)


def test_no_certificate_without_that_years_application_unless_historical(precision):
    with pytest.raises(ValidationError, match="2016年没有该企业已申报的高企申报记录"):
        services.record_certificate(
            actor=None, enterprise=precision, number="GR201632000001", issued_on=date(2016, 11, 30)
        )
    assert not Certificate.objects.exists()
    services.record_certificate(
        actor=None,
        enterprise=precision,
        number="GR201332000001",
        issued_on=date(2013, 12, 3),
        historical=True,
    )
    assert Certificate.objects.get().historical


def test_certificates_must_come_in_order(precision):
    certify(precision, 2017)
    with pytest.raises(ValidationError, match="发证日期须晚于上一张证书"):
        services.record_certificate(
            actor=None,
            enterprise=precision,
            number="GR201432000002",
            issued_on=date(2014, 10, 31),
            historical=True,
        )


def test_renewal_needs_an_earlier_certificate(electronics):
    with pytest.raises(ValidationError, match="没有高企证书记录，不能选择“重新认定”"):
        services.add_application(
            actor=None, enterprise=electronics, year=2019, kind=ApplicationKind.RENEWAL
        )


def test_application_steps_follow_the_order_and_their_dates(electronics):
    application = services.add_application(
        actor=None,
        enterprise=electronics,
        year=2019,
        kind=ApplicationKind.FIRST,
        planned_on=date(2019, 4, 1),
    )
    with pytest.raises(ValidationError, match="“拟申报”的申报不能改为“通过”"):
        services.advance_application(
            actor=None,
            application=application,
            status=ApplicationStatus.PASSED,
            on=date(2019, 11, 1),
        )
    with pytest.raises(ValidationError, match="申报日期不能早于拟申报日期"):
        services.advance_application(
            actor=None,
            application=application,
            status=ApplicationStatus.SUBMITTED,
            on=date(2019, 3, 1),
        )
    application.refresh_from_db()
    services.advance_application(
        actor=None, application=application, status=ApplicationStatus.SUBMITTED, on=date(2019, 6, 1)
    )
    with pytest.raises(ValidationError, match="状态为“通过”时请填写结果日期"):
        services.add_application(
            actor=None,
            enterprise=electronics,
            year=2018,
            kind=ApplicationKind.FIRST,
            status=ApplicationStatus.PASSED,
            submitted_on=date(2018, 6, 1),
        )


def test_pool_memberships_of_one_level_never_overlap(electronics):
    services.add_pool_membership(
        actor=None,
        enterprise=electronics,
        level=PoolLevel.PROVINCE,
        year=2017,
        start=date(2017, 9, 15),
    )
    with pytest.raises(ValidationError, match="时间重叠"):
        services.add_pool_membership(
            actor=None,
            enterprise=electronics,
            level=PoolLevel.PROVINCE,
            year=2018,
            start=date(2018, 6, 15),
        )
    # Another level may run alongside.
    services.add_pool_membership(
        actor=None, enterprise=electronics, level=PoolLevel.CITY, year=2018, start=date(2018, 6, 15)
    )
    with pytest.raises(ValidationError, match="请选择出库原因"):
        services.add_pool_membership(
            actor=None,
            enterprise=electronics,
            level=PoolLevel.DISTRICT,
            year=2016,
            start=date(2016, 1, 1),
            end=date(2016, 12, 31),
        )


def test_certification_closes_the_pool_membership(electronics):
    membership = services.add_pool_membership(
        actor=None,
        enterprise=electronics,
        level=PoolLevel.PROVINCE,
        year=2017,
        start=date(2017, 9, 15),
    )
    certify(electronics, 2018)
    membership.refresh_from_db()
    assert (membership.end, membership.exit_reason) == (date(2018, 11, 30), PoolExit.CERTIFIED)


def test_ladder_writes_respect_scope(precision, niutang, leader):
    for actor in (niutang, leader):
        with pytest.raises(PermissionDenied):
            services.record_evaluation(actor=actor, enterprise=precision, year=2019)


def test_point_in_time_counts_follow_the_town_of_that_date(registry, units, district):
    precision = registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    certify(precision, 2016)
    certify(registry[("湖塘镇", "常州湖塘新材料有限公司")], 2017)
    wujin, hutang, niutang = units["武进区"], units["湖塘镇"], units["牛塘镇"]
    counts = selectors.count_by_child(
        selectors.valid_hte_ids(date(2018, 12, 31)), wujin, date(2018, 12, 31)
    )
    assert (counts[hutang.pk], counts[niutang.pk], counts[wujin.pk]) == (2, 0, 2)
    # The enterprise moves in 2019: 2018's count stays with 湖塘镇, mid-2019's follows the move.
    registry_services.move_enterprise(
        actor=district, enterprise=precision, town=niutang, on=date(2019, 3, 1)
    )
    again = selectors.count_by_child(
        selectors.valid_hte_ids(date(2018, 12, 31)), wujin, date(2018, 12, 31)
    )
    assert (again[hutang.pk], again[niutang.pk]) == (2, 0)
    later = selectors.count_by_child(
        selectors.valid_hte_ids(date(2019, 6, 30)), wujin, date(2019, 6, 30)
    )
    assert (later[hutang.pk], later[niutang.pk]) == (1, 1)
    # After 2019-11-30 the 2016 certificate has run out.
    assert (
        selectors.count_by_child(
            selectors.valid_hte_ids(date(2019, 12, 31)), wujin, date(2019, 12, 31)
        )[wujin.pk]
        == 1
    )


def test_yearly_metrics(registry, units):
    precision = registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    services.record_certificate(
        actor=None,
        enterprise=precision,
        number="GR2013",
        issued_on=date(2013, 12, 3),
        historical=True,
    )
    certify(precision, 2016, kind=ApplicationKind.RENEWAL)  # a renewal: not "new"
    certify(registry[("牛塘镇", "常州牛塘电子有限公司")], 2016)  # first time: new
    services.record_evaluation(
        actor=None, enterprise=registry[("湖塘镇", "常州同名科技有限公司")], year=2016
    )
    wujin = units["武进区"]
    assert selectors.metric_counts("new_hte", 2016, wujin)[wujin.pk] == 1
    assert selectors.metric_counts("expiring", 2019, wujin)[wujin.pk] == 2
    assert selectors.metric_counts("expiring", 2016, wujin)[wujin.pk] == 1  # the 2013 certificate
    assert selectors.metric_counts("renewal_applications", 2016, wujin)[wujin.pk] == 1
    assert selectors.metric_counts("first_applications", 2016, wujin)[wujin.pk] == 1
    assert selectors.metric_counts("applications", 2016, wujin)[wujin.pk] == 2
    assert selectors.metric_counts("sme_evaluated", 2016, wujin)[units["湖塘镇"].pk] == 1


def test_current_rung_takes_the_highest(registry):
    precision = registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    on = date(2019, 7, 1)
    assert selectors.rung_of(precision, on) == "prospect"
    services.record_evaluation(actor=None, enterprise=precision, year=2019)
    assert selectors.rung_of(precision, on) == "tech_sme"
    services.add_pool_membership(
        actor=None,
        enterprise=precision,
        level=PoolLevel.PROVINCE,
        year=2019,
        start=date(2019, 6, 15),
    )
    assert selectors.rung_of(precision, on) == "pool"
    services.add_application(
        actor=None, enterprise=precision, year=2019, kind=ApplicationKind.FIRST
    )
    assert selectors.rung_of(precision, on) == "applying"
    assert (
        selectors.rung_of(precision, date(2020, 1, 1)) == "pool"
    )  # last year's application no longer counts
