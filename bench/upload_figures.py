"""Figures for the quarterly upload (reports.services): 20k rows end to end against the raw
floor, the same rows through django-import-export, and a 100k-row file through Celery.

    bench/run --only upload_20k               20,000 rows: ≤ 3× the parse+COPY floor, ≤ 300 MB
    bench/run --only upload_vs_import_export  the same rows via a plain ModelResource, default
                                              settings and use_bulk=True: ≥ 20× each
    bench/run --only upload_100k_background   99,999 rows (+ header = the 100,000-row sheet
                                              limit) through a real Celery worker: ≤ 10 s end
                                              to end, ≤ 300 MB; needs Redis

The raw floor is what any upload of the file costs at least: python-calamine reading it (the
parse floor), then COPY of its rows as they are into reports_uploadrow (the parse+COPY floor).
It is measured in the same rounds as the portal (floor, portal, floor, portal …), and the
comparison with import-export interleaves too (portal, default, use_bulk, portal …), so a
neighbour's load on the machine falls on all of them alike; medians and ratios are printed.
BENCH_UPLOAD_TRIALS sets the number of rounds (default 3).

(once listed in bench/figures.py: `FIGURES += UPLOAD_FIGURES`). The timed work runs in a
child process, `python -m bench.upload_figures MODE SPEC.json`, so its peak memory (VmHWM)
is its own. The bench period is 基准测试区's 2019 Q1 (opened when missing, with PORTAL_TODAY
pinned inside its window); the file is 基准镇001's: 15,000 enterprises already in the
registry whose 2019 values change, plus 5,000 new ones. 基准镇001 holds 11,000 enterprises,
so 4,000 more are added to it before the timing; they, the new enterprises, every 2019
indicator row of the town (seeded from 2018 so the 15,000 are real updates), the period's
uploads and submissions and their history are all removed again afterwards — the dataset
is left exactly as generate_scale_data built it. Should a run be killed half-way:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/htportal_bench \\
        .venv/bin/python -m bench.upload_figures cleanup

The 100k figure starts `celery -A htportal worker --pool=solo` on a queue of its own, with
CELERY_BROKER_URL = $BENCH_CELERY_BROKER_URL (default redis://127.0.0.1:6379/0), and stops it.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.figures import Bench, Result

ROOT = Path(__file__).resolve().parent.parent
YEAR, QUARTER = 2019, 1
WINDOW_START, DEADLINE = datetime.date(2019, 4, 1), datetime.date(2019, 4, 15)
TODAY = datetime.date(2019, 4, 10)  # PORTAL_TODAY inside the window
SEED_YEAR = 2018  # the 2019 rows of the town start as a copy of 2018
MARK = "上传基准"  # every enterprise these figures add is named so, and removed by name
FILLER_NAME, NEW_NAME = MARK + "存量企业{:05d}", MARK + "新增企业{:06d}"
FILLER_BODY, NEW_BODY = "91320499W{:08d}", "91320499Y{:08d}"  # + check digit = 18
EXISTING, NEW = 15_000, 5_000  # the 20k file
ROWS_100K = 99_999  # + the header row = 100,000 rows, the upload's per-sheet limit
BROKER_URL = os.environ.get("BENCH_CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
READY_TIMEOUT = 900  # s, for the 100k file to be parsed and validated by the worker
TRIALS = int(os.environ.get("BENCH_UPLOAD_TRIALS") or 3)  # rounds of each figure; medians
FLOOR_FACTOR = 3  # the 20k upload, end to end, within this many times its parse+COPY floor


# --- the figures -------------------------------------------------------------------------------


def upload_20k(bench: Bench) -> Iterator[Result]:
    """20,000-row upload (15k updates, 5k new), check → parse → validate → commit, against the
    raw floor measured in the same rounds (floor, portal, floor, portal …): python-calamine
    reading the same file, and calamine + COPY of its rows into the staging table. The portal
    must stay within FLOOR_FACTOR × the parse+COPY floor, and ≤ 300 MB. Each round starts from
    the same state (dead rows vacuumed, as autovacuum would); medians are the figures."""
    from bench.figures import Result

    with _Workspace(bench) as ws:
        path = ws.write_upload(ws.rows(EXISTING, NEW), "20k.xlsx")
        floors, trials = [], []
        for n in range(TRIALS):
            if n:
                ws.reset()
            floors.append(ws.child("floor", file=str(path)))
            trials.append(ws.child("portal", file=str(path)))
    yield from _floor_results("upload 20k", floors)
    parse, copy = (_median_of(floors, key) for key in ("parse_seconds", "seconds"))
    result = _median(trials)
    counts = f"{result['created']} created, {result['updated']} updated"
    every = ", ".join(f"{t['seconds']:.2f}" for t in trials)
    limit = FLOOR_FACTOR * copy
    yield Result(
        f"upload {result['rows']} rows ({counts}), parse → validate → commit, median of {TRIALS}",
        result["seconds"],
        "s",
        f"{FLOOR_FACTOR:g}× parse+COPY floor = {limit:.2f} s",
        result["seconds"] <= limit,
        f"{result['seconds'] / copy:.1f}× the parse+COPY floor, {result['seconds'] / parse:.1f}× "
        f"the parse floor; trials {every} s; median: start_upload {result['start_seconds']:.2f} s "
        f"(reading and normalising cells {result['read_seconds']:.2f} s = "
        f"{result['read_seconds'] / parse:.1f}× calamine, staging {result['stage_seconds']:.2f} s)"
        f" + confirm_upload {result['confirm_seconds']:.2f} s + review (approve, writes the "
        f"registry) {result['approve_seconds']:.2f} s, {result['file_bytes'] / 2**20:.1f} MB file",
    )
    peak = max(trials, key=lambda t: t["peak_rss_mb"])
    yield Result(
        f"upload 20k rows peak memory (VmHWM of the uploading process, highest of {TRIALS})",
        peak["peak_rss_mb"],
        "MB",
        "300 MB",
        peak["peak_rss_mb"] <= 300,
        f"{peak['baseline_rss_mb']:.0f} MB before the upload, "
        f"{peak['parse_peak_rss_mb']:.0f} MB by the end of start_upload",
    )


def _floor_results(what: str, floors: list[dict]) -> Iterator[Result]:
    """The two raw-floor lines: what any upload of the file must at least cost."""
    from bench.figures import Result

    for key, label in (
        ("parse_seconds", "parse floor (python-calamine reads the same file)"),
        ("seconds", "parse+COPY floor (calamine + COPY of its rows into reports_uploadrow)"),
    ):
        every = ", ".join(f"{f[key]:.3f}" for f in floors)
        yield Result(
            f"{what} {label}, median of {len(floors)}",
            _median_of(floors, key),
            "s",
            "the reference: measured, not judged",
            True,
            f"{floors[0]['rows']} rows; trials {every} s",
        )


def _median(trials: list[dict]) -> dict:
    return sorted(trials, key=lambda t: t["seconds"])[len(trials) // 2]


def _median_of(trials: list[dict], key: str) -> float:
    return sorted(t[key] for t in trials)[len(trials) // 2]


def upload_vs_import_export(bench: Bench) -> Iterator[Result]:
    """The same 20k rows through django-import-export (a plain ModelResource keyed by (USCC,
    year), one transaction) with its default settings and with `use_bulk=True`, interleaved
    with the portal's upload: portal, default, use_bulk, portal, … — TRIALS rounds, medians
    and ratios. import-export cannot create enterprises: its runs start with the 5k new ones
    already in the registry (created by the portal's run before), without 2019 rows."""
    from bench.figures import Result

    runs: dict[str, list[dict]] = {"portal": [], "default": [], "use_bulk": []}
    with _Workspace(bench) as ws:
        rows = ws.rows(EXISTING, NEW)
        upload = ws.write_upload(rows, "20k.xlsx")
        dataset = ws.write_dataset(rows, "20k-import-export.xlsx")
        for n in range(TRIALS):
            if n:
                ws.reset()
            runs["portal"].append(ws.child("portal", file=str(upload)))
            for how, bulk in (("default", False), ("use_bulk", True)):
                ws.reset_years()
                _vacuum()
                runs[how].append(
                    ws.child("import_export", file=str(dataset), codes=ws.codes(), use_bulk=bulk)
                )
    portal = _median_of(runs["portal"], "seconds")
    every = ", ".join(f"{t['seconds']:.2f}" for t in runs["portal"])
    for how, label in (("default", "default settings"), ("use_bulk", "use_bulk=True")):
        seconds = _median_of(runs[how], "seconds")
        last = runs[how][-1]
        ratio = seconds / portal
        theirs = ", ".join(f"{t['seconds']:.1f}" for t in runs[how])
        yield Result(
            f"upload {len(rows)} rows: portal {portal:.2f} s vs django-import-export ({label}) "
            f"{seconds:.1f} s, medians of {TRIALS} interleaved rounds",
            ratio,
            "× faster",
            "≥ 20×",
            ratio >= 20,
            f"import-export trials {theirs} s, "
            f"{last['new']} new / {last['update']} updated, peak {last['peak_rss_mb']:.0f} MB; "
            f"portal trials {every} s",
        )


def upload_100k_background(bench: Bench) -> Iterator[Result]:
    """A 100k-row file through the real Celery path — READY with progress, then confirmed and
    approved — ≤ 10 s end to end, ≤ 300 MB in the worker and in the committing process; its
    raw floor (one run) beside it."""
    from bench.figures import Result
    from reports.choices import JobStatus
    from reports.models import UploadJob

    with _Workspace(bench) as ws:
        rows = ws.rows(EXISTING, ROWS_100K - EXISTING)
        path = ws.write_upload(rows, "100k.xlsx")
        floor = ws.child("floor", file=str(path))
        queue = f"bench-upload-{uuid.uuid4().hex[:12]}"
        worker = ws.start_worker(queue)
        try:
            sent = ws.child("enqueue", file=str(path), queue=queue, broker=BROKER_URL)
            job = UploadJob.objects.filter(pk=sent["job"])
            seen: set[int] = set()
            phases: dict[str, float] = {}
            status = sent["status"]
            while status not in (JobStatus.READY, JobStatus.REJECTED, JobStatus.FAILED):
                if worker.poll() is not None:
                    raise RuntimeError(f"the Celery worker exited:\n{ws.worker_log()}")
                if time.time() - sent["started_at"] > READY_TIMEOUT:
                    raise RuntimeError(f"no preview after {READY_TIMEOUT} s (status {status})")
                time.sleep(0.02)
                status, progress, total = job.values_list("status", "progress", "total").get()
                now = time.time() - sent["started_at"]
                phases.setdefault(status, now)
                if progress and progress not in seen:
                    seen.add(progress)
                    phases.setdefault("first progress", now)
                    if progress == total:
                        phases.setdefault("rows read", now)
            ready = time.time() - sent["started_at"]
            worker_peak = ws.worker_peak_mb(worker)
        finally:
            ws.stop_worker(worker, queue)
        if status != JobStatus.READY:
            problems = job.values_list("result", flat=True).get().get("problems", [])
            texts = "; ".join(p["text"] for p in problems[:5])
            raise RuntimeError(f"the 100k upload ended {status}: {texts}")
        done = ws.child("confirm", job=sent["job"])
    yield from _floor_results("upload 100k", [floor])
    marks = ", ".join(f"{name} at {t:.1f} s" for name, t in phases.items())
    total = ready + done["seconds"]
    complete = done["created"] + done["updated"] == len(rows)
    yield Result(
        f"upload {len(rows)} rows via Celery worker, end to end (upload → READY → confirm + "
        "approve)",
        total,
        "s",
        "10 s",
        total <= 10 and complete,
        f"{total / floor['seconds']:.1f}× the parse+COPY floor; READY after {ready:.1f} s "
        f"({len(seen)} progress updates seen; {marks}; enqueue {sent['seconds']:.1f} s), "
        f"commit {done['seconds']:.1f} s ({done['created']} created, {done['updated']} updated)",
    )
    peak = max(worker_peak, done["peak_rss_mb"])
    yield Result(
        f"upload {len(rows)} rows peak memory (VmHWM of the worker and of the committing process)",
        peak,
        "MB",
        "300 MB",
        peak <= 300,
        f"worker {worker_peak:.0f} MB, confirm + approve {done['peak_rss_mb']:.0f} MB",
    )


UPLOAD_FIGURES: list[Callable[[Bench], Iterator[Result]]] = [
    upload_20k,
    upload_vs_import_export,
    upload_100k_background,
]


# --- set-up and clean-up (in the bench process) ------------------------------------------------


class _Workspace:
    """The bench period, the town's rows in a known state, files in a temporary MEDIA_ROOT;
    everything undone on exit, whatever happened."""

    def __init__(self, bench: Bench):
        self.bench = bench
        self.town = bench.big_town
        self.worker_log_path: Path | None = None

    def __enter__(self) -> _Workspace:
        self.period = bench_period(self.bench.district)
        if not self.period.required_units.filter(pk=self.town.pk).exists():
            self.period.required_units.add(self.town)
        cleanup(self.period, self.town)
        self.dir = Path(tempfile.mkdtemp(prefix="bench-upload-"))
        self.media = self.dir / "media"
        try:
            self.existing_ids = _prepare_town(self.town, EXISTING)
            _vacuum()
        except BaseException:
            self.__exit__()
            raise
        return self

    def reset(self) -> None:
        """The starting state again, for another trial: the figures' writes undone, dead rows
        vacuumed away, the town's 2019 rows seeded afresh."""
        cleanup(self.period, self.town)
        _vacuum()
        self.existing_ids = _prepare_town(self.town, EXISTING)
        _vacuum()

    def __exit__(self, *exc) -> None:
        try:
            cleanup(self.period, self.town)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # files

    def rows(self, n_existing: int, n_new: int) -> list[tuple]:
        """(uscc, name, {code: value}) rows: `n_existing` of the town with changed values,
        then `n_new` new enterprises."""
        from enterprises.models import Enterprise, EnterpriseYear

        if n_existing > len(self.existing_ids):
            raise RuntimeError(f"{self.town} has only {len(self.existing_ids)} enterprises")
        codes = self.codes()
        ids = self.existing_ids[:n_existing]
        keys = {
            pk: (u, n)
            for pk, u, n in Enterprise.objects.filter(pk__in=ids).values_list("pk", "uscc", "name")
        }
        current = {
            row["enterprise_id"]: row
            for row in EnterpriseYear.objects.filter(enterprise_id__in=ids, year=YEAR).values(
                "enterprise_id", *codes
            )
        }
        rows = [(*keys[pk], {c: _changed(c, current[pk][c]) for c in codes}) for pk in ids]
        for i, uscc in enumerate(_new_codes(NEW_BODY, n_new)):
            rows.append((uscc, NEW_NAME.format(i), {c: _made_up(c, i) for c in codes}))
        return rows

    def codes(self) -> list[str]:
        from reports.columns import KEY_COLUMNS, columns_for

        return [c.code for c in columns_for(self.period.columns) if c not in KEY_COLUMNS]

    def write_upload(self, rows: list[tuple], name: str) -> Path:
        """The town's file as a user would fill it: the template's sheet and header row."""
        from reports.columns import DATA_SHEET, KEY_COLUMNS, columns_for

        columns = columns_for(self.period.columns)
        header = [c.header for c in columns]
        codes = [c.code for c in columns if c not in KEY_COLUMNS]
        return self._write(
            name, DATA_SHEET, header, ([u, n, *(v[c] for c in codes)] for u, n, v in rows)
        )

    def write_dataset(self, rows: list[tuple], name: str) -> Path:
        """The same rows for import-export: enterprise (USCC), year, the indicator fields."""
        codes = self.codes()
        # "" for unknown: openpyxl's write-only sheets have no dimension, and a row ending
        # in skipped (None) cells reads back short, which tablib refuses.
        lines = ([u, YEAR, *("" if v[c] is None else v[c] for c in codes)] for u, _, v in rows)
        return self._write(name, "Sheet", ["enterprise", "year", *codes], lines)

    def _write(self, name, sheet, header, lines) -> Path:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        ws = book.create_sheet(sheet)
        ws.append(header)
        for line in lines:
            ws.append([float(v) if isinstance(v, Decimal) else v for v in line])
        path = self.dir / name
        book.save(path)
        return path

    def reset_years(self) -> None:
        """Back to the state before the upload, the new enterprises kept: the town's 2019
        rows are 2018's again, the new enterprises have none."""
        from enterprises.models import EnterpriseYear

        EnterpriseYear.objects.filter(enterprise__town=self.town, year=YEAR).delete()
        _seed_years(self.town)

    # children

    def child(self, mode: str, **spec) -> dict:
        spec.update(
            period=self.period.pk, town=self.town.pk, user=self.bench.user.pk, today=str(TODAY)
        )
        env = {**os.environ, "MEDIA_ROOT": str(self.media)}
        if mode == "enqueue":
            env["CELERY_BROKER_URL"] = spec["broker"]
        done = subprocess.run(
            [sys.executable, "-m", "bench.upload_figures", mode, json.dumps(spec)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            env=env,
        )
        if done.returncode != 0:
            raise RuntimeError(f"upload child ({mode}) failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_worker(self, queue: str) -> subprocess.Popen:
        """`celery worker` on its own queue, returned once it answers a ping."""
        from celery import Celery

        name = f"{queue}@bench"
        env = {
            **os.environ,
            "MEDIA_ROOT": str(self.media),
            "CELERY_BROKER_URL": BROKER_URL,
            "REDIS_URL": BROKER_URL,
        }
        self.worker_log_path = log_path = self.dir / "worker.log"
        with open(log_path, "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "htportal", "worker", "--pool=solo"]
                + ["-Q", queue, "-n", name, "-l", "warning"]
                + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        control = Celery(broker=BROKER_URL)
        try:
            deadline = time.monotonic() + 60
            while not control.control.ping(destination=[name], timeout=0.5):
                if worker.poll() is not None or time.monotonic() > deadline:
                    self.stop_worker(worker, queue)
                    raise RuntimeError(f"the Celery worker did not start:\n{self.worker_log()}")
        finally:
            control.close()
        return worker

    def worker_log(self) -> str:
        return (
            self.worker_log_path.read_text(errors="replace")[-3000:] if self.worker_log_path else ""
        )

    @staticmethod
    def worker_peak_mb(worker: subprocess.Popen) -> float:
        try:
            return _vm_hwm_mb(f"/proc/{worker.pid}/status")
        except OSError:
            return float("nan")

    @staticmethod
    def stop_worker(worker: subprocess.Popen, queue: str) -> None:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        if BROKER_URL.startswith(("redis://", "rediss://")):  # kombu's bindings of the queue
            import redis

            with redis.Redis.from_url(BROKER_URL) as client:
                client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def bench_period(district):
    """The district's 2019 Q1 period, opened when missing."""
    from reports.models import ReportingPeriod
    from reports.services import open_period

    period = ReportingPeriod.objects.filter(unit=district, year=YEAR, quarter=QUARTER).first()
    if period is None:
        period = open_period(
            actor=None,
            unit=district,
            year=YEAR,
            quarter=QUARTER,
            window_start=WINDOW_START,
            deadline=DEADLINE,
        )
    if not period.allow_new:
        raise RuntimeError(f"{district} {period} does not allow new enterprises")
    if not period.window_start <= TODAY <= period.deadline:
        raise RuntimeError(f"{district} {period}: {TODAY} is outside its window")
    return period


def cleanup(period, town) -> None:
    """Undo what the figures wrote: the period's uploads and submissions (with their history
    and notices), the town's 2019 indicator rows, the enterprises named MARK…."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.db.models import Q

    from core.cache import bump
    from core.choices import Action
    from core.models import ChangeLog, Notification
    from enterprises.models import Enterprise, EnterpriseYear, TownSpan
    from reports.models import Submission, UploadJob, UploadRow

    with transaction.atomic():
        submissions = list(Submission.objects.filter(period=period).values_list("pk", flat=True))
        notices = Q(pk__in=[])
        for pk in submissions:
            notices |= Q(dedupe_key__startswith=f"submitted:{pk}:")
        Notification.objects.filter(notices).delete()
        ChangeLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Submission),
            object_id__in=[str(pk) for pk in submissions],
        ).delete()
        ChangeLog.objects.filter(unit=town, action=Action.IMPORT, note=f"{period}季度报送").delete()
        Submission.objects.filter(period=period).delete()
        rows = UploadRow.objects.filter(job__period=period)
        rows._raw_delete(rows.db)  # one statement, not Django's cascade of every row
        UploadJob.objects.filter(period=period).delete()
        EnterpriseYear.objects.filter(enterprise__town=town, year=YEAR).delete()
        marked = Enterprise.objects.filter(town=town, name__startswith=MARK)
        EnterpriseYear.objects.filter(enterprise__in=marked).delete()
        TownSpan.objects.filter(enterprise__in=marked).delete()
        # One statement, not the ORM's cascade (which reads all ~85k of them first). Nothing
        # else refers to these enterprises; if something did, the (deferred) foreign key
        # would fail the commit and nothing would be deleted.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {Enterprise._meta.db_table} WHERE town_id = %s AND name LIKE %s",
                [town.pk, MARK + "%"],
            )
    bump()


def _vacuum() -> None:
    """VACUUM ANALYZE what the figures touch (as autovacuum would, between uploads)."""
    from django.db import connection

    from core.models import ChangeLog
    from enterprises.models import Enterprise, EnterpriseYear, TownSpan
    from reports.models import UploadRow

    with connection.cursor() as cursor:
        for model in (Enterprise, EnterpriseYear, TownSpan, UploadRow, ChangeLog):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _prepare_town(town, n_existing: int) -> list[int]:
    """Ids of `n_existing` active enterprises of the town (adding MARK ones if it has fewer),
    each with a 2019 row copied from 2018."""
    from django.db import transaction

    from enterprises.models import Enterprise, EnterpriseYear, TownSpan

    active = Enterprise.objects.filter(town=town, is_active=True)
    ids = list(active.order_by("id").values_list("pk", flat=True)[:n_existing])
    missing = n_existing - len(ids)
    if missing > 0:
        codes = _new_codes(FILLER_BODY, missing)
        fillers = [
            Enterprise(uscc=code, name=FILLER_NAME.format(i), town=town)
            for i, code in enumerate(codes)
        ]
        with transaction.atomic():
            Enterprise.objects.bulk_create(fillers, batch_size=2000)
            TownSpan.objects.bulk_create(
                [TownSpan(enterprise=e, town=town) for e in fillers], batch_size=2000
            )
            fields = [f.name for f in EnterpriseYear._meta.concrete_fields]
            EnterpriseYear.objects.bulk_create(
                [
                    EnterpriseYear(
                        enterprise=e,
                        year=SEED_YEAR,
                        **{f: _made_up(f, 100_000 + i) for f in fields if f in _MADE_UP},
                    )
                    for i, e in enumerate(fillers)
                ],
                batch_size=2000,
            )
        ids += [e.pk for e in fillers]
    _seed_years(town)
    return ids


def _seed_years(town) -> None:
    """The town's 2019 rows = its 2018 rows (the new enterprises have none)."""
    from django.db import connection

    from enterprises.models import INDICATOR_FIELDS, Enterprise, EnterpriseYear

    columns = ", ".join(INDICATOR_FIELDS)
    selected = ", ".join(f"y.{name}" for name in INDICATOR_FIELDS)
    years, enterprises = EnterpriseYear._meta.db_table, Enterprise._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {years} (enterprise_id, year, {columns}, updated_at) "
            f"SELECT y.enterprise_id, %s, {selected}, now() FROM {years} y "
            f"JOIN {enterprises} e ON e.id = y.enterprise_id WHERE y.year = %s AND e.town_id = %s",
            [YEAR, SEED_YEAR, town.pk],
        )


def _new_codes(pattern: str, n: int) -> list[str]:
    """n valid USCCs from `pattern`, skipping any the registry already holds."""
    from enterprises.models import Enterprise
    from enterprises.uscc import with_check_digit

    prefix = pattern.split("{")[0]
    taken = set(Enterprise.objects.filter(uscc__startswith=prefix).values_list("uscc", flat=True))
    codes: list[str] = []
    i = 0
    while len(codes) < n:
        code = with_check_digit(pattern.format(i))
        if code not in taken:
            codes.append(code)
        i += 1
    return codes


_MADE_UP = {  # a plausible value of each indicator for enterprise number i (constraints hold)
    "staff_total": lambda i: 20 + i * 7 % 300,
    "st_staff": lambda i: (20 + i * 7 % 300) // 4,
    "sales_revenue": lambda i: 500 + i * 37 % 20_000 + 0.25,
    "rd_expense": lambda i: round((500 + i * 37 % 20_000) * 0.05, 2),
    "rd_expense_domestic": lambda i: round((500 + i * 37 % 20_000) * 0.045, 2),
    "hightech_revenue": lambda i: round((500 + i * 37 % 20_000) * 0.6, 2),
    "net_assets": lambda i: round((500 + i * 37 % 20_000) * 0.4, 2),
    "total_assets": lambda i: round((500 + i * 37 % 20_000) * 1.2, 2),
    "total_cost": lambda i: round((500 + i * 37 % 20_000) * 0.9, 2),
    "ip_class1": lambda i: i % 3,
    "ip_class2": lambda i: i % 7,
    "achievements": lambda i: i % 5,
}


def _made_up(code: str, i: int):
    return _MADE_UP[code](i)


def _changed(code: str, value):
    """A different value for an existing row: counts + 1, money × 1.05 (orders are kept, so
    科技人员 ≤ 职工 and 境内研发 ≤ 研发 still hold). Unknown stays unknown."""
    if value is None:
        return None
    if isinstance(value, int):
        return value + 1
    return round(float(value) * 1.05, 2)


def _vm_hwm_mb(status: str = "/proc/self/status") -> float:
    with open(status) as lines:
        for line in lines:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmHWM")


def peak_rss_mb() -> float:
    try:
        return _vm_hwm_mb()
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


# --- the child processes -----------------------------------------------------------------------


def _child_portal(spec: dict) -> dict:
    """start_upload (checked, parsed and validated inline) + confirm and approve, timed."""
    from django.test import override_settings

    from reports import services
    from reports.choices import JobStatus
    from reports.io import processing, staging

    period, town, user = _child_objects(spec)
    data = Path(spec["file"]).read_bytes()
    baseline = peak_rss_mb()
    phases = {"read_upload": 0.0, "stage": 0.0}
    with (
        override_settings(UPLOAD_INLINE_MAX_BYTES=len(data) + 1),
        _timed(processing, "read_upload", phases),
        _timed(staging, "stage", phases),
    ):
        started = time.perf_counter()
        job = services.start_upload(
            actor=user, period=period, unit=town, file_name="基准镇001_2019Q1.xlsx", data=data
        )
        parsed, parse_peak = time.perf_counter(), peak_rss_mb()
        if job.status != JobStatus.READY:
            raise SystemExit(f"upload ended {job.status}: {_problems(job)}")
        submission, confirm_seconds = _confirm_and_approve(user, job)
        done = time.perf_counter()
    return {
        "seconds": done - started,
        "start_seconds": parsed - started,
        "read_seconds": phases["read_upload"],
        "stage_seconds": phases["stage"],
        "confirm_seconds": confirm_seconds,
        "approve_seconds": done - parsed - confirm_seconds,
        "file_bytes": len(data),
        **{k: submission.summary[k] for k in ("rows", "created", "updated", "unchanged")},
        "baseline_rss_mb": baseline,
        "parse_peak_rss_mb": parse_peak,
        "peak_rss_mb": peak_rss_mb(),
    }


@contextmanager
def _timed(module, name: str, totals: dict[str, float]) -> Iterator[None]:
    """Add the time spent in module.name to totals[name] (a phase of the upload, for its line)."""
    original = getattr(module, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - started

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)


def _child_floor(spec: dict) -> dict:
    """The raw floor of an upload: python-calamine reads the file's data sheet (the parse
    floor), then its rows go as they are — the least formatting COPY accepts — into the
    staging table, committed (the parse+COPY floor). The rows are deleted afterwards."""
    import io

    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    from reports.columns import DATA_SHEET, columns_for
    from reports.models import UploadRow

    period, _, _ = _child_objects(spec)
    columns = columns_for(period.columns)
    names = ["job_id", "row", "uscc", "name", "checksum_ok", *(c.code for c in columns[2:])]
    as_text = [_raw_int if c.kind == "int" else _raw_text for c in columns[2:]]
    table, job = UploadRow._meta.db_table, uuid.uuid4().hex
    data = Path(spec["file"]).read_bytes()
    connection.ensure_connection()
    started = time.perf_counter()
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    grid = book.get_sheet_by_name(DATA_SHEET).to_python(skip_empty_area=False)
    parsed = time.perf_counter()
    text = "".join(
        f"{job}\t{number}\t{line[0]}\t{line[1]}\tt\t"
        + "\t".join([f(v) for f, v in zip(as_text, line[2:], strict=True)])
        + "\n"
        for number, line in enumerate(grid[1:], start=2)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(names)}) FROM STDIN", io.StringIO(text))
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE job_id = %s", [job])
    return {
        "seconds": seconds,
        "parse_seconds": parsed - started,
        "rows": len(grid) - 1,
        "peak_rss_mb": peak_rss_mb(),
    }


def _raw_int(value) -> str:
    return "\\N" if value == "" else str(int(value))


def _raw_text(value) -> str:
    return "\\N" if value == "" else str(value)


def _child_import_export(spec: dict) -> dict:
    """django-import-export: a plain ModelResource keyed by (enterprise by USCC, year), the
    whole file in one transaction; its defaults (per-row saves, diff on) or `use_bulk`."""
    from import_export import fields, resources, widgets
    from import_export.formats.base_formats import XLSX

    from enterprises.models import Enterprise, EnterpriseYear

    class DefaultResource(resources.ModelResource):
        enterprise = fields.Field(
            attribute="enterprise",
            column_name="enterprise",
            widget=widgets.ForeignKeyWidget(Enterprise, "uscc"),
        )

        class Meta:
            model = EnterpriseYear
            fields = ("enterprise", "year", *spec["codes"])
            import_id_fields = ("enterprise", "year")
            use_bulk = spec["use_bulk"]

    data = Path(spec["file"]).read_bytes()
    baseline = peak_rss_mb()
    started = time.perf_counter()
    dataset = XLSX().create_dataset(data)
    result = DefaultResource().import_data(
        dataset, dry_run=False, use_transactions=True, raise_errors=True
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": len(dataset),
        "new": result.totals["new"],
        "update": result.totals["update"],
        "errors": result.totals["error"] + result.totals["invalid"],
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }


def _child_enqueue(spec: dict) -> dict:
    """start_upload of a file above UPLOAD_INLINE_MAX_BYTES: process_upload.delay on commit,
    routed to the figure's own queue (only its worker listens there)."""
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    from htportal.celery import app
    from reports import services

    app.conf.task_default_queue = spec["queue"]
    period, town, user = _child_objects(spec)
    data = Path(spec["file"]).read_bytes()
    if app.conf.task_always_eager:
        raise SystemExit("no Celery broker: the task would run in this process")
    connection.ensure_connection()
    started_at, started = time.time(), time.perf_counter()
    with override_settings(
        UPLOAD_INLINE_MAX_BYTES=min(settings.UPLOAD_INLINE_MAX_BYTES, len(data) - 1)
    ):
        job = services.start_upload(
            actor=user, period=period, unit=town, file_name="基准镇001_2019Q1_100k.xlsx", data=data
        )
    return {
        "job": str(job.pk),
        "status": job.status,
        "started_at": started_at,
        "seconds": time.perf_counter() - started,
    }


def _child_confirm(spec: dict) -> dict:
    from reports.models import UploadJob

    _, _, user = _child_objects(spec)
    job = UploadJob.objects.get(pk=spec["job"])
    baseline = peak_rss_mb()
    started = time.perf_counter()
    submission, _ = _confirm_and_approve(user, job)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        **{k: submission.summary[k] for k in ("rows", "created", "updated", "unchanged")},
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }


def _confirm_and_approve(user, job) -> tuple[Any, float]:
    """The town confirms (its 提醒 acknowledged), the district approves: only approval writes
    the registry, so both are the commit. Returns (submission, seconds of the confirm)."""
    from reports import services

    started = time.perf_counter()
    submission, _ = services.confirm_upload(actor=user, job=job, acknowledged=True)
    confirmed = time.perf_counter() - started
    services.review(actor=None, submission=submission, approve=True)  # None: the shell
    return submission, confirmed


def _child_objects(spec: dict):
    from core.models import OrgUnit, User
    from reports.models import ReportingPeriod

    return (
        ReportingPeriod.objects.get(pk=spec["period"]),
        OrgUnit.objects.get(pk=spec["town"]),
        User.objects.select_related("unit").get(pk=spec["user"]),
    )


def _problems(job) -> str:
    return "; ".join(p["text"] for p in job.result.get("problems", [])[:5])


CHILDREN = {
    "portal": _child_portal,
    "floor": _child_floor,
    "import_export": _child_import_export,
    "enqueue": _child_enqueue,
    "confirm": _child_confirm,
}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "htportal.settings")
    import django

    django.setup()
    from django.test import override_settings

    if argv[:1] == ["cleanup"]:
        from core.models import OrgUnit
        from enterprises.management.commands.generate_scale_data import DISTRICT_NAME, TOWN_NAME

        district = OrgUnit.objects.get(name=DISTRICT_NAME, parent__name="常州市")
        town = district.children.get(name=TOWN_NAME.format(1))
        cleanup(bench_period(district), town)
        print(f"cleaned up {town}")
        return
    mode, spec = argv[0], json.loads(argv[1])
    with override_settings(PORTAL_TODAY=datetime.date.fromisoformat(spec["today"])):
        print(json.dumps(CHILDREN[mode](spec)))


if __name__ == "__main__":
    main(sys.argv[1:])
