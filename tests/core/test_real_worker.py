"""A real Celery worker runs the heartbeat from Redis (PostgreSQL + Redis leg). A file of its
own: the test commits (TransactionTestCase), and the flush after it must come after every test
that reads the migrations' seeded data."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core.models import ScheduledRun
from core.tasks import HEARTBEAT, heartbeat

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    settings.CELERY_TASK_ALWAYS_EAGER, reason="no broker: tasks run in-process (SQLite leg)"
)
@pytest.mark.needs_services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat_from_redis():
    queue = f"test-{uuid.uuid4().hex[:8]}"  # so no other worker on this Redis takes it
    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "htportal",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        heartbeat.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ScheduledRun.objects.filter(name=HEARTBEAT):
            time.sleep(0.5)
        assert ScheduledRun.objects.filter(name=HEARTBEAT, run_count=1).exists(), (
            "worker did not run the heartbeat within 60 s"
        )
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert "Traceback" not in output, output
