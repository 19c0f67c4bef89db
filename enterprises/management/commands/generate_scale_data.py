"""Build (or reuse) a large synthetic registry under a bench district or province, fast.

    python manage.py generate_scale_data --towns 100 --enterprises 100000 --years 10
    python manage.py generate_scale_data --preset province      # 1,209 units, 500k enterprises

Enterprises, their town spans, the latest years' indicators, and the ladder as dated history
over `--years` (科小 evaluations, pool memberships, applications, certificates, honours:
≈ 1,000,000 rows for 100k enterprises and 10 years, rows from `bench.ladder_gen`).

The district preset (the default) lives under 江苏省 → 常州市 → 基准测试区 → 基准镇001…; the
province preset under 基准测试省 → 13 市 → 95 区/县 → 1,100 镇/街道 (a fictional province,
code 98: its USCCs, 科小 and certificate numbers never meet the district preset's), both
apart from any real or demo data. `--enterprises` scales the province preset down (its
tree stays whole). Rows are streamed in chunks (KEY_CHUNK enterprises at a time), so
memory stays bounded whatever the count. The build is a list of steps (STEPS); each says whether its rows are already there,
so a re-run only fills what is missing and a finished dataset is reused as is. Later work
adds a step (ladder events…) by appending a `Step` — a dataset built before it existed then
gets just that step on the next run. Rows come from `bench.datagen`; `core.bulk` writes them
with COPY on PostgreSQL, with bulk_create elsewhere (the small test on SQLite).
"""

import random
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from bench import datagen, ladder_gen
from core.bulk import load_rows
from core.choices import UnitKind
from core.demo import CITY, PROVINCE
from core.models import OrgUnit
from core.services import create_unit
from cultivation.choices import ApplicationStatus
from cultivation.models import Application, Certificate, Honour, PoolMembership, TechSMEEvaluation
from enterprises.models import Enterprise, EnterpriseYear, TownSpan

DISTRICT_NAME = "基准测试区"
DISTRICT_CODE = "320499"
TOWN_NAME = "基准镇{:03d}"
PROVINCE_NAME = "基准测试省"
PROVINCE_SHORT = "基准省"
PRESETS = {  # preset → default enterprise count
    "district": 100_000,
    "province": 500_000,
}
KEY_CHUNK = 20_000  # enterprises whose rows are generated and loaded together


@dataclass
class Build:
    """What one run is asked to build, and where; steps read and share this."""

    n_towns: int
    n_enterprises: int
    years: int  # history span, ending with datagen.END_YEAR (for event history)
    indicator_years: int  # how many of the most recent years get EnterpriseYear rows
    seed: int
    root: OrgUnit  # 基准测试区 or 基准测试省: the dataset is its subtree
    towns: list[OrgUnit]
    log: Callable[[str], None]  # for a step's progress lines
    now: object = field(default_factory=timezone.now)
    preset: str = "district"
    town_info: list[datagen.TownInfo] = field(default_factory=list)  # province preset

    @property
    def first_year(self) -> int:
        """First year of the history span (event-history steps start here)."""
        return datagen.END_YEAR - self.years + 1

    @property
    def last_registered_year(self) -> int:
        """Registered by the first indicator year, so every enterprise has all its rows."""
        return datagen.END_YEAR - max(self.indicator_years, 1) + 1

    @property
    def indicator_year_list(self) -> list[int]:
        return list(range(datagen.END_YEAR - self.indicator_years + 1, datagen.END_YEAR + 1))

    def rng(self, step: str) -> random.Random:
        """One generator per step: adding a step never changes another step's rows."""
        return random.Random(f"{self.seed}:{step}")

    def enterprises(self):
        return Enterprise.objects.in_unit(self.root)

    def key_chunks(self, *fields: str):
        """(id, *fields) of every bench enterprise in id order, KEY_CHUNK at a time (keyset
        pages: never all of them in memory, and no query runs while a COPY is under way)."""
        queryset = self.enterprises().order_by("id").values_list("id", *fields)
        last = 0
        while chunk := list(queryset.filter(id__gt=last)[:KEY_CHUNK]):
            yield chunk
            last = chunk[-1][0]

    @cached_property
    def regions(self) -> dict[str, str]:
        """The 区划 in 科小 numbers and the province in certificate numbers."""
        if self.preset == "province":
            return {"region": datagen.PROVINCE_CODE, "cert_region": datagen.PROVINCE_CODE[:2]}
        return {"region": DISTRICT_CODE, "cert_region": "99"}


