"""Row makers for `manage.py generate_scale_data`: synthetic but plausible registry data.

Pure functions of a `random.Random`: the same seed gives the same rows. Rows are tuples in
the column order of the `*_COLUMNS` lists, holding values both loaders accept (str, int,
bool, date, datetime, None); money is a str with two decimals, in 万元.
"""

import datetime
import math
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from enterprises.models import INDICATOR_FIELDS
from enterprises.uscc import with_check_digit

END_YEAR = 2018  # the last fiscal year with indicators
FIRST_REGISTERED_YEAR = 1995
USCC_PREFIX = "91320499"  # 9 工商 · 1 企业 · 320499 = the fictional 基准测试区
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FIRST_TOWN_SHARE = 0.11  # 基准镇001 holds ≥ 10k of 100k: a natural 10k-row filter for exports
ABOVE_SCALE_SHARE = 0.30
BAD_CHECKSUM_SHARE = 0.01

ENTERPRISE_COLUMNS = [
    "uscc",
    "uscc_checksum_ok",
    "name",
    "town_id",
    "address",
    "legal_rep",
    "contact",
    "phone",
    "registered_on",
    "tech_field",
    "tech_subfield",
    "industry",
    "above_scale",
    "notes",
    "is_active",
    "created_at",
    "updated_at",
]
TOWN_SPAN_COLUMNS = ["enterprise_id", "town_id", "start", "end"]
YEAR_COLUMNS = ["enterprise_id", "year", *INDICATOR_FIELDS, "updated_at"]

# tech field code → (weight, [(name word, 所属行业)], [技术子领域])
TECH_FIELDS = {
    "electronics": (
        22,
        [
            ("电子科技", "计算机、通信和其他电子设备制造业"),
            ("信息技术", "软件和信息技术服务业"),
            ("软件", "软件和信息技术服务业"),
            ("智能科技", "计算机、通信和其他电子设备制造业"),
            ("光电", "计算机、通信和其他电子设备制造业"),
            ("微电子", "计算机、通信和其他电子设备制造业"),
            ("通信设备", "计算机、通信和其他电子设备制造业"),
        ],
        ["软件", "微电子技术", "计算机产品及其网络应用技术", "通信技术", "新型电子元器件"],
    ),
    "biomedicine": (
        10,
        [
            ("生物科技", "医药制造业"),
            ("医药", "医药制造业"),
            ("医疗器械", "专用设备制造业"),
            ("药业", "医药制造业"),
            ("生物工程", "医药制造业"),
        ],
        ["医药生物技术", "中药、天然药物", "化学药研发技术", "医疗仪器、设备与医学专用软件"],
    ),
    "aerospace": (
        2,
        [("航空科技", "铁路、船舶、航空航天和其他运输设备制造业"), ("航空部件", "金属制品业")],
        ["航空技术", "航天技术"],
    ),
    "materials": (
        16,
        [
            ("新材料", "化学原料和化学制品制造业"),
            ("高分子材料", "橡胶和塑料制品业"),
            ("金属材料", "有色金属冶炼和压延加工业"),
            ("化工", "化学原料和化学制品制造业"),
            ("复合材料", "非金属矿物制品业"),
            ("涂料", "化学原料和化学制品制造业"),
        ],
        ["金属材料", "无机非金属材料", "高分子材料", "精细和专用化学品"],
    ),
    "services": (
        14,
        [
            ("检测技术", "专业技术服务业"),
            ("网络科技", "互联网和相关服务"),
            ("技术服务", "科技推广和应用服务业"),
            ("工程设计", "专业技术服务业"),
            ("数据科技", "软件和信息技术服务业"),
        ],
        ["研发与设计服务", "检验检测认证技术", "信息技术服务", "知识产权与成果转化服务"],
    ),
    "energy": (
        10,
        [
            ("新能源", "电气机械和器材制造业"),
            ("光伏科技", "电气机械和器材制造业"),
            ("电池", "电气机械和器材制造业"),
            ("节能科技", "通用设备制造业"),
            ("电力设备", "电气机械和器材制造业"),
        ],
        ["可再生清洁能源", "新型高效能量转换与储存技术", "高效节能技术", "新能源汽车关键技术"],
    ),
    "environment": (
        8,
        [
            ("环保科技", "生态保护和环境治理业"),
            ("水处理设备", "专用设备制造业"),
            ("环境工程", "生态保护和环境治理业"),
            ("资源再生", "废弃资源综合利用业"),
        ],
        ["水污染控制与水资源利用技术", "大气污染控制技术", "固体废弃物处置与综合利用技术"],
    ),
    "manufacturing": (
        18,
        [
            ("机械", "通用设备制造业"),
            ("精密机械", "通用设备制造业"),
            ("自动化设备", "专用设备制造业"),
            ("机电", "电气机械和器材制造业"),
            ("传动设备", "通用设备制造业"),
            ("汽车零部件", "汽车制造业"),
            ("智能装备", "专用设备制造业"),
            ("液压", "通用设备制造业"),
        ],
        ["工业生产过程控制系统", "高性能、智能化仪器仪表", "先进制造工艺与装备", "新型机械"],
    ),
}
TECH_CODES = list(TECH_FIELDS)
TECH_WEIGHTS = [TECH_FIELDS[c][0] for c in TECH_CODES]

