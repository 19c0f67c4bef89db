"""The scoping rule, proved for every persona: a user sees their unit's subtree; leaders never write."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core import services
from core.choices import Action, UnitKind
from core.models import ChangeLog, OrgUnit
from core.scoping import CHANGE, VIEW, can_write

WUJIN_AND_TOWNS = {
    "武进区",
    "武进国家高新技术产业开发区",
    "西太湖科技产业园",
    "湖塘镇",
    "牛塘镇",
    "洛阳镇",
    "雪堰镇",
    "前黄镇",
    "礼嘉镇",
    "嘉泽镇",
    "湟里镇",
    "常州经济开发区",
}
EVERYTHING = WUJIN_AND_TOWNS | {"江苏省", "常州市"}

EXPECTED = {
    # persona: (visible for view, visible for change)
    "district": (WUJIN_AND_TOWNS, WUJIN_AND_TOWNS),
    "hutang": ({"湖塘镇"}, {"湖塘镇"}),
    "niutang": ({"牛塘镇"}, {"牛塘镇"}),
    "leader": (WUJIN_AND_TOWNS, set()),
    "admin": (EVERYTHING, EVERYTHING),
    "outsider": (set(), set()),
}


def names(qs):
    return set(qs.values_list("name", flat=True))


@pytest.mark.parametrize("persona", EXPECTED)
def test_each_persona_sees_exactly_its_subtree(personas, persona):
    user = personas[persona]
    can_view, can_change = EXPECTED[persona]
    assert names(OrgUnit.objects.for_user(user, VIEW)) == can_view
    assert names(OrgUnit.objects.for_user(user, CHANGE)) == can_change
    assert can_write(user) == bool(can_change)


def test_inactive_and_anonymous_users_see_nothing(personas):
    from django.contrib.auth.models import AnonymousUser

    district = personas["district"]
    district.is_active = False
    assert not OrgUnit.objects.for_user(district).exists()
    assert not OrgUnit.objects.for_user(AnonymousUser()).exists()


def test_unknown_action_is_a_programming_error(district):
    with pytest.raises(ValueError):
        OrgUnit.objects.for_user(district, "delete")


def test_scope_follows_any_depth_and_moves(units, hutang, niutang):
    village = services.create_unit(
        actor=hutang, name="湖塘镇科创园", kind=UnitKind.PARK, parent=units["湖塘镇"]
    )
    building = services.create_unit(actor=hutang, name="一号楼", kind=UnitKind.PARK, parent=village)
    assert {"湖塘镇科创园", "一号楼"} <= names(OrgUnit.objects.for_user(hutang))
    assert building.depth == 6  # 省/市/区/镇/园/楼

    # 区划调整: the park moves to 牛塘镇, its descendants with it.
    services.update_unit(actor=None, unit=village, parent=units["牛塘镇"])
    building.refresh_from_db()
    assert building.path.startswith(units["牛塘镇"].path)
    assert not {"湖塘镇科创园", "一号楼"} & names(OrgUnit.objects.for_user(hutang))
    assert {"湖塘镇科创园", "一号楼"} <= names(OrgUnit.objects.for_user(niutang))


def test_unit_cannot_be_moved_under_itself(units):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="上级单位不能是本单位或其下级单位"):
        services.update_unit(actor=None, unit=units["武进区"], parent=units["湖塘镇"])


def test_services_refuse_writes_outside_scope(units, hutang, leader):
    with pytest.raises(PermissionDenied):
        services.create_unit(
            actor=hutang, name="越权园区", kind=UnitKind.PARK, parent=units["牛塘镇"]
        )
    with pytest.raises(PermissionDenied):
        services.update_unit(actor=leader, unit=units["湖塘镇"], short_name="改名")
    assert not OrgUnit.objects.filter(name="越权园区").exists()
    assert units["湖塘镇"].short_name == "湖塘"


def test_change_log_is_scoped_like_the_data(units, district, hutang, niutang, leader):
    services.update_unit(actor=district, unit=units["牛塘镇"], short_name="牛塘（新）")
    services.update_unit(actor=district, unit=units["湖塘镇"], short_name="湖塘（新）")
    updates = ChangeLog.objects.filter(action=Action.UPDATE)
    assert {e.object_repr for e in updates.for_user(hutang)} == {"湖塘镇"}
    assert {e.object_repr for e in updates.for_user(niutang)} == {"牛塘镇"}
    assert {e.object_repr for e in updates.for_user(leader)} == {"湖塘镇", "牛塘镇"}


@pytest.mark.parametrize(
    ("persona", "unit_name", "status"),
    [
        ("hutang", "湖塘镇", 200),
        ("hutang", "牛塘镇", 404),
        ("niutang", "湖塘镇", 404),
        ("district", "湖塘镇", 200),
        ("district", "常州市", 404),
        ("leader", "牛塘镇", 200),
        ("outsider", "湖塘镇", 404),
        ("admin", "江苏省", 200),
    ],
)
def test_history_page_is_scoped(client_for, personas, units, persona, unit_name, status):
    unit = units[unit_name]
    url = reverse("history", args=["core", "orgunit", unit.pk])
    response = client_for(personas[persona]).get(url)
    assert response.status_code == status
    if status == 404:
        assert unit_name not in response.content.decode()