@dataclass
class Step:
    name: str
    done: Callable[[Build], bool]
    run: Callable[[Build], str]  # returns a short summary of what it wrote


# --- steps -----------------------------------------------------------------------------------


def _enterprises_done(build: Build) -> bool:
    total = build.enterprises().count()
    if total == 0:
        return False
    in_towns = build.enterprises().filter(town__in=build.towns).count()
    if total == in_towns == build.n_enterprises:
        return True
    raise CommandError(
        f"{build.root.name}已有 {total} 家企业（其中 {in_towns} 家在所选 {build.n_towns} 个镇），"
        f"与要求的 {build.n_enterprises} 家不符；加 --reset 重建。"
    )


def _make_enterprises(build: Build) -> str:
    rng = build.rng("enterprises")
    if build.preset == "province":
        return _make_province_enterprises(build, rng)
    sizes = datagen.town_sizes(build.n_enterprises, build.n_towns, rng)
    rows = datagen.enterprise_rows(
        [(t.pk, t.name) for t in build.towns],
        sizes,
        rng,
        last_registered_year=build.last_registered_year,
        now=build.now,
    )
    load_rows(Enterprise, datagen.ENTERPRISE_COLUMNS, rows)
    bad = sum(1 for row in rows if not row[1])
    return (
        f"{len(rows)} 家企业（最大镇 {max(sizes)} 家，最小 {min(sizes)} 家；校验位错误 {bad} 家）"
    )


def _make_province_enterprises(build: Build, rng) -> str:
    """Streamed straight into COPY: no list of 500k rows (datagen.province_enterprise_rows)."""
    sizes = datagen.province_sizes(build.town_info, build.n_enterprises, rng)
    tally: Counter[str] = Counter()
    rows = datagen.province_enterprise_rows(
        build.town_info,
        sizes,
        rng,
        last_registered_year=build.last_registered_year,
        now=build.now,
        tally=tally,
    )
    load_rows(Enterprise, datagen.ENTERPRISE_COLUMNS, rows)
    return (
        f"{tally['rows']} 家企业，{len(build.towns)} 个镇（街道）"
        f"（最大镇 {max(sizes)} 家，最小 {min(sizes)} 家；校验位错误 {tally['bad']} 家）"
    )


def _spans(build: Build):
    return TownSpan.objects.filter(enterprise__in=Enterprise.objects.in_unit(build.root))


def _make_town_spans(build: Build) -> str:
    _spans(build).delete()
    n = 0
    for chunk in build.key_chunks("town_id"):
        rows = ((pk, town_id, None, None) for pk, town_id in chunk)
        n += load_rows(TownSpan, datagen.TOWN_SPAN_COLUMNS, rows)
    return f"{n} 条所属镇记录"


def _years(build: Build):
    return EnterpriseYear.objects.in_unit(build.root)


def _make_indicator_years(build: Build) -> str:
    _years(build).delete()
    rng, n = build.rng("indicator_years"), 0
    for chunk in build.key_chunks("above_scale"):  # one generator: rows as from one pass
        rows = datagen.year_rows(chunk, build.indicator_year_list, rng, now=build.now)
        n += load_rows(EnterpriseYear, datagen.YEAR_COLUMNS, rows)
    years = build.indicator_year_list
    span = f"{years[0]}–{years[-1]}" if years else "无"
    return f"{n} 条年度指标（{span}）"


