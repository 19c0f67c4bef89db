"""The benchmark's data generator at tiny scale: counts, valid codes, constraints, reuse.

On PostgreSQL (DATABASE_URL set) this exercises the COPY path; on SQLite, bulk_create.
"""

import datetime
import re
from collections import defaultdict
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db.models import Count, F
from stdnum.cn import uscc

from core.models import OrgUnit
from cultivation.choices import ApplicationKind, ApplicationStatus
from cultivation.models import Application, Certificate, Honour, PoolMembership, TechSMEEvaluation
from cultivation.services import add_years
from enterprises.models import Enterprise, EnterpriseYear, TownSpan

TOWNS, ENTERPRISES, INDICATOR_YEARS = 3, 60, 2


def generate(*extra) -> str:
    out = StringIO()
    call_command(
        "generate_scale_data",
        "--towns",
        str(TOWNS),
        "--enterprises",
        str(ENTERPRISES),
        "--years",
        "10",
        "--indicator-years",
        str(INDICATOR_YEARS),
        "--seed",
        "7",
        *extra,
        stdout=out,
    )
    return out.getvalue()


def bench_enterprises():
    district = OrgUnit.objects.get(name="基准测试区")
    return Enterprise.objects.filter(town__path__startswith=district.path)


LADDER = [TechSMEEvaluation, PoolMembership, Application, Certificate, Honour]


def ladder_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in LADDER}


@pytest.mark.django_db
def test_builds_the_requested_dataset():
    generate()

    district = OrgUnit.objects.get(name="基准测试区", parent__name="常州市")
    towns = list(district.children.order_by("order"))
    assert [t.name for t in towns] == ["基准镇001", "基准镇002", "基准镇003"]
    assert {t.kind for t in towns} == {"town"} and district.kind == "district"

    enterprises = bench_enterprises()
    assert enterprises.count() == ENTERPRISES
    per_town = dict(enterprises.values_list("town").annotate(n=Count("id")))
    assert set(per_town) == {t.pk for t in towns}  # every town has some

    codes = list(enterprises.values_list("uscc", "uscc_checksum_ok"))
    assert all(len(code) == 18 for code, _ in codes)
    assert len({code for code, _ in codes}) == ENTERPRISES
    bad = [code for code, ok in codes if not ok]
    assert 1 <= len(bad) <= 3  # ~1 %, at least one so the warning filter has something
    assert all(uscc.is_valid(code) for code, ok in codes if ok)
    assert not any(uscc.is_valid(code) for code in bad)
    # Only the check digit is wrong: the first 17 characters complete to a valid code.
    assert all(uscc.is_valid(code[:17] + uscc.calc_check_digit(code[:17])) for code in bad)

    assert all(name.endswith("有限公司") for name in enterprises.values_list("name", flat=True))
    assert enterprises.filter(registered_on__year__lt=1995).count() == 0
    assert enterprises.filter(registered_on__year__gt=2018).count() == 0

    spans = TownSpan.objects.filter(enterprise__in=enterprises)
    assert spans.count() == ENTERPRISES
    assert spans.filter(start=None, end=None, town=F("enterprise__town")).count() == ENTERPRISES

    years = EnterpriseYear.objects.filter(enterprise__in=enterprises)
    assert years.count() == ENTERPRISES * INDICATOR_YEARS
    assert set(years.values_list("year", flat=True)) == {2017, 2018}
    assert years.filter(st_staff__gt=F("staff_total")).count() == 0
    assert years.filter(rd_expense_domestic__gt=F("rd_expense")).count() == 0
    assert years.filter(sales_revenue__lt=100).count() == 0
    assert years.filter(sales_revenue__gt=50000).count() == 0
    assert years.filter(rd_expense__lt=F("sales_revenue") * 0.004).count() == 0


@pytest.mark.django_db
def test_rerun_reuses_and_reset_rebuilds_the_same_data():
    generate()
    codes = set(bench_enterprises().values_list("uscc", flat=True))
    units = OrgUnit.objects.count()

    ladder = ladder_counts()
    numbers = set(Certificate.objects.values_list("number", flat=True))

    output = generate()
    assert "无需生成" in output
    assert bench_enterprises().count() == ENTERPRISES
    assert OrgUnit.objects.count() == units
    assert TownSpan.objects.count() == ENTERPRISES
    assert EnterpriseYear.objects.count() == ENTERPRISES * INDICATOR_YEARS
    assert ladder_counts() == ladder

    output = generate("--reset")
    assert "条阶梯事件" in output.split("reset:")[1].splitlines()[0]
    assert set(bench_enterprises().values_list("uscc", flat=True)) == codes  # same seed
    assert TownSpan.objects.count() == ENTERPRISES
    assert EnterpriseYear.objects.count() == ENTERPRISES * INDICATOR_YEARS
    assert ladder_counts() == ladder  # the old rows went, the same ones came back
    assert set(Certificate.objects.values_list("number", flat=True)) == numbers


@pytest.mark.django_db
def test_missing_rows_of_a_later_step_are_filled_in():
    generate()
    EnterpriseYear.objects.filter(year=2017).delete()
    output = generate()
    assert "enterprises: 已存在" in output
    assert EnterpriseYear.objects.count() == ENTERPRISES * INDICATOR_YEARS
    assert Enterprise.objects.count() == ENTERPRISES


