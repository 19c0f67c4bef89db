"""Demo enterprises: sized from 武科发〔2019〕14号, valid codes, and safe to load twice."""

from io import StringIO

from django.core.management import call_command
from stdnum.cn import uscc

from core.seeds import WUJIN_2019_ROWS
from enterprises.demo import candidates_for
from enterprises.models import Enterprise, EnterpriseYear


def test_demo_enterprises_per_town_cover_the_notices_certified_counts(db):
    call_command("load_demo", stdout=StringIO())
    for row in WUJIN_2019_ROWS:
        in_town = Enterprise.objects.filter(town__short_name=row.unit) | Enterprise.objects.filter(
            town__name=row.unit
        )
        assert in_town.count() == row.valid_2018 + candidates_for(row.new_applications), row.unit
    total = Enterprise.objects.count()
    assert 550 <= total <= 700
    assert EnterpriseYear.objects.filter(year__lte=2018).count() == 3 * total
    # 2019 rows come from the demo's quarterly reports.
    assert EnterpriseYear.objects.filter(year=2019).exists()
    bad = list(Enterprise.objects.filter(uscc_checksum_ok=False).values_list("uscc", flat=True))
    assert len(bad) == 2 and not any(uscc.is_valid(c) for c in bad)
    assert all(
        uscc.is_valid(c)
        for c in Enterprise.objects.filter(uscc_checksum_ok=True).values_list("uscc", flat=True)
    )


def test_loading_twice_adds_nothing(db):
    call_command("load_demo", stdout=StringIO())
    counts = (Enterprise.objects.count(), EnterpriseYear.objects.count())
    call_command("load_demo", stdout=StringIO())
    assert (Enterprise.objects.count(), EnterpriseYear.objects.count()) == counts
