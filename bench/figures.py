"""The performance figures `bench/run` prints. Add one: write a function and list it in FIGURES.

A figure is a function of the `Bench` context that yields `Result`s (one printed line each).
Requests go through django.test.Client in-process, so times are server-side: Django's own
handling of the request, database included, without any network.
"""

import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.datagen import USCC_PREFIX
from core.models import OrgUnit, User

OUT_DIR = Path(__file__).resolve().parent / "out"
LIST_URL = "/enterprises/"
EXPORT_URL = "/enterprises/export/"
USCC_CELL = re.compile(r"^[0-9]{8}[0-9A-Z]{10}$")


@dataclass
class Result:
    label: str
    value: float
    unit: str
    floor: str  # how the floor reads, e.g. "100 ms"
    ok: bool
    note: str = ""

    def line(self) -> str:
        value = f"{self.value:.1f}" if isinstance(self.value, float) else str(self.value)
        note = f" ({self.note})" if self.note else ""
        verdict = "OK" if self.ok else "MISSED"
        return f"{self.label}: {value} {self.unit}{note} [floor {self.floor}] {verdict}"


@dataclass
class Bench:
    """What every figure may use: a logged-in district user and the bench dataset's handles."""

    user: User
    district: OrgUnit
    big_town: OrgUnit  # 基准镇001, ≥ 10k enterprises
    tech_field: str
    name_fragment: str
    uscc_prefix: str
    requests: int = 30
    client: Client = field(default_factory=Client)

    def __post_init__(self):
        self.client.force_login(self.user)

    def get(self, url: str, params: dict | None = None):
        response = self.client.get(url, params or {})
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} {params or ''} → HTTP {response.status_code}")
        if response.streaming:
            b"".join(response.streaming_content)
        return response


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def timed_ms(bench: Bench, url: str, params: dict, n: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        bench.get(url, params)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        bench.get(url, params)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


# --- the figures -------------------------------------------------------------------------------


def list_p95(bench: Bench) -> Iterator[Result]:
    """Enterprise list, one filter at a time (and none): p95 of `requests` GETs ≤ 100 ms."""
    filters = [
        ("no filter", {}),
        (f"town {bench.big_town.name}", {"town": bench.big_town.pk}),
        (f"tech_field {bench.tech_field}", {"tech_field": bench.tech_field}),
        ("above_scale", {"above_scale": "true"}),
        ("uscc_warning", {"uscc_warning": "true"}),
        (f"q name '{bench.name_fragment}'", {"q": bench.name_fragment}),
        (f"q USCC prefix '{bench.uscc_prefix}'", {"q": bench.uscc_prefix}),
    ]
    page = bench.get(LIST_URL).content.decode()
    if USCC_PREFIX not in page:  # a placeholder page would time nicely and prove nothing
        raise RuntimeError(f"{LIST_URL} lists no bench enterprise: is the list view in place?")
    for label, params in filters:
        samples = timed_ms(bench, LIST_URL, params, bench.requests)
        yield Result(
            f"enterprise list p95 ({label})",
            p95(samples),
            "ms",
            "100 ms",
            p95(samples) <= 100,
            f"median {sorted(samples)[len(samples) // 2]:.1f} ms, n={len(samples)}",
        )


def list_query_count(bench: Bench) -> Iterator[Result]:
    """The list's query count does not grow with the page size (no N+1)."""
    counts = {}
    for size in (20, 100):
        params = {"page_size": size}
        bench.get(LIST_URL, params)  # warm: one-off lookups (content types…) are not counted
        with CaptureQueriesContext(connection) as queries:
            bench.get(LIST_URL, params)
        counts[size] = len(queries)
    yield Result(
        "enterprise list queries, page_size 20 vs 100",
        counts[20],
        "queries",
        "same count for both",
        counts[20] == counts[100],
        f"{counts[100]} with page_size 100",
    )


def xlsx_export(bench: Bench) -> Iterator[Result]:
    """xlsx export of ≥ 10k filtered rows: ≤ 5 s and ≤ 300 MB peak RSS, every row present."""
    from enterprises.models import Enterprise

    expected = Enterprise.objects.filter(
        town__path__startswith=bench.big_town.path, is_active=True
    ).count()
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / "export.xlsx"
    url = f"{EXPORT_URL}?{urlencode({'format': 'xlsx', 'town': bench.big_town.pk})}"
    warmup = f"{EXPORT_URL}?{urlencode({'format': 'xlsx', 'q': bench.uscc_prefix + 'ZZZZ'})}"
    child = subprocess.run(
        [sys.executable, "-m", "bench.export_child", "--user", bench.user.username]
        + ["--url", url, "--warmup-url", warmup, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=OUT_DIR.parent.parent,
    )
    if child.returncode != 0:
        raise RuntimeError(f"export child failed:\n{child.stderr[-3000:]}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    if result["status"] != 200:
        raise RuntimeError(f"export → HTTP {result['status']}")
    rows = count_data_rows(out)
    yield Result(
        f"xlsx export time ({expected} rows, town {bench.big_town.name})",
        result["seconds"],
        "s",
        "5 s",
        result["seconds"] <= 5,
        f"{result['bytes'] / 2**20:.1f} MB file",
    )
    yield Result(
        "xlsx export peak memory (RSS of the exporting process)",
        result["peak_rss_mb"],
        "MB",
        "300 MB",
        result["peak_rss_mb"] <= 300,
        f"{result['baseline_rss_mb']:.0f} MB before the request",
    )
    yield Result(
        "xlsx export data rows",
        rows,
        "rows",
        f"= {expected} enterprises matching the filter, ≥ 10000",
        rows == expected >= 10_000,
    )


def count_data_rows(path: Path) -> int:
    """Rows of the first sheet that hold a USCC-shaped cell (the header rows hold none)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        sheet = workbook.worksheets[0]
        return sum(
            1
            for row in sheet.iter_rows(values_only=True)
            if any(isinstance(v, str) and USCC_CELL.match(v) for v in row)
        )
    finally:
        workbook.close()


FIGURES: list[Callable[[Bench], Iterator[Result]]] = [list_p95, list_query_count, xlsx_export]