# 字号 characters: two of them (≈ 20k pairs) × name word × region × suffix; with one
# re-draw on a clash, duplicate names among 100k are rare (≈ 0.05 %), as in a real registry.
ZIHAO_CHARS = (
    "华润德恒泰鑫瑞锦宏远通达盛祥和丰嘉兴隆昌信诚宝安永新益中天海博创亿力凯腾飞龙翔"
    "金银星光明辉晨阳东方南北江河湖山峰岳川源泉林森茂春秋冠群英豪杰卓越精工匠联合"
    "汇众鼎立威诺迈克赛特奥普斯捷美佳乐康健富贵吉祥如意长久弘毅睿智优品尚志伟业华"
    "亚欧宇宙科技云智数维航舟运晟昊煜烨炜琪琳瑜璟珑铭铄钧锐钢铁铜铝"
)
ZIHAO_CHARS = "".join(dict.fromkeys(ZIHAO_CHARS))  # unique, order kept
REGIONS = ["常州", "常州", "常州", "常州市", "江苏"]
SUFFIXES = ["有限公司"] * 9 + ["股份有限公司"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌宇浩凯鹏飞俊峰婷雪琳晨"
)
ROADS = ["人民路", "长江路", "黄河路", "科技大道", "创业路", "工业园路", "东方大道", "滨湖路"]
ROADS += ["兴业路", "锦绣路", "龙城大道", "常武路", "新华路", "振兴路", "富民路", "腾飞路"]


