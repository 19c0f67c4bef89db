"""How the main pages grow from the district dataset (100k) to the province one (500k).

    bench/run --scale province   every figure on the province dataset (its own database)
    bench/run --growth           the growth report: both scales, then province ÷ district

The province dataset (`generate_scale_data --preset province`: 基准测试省 → 13 市 → 95 区/县
→ 1,100 镇/街道, 500k enterprises, 10 years of ladder) lives in its own database:
BENCH_PROVINCE_DATABASE_URL, else the district's server with the name
htportal_bench_province. `--growth` measures each scale in a child process (one database
each, built or reused as bench/run does), then prints every figure at both scales and the
ratio province ÷ district with the floor "≤ 2× at 5× the data".

Measured through the whole request path (django.test.Client, logged in with force_login,
as bench/figures.py's Bench does), each as a 区科技局 user of the unit it is about:

- the 驾驶舱 page, GET /dashboard/?year=2018;
- the target completion page, GET /targets/<that unit's 2018 plan>/;
- the enterprise list, page 1, GET /enterprises/;
- valid 高企 per child unit on 2018-12-31 (cultivation.selectors, called directly).

Each: the warm p95 of `--requests` repeats, and cold — the first request after
core.cache.bump(), the median of COLD_RUNS. At the district scale the unit is 基准测试区; at
the province scale 基准测试省 and, as a second row, its biggest district (what a district
user of a province-wide portal sees).
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

DASHBOARD_YEAR = 2018
DAY = datetime.date(DASHBOARD_YEAR, 12, 31)
PROVINCE_DB_NAME = "htportal_bench_province"
COLD_RUNS = 3
GROWTH_FLOOR = 2.0  # province ÷ district, at 5× the data
ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"

# What each scale builds: generate_scale_data's options.
DATASETS = {
    "district": {"preset": "district", "towns": 100, "enterprises": 100_000, "years": 10},
    "province": {"preset": "province", "enterprises": 500_000, "years": 10},
}


def province_database_url(district_url: str | None = None) -> str:
    """BENCH_PROVINCE_DATABASE_URL, else the district database's server, named
    htportal_bench_province."""
    explicit = os.environ.get("BENCH_PROVINCE_DATABASE_URL")
    if explicit:
        return explicit
    url = district_url or os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/x"
    base, _, _name = url.partition("?")[0].rpartition("/")
    query = url.partition("?")[2]
    return f"{base}/{PROVINCE_DB_NAME}" + (f"?{query}" if query else "")


def use_scale(scale: str) -> None:
    """Point DATABASE_URL at the scale's database (before Django is set up)."""
    if scale == "province":
        os.environ["DATABASE_URL"] = province_database_url()


# --- setup: users and plans for any unit -----------------------------------------------------


def staff_user(username: str, unit):
    """A 区科技局 user of `unit` (made or updated): sees its subtree, as the figures' `bench`."""
    from core.choices import Role
    from core.models import User

    user, _ = User.objects.get_or_create(username=username)
    user.display_name, user.unit, user.role = f"基准测试 {unit.name}", unit, Role.DISTRICT_STAFF
    user.is_active = True
    user.set_unusable_password()
    user.save()
    return user


def province_units():
    """(基准测试省, its biggest district by enterprises)."""
    from django.db.models import Count

    from core.choices import DISTRICT_KINDS
    from core.models import OrgUnit
    from enterprises.management.commands.generate_scale_data import PROVINCE_NAME
    from enterprises.models import Enterprise

    province = OrgUnit.objects.get(name=PROVINCE_NAME, parent=None)
    districts = {
        u.path: u for u in OrgUnit.objects.in_unit(province).filter(kind__in=DISTRICT_KINDS)
    }
    per_town = (
        Enterprise.objects.in_unit(province).values_list("town__path").annotate(n=Count("id"))
    )
    sizes: dict[str, int] = dict.fromkeys(districts, 0)
    for path, n in per_town.order_by():
        sizes[path[: path.rstrip("/").rfind("/") + 1]] += n
    biggest = max(sizes, key=lambda p: (sizes[p], -districts[p].pk))
    return province, districts[biggest]


