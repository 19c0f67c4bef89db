"""The Django admin, in Chinese, for users, org units and roles."""

import pytest
from django.urls import reverse

from core.models import User


def test_admin_is_in_chinese_and_lists_the_models(client_for, admin_user):
    page = client_for(admin_user).get(reverse("admin:index")).content.decode()
    assert "系统管理" in page
    for label in ["组织单位", "用户", "变更记录", "定时任务运行记录", "周期性任务"]:
        assert label in page


@pytest.mark.parametrize("name", ["core_user", "core_orgunit", "core_changelog"])
def test_admin_changelists_open(client_for, admin_user, name):
    assert client_for(admin_user).get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_admin_creates_a_user_with_unit_and_role(client_for, admin_user, units):
    response = client_for(admin_user).post(
        reverse("admin:core_user_add"),
        {
            "username": "luoyang",
            "password1": "Luoyang#2026pw",
            "password2": "Luoyang#2026pw",
            "display_name": "洛阳镇服务中心 吴涛",
            "unit": units["洛阳镇"].pk,
            "role": "town_staff",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="luoyang")
    assert (user.unit.name, user.role) == ("洛阳镇", "town_staff")


def test_non_admin_staff_cannot_open_admin(client_for, district):
    response = client_for(district).get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response.url


def test_staff_extend_the_metric_catalogue(client_for, admin_user):
    from targets.models import Metric

    response = client_for(admin_user).post(
        reverse("admin:targets_metric_add"),
        {
            "code": "little_giants",
            "name": "专精特新小巨人数",
            "header": "{year}年专精特新小巨人数",
            "unit": "家",
            "source": "ladder",
            "ladder_metric": "",
            "order": 100,
            "is_active": "on",
        },
    )
    assert "来源为“梯次培育记录”时请选择统计口径" in response.content.decode()
    assert not Metric.objects.filter(code="little_giants").exists()


@pytest.mark.parametrize(
    "name",
    [
        "targets_metric",
        "targets_targetplan",
        "cultivation_certificate",
        "reports_submission",
        "core_notification",
    ],
)
def test_other_admin_pages_open(client_for, admin_user, name):
    assert client_for(admin_user).get(reverse(f"admin:{name}_changelist")).status_code == 200
