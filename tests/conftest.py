"""Persona fixtures shared by every test: the demo org tree and its users (DESIGN.md → Conventions),
and the whole demo loaded once for the modules that read it."""

import copy
import importlib
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from core.choices import Role
from core.demo import load_units, load_users
from core.models import OrgUnit, User


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """A cache namespace of each test's own: the cache outlives each test's rolled-back
    database, and a Redis shared by parallel test processes (whose databases hold the same
    ids) must neither leak into a test nor be flushed by one."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded and generated files (submissions, bulletins) go to a throwaway folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


# What migrations seed (the rest — content types, beat schedules — post_migrate recreates).
MIGRATION_SEEDS = [
    ("targets.migrations.0002_metric_catalogue", "add"),
    ("core.migrations.0002_heartbeat_schedule", "add_schedule"),
]


@pytest.fixture(autouse=True)
def _migration_seeds(request):
    """A transactional test (a real worker, the backup round trip, the browser) ends with a
    flush that also empties what the migrations seeded. pytest-django runs those tests last,
    but under xdist only last within each batch of files a worker is sent, so a later file on
    that worker could find no metric catalogue: put the seeds back, with the migrations' own
    functions."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return
    if marker is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("db")
    reseed()


def reseed() -> None:
    from django.apps import apps

    from targets.models import Metric

    if not Metric.objects.exists():
        for module, function in MIGRATION_SEEDS:
            getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo (武进区 in mid-2019), loaded once for a test module that reads it: inside a
    transaction rolled back after the module, so each test's own writes are rolled back as
    usual (a savepoint inside it) and the demo is gone before the next module. Modules using
    it must not use transactional tests. Use it with `db`: `def demo(demo_data, db): …`."""
    media = tmp_path_factory.mktemp("demo-media")  # the demo's stored template files
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media)),
        transaction.atomic(),
    ):
        reseed()
        call_command("load_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def units(db) -> dict[str, OrgUnit]:
    """The demo tree; keyed by name and by short name."""
    load_units()
    by_name = {}
    for unit in OrgUnit.objects.all():
        by_name[unit.name] = unit
        if unit.short_name:
            by_name[unit.short_name] = unit
    return by_name


@pytest.fixture
def personas(units) -> dict[str, User]:
    load_users()
    users = {u.username: u for u in User.objects.all()}
    users["outsider"] = User.objects.create_user(
        "outsider", password="x", role=Role.TOWN_STAFF, unit=None
    )
    return users


@pytest.fixture
def district(personas):
    return personas["district"]


@pytest.fixture
def hutang(personas):
    return personas["hutang"]


@pytest.fixture
def niutang(personas):
    return personas["niutang"]


@pytest.fixture
def leader(personas):
    return personas["leader"]


@pytest.fixture
def admin_user(personas):
    return personas["admin"]


@pytest.fixture
def outsider(personas):
    return personas["outsider"]


@pytest.fixture
def client_for(client):
    """client_for(user) → a test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    """api_for(user) → a DRF test client that signs every request with a fresh personal
    token of `user` (Authorization: Bearer …), as an integrator's script would; api_for(None)
    → one with no credentials."""
    from rest_framework.test import APIClient

    from core.services import create_api_token

    def client(user):
        api = APIClient()
        if user is not None:
            _, key = create_api_token(actor=user, user=user, name="测试")
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return api

    return client


def _json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema (the rest is JSON Schema already)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture(scope="session")
def conforms():
    """conforms(body, path, method, status): the body is what /api/v1/schema/ documents for
    that answer (the contract run checks the same against the live server)."""
    import jsonschema
    from drf_spectacular.generators import SchemaGenerator

    schema = _json_schema(SchemaGenerator().get_schema(request=None, public=True))

    def check(body, path: str, method: str = "get", status: str = "200") -> None:
        answer = schema["paths"][path][method]["responses"][status]
        documented = {**answer["content"]["application/json"]["schema"], **schema}
        jsonschema.Draft202012Validator(documented).validate(body)

    return check


# The small registry (3 enterprises in 湖塘镇, 2 in 牛塘镇, 1 in 高新区) for every app's tests.
from tests.enterprises.conftest import registry  # noqa: E402, F401
