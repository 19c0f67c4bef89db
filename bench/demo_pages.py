"""Every page on the demo (武进区, 637 enterprises, SQLite), as each persona opens it: the
first request after the cache is emptied (cold) and the median of the next five (warm),
through the whole request path (middleware, sessions, templates) with Django's test client.

Run it with bench/demo_pages (which builds the demo database first). Floor: 300 ms a page.
"""

import statistics
import sys
import time

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from core.models import User  # noqa: E402
from enterprises.models import Enterprise  # noqa: E402
from reports.models import ReportingPeriod, Submission  # noqa: E402
from targets.models import TargetPlan  # noqa: E402

FLOOR_MS = 300
WARM_RUNS = 5


def pages() -> list[str]:
    enterprise = Enterprise.objects.filter(town__name="湖塘镇").order_by("pk").first()
    assert enterprise is not None, "先加载演示数据（bench/demo_pages 会加载）"
    plan = TargetPlan.objects.get(year=2019, unit__name="武进区")
    period = ReportingPeriod.objects.get(year=2019, quarter=2)
    submission = Submission.objects.filter(period=period, unit__name="湖塘镇").first()
    assert submission is not None
    return [
        "/",
        "/enterprises/",
        "/enterprises/?q=常州",
        f"/enterprises/{enterprise.pk}/",
        f"/history/enterprises/enterprise/{enterprise.pk}/",
        "/cultivation/",
        "/cultivation/funnel/",
        "/cultivation/expiring/",
        "/cultivation/stalled/",
        "/cultivation/diagnosis/",
        f"/cultivation/diagnosis/{enterprise.pk}/",
        "/targets/",
        f"/targets/{plan.pk}/",
        "/reports/",
        f"/reports/periods/{period.pk}/",
        f"/reports/submissions/{submission.pk}/",
        "/dashboard/",
        "/dashboard/data/trend/",
        "/dashboard/data/closest/",
        "/bulletins/",
        "/inbox/",
    ]


def timed(client: Client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    return elapsed


def main() -> int:
    setup_test_environment()  # the test client's hosts; templates render as in production
    paths = pages()
    # The process's first request loads templates, URL patterns and the rest once: shown on
    # its own, so "cold" below means an empty cache, not a fresh process.
    first = timed(Client(), "/accounts/login/")
    print(f"process's first request (login page): {first:.0f} ms")
    missed = 0
    for username in ("district", "hutang", "leader"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for path in paths:
            cache.clear()
            cold = timed(client, path)
            warm = statistics.median(timed(client, path) for _ in range(WARM_RUNS))
            worst = max(cold, warm)
            verdict = "OK" if worst <= FLOOR_MS else "MISSED"
            missed += verdict == "MISSED"
            print(
                f"{username:9s} {path:48s} cold {cold:6.0f} ms  warm {warm:6.0f} ms"
                f"  [floor {FLOOR_MS} ms] {verdict}"
            )
    print(f"{missed} page(s) over {FLOOR_MS} ms" if missed else f"every page ≤ {FLOOR_MS} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
