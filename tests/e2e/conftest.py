"""Browser end-to-end tests: Playwright (sync API) driving the machine's Chromium against
pytest-django's live server, with the demo loaded.

No browser on the machine (a developer's laptop): the tests are skipped, saying why. In CI
(CI=true, as .ci/run sets) a missing browser fails them instead: CI must never pass an
end-to-end test it did not run. Playwright's own browser downloads are never used.
"""

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in the test's thread; Django's ORM would refuse
# the test's own queries there ("You cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}
DEMO_TODAY = date(2019, 7, 15)  # the demo's "today": 2019年第2季度 is open (1–15 July)


def _missing_browser() -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright 未安装（pip install -r requirements-dev.txt）"
    if not CHROMIUM.exists():
        return f"未找到 Chromium（{CHROMIUM}；Debian/Ubuntu: apt-get install chromium fonts-wqy-microhei）"
    return ""


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Skip (or, in CI, fail) before any fixture loads the demo for nothing."""
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI 中必须运行浏览器端到端测试：{reason}", pytrace=False)
        pytest.skip(f"浏览器端到端测试已跳过：{reason}")


@pytest.fixture
def browser(live_server) -> Iterator:
    """Chromium, started after the database and the live server are ready, and stopped
    before the database is flushed: once Playwright's sync API runs its event loop in this
    thread, Django counts the thread as async and hands it database connections of its own
    (connections are thread-critical locals), so the database must be set up, restored and
    flushed outside that window. Inside it the test's queries use a connection of their own
    to the same (committed) test database, closed here before the loop stops."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            connections.close_all()  # the connections opened while the loop ran


@pytest.fixture
def browser_context(browser):
    """A fresh profile (no cookies) at 1366×768, in Chinese, on the portal's time zone."""
    context = browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(30_000)  # a loaded CI machine
    yield context
    context.close()


@pytest.fixture
def screenshots(tmp_path_factory, record_property) -> Path:
    """A folder for the test's screenshots; its path is printed, and listed at the end of the
    run (also from xdist workers, through the report's properties)."""
    folder = tmp_path_factory.mktemp("e2e-screenshots")
    print(f"\n[e2e] screenshots: {folder}")
    record_property("e2e_screenshots", str(folder))
    return folder


def pytest_terminal_summary(terminalreporter):
    folders = {
        value
        for report in terminalreporter.stats.get("passed", [])
        + terminalreporter.stats.get("failed", [])
        for name, value in getattr(report, "user_properties", [])
        if name == "e2e_screenshots" and report.when == "call"
    }
    for folder in sorted(folders):
        terminalreporter.write_line(f"[e2e] screenshots: {folder}")


@pytest.fixture
def demo(settings, transactional_db):
    """The demo, committed (the live server's thread reads it), today pinned in Q2's window.

    Another transactional test on this worker may have flushed the database before: the
    flush keeps what post_migrate recreates but not the metric catalogue a migration seeded
    (the targets demo needs it), so that is put back first, by the migration's own code."""
    from importlib import import_module
    from io import StringIO

    from django.apps import apps
    from django.core.management import call_command

    from targets.models import Metric

    settings.PORTAL_TODAY = DEMO_TODAY
    settings.UPLOAD_INLINE_MAX_BYTES = 10 * 1024 * 1024  # checked in the request: no worker here
    if not Metric.objects.exists():
        import_module("targets.migrations.0002_metric_catalogue").add(apps, None)
    call_command("load_demo", stdout=StringIO())
