"""Every operation of the API schema × every persona: allowed, or refused the right way.

The operations are read off the schema the portal serves (/api/v1/schema/), so an operation
added tomorrow fails `test_every_operation_is_classified` until someone says below who may
use it. Each persona then calls every operation with its own token, on 湖塘镇's objects (or
the district's), with an empty body for writes: "allowed" means the answer is not a refusal
(401/403/404/405 — a 400 for the empty body is fine: the request got past the permission
check), "refused" means the documented refusal — 403 for a visible object or action the
persona may not use, 404 for an object outside its scope, 401 without a token.
"""

import datetime
import re

import pytest
import yaml
from rest_framework.test import APIClient

from bulletins.models import Bulletin
from bulletins.services import issue_bulletin
from core.notifications import notify
from core.services import create_api_token
from cultivation.models import (
    Application,
    Certificate,
    Honour,
    PoolMembership,
    TechSMEEvaluation,
)
from enterprises.models import Enterprise
from reports.models import ReportingPeriod, Submission, UploadJob
from targets.models import Metric, TargetPlan

pytestmark = pytest.mark.django_db

PERSONAS = ["district", "hutang", "niutang", "leader", "admin"]
WRITERS = {"district", "hutang", "niutang", "admin"}
DISTRICT = {"district", "admin"}

# Who may use each operation, and how the others are refused. The path parameter names the
# object of 湖塘镇 (or the district's, or the persona's own): so niutang, who cannot see it,
# gets 404 wherever `town_object` is set.
ALL, WRITE, DISTRICT_WRITE, DISTRICT_READ = "all", "write", "district-write", "district-read"


def rule(access: str, town_object: bool = False) -> tuple[str, bool]:
    return access, town_object


READ_TOWN = rule(ALL, town_object=True)
WRITE_TOWN = rule(WRITE, town_object=True)

OPERATIONS: dict[str, tuple[str, bool]] = {
    "GET /me/": rule(ALL),
    "GET /units/": rule(ALL),
    "GET /units/{id}/": READ_TOWN,
    "GET /tokens/": rule(ALL),
    "POST /tokens/": rule(ALL),
    "GET /tokens/{id}/": rule(ALL),  # one's own
    "DELETE /tokens/{id}/": rule(ALL),
    "GET /notifications/": rule(ALL),
    "GET /notifications/{id}/": rule(ALL),  # one's own
    "POST /notifications/{id}/read/": rule(ALL),
    "POST /notifications/read-all/": rule(ALL),
    "GET /history/{app_label}/{model_name}/{id}/": READ_TOWN,
    # The registry.
    "GET /enterprises/": rule(ALL),
    "POST /enterprises/": rule(WRITE),
    "GET /enterprises/{id}/": READ_TOWN,
    "PUT /enterprises/{id}/": WRITE_TOWN,
    "PATCH /enterprises/{id}/": WRITE_TOWN,
    "POST /enterprises/{id}/move/": WRITE_TOWN,
    "POST /enterprises/{id}/set-active/": WRITE_TOWN,
    "GET /enterprises/{enterprise}/years/": READ_TOWN,
    "POST /enterprises/{enterprise}/years/": WRITE_TOWN,
    "GET /enterprises/{enterprise}/years/{year}/": READ_TOWN,
    "PUT /enterprises/{enterprise}/years/{year}/": WRITE_TOWN,
    "PATCH /enterprises/{enterprise}/years/{year}/": WRITE_TOWN,
    # The ladder.
    "GET /ladder-counts/": rule(ALL),
    **{f"GET /{r}/": rule(ALL) for r in ("evaluations", "pool-memberships", "applications")},
    **{f"GET /{r}/": rule(ALL) for r in ("certificates", "honours")},
    **{f"POST /{r}/": rule(WRITE) for r in ("evaluations", "pool-memberships", "applications")},
    **{f"POST /{r}/": rule(WRITE) for r in ("certificates", "honours")},
    **{f"GET /{r}/{{id}}/": READ_TOWN for r in ("evaluations", "pool-memberships")},
    **{f"GET /{r}/{{id}}/": READ_TOWN for r in ("applications", "certificates", "honours")},
    "POST /pool-memberships/{id}/end/": WRITE_TOWN,
    "POST /applications/{id}/advance/": WRITE_TOWN,
    # Targets: a town may plan for its parks; the district's plan is the district's to edit.
    "GET /metrics/": rule(ALL),
    "GET /metrics/{id}/": rule(ALL),
    "GET /target-plans/": rule(ALL),
    "POST /target-plans/": rule(WRITE),
    "GET /target-plans/{id}/": rule(ALL),
    "PUT /target-plans/{id}/": rule(DISTRICT_WRITE),
    "PATCH /target-plans/{id}/": rule(DISTRICT_WRITE),
    "GET /target-plans/{id}/completion/": rule(ALL),
    "GET /target-plans/{id}/values/": rule(ALL),
    "PUT /target-plans/{id}/values/": rule(DISTRICT_WRITE),
    # Quarterly reporting.
    "GET /reporting-periods/": rule(ALL),
    "POST /reporting-periods/": rule(DISTRICT_WRITE),
    "GET /reporting-periods/{id}/": rule(ALL),
    "POST /reporting-periods/{id}/reopen/": rule(DISTRICT_WRITE),
    "GET /reporting-periods/{id}/reporting-rate/": rule(ALL),
    "GET /upload-jobs/": rule(ALL),
    "POST /upload-jobs/": rule(WRITE),
    "GET /upload-jobs/{id}/": READ_TOWN,
    "GET /upload-jobs/{id}/problems/": READ_TOWN,
    "GET /upload-jobs/{id}/preview/": READ_TOWN,
    "POST /upload-jobs/{id}/confirm/": WRITE_TOWN,
    "POST /upload-jobs/{id}/retry/": WRITE_TOWN,
    "GET /submissions/": rule(ALL),
    "GET /submissions/{id}/": READ_TOWN,
    "GET /submissions/{id}/file/": READ_TOWN,
    "POST /submissions/{id}/review/": rule(DISTRICT_WRITE, town_object=True),
    # Leaders' views and the district's documents.
    **{f"GET /dashboard/{b}/": rule(ALL) for b in ("summary", "ranking", "trend", "funnel")},
    **{f"GET /dashboard/{b}/": rule(ALL) for b in ("expiring", "missing", "closest")},
    "GET /bulletins/": rule(ALL),
    "POST /bulletins/": rule(DISTRICT_WRITE),
    "GET /bulletins/{id}/": rule(DISTRICT_READ),
    "GET /bulletins/{id}/xlsx/": rule(DISTRICT_READ),
}

