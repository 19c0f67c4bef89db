"""Every route × every persona, read off the URL resolver (tests/routes.py), on the demo.

Each route is classified once below (what it shows, whose object its URL names); a route
nobody classified fails the first test, so tomorrow's page is covered the day it is added.
Then, for the five personas and anonymous: the status each may expect (200 / 403 / 404 /
405 / the login page), and a leak scan — distinctive names seeded in one town are searched
for in every page, JSON answer and exported file (xlsx unzipped) the other town can open.
"""

import datetime
import io
import json
import zipfile
from dataclasses import dataclass

import pytest

from bulletins.models import Bulletin
from bulletins.services import issue_bulletin
from core.models import User
from core.notifications import notify
from core.services import create_api_token
from cultivation.models import Application, Certificate, Honour, PoolMembership, TechSMEEvaluation
from enterprises.models import Enterprise
from enterprises.services import create_enterprise
from reports.models import ReportingPeriod, Submission, UploadJob
from targets.models import Metric, TargetPlan
from tests.routes import Route, portal_routes

pytestmark = pytest.mark.django_db

# What a route is. READ: shows what is in scope. FORM: a page that changes something (its GET
# shows the form): leaders, read-only, are refused. POST: changes something, POST only.
# DISTRICT_FORM: the district's staff change the district's own object (a plan), towns and
# leaders are refused. DISTRICT_READ: the district's documents (通报): towns see none.
# REPORTER: what a reporting town downloads (its template). SELF: one's own account.
# PUBLIC: no login needed. OWN: an object of one user (the URLs name 湖塘镇's user's).
READ, FORM, POST, SELF, PUBLIC = "read", "form", "post", "self", "public"
OWN = "own"  # one's own object (a notification, a token): 湖塘镇's user's, so only hutang's
DISTRICT_FORM, DISTRICT_READ, REPORTER = "district-form", "district-read", "reporter"


@dataclass(frozen=True)
class Kind:
    access: str
    names: str | None = (
        None  # whose object the URL names: a town's ("enterprise"…) or the district's
    )


