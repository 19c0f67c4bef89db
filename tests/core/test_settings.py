"""Settings from the environment: each switch, and start-up failing on bad values, by name.

Each case starts a fresh interpreter: settings are read once per process.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_", "AXES_")

PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "conn_max_age": db.get("CONN_MAX_AGE"),
    "health_checks": db.get("CONN_HEALTH_CHECKS"), "cache": settings.CACHES["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL, "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "tz": settings.TIME_ZONE, "lang": settings.LANGUAGE_CODE, "use_tz": settings.USE_TZ,
    "i18n": settings.USE_I18N, "debug": settings.DEBUG,
}))
"""


def run(code_or_args, **env_vars):
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(env_vars, DJANGO_SETTINGS_MODULE="htportal.settings")
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def probe(**env_vars) -> dict:
    result = run(PROBE, **env_vars)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_is_sqlite_locmem_and_in_process_tasks():
    config = probe()
    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["cache"].endswith("LocMemCache")
    assert config["eager"] is True and config["broker"] == ""
    assert (config["tz"], config["lang"], config["use_tz"], config["i18n"]) == (
        "Asia/Shanghai",
        "zh-hans",
        True,
        True,
    )


def test_database_url_switches_to_postgresql_with_health_checked_connections():
    config = probe(DATABASE_URL="postgres://portal:pw@db.internal:5432/htportal")
    assert config["engine"] == "django.db.backends.postgresql"
    assert config["conn_max_age"] == 60 and config["health_checks"] is True


def test_redis_url_switches_cache_and_broker():
    config = probe(REDIS_URL="redis://cache.internal:6379/1")
    assert config["cache"].endswith("RedisCache")
    assert config["broker"] == "redis://cache.internal:6379/1"
    assert config["eager"] is False


@pytest.mark.parametrize(
    ("env_vars", "named"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"AXES_FAILURE_LIMIT": "five"}, "AXES_FAILURE_LIMIT"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({"DJANGO_ENV": "staging"}, "DJANGO_ENV"),
        ({"DJANGO_ENV": "production"}, "DJANGO_SECRET_KEY"),
        (
            {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "k" * 60},
            "DJANGO_ALLOWED_HOSTS",
        ),
    ],
)
def test_bad_or_missing_variable_stops_start_up_naming_it(env_vars, named):
    result = run(PROBE, **env_vars)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr


def test_production_mode_passes_check_deploy_with_zero_warnings():
    result = run(
        ["manage.py", "check", "--deploy"],
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="htportal.wujin.gov.cn",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr
