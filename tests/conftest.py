"""Persona fixtures shared by every test: the demo org tree and its users (DESIGN.md → Conventions)."""

import pytest

from core.choices import Role
from core.demo import load_units, load_users
from core.models import OrgUnit, User


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded and generated files (submissions, bulletins) go to a throwaway folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


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


# The small registry (3 enterprises in 湖塘镇, 2 in 牛塘镇, 1 in 高新区) for every app's tests.
from tests.enterprises.conftest import registry  # noqa: E402, F401
