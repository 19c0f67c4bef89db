"""Demo enterprises for the Wujin towns: synthetic, deterministic, with valid USCCs.

Each town gets its 2018 certified count from 武科发〔2019〕14号 (so the ladder demo can make
the valid-高企 count at 2018-12-31 match the notice exactly) plus a share of candidates
for 2019's new applications. A few records are deliberately odd, as real registries are:
two checksum-failing (pre-2016) codes and one name registered in two towns.
"""

import datetime
import random
import zoneinfo
from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType

from core.changelog import snapshot
from core.choices import Action
from core.demo import wujin_unit
from core.models import ChangeLog
from core.seeds import WUJIN_2019_ROWS

from .choices import TechField
from .models import Enterprise, EnterpriseYear, TownSpan
from .uscc import check, with_check_digit

SEED = 2019
YEARS = (2016, 2017, 2018)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BRANDS = list(
    "恒瑞华泰天合中科博远新创金益星辰宏达凯润精工优联鼎盛瑞丰东方亚太华夏协力联创"
    "永信嘉诚百川明德远航锦程晨光卓越智联安捷宝利盛世汇通"
)
FIELD_WORDS: dict[str, list[str]] = {
    TechField.ELECTRONICS: ["电子科技", "信息技术", "微电子", "智能科技"],
    TechField.BIOMEDICINE: ["生物科技", "医药科技", "医疗器械", "制药"],
    TechField.AEROSPACE: ["航空科技", "航空部件", "无人机"],
    TechField.NEW_MATERIALS: ["新材料", "高分子材料", "复合材料", "特种金属"],
    TechField.HIGH_TECH_SERVICES: ["检测技术", "软件", "科技服务", "数据科技"],
    TechField.NEW_ENERGY: ["新能源", "光伏科技", "储能科技", "节能科技"],
    TechField.ENVIRONMENT: ["环保科技", "水处理", "环境工程"],
    TechField.ADVANCED_MANUFACTURING: ["机械", "精密机械", "自动化设备", "智能装备", "传动科技"],
}
FIELD_WEIGHTS = [18, 10, 2, 16, 8, 12, 6, 28]  # Wujin is strongly manufacturing


def candidates_for(new_applications: int) -> int:
    """Non-certified enterprises per town: enough to show 2019 applications and a pool."""
    return new_applications // 4 + 2


def _uscc(rng: random.Random, used: set[str]) -> str:
    while True:
        code = with_check_digit("91320412" + "".join(rng.choices(USCC_ALPHABET, k=9)))
        if code not in used:
            used.add(code)
            return code


def _name(rng: random.Random, field: str, used: set[str]) -> str:
    while True:
        brand = "".join(rng.sample(BRANDS, 2))
        suffix = rng.choice(["有限公司", "有限公司", "股份有限公司"])
        name = f"常州{brand}{rng.choice(FIELD_WORDS[field])}{suffix}"
        if name not in used:
            used.add(name)
            return name


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def _years(rng: random.Random, certified: bool) -> list[dict]:
    """Three years of plausible indicators; certified enterprises look like it."""
    sales = rng.lognormvariate(8.3, 0.9)  # median ≈ 4,000 万元
    staff = max(12, int(sales / rng.uniform(30, 80)))
    rows = []
    for _ in YEARS:
        rd_share = rng.uniform(0.04, 0.07) if certified else rng.uniform(0.015, 0.06)
        rd = sales * rd_share
        st_share = rng.uniform(0.12, 0.3) if certified else rng.uniform(0.05, 0.22)
        total_assets = sales * rng.uniform(0.8, 1.5)
        rows.append(
            {
                "staff_total": staff,
                "st_staff": max(1, int(staff * st_share)),
                "sales_revenue": _money(sales),
                "rd_expense": _money(rd),
                "rd_expense_domestic": _money(rd * rng.uniform(0.85, 1.0)),
                "hightech_revenue": _money(sales * rng.uniform(0.62 if certified else 0.3, 0.9)),
                "net_assets": _money(total_assets * rng.uniform(0.3, 0.6)),
                "total_assets": _money(total_assets),
                "total_cost": _money(sales * rng.uniform(0.82, 0.95)),
                "ip_class1": rng.choice([0, 1, 1, 2, 3]) if certified else rng.choice([0, 0, 1]),
                "ip_class2": rng.randint(4, 25) if certified else rng.randint(0, 8),
                "achievements": rng.randint(3, 9) if certified else rng.randint(0, 5),
            }
        )
        sales *= rng.uniform(1.0, 1.3)
        staff = int(staff * rng.uniform(1.0, 1.15))
    return rows


