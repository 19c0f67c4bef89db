"""Demo org units and personas: 江苏省 → 常州市 → 武进区 → the 11 units of 武科发〔2019〕14号's 附件.

Idempotent: units are found by (parent, name), users by username; nothing is duplicated
and a password changed after loading is left alone.
"""

from django.db.models import Q

from .choices import Role, UnitKind
from .models import OrgUnit, User
from .services import create_unit

DEMO_PASSWORD = "Wujin@2019"

PROVINCE = ("江苏省", "江苏", UnitKind.PROVINCE, "320000")
CITY = ("常州市", "常州", UnitKind.CITY, "320400")
DISTRICT = ("武进区", "武进", UnitKind.DISTRICT, "320412")

# (name, short name, kind) in the 附件's row order, which is also display order.
WUJIN_UNITS = [
    ("武进国家高新技术产业开发区", "高新区", UnitKind.DEV_ZONE),
    ("西太湖科技产业园", "西太湖", UnitKind.PARK),
    ("湖塘镇", "湖塘", UnitKind.TOWN),
    ("牛塘镇", "牛塘", UnitKind.TOWN),
    ("洛阳镇", "洛阳", UnitKind.TOWN),
    ("雪堰镇", "雪堰", UnitKind.TOWN),
    ("前黄镇", "前黄", UnitKind.TOWN),
    ("礼嘉镇", "礼嘉", UnitKind.TOWN),
    ("嘉泽镇", "嘉泽", UnitKind.TOWN),
    ("湟里镇", "湟里", UnitKind.TOWN),
    ("常州经济开发区", "常经开", UnitKind.DEV_ZONE),
]

# (username, display name, unit name, role, superuser)
PERSONAS = [
    ("district", "区科技局 陈静", "武进区", Role.DISTRICT_STAFF, False),
    ("hutang", "湖塘镇服务中心 刘洋", "湖塘镇", Role.TOWN_STAFF, False),
    ("niutang", "牛塘镇服务中心 周敏", "牛塘镇", Role.TOWN_STAFF, False),
    ("leader", "区领导 王强", "武进区", Role.LEADER, False),
    ("admin", "系统管理员", "武进区", Role.ADMIN, True),
]


def _unit(name, short_name, kind, parent, code="", order=0) -> tuple[OrgUnit, bool]:
    existing = OrgUnit.objects.filter(parent=parent, name=name).first()
    if existing:
        return existing, False
    unit = create_unit(
        actor=None,
        name=name,
        short_name=short_name,
        kind=kind,
        parent=parent,
        code=code,
        order=order,
    )
    return unit, True


def load_units() -> int:
    province, new_p = _unit(*PROVINCE[:3], None, code=PROVINCE[3])
    city, new_c = _unit(*CITY[:3], province, code=CITY[3])
    district, new_d = _unit(*DISTRICT[:3], city, code=DISTRICT[3])
    created = sum([new_p, new_c, new_d])
    for order, (name, short_name, kind) in enumerate(WUJIN_UNITS, start=1):
        created += _unit(name, short_name, kind, district, order=order)[1]
    return created


def load_users() -> int:
    created = 0
    for username, display_name, unit_name, role, superuser in PERSONAS:
        if User.objects.filter(username=username).exists():
            continue
        unit = wujin_unit(unit_name)
        user = User(
            username=username,
            display_name=display_name,
            unit=unit,
            role=role,
            is_staff=superuser,
            is_superuser=superuser,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        created += 1
    return created


def wujin_unit(name: str) -> OrgUnit:
    """A demo unit by name or short name (武进区 itself or one of its 11 units)."""
    district = OrgUnit.objects.get(name="武进区", parent__name="常州市")
    if name in ("武进区", "武进"):
        return district
    return district.children.get(Q(name=name) | Q(short_name=name))


def load(stdout) -> None:
    units, users = load_units(), load_users()
    stdout.write(f"组织单位：新建 {units} 个；用户：新建 {users} 个")