# The ladder tables as (model, LadderRows attribute, columns); certificates first, since they
# point at applications (deleted first, loaded last).
LADDER_TABLES = [
    (Certificate, "certificates", ladder_gen.CERTIFICATE_COLUMNS),
    (Application, "applications", ladder_gen.APPLICATION_COLUMNS),
    (PoolMembership, "pools", ladder_gen.POOL_COLUMNS),
    (TechSMEEvaluation, "evaluations", ladder_gen.EVALUATION_COLUMNS),
    (Honour, "honours", ladder_gen.HONOUR_COLUMNS),
]


def _ladder(build: Build, model):
    return model.objects.in_unit(build.root)


def _delete_ladder(build: Build) -> int:
    """Plain DELETEs, certificates first. (QuerySet.delete() would load every application
    to null its certificate link — SET_NULL — which takes minutes at this size.)"""
    deleted = 0
    for model, _, _ in LADDER_TABLES:
        queryset = _ladder(build, model)
        deleted += queryset._raw_delete(queryset.db)
    return deleted


def _ladder_done(build: Build) -> bool:
    """Every table has rows, and 科小 evaluations cover every year of the span."""
    years = _ladder(build, TechSMEEvaluation).order_by().values_list("year", flat=True)
    span = set(range(build.first_year, datagen.END_YEAR + 1))
    return set(years.distinct()) == span and all(
        _ladder(build, model).exists() for model, _, _ in LADDER_TABLES
    )


def _make_ladder(build: Build) -> str:
    _delete_ladder(build)  # a partial history is rebuilt whole: the rows depend on each other
    gen = ladder_gen.LadderGen(
        build.rng("ladder"),
        first_year=build.first_year,
        last_year=datagen.END_YEAR,
        now=build.now,
        **build.regions,
    )
    counts: Counter[str] = Counter()
    certified = enterprises = 0
    for chunk in build.key_chunks("registered_on", "above_scale"):
        for key in chunk:
            gen.enterprise(*key)
        rows = gen.take()
        for model, name, columns in LADDER_TABLES[1:]:
            counts[name] += load_rows(model, columns, getattr(rows, name))
        # One query maps the chunk's (enterprise, year) → id of the passed application
        # (one a year at most); then its certificates can go in.
        passed = Application.objects.filter(
            status=ApplicationStatus.PASSED, enterprise_id__gte=chunk[0][0]
        ).filter(enterprise_id__lte=chunk[-1][0])
        ids = {(e, y): pk for e, y, pk in passed.values_list("enterprise_id", "year", "id")}
        linked = ladder_gen.link_certificates(rows.certificates, ids)
        counts["certificates"] += load_rows(Certificate, ladder_gen.CERTIFICATE_COLUMNS, linked)
        certified += len({row[0] for row in rows.certificates})
        enterprises += len(chunk)
    renewals = counts["certificates"] - certified
    share = certified / enterprises if enterprises else 0
    return (
        f"{sum(counts.values())} 条阶梯事件（{build.first_year}–{datagen.END_YEAR}）："
        f"科小评价 {counts['evaluations']}、培育库 {counts['pools']}、"
        f"申报 {counts['applications']}、证书 {counts['certificates']}（其中续期 {renewals}）、"
        f"荣誉 {counts['honours']}；曾获认定 {certified} 家（{share:.0%}）"
    )


STEPS: list[Step] = [
    Step("enterprises", _enterprises_done, _make_enterprises),
    Step(
        "town_spans",
        lambda b: _spans(b).filter(end__isnull=True).count() == b.n_enterprises,
        _make_town_spans,
    ),
    Step(
        "indicator_years",
        lambda b: _years(b).count() == b.n_enterprises * b.indicator_years,
        _make_indicator_years,
    ),
    Step("ladder", _ladder_done, _make_ladder),
]


# --- org tree ---------------------------------------------------------------------------------


