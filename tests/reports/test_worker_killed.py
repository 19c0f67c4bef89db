"""A real Celery worker killed with SIGKILL while it stages a big upload (PostgreSQL + Redis
leg): nothing of the half-done run counts, and the job still ends `ready` — handed out again
when only the pool process died, failed by the reaper and retried from its page when the whole
worker did.

A file of its own: the tests commit (TransactionTestCase), and the flush after them must come
after every test that reads the migrations' seeded data."""

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from enterprises.models import Enterprise, EnterpriseYear
from reports import tasks
from reports.choices import JobStatus
from reports.models import UploadJob, UploadRow
from tests.reports import big_rows, period, xlsx  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
ROWS = 30_000  # enough that staging (COPY, streamed while rows are checked) takes a while

pytestmark = [
    pytest.mark.skipif(
        settings.CELERY_TASK_ALWAYS_EAGER, reason="no broker: tasks run in-process (SQLite leg)"
    ),
    pytest.mark.needs_services,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def big_file() -> bytes:
    return xlsx(big_rows(ROWS))  # new enterprises for 湖塘镇, 2019 Q1 (the title says so)


@pytest.fixture
def queue(monkeypatch) -> str:
    """A queue of the test's own, so no other worker on this Redis takes its messages; the
    upload service's dispatch goes there."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(
        tasks.process_upload,
        "delay",
        lambda job_id: tasks.process_upload.apply_async(args=[job_id], queue=name),
    )
    return name


@pytest.fixture
def start_worker(queue, settings):
    """start_worker(pool) → a worker process on the test database and queue; all are stopped
    (and their output checked for crashes of our own code) at the end."""
    started: list[subprocess.Popen] = []

    def start(pool: str) -> subprocess.Popen:
        env = dict(os.environ)
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
        env["MEDIA_ROOT"] = settings.MEDIA_ROOT  # where the test's upload was stored
        env["PORTAL_TODAY"] = settings.PORTAL_TODAY.isoformat()
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "htportal", "worker", f"--pool={pool}"]
            + ["--concurrency=1", "-Q", queue, "--loglevel=WARNING", "--without-heartbeat"]
            + ["--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.terminate()
        output = worker.communicate(timeout=60)[0].decode(errors="replace")
        assert "reports/io" not in output, output  # a traceback through our processing


@pytest.fixture
def upload(period, units, hutang, client_for, settings, big_file):  # noqa: F811
    """upload() → (the job, a client of 湖塘镇) of the big file, posted through the page."""
    settings.PORTAL_TODAY = datetime.date(2019, 4, 8)  # inside the period's window
    settings.UPLOAD_INLINE_MAX_BYTES = 1024  # a worker's job
    period.required_units.set([units["湖塘镇"]])
    client = client_for(hutang)

    def upload():
        from django.core.files.uploadedfile import SimpleUploadedFile

        file = SimpleUploadedFile("湖塘镇2019Q1.xlsx", big_file)
        response = client.post(reverse("reports:upload", args=[period.pk]), {"file": file})
        assert response.status_code == 302
        return UploadJob.objects.get(), client

    return upload


def wait_for(condition: Callable[[], object], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting: {what}"
        time.sleep(0.02)


def staging() -> bool:
    """A worker's COPY of staged rows is under way (uncommitted: invisible to this test)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND query LIKE 'COPY \"reports_uploadrow\"%'"
        )
        return cursor.fetchone()[0] > 0


def job_state(job) -> tuple[str, int, int]:
    job.refresh_from_db()
    return job.status, job.progress, job.total


def registry() -> tuple[int, int]:
    return Enterprise.objects.count(), EnterpriseYear.objects.count()


def pool_process(worker: subprocess.Popen) -> int:
    """The worker's one pool process (prefork, concurrency 1)."""
    found = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True)
    [pid] = found.stdout.split()
    return int(pid)


def broker_holds_unacknowledged(job) -> list[bytes]:
    """Delivery tags of the job's messages a worker took and never acknowledged."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return [tag for tag, body in client.hgetall("unacked").items() if str(job.pk).encode() in body]


def killed_while_staging(job, victim: Callable[[], int]) -> None:
    """Wait until a worker stages the job's rows, SIGKILL the process `victim()` names, and
    check that none of the rows stayed."""
    wait_for(lambda: job_state(job)[0] == JobStatus.RUNNING and job.progress > 0, "progress")
    wait_for(staging, "staging")
    time.sleep(0.2)  # rows flowing
    os.kill(victim(), signal.SIGKILL)
    wait_for(lambda: not staging(), "the killed run's transaction to end", seconds=30)
    assert UploadRow.objects.filter(job_id=job.pk).count() == 0  # rolled back with it


def test_a_killed_pool_process_has_its_job_handed_out_again(upload, start_worker):
    before = registry()
    worker = start_worker("prefork")
    job, _ = upload()
    killed_while_staging(job, lambda: pool_process(worker))
    # Acknowledged late and rejected when its process was lost: the same worker's new pool
    # process runs the job again, from the start.
    wait_for(lambda: job_state(job)[0] == JobStatus.READY, "the job handed out again")
    assert job.attempts == 2 and job.progress == job.total == ROWS
    assert UploadRow.objects.filter(job_id=job.pk).count() == ROWS
    assert job.result["counts"]["created"] == ROWS
    assert registry() == before  # nothing is written to the registry before approval
    wait_for(lambda: not broker_holds_unacknowledged(job), "the message to be acknowledged")


def test_a_killed_worker_leaves_its_job_to_the_reaper_and_retry_finishes_it(
    upload, start_worker, settings
):
    before = registry()
    worker = start_worker("solo")
    job, client = upload()
    killed_while_staging(job, lambda: worker.pid)
    worker.wait(timeout=30)
    assert job_state(job)[0] == JobStatus.RUNNING and job.attempts == 1  # and nobody runs it
    # Acknowledged late: the message waits in Redis for the visibility timeout.
    orphans = broker_holds_unacknowledged(job)
    assert len(orphans) == 1
    try:
        # UPLOAD_STALL_MINUTES later, the beat task fails it.
        stalled = timezone.now() - datetime.timedelta(minutes=settings.UPLOAD_STALL_MINUTES + 1)
        UploadJob.objects.filter(pk=job.pk).update(progress_at=stalled)
        assert tasks.fail_stalled_uploads() == 1
        assert job_state(job)[0] == JobStatus.FAILED
        page = client.get(reverse("reports:job", args=[job.pk])).content.decode()
        assert "后台处理中断" in page and "重试" in page
        assert registry() == before and not UploadRow.objects.filter(job_id=job.pk).exists()

        start_worker("solo")
        response = client.post(reverse("reports:job_retry", args=[job.pk]))
        assert response.status_code == 302
        wait_for(lambda: job_state(job)[0] == JobStatus.READY, "the retried job")
        assert job.attempts == 1 and job.progress == ROWS  # counted afresh from the retry
        assert UploadRow.objects.filter(job_id=job.pk).count() == ROWS
        assert registry() == before
        assert "确认报送" in client.get(reverse("reports:job", args=[job.pk])).content.decode()
    finally:
        # The dead worker's message would be handed out after an hour, to a queue nobody reads.
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        for tag in orphans:
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)
