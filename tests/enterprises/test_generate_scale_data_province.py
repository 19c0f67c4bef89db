"""`generate_scale_data --preset province`, scaled down to 2,000 enterprises (the tree whole).

基准测试省 → 13 市 → 95 区/县 → 1,100 镇/街道: the shape, valid and unique USCCs in each
district's region, every town with enterprises, a ladder that gives every page numbers, and
the same data again from the same seed.
"""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from stdnum.cn import uscc

from core.models import OrgUnit
from cultivation.models import Application, Certificate, Honour, PoolMembership, TechSMEEvaluation
from cultivation.selectors import count_by_child, pool_active_ids, valid_hte_ids
from enterprises.models import Enterprise, EnterpriseYear, TownSpan

ENTERPRISES = 2000
LADDER = [TechSMEEvaluation, PoolMembership, Application, Certificate, Honour]


def generate(*extra) -> str:
    out = StringIO()
    call_command(
        "generate_scale_data",
        "--preset",
        "province",
        "--enterprises",
        str(ENTERPRISES),
        "--indicator-years",
        "1",
        "--seed",
        "3",
        *extra,
        stdout=out,
    )
    return out.getvalue()


def snapshot(root) -> dict:
    enterprises = Enterprise.objects.in_unit(root)
    return {
        "enterprises": set(enterprises.values_list("uscc", "name", "town__code", "registered_on")),
        "certificates": set(
            Certificate.objects.in_unit(root).values_list("number", "enterprise__uscc")
        ),
        "ladder": {m.__name__: m.objects.in_unit(root).count() for m in LADDER},
    }


@pytest.mark.django_db
def test_province_preset_shape_codes_towns_and_same_seed():
    output = generate()
    root = OrgUnit.objects.get(name="基准测试省", parent=None)
    units = list(OrgUnit.objects.in_unit(root))
    depth = {u.pk: u.path.count("/") - 1 for u in units}
    by_level = Counter(depth.values())
    assert by_level == {1: 1, 2: 13, 3: 95, 4: 1100}
    kinds = {level: {u.kind for u in units if depth[u.pk] == level} for level in by_level}
    assert kinds == {
        1: {"province"},
        2: {"city"},
        3: {"district", "county"},
        4: {"town", "subdistrict"},
    }
    parents = {u.parent_id for u in units}
    towns = {u.pk: u for u in units if depth[u.pk] == 4}
    assert parents.isdisjoint(towns)  # towns are the leaves
    assert all(u.pk in parents for u in units if depth[u.pk] < 4)  # everyone else has children
    assert all(len(u.code) == 9 and u.code.startswith("98") for u in towns.values())

    enterprises = Enterprise.objects.in_unit(root)
    assert enterprises.count() == ENTERPRISES
    per_town = dict(enterprises.values_list("town").annotate(n=Count("id")))
    assert set(per_town) == set(towns)  # every town has enterprises, and only towns do

    rows = list(enterprises.values_list("uscc", "uscc_checksum_ok", "name", "town__code"))
    codes = [code for code, *_ in rows]
    assert len(set(codes)) == ENTERPRISES and all(len(code) == 18 for code in codes)
    # The registration region is the enterprise's district: 91 + 6-digit district code.
    assert all(code[:8] == "91" + town[:6] for code, _, _, town in rows)
    bad = [code for code, ok, *_ in rows if not ok]
    assert 5 <= len(bad) <= 45  # ≈ 1 %
    assert all(uscc.is_valid(code) for code, ok, *_ in rows if ok)
    assert not any(uscc.is_valid(code) for code in bad)
    assert all(name.endswith("有限公司") and len(name) >= 9 for _, _, name, _ in rows)
    assert len({name for _, _, name, _ in rows}) >= ENTERPRISES - 2

    assert TownSpan.objects.filter(enterprise__in=enterprises, end=None).count() == ENTERPRISES
    assert EnterpriseYear.objects.in_unit(root).filter(year=2018).count() == ENTERPRISES
    day = datetime.date(2018, 12, 31)
    valid = count_by_child(valid_hte_ids(day), root, day)
    assert 0.05 * ENTERPRISES < valid[root.pk] < 0.5 * ENTERPRISES
    assert sum(1 for n in valid.values() if n) >= 13  # every city (and the total) has some
    assert count_by_child(pool_active_ids(2018), root, day)[root.pk] > 0
    numbers = Certificate.objects.in_unit(root).values_list("number", flat=True)
    assert all(number[6:8] == "98" for number in numbers)  # apart from the district preset's
    assert "条阶梯事件（2009–2018）" in output and "峰值内存" in output

    before = snapshot(root)
    assert all(before["ladder"].values())
    assert "无需生成" in generate()
    assert OrgUnit.objects.in_unit(root).count() == 1209
    generate("--reset")
    assert snapshot(root) == before  # same seed, same data
    assert OrgUnit.objects.in_unit(root).count() == 1209


@pytest.mark.django_db
def test_province_tree_is_fixed():
    with pytest.raises(CommandError, match="--towns"):
        generate("--towns", "5")