def town_sizes(n_enterprises: int, n_towns: int, rng) -> list[int]:
    """How many enterprises each town gets: the first ~11 %, the rest uneven (log-normal)."""
    if n_towns <= 0:
        raise ValueError("at least one town is needed")
    if n_towns == 1:
        return [n_enterprises]
    first = round(n_enterprises * FIRST_TOWN_SHARE)
    weights = [rng.lognormvariate(0, 0.9) for _ in range(n_towns - 1)]
    rest = _apportion(n_enterprises - first, weights)
    sizes = [first, *rest]
    # Every town gets someone when there are enough enterprises: take from the biggest.
    for i, size in enumerate(sizes):
        if size == 0 and n_enterprises >= n_towns:
            biggest = max(range(1, n_towns), key=sizes.__getitem__)
            sizes[biggest] -= 1
            sizes[i] = 1
    return sizes


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` exactly (largest remainder)."""
    scale = total / sum(weights)
    quotas = [w * scale for w in weights]
    sizes = [math.floor(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: quotas[i] - sizes[i], reverse=True)
    for i in by_remainder[: total - sum(sizes)]:
        sizes[i] += 1
    return sizes


def make_usccs(n: int, rng) -> list[tuple[str, bool]]:
    """n distinct codes with their checksum flag; exactly max(1, 1 %) carry a wrong check digit."""
    n_bad = max(1, round(n * BAD_CHECKSUM_SHARE)) if n else 0
    bad = set(rng.sample(range(n), n_bad))
    seen: set[str] = set()
    codes: list[tuple[str, bool]] = []
    while len(codes) < n:
        body = USCC_PREFIX + "".join(rng.choices(USCC_ALPHABET, k=9))
        if body in seen:
            continue
        seen.add(body)
        code = with_check_digit(body)
        if len(codes) in bad:
            wrong = rng.choice([c for c in USCC_ALPHABET if c != code[-1]])
            codes.append((body + wrong, False))
        else:
            codes.append((code, True))
    return codes


def _company_name(rng, word: str) -> str:
    return rng.choice(REGIONS) + "".join(rng.sample(ZIHAO_CHARS, 2)) + word + rng.choice(SUFFIXES)


def person_name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN_CHARS, k=rng.choice((1, 2, 2))))


def phone_number(rng) -> str:
    if rng.random() < 0.6:
        return f"0519-8{rng.randrange(10**7):07d}"
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def registered_on(rng, last_year: int) -> datetime.date:
    """A date in FIRST_REGISTERED_YEAR..last_year, more recent years more likely."""
    span = last_year - FIRST_REGISTERED_YEAR + 1
    year = FIRST_REGISTERED_YEAR + min(span - 1, int(span * rng.random() ** 0.7))
    return datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))


def enterprise_rows(
    towns: list[tuple[int, str]], sizes: list[int], rng, *, last_registered_year: int, now
) -> list[tuple]:
    """One row per enterprise (ENTERPRISE_COLUMNS), towns interleaved as in a real import."""
    town_of = [town for town, size in zip(towns, sizes, strict=True) for _ in range(size)]
    rng.shuffle(town_of)  # ids must not cluster by town, or town filters look too good
    codes = make_usccs(len(town_of), rng)
    rows, names = [], set()
    for (town_id, town_name), (uscc, checksum_ok) in zip(town_of, codes, strict=True):
        field = rng.choices(TECH_CODES, TECH_WEIGHTS)[0]
        _, words, subfields = TECH_FIELDS[field]
        word, industry = rng.choice(words)
        name = _company_name(rng, word)
        if name in names:  # one more try: duplicate names stay possible but rare (≈ 0.05 %)
            name = _company_name(rng, word)
        names.add(name)
        address = f"常州市基准测试区{town_name}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
        rows.append(
            (
                uscc,
                checksum_ok,
                name,
                town_id,
                address,
                person_name(rng),
                person_name(rng),
                phone_number(rng),
                registered_on(rng, last_registered_year),
                field,
                rng.choice(subfields) if rng.random() < 0.6 else "",
                industry,
                rng.random() < ABOVE_SCALE_SHARE,
                "",
                True,
                now,
                now,
            )
        )
    return rows


def _yuan(cents: int) -> str:
    """Cents of 万元 → "1234.56" (exact, no float rounding)."""
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _log_uniform(rng, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def year_rows(
    enterprises: Iterable[tuple[int, bool]], years: list[int], rng, *, now
) -> Iterator[tuple]:
    """Indicator rows (YEAR_COLUMNS) for each (enterprise id, above_scale), oldest year first.

    Sales 100–50,000 万 (规上 ≥ 2,000 万 in the last year), R&D 1–8 % of sales, staff by
    productivity; the DB constraints (科技人员 ≤ 职工, 境内研发 ≤ 研发, money ≥ 0 except
    net assets) hold by construction. A few values are unknown (null), as in real returns.
    """
    years = sorted(years)
    for enterprise_id, above_scale in enterprises:
        # Per-enterprise character, then a walk back in time from the last year's sales.
        last_sales = _log_uniform(rng, 2000, 50000) if above_scale else _log_uniform(rng, 100, 2000)
        per_head = rng.uniform(40, 120)  # 万元 of sales per employee
        st_share = rng.uniform(0.08, 0.45)
        rd_share = rng.uniform(0.01, 0.08)
        ht_share = rng.uniform(0.3, 0.95)
        asset_ratio = rng.uniform(0.6, 2.0)
        ip_rate = 0 if rng.random() < 0.5 else rng.uniform(0.5, 6)
        sales_by_year = {}
        sales = last_sales
        for year in reversed(years):
            sales_by_year[year] = min(50000.0, max(100.0, sales))
            sales /= rng.uniform(0.92, 1.30)
        for year in years:
            sales = sales_by_year[year]
            staff = max(5, round(sales / (per_head * rng.uniform(0.9, 1.1))))
            st_staff = min(staff, max(1, round(staff * (st_share + rng.uniform(-0.03, 0.03)))))
            sales_c = round(sales * 100)
            rd_c = round(sales_c * min(0.1, max(0.005, rd_share + rng.uniform(-0.005, 0.005))))
            rd_dom_c = rd_c if rng.random() < 0.7 else round(rd_c * rng.uniform(0.8, 1.0))
            ht_c = round(sales_c * min(1.0, max(0.1, ht_share + rng.uniform(-0.05, 0.05))))
            assets_c = round(sales_c * asset_ratio * rng.uniform(0.95, 1.05))
            if rng.random() < 0.01:  # insolvent: negative net assets are real
                net_c = -round(assets_c * rng.uniform(0.01, 0.2))
            else:
                net_c = round(assets_c * rng.uniform(0.2, 0.7))
            cost_c = round(sales_c * rng.uniform(0.82, 1.05))
            unknown = rng.random()
            yield (
                enterprise_id,
                year,
                staff,
                st_staff,
                _yuan(sales_c),
                _yuan(rd_c),
                _yuan(rd_dom_c),
                None if unknown < 0.02 else _yuan(ht_c),
                None if 0.02 <= unknown < 0.03 else _yuan(net_c),
                _yuan(assets_c),
                _yuan(cost_c),
                _poisson(rng, ip_rate * 0.3),
                None if 0.03 <= unknown < 0.04 else _poisson(rng, ip_rate * 2),
                _poisson(rng, 1 + ip_rate),
                now,
            )


def _poisson(rng, lam: float) -> int:
    """Small-λ Poisson draw (Knuth); λ here is at most ~13."""
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --- the province preset: 基准测试省 → 13 市 → 95 区/县 → 1,100 镇/街道, 500k enterprises -------

PROVINCE_CODE = "980000"  # fictional (no real province is 98): codes, USCCs, numbers stay apart
PROVINCE_SHAPE = (13, 95, 1100)  # cities, districts and counties, towns and 街道
# Place names: two of these characters, unique among siblings (东陵市, 清河区, 白沙镇…).
PLACE_CHARS = (
    "东西南北安平宁远清河湖山江阳春华丰泰兴和新云川城林溪桥沙石泉金玉龙凤鹤松柏梅兰竹白青"
    "黄港浦塘湾岭峰洲庄集坊埠临定昌吉德永盛长乐太仁义崇文武秀水月星台陵邑津渡岗"
)
PLACE_CHARS = "".join(dict.fromkeys(PLACE_CHARS))
PROVINCE_REGION_SHARES = [("city", 6), ("city_full", 2), ("district", 2)]  # a name's region
BLOOM_BITS = 1 << 25  # 4 MB: "seen before?" for 500k codes and names, ≈ 1.5 % false alarms


@dataclass(frozen=True)
class TownInfo:
    """What an enterprise row needs to know about its town (and the town's district, city)."""

    town_id: int
    town: str
    district: str
    district_code: str  # 6 digits: the USCC's registration region
    city: str
    city_short: str
    area_code: str  # telephone


def _place(rng, taken: set[str]) -> str:
    while True:
        first, second = rng.sample(PLACE_CHARS, 2)
        if first + second not in taken:
            taken.add(first + second)
            return first + second


def province_tree(rng) -> list[tuple]:
    """The org tree below the province: [(city name, short name, code, area code,
    [(district name, kind, code, [(town name, kind, code)])])], sizes uneven (log-normal).

    Pure function of `rng` (the caller gives a fixed one: the tree does not vary by seed)."""
    n_cities, n_districts, n_towns = PROVINCE_SHAPE
    per_city = _apportion_min(
        n_districts, [rng.lognormvariate(0, 0.35) for _ in range(n_cities)], 3
    )
    per_district = _apportion_min(
        n_towns, [rng.lognormvariate(0, 0.4) for _ in range(n_districts)], 4
    )
    cities: list[tuple] = []
    names: set[str] = set()
    d = 0
    for c, n in enumerate(per_city, start=1):
        short = _place(rng, names)
        district_names: set[str] = set()
        districts = []
        for i in range(1, n + 1):
            county = rng.random() < 0.35
            name = _place(rng, district_names) + ("县" if county else "区")
            code = f"{PROVINCE_CODE[:2]}{c:02d}{i:02d}"
            town_names: set[str] = set()
            towns = []
            for t in range(1, per_district[d] + 1):
                street = rng.random() < 0.3
                town = _place(rng, town_names) + ("街道" if street else "镇")
                towns.append((town, "subdistrict" if street else "town", f"{code}{t:03d}"))
            districts.append((name, "county" if county else "district", code, towns))
            d += 1
        area = f"0{531 + c}"
        cities.append((short + "市", short, f"{PROVINCE_CODE[:2]}{c:02d}00", area, districts))
    return cities


def _apportion_min(total: int, weights: list[float], minimum: int) -> list[int]:
    """`total` split by `weights`, each part at least `minimum`."""
    rest = _apportion(total - minimum * len(weights), weights)
    return [minimum + n for n in rest]


def province_sizes(towns: list[TownInfo], n_enterprises: int, rng) -> list[int]:
    """Enterprises per town: uneven at every level (a few big cities, districts, towns);
    every town gets some when there are at least as many enterprises as towns."""
    city_w: dict[str, float] = {}
    district_w: dict[str, float] = {}
    weights = []
    for info in towns:
        city = city_w.setdefault(info.city, rng.lognormvariate(0, 0.5))
        district = district_w.setdefault(info.district_code, rng.lognormvariate(0, 0.5))
        weights.append(city * district * rng.lognormvariate(0, 0.8))
    sizes = _apportion(n_enterprises, weights)
    if n_enterprises >= len(towns):
        # Towns left empty take one each from the biggest (no quadratic search: one sort).
        empty = [i for i, size in enumerate(sizes) if size == 0]
        donors = sorted(range(len(sizes)), key=sizes.__getitem__, reverse=True)
        for i, donor in zip(empty, _cycle_donors(donors, sizes, len(empty)), strict=True):
            sizes[donor] -= 1
            sizes[i] = 1
    return sizes


def _cycle_donors(donors: list[int], sizes: list[int], needed: int) -> list[int]:
    """`needed` donor indices, biggest towns first, none left below 2."""
    picked: list[int] = []
    left = dict.fromkeys(donors, 0)
    while len(picked) < needed:
        for donor in donors:
            if len(picked) == needed:
                break
            if sizes[donor] - left[donor] >= 2:
                left[donor] += 1
                picked.append(donor)
    return picked


class Seen:
    """A bounded "seen before?" set (one-hash Bloom filter over a fixed bitmap): no false
    "new" answers, so uniqueness holds; a false "seen" only costs a re-draw."""

    def __init__(self, bits: int = BLOOM_BITS):
        self.mask, self.bitmap = bits - 1, bytearray(bits // 8)

    def add(self, text: str) -> bool:
        """Mark `text`; True if it may have been seen before (nothing marked then)."""
        h = zlib.crc32(text.encode()) & self.mask
        byte, bit = h >> 3, 1 << (h & 7)
        if self.bitmap[byte] & bit:
            return True
        self.bitmap[byte] |= bit
        return False


def province_enterprise_rows(
    towns: list[TownInfo],
    sizes: list[int],
    rng,
    *,
    last_registered_year: int,
    now,
    tally: Counter,
) -> Iterator[tuple]:
    """Enterprise rows (ENTERPRISE_COLUMNS) for the province, streamed: towns interleaved
    (ids do not cluster by town or city), USCCs unique (each district's code is their
    registration region; a body seen before is re-drawn), a name seen before re-drawn once.

    Memory stays bounded whatever the count: one small int per enterprise (its town) and two
    fixed bitmaps. `tally` counts rows ("rows") and wrong check digits ("bad")."""
    town_of = array("H", (i for i, size in enumerate(sizes) for _ in range(size)))
    rng.shuffle(town_of)
    codes, names = Seen(), Seen()
    regions = [r for r, _ in PROVINCE_REGION_SHARES]
    region_weights = [w for _, w in PROVINCE_REGION_SHARES]
    for index in town_of:
        info = towns[index]
        while True:
            body = f"91{info.district_code}" + "".join(rng.choices(USCC_ALPHABET, k=9))
            if not codes.add(body):
                break
        code = with_check_digit(body)
        checksum_ok = rng.random() >= BAD_CHECKSUM_SHARE
        if not checksum_ok:
            code = body + rng.choice([c for c in USCC_ALPHABET if c != code[-1]])
        field = rng.choices(TECH_CODES, TECH_WEIGHTS)[0]
        _, words, subfields = TECH_FIELDS[field]
        word, industry = rng.choice(words)
        region = {
            "city": info.city_short,
            "city_full": info.city,
            "district": info.district[:-1],
        }[rng.choices(regions, region_weights)[0]]
        name = region + "".join(rng.sample(ZIHAO_CHARS, 2)) + word + rng.choice(SUFFIXES)
        if names.add(name):  # one more try, as in enterprise_rows
            name = region + "".join(rng.sample(ZIHAO_CHARS, 2)) + word + rng.choice(SUFFIXES)
            names.add(name)
        road = f"{rng.choice(PROVINCE_ROADS)}{rng.randint(1, 999)}号"
        if rng.random() < 0.6:
            phone = f"{info.area_code}-8{rng.randrange(10**7):07d}"
        else:
            phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        tally["rows"] += 1
        tally["bad"] += not checksum_ok
        yield (
            code,
            checksum_ok,
            name,
            info.town_id,
            f"{info.city}{info.district}{info.town}{road}",
            person_name(rng),
            person_name(rng),
            phone,
            registered_on(rng, last_registered_year),
            field,
            rng.choice(subfields) if rng.random() < 0.6 else "",
            industry,
            rng.random() < ABOVE_SCALE_SHARE,
            "",
            True,
            now,
            now,
        )


PROVINCE_ROADS = [r for r in ROADS if r not in ("龙城大道", "常武路")]
PROVINCE_ROADS += ["解放路", "建设路", "中山路", "和平路", "开发大道", "高新路", "园区路", "学府路"]