ROUTES: dict[str, Kind] = {
    "home": Kind(READ),
    "login": Kind(PUBLIC),
    "logout": Kind(POST),
    "password_change": Kind(SELF),
    "healthz": Kind(PUBLIC),
    "inbox": Kind(READ),
    "history": Kind(READ, "history"),
    "audit": Kind(
        DISTRICT_FORM
    ),  # 导出与下载记录: district staff and the admin; towns, leaders 403
    "enterprises:index": Kind(READ),
    "enterprises:export": Kind(READ),
    "enterprises:create": Kind(FORM),
    "enterprises:duplicates": Kind(READ),
    "enterprises:detail": Kind(READ, "enterprise"),
    "enterprises:edit": Kind(FORM, "enterprise"),
    "enterprises:move": Kind(FORM, "enterprise"),
    "enterprises:set_active": Kind(POST, "enterprise"),
    "enterprises:year_create": Kind(FORM, "enterprise"),
    "enterprises:year_edit": Kind(FORM, "year"),
    "cultivation:index": Kind(READ),
    "cultivation:funnel": Kind(READ),
    "cultivation:behind": Kind(READ),
    "cultivation:expiring": Kind(READ),
    "cultivation:expiring_export": Kind(READ),
    "cultivation:stalled": Kind(READ),
    "cultivation:diagnosis": Kind(READ),
    "cultivation:diagnosis_export": Kind(READ),
    "cultivation:annual_reports": Kind(READ),
    "cultivation:annual_report_import": Kind(FORM),
    "cultivation:diagnosis_detail": Kind(READ, "enterprise"),
    "cultivation:import": Kind(FORM),
    "cultivation:import_template": Kind(READ),
    "cultivation:record_add": Kind(FORM, "record"),
    "cultivation:application_advance": Kind(FORM, "application"),
    "cultivation:pool_end": Kind(FORM, "pool"),
    "targets:index": Kind(READ),
    "targets:create": Kind(FORM),  # a town may plan for its parks
    "targets:detail": Kind(READ, "plan"),
    "targets:edit": Kind(DISTRICT_FORM, "plan"),
    "targets:values": Kind(DISTRICT_FORM, "plan"),
    "targets:export": Kind(READ, "plan"),
    "targets:import": Kind(DISTRICT_FORM, "plan"),
    "targets:drill_down": Kind(READ, "plan"),
    "targets:completion_export": Kind(READ, "plan"),
    "reports:index": Kind(READ),
    "reports:period_create": Kind(DISTRICT_FORM),
    "reports:period": Kind(READ, "period"),
    "reports:template": Kind(REPORTER, "period"),
    "reports:upload": Kind(POST, "period"),
    "reports:reopen": Kind(POST, "period"),
    "reports:remind": Kind(POST, "period"),
    "reports:job": Kind(READ, "job"),
    "reports:job_status": Kind(READ, "job"),
    "reports:job_confirm": Kind(POST, "job"),
    "reports:job_retry": Kind(POST, "job"),
    "reports:submission": Kind(READ, "submission"),
    "reports:submission_file": Kind(READ, "submission"),
    "dashboard:page": Kind(READ),
    **{f"dashboard:{e}": Kind(READ) for e in ("summary", "ranking", "trend", "funnel")},
    **{f"dashboard:{e}": Kind(READ) for e in ("expiring", "missing", "closest")},
    "bulletins:list": Kind(READ),
    "bulletins:create": Kind(POST),
    "bulletins:print": Kind(DISTRICT_READ, "bulletin"),
    "bulletins:xlsx": Kind(DISTRICT_READ, "bulletin"),
    "api_tokens": Kind(SELF),
    "api_token_revoke": Kind(POST, "token"),
    # The API (GET only here: its writes are walked per persona in test_api_personas.py).
    "api-root": Kind(READ),
    "api-schema": Kind(READ),
    "api-docs": Kind(READ),
    "api-redoc": Kind(READ),
    "api-me": Kind(SELF),
    "api-history": Kind(READ, "history"),
    "ladder-counts": Kind(READ),
    **{f"dashboard-{e}": Kind(READ) for e in ("summary", "ranking", "trend", "funnel")},
    **{f"dashboard-{e}": Kind(READ) for e in ("expiring", "missing", "closest")},
    **{f"{r}-list": Kind(READ) for r in ("unit", "notification", "api-token", "enterprise")},
    **{f"{r}-list": Kind(READ) for r in ("evaluation", "pool-membership", "application")},
    **{f"{r}-list": Kind(READ) for r in ("certificate", "honour", "target-plan", "metric")},
    **{f"{r}-list": Kind(READ) for r in ("reporting-period", "upload-job", "submission")},
    "bulletin-list": Kind(READ),
    "unit-detail": Kind(READ, "unit"),
    "notification-detail": Kind(OWN, "notification"),
    "api-token-detail": Kind(OWN, "token"),
    "enterprise-detail": Kind(READ, "enterprise"),
    "enterprise-year-list": Kind(READ, "api-year"),
    "enterprise-year-detail": Kind(READ, "api-year"),
    "evaluation-detail": Kind(READ, "evaluation"),
    "pool-membership-detail": Kind(READ, "pool"),
    "application-detail": Kind(READ, "application"),
    "certificate-detail": Kind(READ, "certificate"),
    "honour-detail": Kind(READ, "honour"),
    "target-plan-detail": Kind(READ, "target-plan"),
    "target-plan-completion": Kind(READ, "target-plan"),
    "target-plan-values": Kind(READ, "target-plan"),
    "metric-detail": Kind(READ, "metric"),
    "reporting-period-detail": Kind(READ, "period"),
    "reporting-period-reporting-rate": Kind(READ, "period"),
    "upload-job-detail": Kind(READ, "job"),
    "upload-job-preview": Kind(READ, "job"),
    "upload-job-problems": Kind(READ, "job"),
    "submission-detail": Kind(READ, "submission"),
    "submission-file": Kind(READ, "submission"),
    "bulletin-detail": Kind(DISTRICT_READ, "bulletin"),
    "bulletin-xlsx": Kind(DISTRICT_READ, "bulletin"),
    "notification-read-all": Kind(POST),
    "notification-read": Kind(POST, "notification"),
    "enterprise-move": Kind(POST, "enterprise"),
    "enterprise-set-active": Kind(POST, "enterprise"),
    "pool-membership-end": Kind(POST, "pool"),
    "application-advance": Kind(POST, "application"),
    "reporting-period-reopen": Kind(POST, "period"),
    "upload-job-confirm": Kind(POST, "job"),
    "upload-job-retry": Kind(POST, "job"),
    "submission-review": Kind(POST, "submission"),
}

