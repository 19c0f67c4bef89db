"""The change log: written by services (and admin edits through them), shown on history pages."""

from django.urls import reverse

from core import services
from core.choices import Action
from core.models import ChangeLog


def test_update_records_actor_before_and_after(units, district):
    services.update_unit(actor=district, unit=units["湖塘镇"], short_name="湖塘街道", order=30)
    entry = ChangeLog.objects.filter(object_id=str(units["湖塘镇"].pk)).first()
    assert entry.action == Action.UPDATE
    assert entry.actor == district and entry.actor_name == "区科技局 陈静"
    assert ("简称", "湖塘", "湖塘街道") in entry.changed_fields()
    assert ("显示顺序", 3, 30) in entry.changed_fields()
    assert entry.unit == units["湖塘镇"]


def test_saving_without_changes_writes_nothing(units, district):
    before = ChangeLog.objects.count()
    services.update_unit(actor=district, unit=units["湖塘镇"], short_name="湖塘")
    assert ChangeLog.objects.count() == before


def test_reparenting_is_logged_as_a_move(units, admin_user):
    services.update_unit(actor=admin_user, unit=units["湖塘镇"], parent=units["常州市"])
    entry = ChangeLog.objects.filter(object_id=str(units["湖塘镇"].pk)).first()
    assert entry.action == Action.MOVE
    assert ("上级单位", "武进区", "常州市") in entry.changed_fields()


def test_history_page_shows_who_changed_what(client_for, units, district, hutang):
    services.update_unit(actor=district, unit=units["湖塘镇"], short_name="湖塘街道")
    page = (
        client_for(hutang)
        .get(reverse("history", args=["core", "orgunit", units["湖塘镇"].pk]))
        .content.decode()
    )
    assert "区科技局 陈静" in page and "修改" in page
    assert "湖塘街道" in page and "简称" in page


def test_admin_edits_go_through_the_change_log(client_for, units, admin_user):
    unit = units["嘉泽镇"]
    url = reverse("admin:core_orgunit_change", args=[unit.pk])
    response = client_for(admin_user).post(
        url,
        {
            "name": unit.name,
            "short_name": "嘉泽",
            "kind": unit.kind,
            "code": "320412106",
            "parent": unit.parent_id,
            "order": unit.order,
            "is_active": "",  # deactivated
        },
    )
    assert response.status_code == 302
    entry = ChangeLog.objects.filter(object_id=str(unit.pk)).first()
    assert entry.actor == admin_user
    changed = {field for field, _, _ in entry.changed_fields()}
    assert changed == {"行政区划代码", "启用"}
