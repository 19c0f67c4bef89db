"""The benchmark's data generator at tiny scale: counts, valid codes, constraints, reuse.

On PostgreSQL (DATABASE_URL set) this exercises the COPY path; on SQLite, bulk_create.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F
from stdnum.cn import uscc

from core.models import OrgUnit
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

    output = generate()
    assert "无需生成" in output
    assert bench_enterprises().count() == ENTERPRISES
    assert OrgUnit.objects.count() == units
    assert TownSpan.objects.count() == ENTERPRISES
    assert EnterpriseYear.objects.count() == ENTERPRISES * INDICATOR_YEARS

    generate("--reset")
    assert set(bench_enterprises().values_list("uscc", flat=True)) == codes  # same seed
    assert TownSpan.objects.count() == ENTERPRISES
    assert EnterpriseYear.objects.count() == ENTERPRISES * INDICATOR_YEARS


@pytest.mark.django_db
def test_missing_rows_of_a_later_step_are_filled_in():
    generate()
    EnterpriseYear.objects.filter(year=2017).delete()
    output = generate()
    assert "enterprises: 已存在" in output
    assert EnterpriseYear.objects.count() == ENTERPRISES * INDICATOR_YEARS
    assert Enterprise.objects.count() == ENTERPRISES