TOWN_OBJECTS = {"enterprise", "year", "record", "history", "application", "pool", "job"}
TOWN_OBJECTS |= {"submission", "certificate", "unit", "api-year", "evaluation", "honour"}
QUERY = {
    "cultivation:behind": "?metric=applications",
    "targets:drill_down": "?metric=baseline_valid_hte",
}
PERSONAS = ["district", "hutang", "niutang", "leader", "admin", "anonymous"]


def expected(route: Route, persona: str) -> int:
    """The status `persona` gets opening `route` on 湖塘镇's objects (or the district's)."""
    kind = ROUTES[route.name]
    if persona == "anonymous":
        if route.name in ("api-docs", "api-redoc"):
            return 302  # pages for people: to the login page
        if route.pattern.startswith("api/"):
            return 401  # the API asks for credentials before anything else
        if kind.access == POST:
            return 405
        if kind.access == PUBLIC:
            return 200
        return 302
    outside = persona == "niutang" and kind.names in TOWN_OBJECTS
    town = persona in ("hutang", "niutang")
    return {
        PUBLIC: 302 if route.name == "login" else 200,  # signed in: the login page moves on
        POST: 405,
        SELF: 200,
        OWN: 200 if persona == "hutang" else 404,
        READ: 404 if outside else 200,
        FORM: 403 if persona == "leader" else 404 if outside else 200,
        DISTRICT_FORM: 200 if persona in ("district", "admin") else 403,
        DISTRICT_READ: 404 if town else 200,
        REPORTER: 200 if town else 404,
    }[kind.access]


TOWN_PROBE = {"湖塘镇": "湖塘探针精密机械有限公司", "牛塘镇": '=HYPERLINK("http://x","牛塘探针")'}


@pytest.fixture
def demo(demo_data, db, settings, tmp_path_factory):
    from core.models import OrgUnit

    settings.PORTAL_TODAY = datetime.date(2019, 7, 15)
    # The demo's stored files (submissions) live where the module's demo put them.
    media = sorted(
        tmp_path_factory.getbasetemp().glob("demo-media*"), key=lambda p: p.stat().st_mtime
    )
    settings.MEDIA_ROOT = str(media[-1])
    users = {u.username: u for u in User.objects.all()}
    towns = {name: OrgUnit.objects.get(name=name) for name in TOWN_PROBE}
    checks = iter(["91320412MA1PRB8X7P", "91320412MA1PRB8X8P"])
    probes = {
        name: create_enterprise(
            actor=users["district"], name=probe, town=towns[name], uscc=next(checks)
        )
        for name, probe in TOWN_PROBE.items()
    }
    issue_bulletin(actor=users["district"], plan=TargetPlan.objects.order_by("pk").first())
    for name in ("hutang", "niutang"):  # each town user's own notice and token
        notify([users[name]], title=f"{name} 的通知")
        create_api_token(actor=users[name], user=users[name], name="对接")
    return users, towns, probes


