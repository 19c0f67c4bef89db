"""`bench/run`'s body: database → migrations → dataset (built or reused) → every figure.

Run through bench/run, which sets DATABASE_URL, the cache and DEBUG=false first.
"""

import argparse
import os
import sys
import time
import traceback


def ensure_database(url: str) -> str:
    """Create the benchmark database when missing (connecting to the `postgres` database)."""
    import environ
    import psycopg2
    from psycopg2 import sql

    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"bench/run needs PostgreSQL; DATABASE_URL is {url!r}")
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    conn = psycopg2.connect(dbname="postgres", **params)
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
                print(f"created database {config['NAME']}")
    finally:
        conn.close()
    return config["NAME"]


def bench_context(requests: int):
    """The `bench` user (district staff of 基准测试区) and the handles the figures filter on."""
    from core.choices import Role
    from core.models import OrgUnit, User
    from enterprises.management.commands.generate_scale_data import DISTRICT_NAME, TOWN_NAME
    from enterprises.models import Enterprise

    from .figures import Bench

    district = OrgUnit.objects.get(name=DISTRICT_NAME, parent__name="常州市")
    user, _ = User.objects.get_or_create(username="bench")
    user.display_name, user.unit, user.role = "基准测试", district, Role.DISTRICT_STAFF
    user.is_active = True
    user.set_unusable_password()
    user.save()

    big_town = district.children.get(name=TOWN_NAME.format(1))
    enterprises = Enterprise.objects.filter(town__path__startswith=district.path)
    # A mid-list enterprise gives a name fragment (its 字号, two characters after the
    # region) and a 10-character USCC prefix (≈ 100 matches); both fixed by the seed.
    sample = enterprises.order_by("id")[enterprises.count() // 2]
    region = next(r for r in ("常州市", "常州", "江苏") if sample.name.startswith(r))
    return Bench(
        user=user,
        district=district,
        big_town=big_town,
        tech_field="biomedicine",  # ≈ 10 % of the enterprises
        name_fragment=sample.name[len(region) : len(region) + 2],
        uscc_prefix=sample.uscc[:10],
        requests=requests,
    )


def prepare_dataset(scale: str = "district", reset: bool = False) -> str:
    """Database, Django, migrations, the scale's dataset (built or reused), fresh statistics;
    returns the dataset line. DATABASE_URL names the database (bench/scale.py: use_scale)."""
    from .scale import DATASETS

    name = ensure_database(os.environ["DATABASE_URL"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "htportal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from enterprises.models import Enterprise, EnterpriseYear

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: done [{time.perf_counter() - started:.1f} s]")
    call_command("generate_scale_data", **DATASETS[scale], reset=reset)
    with connection.cursor() as cursor:
        # Measure tables as autovacuum keeps them in production: earlier runs' upload
        # figures insert and delete thousands of rows, leaving dead tuples behind.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return (
        f"dataset: {Enterprise.objects.count()} enterprises, "
        f"{EnterpriseYear.objects.count()} indicator rows "
        f"(PostgreSQL {server.split()[0]}, database {name}, "
        f"Python {sys.version.split()[0]}, Django {django.get_version()})"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run")
    parser.add_argument("--reset", action="store_true", help="rebuild the dataset first")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per filter")
    parser.add_argument("--only", action="append", help="run only this figure (repeatable)")
    parser.add_argument(
        "--scale",
        choices=["district", "province"],
        default="district",
        help="province: the 500k-enterprise 基准测试省 in its own database (bench/scale.py)",
    )
    parser.add_argument(
        "--growth", action="store_true", help="the growth report, province ÷ district"
    )
    args = parser.parse_args(argv)

    from . import scale

    if args.growth:
        return scale.run_growth(args)
    scale.use_scale(args.scale)
    print(prepare_dataset(args.scale, args.reset))
    from .figures import FIGURES

    if args.scale == "province":
        bench = scale.province_context(args.requests)
        # The upload figures work on 基准测试区's towns: district scale only.
        figures = [f for f in FIGURES if f.__module__ != "bench.upload_figures"]
    else:
        bench = bench_context(args.requests)
        figures = list(FIGURES)
    figures = [f for f in figures if not args.only or f.__name__ in args.only]
    if args.only and len(figures) != len(set(args.only)):
        known = ", ".join(f.__name__ for f in FIGURES)
        raise SystemExit(f"unknown figure in --only {args.only}; known: {known}")
    crashed = 0
    for figure in figures:
        try:
            for result in figure(bench):
                print(result.line(), flush=True)
        except Exception:
            crashed += 1
            print(f"{figure.__name__}: CRASHED", flush=True)
            traceback.print_exc()
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