def _unit(name, kind, parent, code="", order=0, short_name="", known=None) -> OrgUnit:
    """The unit of that name under `parent`, created when missing; `known` ((parent id,
    name) → unit, loaded once) spares a query per unit for a 1,209-unit tree."""
    if known is not None:
        existing = known.get((parent.pk if parent else None, name))
    else:
        existing = OrgUnit.objects.filter(parent=parent, name=name).first()
    if existing:
        return existing
    return create_unit(
        actor=None,
        name=name,
        short_name=short_name,
        kind=kind,
        parent=parent,
        code=code,
        order=order,
    )


@transaction.atomic
def ensure_org_tree(n_towns: int) -> tuple[OrgUnit, list[OrgUnit]]:
    """江苏省 → 常州市 → 基准测试区 → 基准镇001…N (found by name, created when missing)."""
    province = _unit(PROVINCE[0], PROVINCE[2], None, code=PROVINCE[3], short_name=PROVINCE[1])
    city = _unit(CITY[0], CITY[2], province, code=CITY[3], short_name=CITY[1])
    district = _unit(DISTRICT_NAME, UnitKind.DISTRICT, city, code=DISTRICT_CODE, order=99)
    existing = {u.name: u for u in district.children.all()}
    towns = []
    for i in range(1, n_towns + 1):
        name = TOWN_NAME.format(i)
        towns.append(existing.get(name) or _unit(name, UnitKind.TOWN, district, order=i))
    return district, towns


@transaction.atomic
def ensure_province_tree() -> tuple[OrgUnit, list[OrgUnit], list[datagen.TownInfo]]:
    """基准测试省 → 13 市 → 95 区/县 → 1,100 镇/街道 (datagen.province_tree, the same tree
    whatever the seed; found by name, created when missing). Returns the province, its towns
    in tree order and what the enterprise rows need to know about each."""
    root = _unit(
        PROVINCE_NAME,
        UnitKind.PROVINCE,
        None,
        code=datagen.PROVINCE_CODE,
        short_name=PROVINCE_SHORT,
    )
    existing = {(u.parent_id, u.name): u for u in OrgUnit.objects.in_unit(root)}

    def unit(name, kind, parent, code, order, short_name=""):
        return _unit(name, kind, parent, code, order, short_name, known=existing)

    towns, info = [], []
    tree = datagen.province_tree(random.Random("province-tree"))
    for c, (city_name, short, city_code, area, districts) in enumerate(tree, start=1):
        city = unit(city_name, UnitKind.CITY, root, city_code, c, short_name=short)
        for d, (district_name, kind, district_code, town_specs) in enumerate(districts, start=1):
            district = unit(district_name, kind, city, district_code, d)
            for t, (town_name, town_kind, town_code) in enumerate(town_specs, start=1):
                town = unit(town_name, town_kind, district, town_code, t)
                towns.append(town)
                info.append(
                    datagen.TownInfo(
                        town.pk, town_name, district_name, district_code, city_name, short, area
                    )
                )
    return root, towns, info


