"""The demo loader: the Wujin tree from 武科发〔2019〕14号, the personas, and idempotence."""

from io import StringIO

from django.core.management import call_command

from core.demo import DEMO_PASSWORD
from core.models import ChangeLog, OrgUnit, User

ATTACHMENT_ORDER = [
    "高新区",
    "西太湖",
    "湖塘",
    "牛塘",
    "洛阳",
    "雪堰",
    "前黄",
    "礼嘉",
    "嘉泽",
    "湟里",
    "常经开",
]


def run_loader() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_loader_builds_the_wujin_tree_and_prints_logins(db):
    output = run_loader()
    wujin = OrgUnit.objects.get(name="武进区")
    assert wujin.parent.name == "常州市" and wujin.parent.parent.name == "江苏省"
    children = list(wujin.children.order_by("order"))
    assert [c.short_name for c in children] == ATTACHMENT_ORDER
    assert DEMO_PASSWORD in output
    for username in ["district", "hutang", "niutang", "leader", "admin"]:
        assert username in output
    assert User.objects.get(username="hutang").unit.name == "湖塘镇"
    assert User.objects.get(username="admin").is_superuser


def test_loader_twice_duplicates_nothing(db):
    run_loader()
    counts = (OrgUnit.objects.count(), User.objects.count(), ChangeLog.objects.count())
    run_loader()
    assert (OrgUnit.objects.count(), User.objects.count(), ChangeLog.objects.count()) == counts
    assert counts[:2] == (14, 5)


def test_reloading_keeps_a_password_the_user_changed(db):
    run_loader()
    user = User.objects.get(username="district")
    user.set_password("a-new-secret-2026")
    user.save()
    run_loader()
    user.refresh_from_db()
    assert user.check_password("a-new-secret-2026")