@pytest.mark.django_db
def test_missing_ladder_rows_are_rebuilt():
    generate()
    ladder = ladder_counts()
    TechSMEEvaluation.objects.filter(year=2017).delete()
    output = generate()
    assert "indicator_years: 已存在" in output and "ladder: 已存在" not in output
    assert ladder_counts() == ladder


@pytest.mark.django_db
def test_ladder_rows_honour_the_model_constraints():
    output = generate()
    registered = dict(bench_enterprises().values_list("id", "registered_on"))
    rows = {model: list(model.objects.filter(enterprise_id__in=registered)) for model in LADDER}
    assert all(rows.values())  # every table has rows
    total = sum(map(len, rows.values()))
    assert f"{total} 条阶梯事件（2009–2018）" in output
    for records in rows.values():
        for record in records:
            record.full_clean()  # field choices, check and unique constraints

    check_evaluations(rows[TechSMEEvaluation], registered)
    pools_of = check_pools(rows[PoolMembership], registered)
    applications = {a.pk: a for a in rows[Application]}
    check_applications(applications, registered)
    issued = check_certificates(rows[Certificate], applications)
    for enterprise_id, dates in issued.items():
        for membership in pools_of[enterprise_id]:
            # Pool before certification only; one still open then ended that day (认定为高企).
            assert membership.start <= dates[0]
            assert membership.end is not None and membership.end <= dates[0]
    for a in applications.values():
        first_issue = min(issued.get(a.enterprise_id, [datetime.date.max]))
        assert (a.kind == ApplicationKind.RENEWAL) == (a.year > first_issue.year)
    for honour in rows[Honour]:
        assert honour.expires_year is None or honour.expires_year >= honour.year

    # Plausible shape: roughly 25–35 % certified at some point (wider at this tiny scale).
    assert 0.15 * ENTERPRISES <= len(issued) <= 0.5 * ENTERPRISES
    assert any(len(dates) > 1 for dates in issued.values())  # some renew


def check_evaluations(evaluations, registered):
    for evaluation in evaluations:
        assert 2009 <= evaluation.year <= 2018
        assert evaluation.evaluated_on.year == evaluation.year
        assert evaluation.year >= registered[evaluation.enterprise_id].year


def check_pools(memberships, registered) -> dict:
    """Memberships start after registration, end with a reason, never overlap at a level;
    returns them by enterprise."""
    by_level, pools_of = defaultdict(list), defaultdict(list)
    for membership in memberships:
        assert membership.start > registered[membership.enterprise_id]
        assert membership.start.year == membership.year
        assert membership.end is None or membership.end >= membership.start
        assert bool(membership.end) == bool(membership.exit_reason)
        by_level[membership.enterprise_id, membership.level].append(membership)
        pools_of[membership.enterprise_id].append(membership)
    for same_level in by_level.values():  # one level never overlaps itself
        same_level.sort(key=lambda m: m.start)
        for before, after in pairwise(same_level):
            assert before.end is not None and before.end < after.start
    return pools_of


def check_applications(applications: dict, registered) -> None:
    keys = [(a.enterprise_id, a.year, a.batch) for a in applications.values()]
    assert len(set(keys)) == len(keys)
    statuses = {a.status for a in applications.values()}
    expected = {ApplicationStatus.PASSED, ApplicationStatus.FAILED, ApplicationStatus.WITHDRAWN}
    assert statuses >= expected
    assert ApplicationStatus.PLANNED not in statuses
    for a in applications.values():
        dates = [d for d in (a.planned_on, a.submitted_on, a.decided_on) if d]
        assert dates == sorted(dates) and {d.year for d in dates} == {a.year}
        assert a.planned_on > registered[a.enterprise_id]
        decided = a.status in (ApplicationStatus.PASSED, ApplicationStatus.FAILED)
        assert (a.decided_on is not None) == decided
        assert a.submitted_on is not None or a.status == ApplicationStatus.WITHDRAWN
        assert a.status != ApplicationStatus.SUBMITTED or a.year == 2018  # last year's pend


def check_certificates(certificates, applications: dict) -> dict:
    """Each certificate follows its passed application; renewals about 3 years apart.
    Returns each enterprise's issue dates, in order."""
    issued = defaultdict(list)
    for certificate in certificates:
        application = applications[certificate.application_id]  # every one linked
        assert not certificate.historical
        assert application.enterprise_id == certificate.enterprise_id
        assert application.status == ApplicationStatus.PASSED
        assert application.year == certificate.issued_on.year
        assert certificate.issued_on == application.decided_on
        assert certificate.expires_on == add_years(certificate.issued_on, 3)
        assert re.fullmatch(rf"GR{certificate.issued_on.year}99\d{{6}}", certificate.number)
        issued[certificate.enterprise_id].append(certificate.issued_on)
    passed = {pk for pk, a in applications.items() if a.status == ApplicationStatus.PASSED}
    assert passed == {c.application_id for c in certificates}
    for dates in issued.values():
        dates.sort()
        for before, after in pairwise(dates):
            assert after - before >= datetime.timedelta(days=2 * 365 + 250)
    return issued
