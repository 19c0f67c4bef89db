"""A 培育库 list as a bureau clerk lays it out (a title, 序号, a two-row header, a 合计 line
and a 填表人 line), written by LibreOffice as .xlsx and .xls (tests/files/office/make.sh)."""

import datetime
from pathlib import Path

import pytest

from cultivation.choices import PoolLevel
from cultivation.io.ladder import import_ladder
from cultivation.models import PoolMembership
from tests.enterprises.conftest import code

pytestmark = pytest.mark.django_db

OFFICE = Path(__file__).parents[1] / "files" / "office"


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_clerks_pool_list_imports_its_two_enterprises(fmt, registry, district):
    with open(OFFICE / f"ladder_clerk.{fmt}", "rb") as file:
        result = import_ladder(file, actor=district)
    assert result.ok, [str(e) for e in result.errors]
    assert result.created["培育库"] == 2 and result.total == 2
    rows = PoolMembership.objects.order_by("enterprise__uscc")
    assert [(m.enterprise.uscc, m.level, m.year, m.batch, m.start) for m in rows] == [
        (code(n), PoolLevel.DISTRICT, 2019, "1", datetime.date(2019, 4, 1)) for n in (1, 2)
    ]
