"""/healthz/: what an operator or a container health check reads."""

from django.db import OperationalError
from django.urls import reverse

from core.tasks import heartbeat


def test_healthz_reports_each_service(client, db, settings):
    data = client.get(reverse("healthz")).json()
    assert data["status"] == "ok"
    assert data["database"] == "ok"
    assert data["cache"] == "ok"
    expected_broker = "in-process" if settings.CELERY_TASK_ALWAYS_EAGER else "ok"
    assert data["broker"] == expected_broker
    assert data["heartbeat"] == {"last_run": None}


def test_healthz_shows_the_last_heartbeat(client, db):
    ran_at = heartbeat()
    assert client.get(reverse("healthz")).json()["heartbeat"]["last_run"] == ran_at


def test_healthz_answers_503_when_the_database_is_down(client, db, monkeypatch):
    class DownConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("core.views.connection", DownConnection())
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
    assert response.json()["status"] == "error"


def test_healthz_needs_no_login(client, db):
    assert client.get(reverse("healthz")).status_code == 200