def province_context(requests: int):
    """The figures' `Bench` for the province dataset (bench/run --scale province): the `bench`
    user at 基准测试省; its biggest district as the ≥ 10k-enterprise filter."""
    from enterprises.models import Enterprise

    from . import figures

    province, district = province_units()
    figures.ensure_plan(province)
    enterprises = Enterprise.objects.in_unit(province)
    sample = enterprises.order_by("id")[enterprises.count() // 2]
    city = sample.town.parent.parent
    region = next(
        r
        for r in (city.name, city.short_name, sample.town.parent.name[:-1])
        if sample.name.startswith(r)
    )
    # figures.list_p95 checks the page shows a bench USCC by the district preset's prefix;
    # the province's codes are 91 + 98xxxx. (Hook wanted: a Bench field for it.)
    figures.USCC_PREFIX = "9198"
    return figures.Bench(
        user=staff_user("bench", province),
        district=province,
        big_town=district,
        tech_field="biomedicine",
        name_fragment=sample.name[len(region) : len(region) + 2],
        uscc_prefix=sample.uscc[:10],
        requests=requests,
    )


# --- measuring one scale ---------------------------------------------------------------------


def _ms(work) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def measure_unit(label: str, unit, user, requests: int) -> dict:
    """Warm samples and cold times of the four figures for `user` at `unit`."""
    from core.cache import bump
    from cultivation.selectors import count_by_child, valid_hte_ids
    from enterprises.models import Enterprise

    from .figures import Bench, ensure_plan, timed_ms

    plan = ensure_plan(unit)
    bench = Bench(
        user=user,
        district=unit,
        big_town=unit,
        tech_field="",
        name_fragment="",
        uscc_prefix="",
        requests=requests,
    )
    params = {"year": DASHBOARD_YEAR}
    pages = {
        "dashboard page": ("/dashboard/", params),
        "target completion page": (f"/targets/{plan.pk}/", {}),
        "enterprise list page 1": ("/enterprises/", {}),
    }
    figures = {}
    for name, (url, query) in pages.items():
        bench.get(url, query)  # one-off lookups (content types, templates) not counted as cold
        cold = []
        for _ in range(COLD_RUNS):
            bump()
            cold.append(_ms(lambda url=url, query=query: bench.get(url, query)))
        figures[name] = {"warm": timed_ms(bench, url, query, requests), "cold": cold}

    def valid_per_child():
        return count_by_child(valid_hte_ids(DAY), unit, DAY)

    counts = valid_per_child()
    cold = []
    for _ in range(COLD_RUNS):
        bump()
        cold.append(_ms(valid_per_child))
    warm = [_ms(valid_per_child) for _ in range(max(20, requests))]
    figures["valid 高企 per child unit"] = {"warm": warm, "cold": cold}
    children = unit.children.count()
    return {
        "label": label,
        "unit": unit.name,
        "children": children,
        "enterprises": Enterprise.objects.in_unit(unit).count(),
        "valid_hte": counts[unit.pk],
        "children_with_hte": sum(1 for k, n in counts.items() if k != unit.pk and n),
        "figures": figures,
    }


def measure_scale(scale: str, requests: int) -> dict:
    """Everything `--growth` needs from one scale's database (Django set up on it)."""
    from django.db import connection

    from core.models import OrgUnit
    from enterprises.management.commands.generate_scale_data import DISTRICT_NAME
    from enterprises.models import Enterprise

    if scale == "district":
        district = OrgUnit.objects.get(name=DISTRICT_NAME, parent__name="常州市")
        units = [("district", district, staff_user("bench", district))]
    else:
        province, district = province_units()
        units = [
            ("province", province, staff_user("bench", province)),
            ("one district", district, staff_user("bench_district", district)),
        ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
    return {
        "scale": scale,
        "database": database,
        "enterprises": Enterprise.objects.count(),
        "load": os.getloadavg()[0],
        "units": [measure_unit(label, unit, user, requests) for label, unit, user in units],
    }


# --- the report --------------------------------------------------------------------------------


def _p95(samples: list[float]) -> float:
    from .figures import p95

    return p95(samples)


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


ABSOLUTE_FLOORS = {  # warm p95 floors bench/figures.py holds the district to (target: table)
    "dashboard page": 50,
    "target completion page": 300,
    "enterprise list page 1": 100,
    "valid 高企 per child unit": 200,
}


def growth_figures(district: dict, province: dict) -> Iterator:
    """Result lines: each figure at both scales, then province ÷ district (warm p95 and cold)
    for the province unit and for one of its districts against 基准测试区."""
    from .figures import Result

    base = district["units"][0]
    data = province["enterprises"] / district["enterprises"]
    floor = f"≤ {GROWTH_FLOOR:g}× at {data:.0f}× the data"
    for measured in (district, province):
        for unit in measured["units"]:
            for name, samples in unit["figures"].items():
                warm = _p95(samples["warm"])
                limit = ABSOLUTE_FLOORS[name]
                yield Result(
                    f"{name} p95 ({measured['scale']} scale, {unit['unit']}: "
                    f"{unit['enterprises']} enterprises, {unit['children']} children)",
                    warm,
                    "ms",
                    f"{limit} ms",
                    warm <= limit,
                    f"median {_median(samples['warm']):.1f} ms, n={len(samples['warm'])}; "
                    f"cold (after bump) {_median(samples['cold']):.0f} ms",
                )
    for unit in province["units"]:
        who = "province" if unit["label"] == "province" else f"a province district ({unit['unit']})"
        for name, samples in unit["figures"].items():
            before = base["figures"][name]
            for kind, value, was in [
                ("warm p95", _p95(samples["warm"]), _p95(before["warm"])),
                ("cold", _median(samples["cold"]), _median(before["cold"])),
            ]:
                ratio = value / was if was else float("inf")
                yield Result(
                    f"growth {name} {kind}, {who} ÷ district",
                    ratio,
                    "×",
                    floor,
                    ratio <= GROWTH_FLOOR,
                    f"{was:.1f} → {value:.1f} ms; {base['enterprises']} → "
                    f"{unit['enterprises']} enterprises in scope",
                )


def _child(scale: str, requests: int, reset: bool) -> dict:
    """One scale measured in its own process (its own database), JSON on the last line."""
    command = [sys.executable, "-m", "bench.scale", "--scale", scale, "--requests", str(requests)]
    child = subprocess.run(
        command + (["--reset"] if reset else []),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    for line in child.stdout.splitlines()[:-1]:
        print(f"  [{scale}] {line}", flush=True)
    if child.returncode != 0:
        raise RuntimeError(f"{scale} measurement failed:\n{child.stderr[-3000:]}")
    raw = child.stdout.strip().splitlines()[-1]
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / f"growth_{scale}.json").write_text(raw)  # every sample, for a closer look
    return json.loads(raw)


def run_growth(args) -> int:
    """bench/run --growth: measure both scales (one after the other), print the report."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "htportal.settings")
    django.setup()  # for bench.figures' Result; this process opens no database
    cores = os.cpu_count()
    print(
        f"growth: district scale, then province scale, each in its own process "
        f"({cores} cores shared with whatever else runs: load {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    district = _child("district", args.requests, args.reset)
    province = _child("province", args.requests, args.reset)
    print(
        f"machine load (1 min) during the runs: district {district['load']:.1f}, "
        f"province {province['load']:.1f} on {cores} cores"
    )
    for result in growth_figures(district, province):
        print(result.line(), flush=True)
    return 0


def main(argv=None) -> int:
    """The child: build or reuse one scale's dataset, measure it, print JSON."""
    parser = argparse.ArgumentParser(prog="bench.scale")
    parser.add_argument("--scale", choices=list(DATASETS), required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args(argv)
    use_scale(args.scale)
    from .main import prepare_dataset

    print(prepare_dataset(args.scale, args.reset), flush=True)
    print(json.dumps(measure_scale(args.scale, args.requests), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
