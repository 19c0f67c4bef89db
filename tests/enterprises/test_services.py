"""Registry writes: validation in Chinese, scope, town history, and the change log."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.choices import Action
from core.models import ChangeLog
from core.selectors import history_for
from enterprises import services
from enterprises.models import Enterprise, EnterpriseYear, TownSpan

from .conftest import code


def entries(enterprise) -> list[ChangeLog]:
    """The enterprise's change log, oldest first."""
    return history_for(enterprise)[::-1]


def test_create_normalises_the_code_and_logs_who_created_it(units, hutang):
    typed = code(99).lower().replace("9", "９")
    enterprise = services.create_enterprise(
        actor=hutang, uscc=f"  {typed} ", name=" 常州新企业有限公司 ", town=units["湖塘镇"]
    )
    assert enterprise.uscc == code(99) and enterprise.name == "常州新企业有限公司"
    assert TownSpan.objects.get(enterprise=enterprise).town == units["湖塘镇"]
    [entry] = entries(enterprise)
    assert (entry.action, entry.actor, entry.unit) == (Action.CREATE, hutang, units["湖塘镇"])
    assert entry.after["统一社会信用代码"] == code(99)


def test_one_code_one_enterprise(registry, units):
    with pytest.raises(ValidationError) as error:
        services.create_enterprise(
            actor=None, uscc=code(1).lower(), name="另一家", town=units["牛塘镇"]
        )
    assert "已登记为“常州湖塘精密机械有限公司”" in error.value.message_dict["uscc"][0]
    assert Enterprise.objects.count() == 6


def test_checksum_failure_is_stored_with_a_warning_flag(units):
    bad = code(5)[:-1] + ("1" if code(5)[-1] != "1" else "2")
    enterprise = services.create_enterprise(
        actor=None, uscc=bad, name="老代码企业", town=units["湖塘镇"]
    )
    assert enterprise.uscc == bad and enterprise.uscc_checksum_ok is False


def test_town_staff_cannot_create_in_another_town_and_leaders_cannot_write(
    registry, units, hutang, leader
):
    with pytest.raises(PermissionDenied):
        services.create_enterprise(actor=hutang, uscc=code(50), name="越权", town=units["牛塘镇"])
    with pytest.raises(PermissionDenied):
        services.update_enterprise(
            actor=leader, enterprise=registry[("湖塘镇", "常州湖塘新材料有限公司")], notes="x"
        )
    assert not Enterprise.objects.filter(name="越权").exists()


def test_update_logs_only_what_changed(registry, district):
    enterprise = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    services.update_enterprise(
        actor=district, enterprise=enterprise, phone="0519-86000000", above_scale=True
    )
    entry = entries(enterprise)[-1]
    assert entry.action == Action.UPDATE and entry.actor == district
    assert sorted(entry.changed_fields()) == [
        ("联系电话", None, "0519-86000000"),
        ("规上企业", "否", "是"),
    ]


def test_move_keeps_the_old_towns_past(registry, units, district):
    enterprise = registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    services.move_enterprise(
        actor=district, enterprise=enterprise, town=units["牛塘镇"], on=date(2019, 7, 1)
    )
    spans = list(enterprise.town_spans.all())
    assert [(s.town.name, s.start, s.end) for s in spans] == [
        ("湖塘镇", None, date(2019, 6, 30)),
        ("牛塘镇", date(2019, 7, 1), None),
    ]
    entry = entries(enterprise)[-1]
    assert entry.action == Action.MOVE
    assert ("所属镇（园区）", "湖塘镇", "牛塘镇") in entry.changed_fields()
    with pytest.raises(ValidationError, match="迁移日期须晚于"):
        services.move_enterprise(
            actor=district, enterprise=enterprise, town=units["湖塘镇"], on=date(2019, 7, 1)
        )


def test_deactivate_keeps_the_record_and_logs_it(registry, district):
    enterprise = registry[("牛塘镇", "常州牛塘电子有限公司")]
    services.set_active(actor=district, enterprise=enterprise, active=False, note="已注销")
    enterprise.refresh_from_db()
    assert not enterprise.is_active
    entry = entries(enterprise)[-1]
    assert (entry.action, entry.note) == (Action.DEACTIVATE, "已注销")
    assert ("有效", "是", "否") in entry.changed_fields()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"staff_total": 10, "st_staff": 11}, "科技人员数不能大于职工总数"),
        (
            {"rd_expense": Decimal("10"), "rd_expense_domestic": Decimal("10.01")},
            "境内研发费用不能大于研发费用总额",
        ),
        ({"sales_revenue": Decimal("-1")}, "金额不能为负数"),
    ],
)
def test_indicator_rules_are_enforced_with_chinese_messages(registry, values, message):
    enterprise = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    with pytest.raises(ValidationError, match=message):
        services.save_year(actor=None, enterprise=enterprise, year=2017, values=values)
    assert not EnterpriseYear.objects.filter(enterprise=enterprise, year=2017).exists()


def test_database_itself_refuses_inconsistent_indicators(registry):
    from django.db import IntegrityError, transaction

    enterprise = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseYear.objects.create(enterprise=enterprise, year=2016, staff_total=5, st_staff=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseYear.objects.create(enterprise=enterprise, year=2018)  # one row per year


def test_saving_a_year_twice_updates_and_logs_the_change(registry, hutang):
    enterprise = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    services.save_year(actor=hutang, enterprise=enterprise, year=2018, values={"st_staff": 30})
    assert enterprise.years.get(year=2018).st_staff == 30
    entry = entries(enterprise)[-1]
    assert entry.note == "2018年度指标" and ("科技人员数", 24, 30) in entry.changed_fields()
