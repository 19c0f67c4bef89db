"""Redis down: the cache and the broker point at a closed port (nothing listens on port 1), on
both legs. Pages compute instead of caching, a big upload is checked in the request or
fails saying so — never left `queued` — and /healthz/ says which part is failing."""

import datetime
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import cache as safe_cache
from core.dates import quarter_ends
from dashboard.services import take_snapshots
from htportal.celery import app as celery_app
from reports.choices import JobStatus
from reports.io.template import build_template
from reports.models import ReportingPeriod, UploadJob

DOWN = "redis://127.0.0.1:1/0"


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DOWN,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def _fresh_broker_connections():
    # The app keeps the connection pool of its first message; a new broker URL needs a new one.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings):
    """Tasks go to a broker that refuses connections (on the SQLite leg too: not in-process)."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = DOWN, False
    conf.broker_url, conf.task_always_eager = DOWN, False
    _fresh_broker_connections()
    yield
    conf.broker_url, conf.task_always_eager = saved
    _fresh_broker_connections()


# --- the dashboard -------------------------------------------------------------------------------


@pytest.fixture
def demo(demo_data, db, settings, personas):
    settings.PORTAL_TODAY = datetime.date(2019, 7, 15)
    for day in [*quarter_ends(2018), *quarter_ends(2019)[:2]]:
        take_snapshots(day)


def test_the_dashboard_answers_with_its_numbers_while_the_cache_is_down(
    demo, cache_down, client_for, leader, caplog
):
    client = client_for(leader)
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        page = client.get("/dashboard/")
        summary = client.get("/dashboard/data/summary/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2019年全区高新技术企业任务分解表" in text and "533" in text  # 2018年底高企数, 全区
    assert summary.status_code == 200
    cards = {card["code"]: card for card in summary.json()["cards"]}
    assert cards["baseline_valid_hte"]["actual"] == 533
    assert "cache unavailable, computing instead: ConnectionError" in caplog.text


def test_a_change_made_while_the_cache_was_down_shows_once_it_is_back(settings, caplog):
    working = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    working["default"]["LOCATION"] = "redis-down-test"
    settings.CACHES = working
    before = safe_cache.data_version()
    assert before is not None
    settings.CACHES = {"default": {**working["default"], "BACKEND": _RAISING}}
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        safe_cache.bump()  # a change commits; the counter cannot be reached
        assert safe_cache.data_version() is None  # nothing may be cached on an unknown version
    settings.CACHES = working  # the same store, back
    after = safe_cache.data_version()
    assert after is not None and after != before  # the missed bump was made first


_RAISING = "tests.core.test_redis_down.RaisingCache"


class RaisingCache:
    """A cache backend whose every call fails as a dead Redis does."""

    def __init__(self, *args, **kwargs):
        pass

    def close(self, **kwargs):  # Django closes caches after each request
        pass

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

        return fail


# --- a big upload --------------------------------------------------------------------------------


@pytest.fixture
def town_upload(demo, hutang, client_for, settings, django_capture_on_commit_callbacks):
    """upload() → the job of 湖塘镇's untouched Q2 template (the demo's open period), posted
    as a file over the inline limit (the page would hand it to a worker)."""
    settings.UPLOAD_INLINE_MAX_BYTES = 1
    period = ReportingPeriod.objects.get(unit__name="武进区", year=2019, quarter=2)
    data = build_template(period=period, unit=hutang.unit)
    client = client_for(hutang)

    def upload():
        file = SimpleUploadedFile("湖塘镇2019Q2.xlsx", data)
        with django_capture_on_commit_callbacks(execute=True):  # the dispatch, after commit
            response = client.post(reverse("reports:upload", args=[period.pk]), {"file": file})
        assert response.status_code == 302, response.content[:500]
        job = UploadJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
        assert response.url == reverse("reports:job", args=[job.pk])
        return job, client

    return upload


def test_a_big_upload_is_checked_in_the_request_when_the_broker_is_down(
    town_upload, broker_down, settings
):
    settings.UPLOAD_BROKER_DOWN_MAX_BYTES = 10 * 1024 * 1024
    job, client = town_upload()
    assert job.status == JobStatus.READY, job.result
    assert "确认报送" in client.get(reverse("reports:job", args=[job.pk])).content.decode()


def test_a_bigger_upload_fails_saying_so_and_can_be_retried(
    town_upload, broker_down, settings, django_capture_on_commit_callbacks
):
    settings.UPLOAD_BROKER_DOWN_MAX_BYTES = 1
    job, client = town_upload()
    assert job.status == JobStatus.FAILED
    [problem] = job.result["problems"]
    assert problem["text"].startswith("后台处理服务暂时不可用")
    page = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert "后台处理服务暂时不可用" in page and "重试" in page
    retry = reverse("reports:job_retry", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(retry)  # still down: failed again, not queued
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 0
    settings.UPLOAD_INLINE_MAX_BYTES = 10 * 1024 * 1024  # small enough now: checked here
    client.post(retry)
    job.refresh_from_db()
    assert job.status == JobStatus.READY, job.result


# --- /healthz/ -----------------------------------------------------------------------------------


def test_healthz_is_degraded_and_names_the_cache_and_the_broker(
    client, db, cache_down, broker_down
):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "degraded" and data["database"] == "ok"
    assert data["cache"] == "error: ConnectionError"
    assert data["broker"] == "error: OperationalError"


def test_healthz_is_degraded_when_only_the_cache_is_down(client, db, cache_down, settings):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    data = response.json()
    assert (data["status"], data["cache"]) == ("degraded", "error: ConnectionError")
    assert data["broker"] == ("in-process" if settings.CELERY_TASK_ALWAYS_EAGER else "ok")