def plan() -> list[dict]:
    """The full, deterministic list of demo enterprises (what `load` makes sure exists)."""
    rng = random.Random(SEED)
    used_codes: set[str] = set()
    used_names: set[str] = set()
    fields = list(FIELD_WORDS)
    result = []
    for row in WUJIN_2019_ROWS:
        total = row.valid_2018 + candidates_for(row.new_applications)
        for index in range(total):
            certified = index < row.valid_2018
            field = rng.choices(fields, FIELD_WEIGHTS)[0]
            founded = date(rng.randint(1996, 2013 if certified else 2017), rng.randint(1, 12), 1)
            result.append(
                {
                    "town": row.unit,
                    "uscc": _uscc(rng, used_codes),
                    "name": _name(rng, field, used_names),
                    "tech_field": field,
                    "registered_on": founded.replace(day=rng.randint(1, 28)),
                    "above_scale": certified and rng.random() < 0.55,
                    "legal_rep": rng.choice("王李张刘陈杨黄赵吴周徐孙")
                    + rng.choice(["建国", "志强", "海燕", "晓东", "丽华", "国平"]),
                    "industry": "制造业"
                    if field == TechField.ADVANCED_MANUFACTURING
                    else "科学研究和技术服务业",
                    "years": _years(rng, certified),
                    "certified_2018": certified,  # read by the ladder demo
                }
            )
    _make_realistic_oddities(result)
    return result


def _make_realistic_oddities(items: list[dict]) -> None:
    # Two pre-2016 codes whose check digit fails (a warning, not an error).
    for item in items[40:42]:
        last = item["uscc"][-1]
        item["uscc"] = item["uscc"][:-1] + ("1" if last != "1" else "2")
    # One name registered in two towns (湖塘镇 and 牛塘镇): the duplicates page flags it.
    hutang = next(i for i in items if i["town"] == "湖塘镇")
    niutang = next(i for i in items if i["town"] == "牛塘镇" and i is not hutang)
    niutang["name"] = hutang["name"]


REGISTRY_SET_UP = datetime.datetime(2019, 1, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def load(stdout) -> None:
    """Bulk-written (a few hundred rows at once): demo history, not user edits; each new
    enterprise still gets its open TownSpan and a 新建 entry in the change log."""
    existing = set(Enterprise.objects.values_list("uscc", flat=True))
    items = [item for item in plan() if item["uscc"] not in existing]
    towns = {name: wujin_unit(name) for name in {item["town"] for item in items}}
    enterprises = [
        Enterprise(
            town=towns[item["town"]],
            uscc_checksum_ok=check(item["uscc"]).checksum_ok,
            **{k: v for k, v in item.items() if k not in ("town", "years", "certified_2018")},
        )
        for item in items
    ]
    Enterprise.objects.bulk_create(enterprises, batch_size=500)
    TownSpan.objects.bulk_create(
        [TownSpan(enterprise=e, town=e.town) for e in enterprises], batch_size=500
    )
    EnterpriseYear.objects.bulk_create(
        [
            EnterpriseYear(enterprise=e, year=year, **values)
            for e, item in zip(enterprises, items, strict=True)
            for year, values in zip(YEARS, item["years"], strict=True)
        ],
        batch_size=500,
    )
    content_type = ContentType.objects.get_for_model(Enterprise)
    ChangeLog.objects.bulk_create(
        [
            ChangeLog(
                actor_name="系统",
                content_type=content_type,
                object_id=str(e.pk),
                object_repr=str(e)[:200],
                action=Action.CREATE,
                unit=e.town,
                after=snapshot(e),
                note="演示数据",
            )
            for e in enterprises
        ],
        batch_size=500,
    )
    # Dated when the registry was set up, before the first quarterly upload (April 2019)
    # touched them: an enterprise's history then reads in order, 新建 first.
    ids = [e.pk for e in enterprises]
    Enterprise.objects.filter(pk__in=ids).update(
        created_at=REGISTRY_SET_UP, updated_at=REGISTRY_SET_UP
    )
    ChangeLog.objects.filter(
        content_type=content_type, object_id__in=[str(i) for i in ids], action=Action.CREATE
    ).update(created_at=REGISTRY_SET_UP)
    stdout.write(
        f"企业：新建 {len(enterprises)} 家（含 {len(enterprises) * len(YEARS)} 条年度指标）"
    )