def objects_of(town, probe) -> dict[str, dict[str, object]]:
    """URL parameters naming one object of each kind: the town's own, or the district's."""
    with_years = Enterprise.objects.filter(town=town, years__isnull=False).first()
    job = UploadJob.objects.filter(unit=town).order_by("created_at").first()
    plan = TargetPlan.objects.order_by("pk").first()
    user = User.objects.get(username={"湖塘镇": "hutang", "牛塘镇": "niutang"}[town.name])
    return {
        "unit": {"pk": town.pk},
        # The user's own (the matrix's fixture makes them; other callers may have none).
        "notification": {"pk": user.notifications.values_list("pk", flat=True).first()},
        "token": {"pk": user.api_tokens.values_list("pk", flat=True).first()},
        "api-year": {"enterprise": with_years.pk, "year": with_years.years.first().year},
        "evaluation": {"pk": TechSMEEvaluation.objects.filter(enterprise__town=town).first().pk},
        "honour": {"pk": Honour.objects.filter(enterprise__town=town).first().pk},
        "metric": {"pk": Metric.objects.order_by("pk").first().pk},
        "enterprise": {"pk": probe.pk},
        "target-plan": {"pk": plan.pk},
        "year": {"pk": with_years.pk, "year": with_years.years.first().year},
        "record": {"pk": probe.pk, "kind": "evaluation"},
        "history": {"app_label": "enterprises", "model_name": "enterprise", "pk": probe.pk},
        "application": {"pk": Application.objects.filter(enterprise__town=town).first().pk},
        "pool": {"pk": PoolMembership.objects.filter(enterprise__town=town).first().pk},
        "certificate": {"pk": Certificate.objects.filter(enterprise__town=town).first().pk},
        "job": {"pk": job.pk},
        "submission": {"pk": Submission.objects.filter(unit=town, file__gt="").first().pk},
        "plan": {"pk": plan.pk},
        "period": {"pk": ReportingPeriod.objects.order_by("pk").first().pk},
        "bulletin": {"pk": Bulletin.objects.get().pk},
    }


def url_for(route: Route, objects) -> str:
    values = dict(objects.get(ROUTES[route.name].names or "", {}))
    return route.path(**values) + QUERY.get(route.name, "")


def as_user(client, users, persona):
    client.logout()
    if persona != "anonymous":
        client.force_login(users[persona])
    return client


def test_every_route_is_classified():
    assert sorted({r.name for r in portal_routes()} - set(ROUTES)) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_each_route_allows_it(demo, client, persona):
    users, towns, probes = demo
    objects = objects_of(towns["湖塘镇"], probes["湖塘镇"])
    client = as_user(client, users, persona)
    got, want = {}, {}
    for route in portal_routes():
        url = url_for(route, objects)
        got[url] = client.get(url).status_code
        want[url] = expected(route, persona)
    assert got == want


def readable_text(response) -> str:
    """What a user can read in a response: the page or JSON, or every sheet of an .xlsx."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(json.loads(body), ensure_ascii=False)  # "\\u6e56…" read as 湖…
    return body.decode("utf-8", errors="replace")


@pytest.mark.parametrize(("reader", "other"), [("hutang", "牛塘镇"), ("niutang", "湖塘镇")])
def test_a_town_never_reads_another_towns_names_anywhere(demo, client, reader, other):
    """Every page, JSON answer and exported file a town can open — on its own objects and on
    the other town's — is searched for the other town's distinctive enterprise."""
    users, towns, probes = demo
    own = "湖塘镇" if other == "牛塘镇" else "牛塘镇"
    client = as_user(client, users, reader)
    leaks, seen = [], []
    for objects in (objects_of(towns[own], probes[own]), objects_of(towns[other], probes[other])):
        for route in portal_routes():
            url = url_for(route, objects)
            for extra in ("", "&format=csv" if "?" in url else "?format=csv"):
                response = client.get(url + extra)
                text = readable_text(response) if response.status_code == 200 else ""
                if probe_name(other) in text:
                    leaks.append(url + extra)
                if probe_name(own) in text:
                    seen.append(url + extra)
    assert leaks == []
    # The scan reads what a user reads: its own enterprise is found in both export formats,
    # its page and the API.
    assert {"/enterprises/export/", "/enterprises/export/?format=csv"} <= set(seen)
    assert f"/enterprises/{probes[own].pk}/" in seen
    assert "/api/v1/enterprises/" in seen


def probe_name(town: str) -> str:
    """The readable part of the town's probe name (inside the formula, for 牛塘镇's)."""
    name = TOWN_PROBE[town]
    return name.split('"')[-2] if '"' in name else name