REFUSALS = {401, 403, 404, 405}


def expected(operation: str, persona: str) -> int | None:
    """The refusal `persona` must get, or None when it is allowed."""
    access, town_object = OPERATIONS[operation]
    town = persona in ("hutang", "niutang")
    if town_object and persona == "niutang":
        return 404
    if access == WRITE and persona == "leader":
        return 403
    if access == DISTRICT_WRITE and persona not in DISTRICT:
        return 403
    if access == DISTRICT_READ and town:
        return 404
    return None


def schema_operations(client) -> list[str]:
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    return [
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


@pytest.fixture
def demo(demo_data, db, settings, tmp_path_factory):
    from core.models import OrgUnit, User

    settings.PORTAL_TODAY = datetime.date(2019, 7, 15)
    media = sorted(
        tmp_path_factory.getbasetemp().glob("demo-media*"), key=lambda p: p.stat().st_mtime
    )
    settings.MEDIA_ROOT = str(media[-1])
    users = {u.username: u for u in User.objects.all()}
    issue_bulletin(actor=users["district"], plan=TargetPlan.objects.order_by("pk").first())
    for user in users.values():
        notify([user], title="测试通知")
    return users, OrgUnit.objects.get(name="湖塘镇")


def path_values(town, user) -> dict[str, dict[str, object]]:
    """The object each operation's path names, by its first segment."""
    with_years = Enterprise.objects.filter(town=town, years__isnull=False).first()
    own = {"enterprise__town": town}
    _, spare = create_api_token(actor=user, user=user, name="被撤销的那个")
    return {
        "units": {"id": town.pk},
        "tokens": {"id": user.api_tokens.get(name="被撤销的那个").pk},
        "notifications": {"id": user.notifications.first().pk},
        "history": {"app_label": "enterprises", "model_name": "enterprise", "id": with_years.pk},
        "enterprises": {
            "id": with_years.pk,
            "enterprise": with_years.pk,
            "year": with_years.years.first().year,
        },
        "evaluations": {"id": TechSMEEvaluation.objects.filter(**own).first().pk},
        "pool-memberships": {"id": PoolMembership.objects.filter(**own).first().pk},
        "applications": {"id": Application.objects.filter(**own).first().pk},
        "certificates": {"id": Certificate.objects.filter(**own).first().pk},
        "honours": {"id": Honour.objects.filter(**own).first().pk},
        "metrics": {"id": Metric.objects.first().pk},
        "target-plans": {"id": TargetPlan.objects.filter(unit=town.parent).first().pk},
        "reporting-periods": {"id": ReportingPeriod.objects.order_by("pk").first().pk},
        "upload-jobs": {"id": UploadJob.objects.filter(unit=town).first().pk},
        "submissions": {"id": Submission.objects.filter(unit=town, file__gt="").first().pk},
        "bulletins": {"id": Bulletin.objects.get().pk},
    }


def url_of(operation: str, values) -> str:
    path = operation.split(" ", 1)[1]
    named = values.get(path.strip("/").split("/")[0], {})
    return "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: str(named[m[1]]), path)


def bearer(user) -> APIClient:
    api = APIClient()
    _, key = create_api_token(actor=user, user=user, name="测试")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def call(api: APIClient, operation: str, url: str):
    method = operation.split(" ", 1)[0].lower()
    if method in ("get", "delete"):
        return getattr(api, method)(url)
    return getattr(api, method)(url, {}, format="json")


def test_every_operation_is_classified(demo, client):
    users, _ = demo
    client.force_login(users["district"])
    assert sorted(set(schema_operations(client)) - set(OPERATIONS)) == []
    assert sorted(set(OPERATIONS) - set(schema_operations(client))) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_is_allowed_or_refused_each_operation(demo, client, persona):
    users, town = demo
    user = users[persona]
    client.force_login(user)
    operations = sorted(schema_operations(client), key=lambda op: op.startswith("DELETE"))
    values, api = path_values(town, user), bearer(user)
    got, want = {}, {}
    for operation in operations:
        response = call(api, operation, url_of(operation, values))
        refusal = expected(operation, persona)
        got[operation] = response.status_code if response.status_code in REFUSALS else None
        want[operation] = refusal
        if refusal is not None:  # a refusal says why, in the one error shape
            assert response.json()["message"], operation
    assert got == want


def test_without_a_token_every_operation_is_401(demo, client):
    users, town = demo
    client.force_login(users["district"])
    values = path_values(town, users["district"])
    anonymous = APIClient()
    statuses = {
        op: call(anonymous, op, url_of(op, values)).status_code for op in schema_operations(client)
    }
    assert set(statuses.values()) == {401}, statuses
