"""The unit switcher and breadcrumb (one scoped query): what each persona may pick and see."""

from core.params import unit_nav


def names(units) -> list[str]:
    return [u.name for u in units]


def test_a_district_user_on_a_town_sees_the_way_back_up(district, units):
    choices, breadcrumb = unit_nav(district, units["湖塘镇"])
    assert names(breadcrumb) == ["武进区", "湖塘镇"]  # not the city above the user's unit
    assert names(choices)[:2] == ["武进区", "湖塘镇"]
    assert "常州市" not in names(choices)


def test_a_district_user_on_the_district_can_pick_every_active_town(district, units):
    choices, breadcrumb = unit_nav(district, units["武进区"])
    towns = {u.name for u in units.values() if u.parent_id == units["武进区"].pk and u.is_active}
    assert set(names(choices)) == towns | {"武进区"}
    assert names(breadcrumb) == ["武进区"]


def test_a_town_user_sees_only_their_town(hutang, units):
    choices, breadcrumb = unit_nav(hutang, units["湖塘镇"])
    assert names(choices) == names(breadcrumb) == ["湖塘镇"]