class Command(BaseCommand):
    help = (
        "生成（或复用）基准测试用的大规模模拟数据：基准测试区（或基准测试省）下的镇、企业、"
        "所属镇记录、年度指标与培育阶梯历史（科小、培育库、申报、证书、荣誉）。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--preset",
            choices=list(PRESETS),
            default="district",
            help="district：基准测试区（默认 100 镇、10 万企业）；province：基准测试省"
            "（13 市、95 区县、1,100 镇街道，默认 50 万企业）",
        )
        parser.add_argument(
            "--towns", type=int, default=None, help="镇的个数（district，默认 100）"
        )
        parser.add_argument(
            "--enterprises",
            type=int,
            default=None,
            help="企业数（默认 district 10 万、province 50 万；可缩小规模做测试）",
        )
        parser.add_argument(
            "--years", type=int, default=10, help=f"历史跨度（年），截至 {datagen.END_YEAR} 年"
        )
        parser.add_argument(
            "--indicator-years",
            type=int,
            default=3,
            help="最近几年有年度指标（默认 3：10 万企业 → 30 万条）",
        )
        parser.add_argument("--seed", type=int, default=1, help="随机种子（同种子同数据）")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="先删除基准测试区（或基准测试省）的全部企业（连同其阶梯历史）",
        )

    @staticmethod
    def _check(opts) -> None:
        """Fill the preset's defaults into `opts`; refuse what cannot be built."""
        if opts["enterprises"] is None:
            opts["enterprises"] = PRESETS[opts["preset"]]
        if opts["preset"] == "province" and opts["towns"] is not None:
            raise CommandError("--preset province 的组织树固定（1,100 个镇街道），不能用 --towns。")
        if opts["towns"] is None:
            opts["towns"] = 100
        if opts["towns"] < 1 or opts["enterprises"] < 0 or opts["years"] < 1:
            raise CommandError("--towns、--years 至少为 1，--enterprises 不能为负数。")
        if not 0 <= opts["indicator_years"] <= opts["years"]:
            raise CommandError("--indicator-years 应在 0 到 --years 之间。")

    def handle(self, *args, **opts):
        self._check(opts)
        preset = opts["preset"]
        started = time.perf_counter()
        info: list[datagen.TownInfo] = []
        if preset == "province":
            root, towns, info = ensure_province_tree()
        else:
            root, towns = ensure_org_tree(opts["towns"])
        build = Build(
            n_towns=len(towns),
            n_enterprises=opts["enterprises"],
            years=opts["years"],
            indicator_years=opts["indicator_years"],
            seed=opts["seed"],
            root=root,
            towns=towns,
            log=self.stdout.write,
            preset=preset,
            town_info=info,
        )
        if opts["reset"]:
            self._timed("reset", lambda: self._reset(build))
        ran, analysed = 0, connection.vendor != "postgresql"
        for step in STEPS:
            if step.done(build):
                self.stdout.write(f"  {step.name}: 已存在，跳过")
                continue
            if step is not STEPS[0] and not analysed:
                # Later steps page through the enterprises by id (Build.key_chunks): fresh
                # statistics let the planner walk the primary key, not every town's rows.
                self._analyze([OrgUnit, Enterprise])
                analysed = True
            with transaction.atomic():
                self._timed(step.name, partial(step.run, build))
            ran += 1
        if not ran:
            self.stdout.write(
                f"{root.name}已有 {build.n_enterprises} 家企业及全部数据，无需生成"
                "（--reset 可重建）。"
            )
            return
        if connection.vendor == "postgresql":
            self._timed("analyze", self._analyze)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        self.stdout.write(
            f"完成，共用时 {time.perf_counter() - started:.1f} s，进程峰值内存 {peak:.0f} MB"
        )

    def _timed(self, name: str, work: Callable[[], str | None]) -> None:
        t0 = time.perf_counter()
        summary = work()
        self.stdout.write(f"  {name}: {summary or '完成'}  [{time.perf_counter() - t0:.1f} s]")

    @transaction.atomic
    def _reset(self, build: Build) -> str:
        ladder = _delete_ladder(build)
        years = _years(build).delete()[0]
        spans = _spans(build).delete()[0]
        enterprises = build.enterprises()
        n = enterprises.count()
        enterprises.delete()  # ORM delete: cascades to whatever later apps hang on Enterprise
        return f"删除 {n} 家企业、{spans} 条所属镇记录、{years} 条年度指标、{ladder} 条阶梯事件"

    def _analyze(self, models=None) -> str:
        if models is None:
            models = [OrgUnit, Enterprise, TownSpan, EnterpriseYear]
            models += [t[0] for t in LADDER_TABLES]
        tables = [m._meta.db_table for m in models]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(map(connection.ops.quote_name, tables)))
        return "统计信息已更新"
