"""The ladder records over /api/v1/, as an integrator's script meets them: the same scope,
validation and change log as the enterprise page's forms."""

import json
from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from core.models import ChangeLog
from cultivation import services
from cultivation.choices import ApplicationKind, ApplicationStatus, PoolExit, PoolLevel
from cultivation.models import Application, Certificate, Honour, PoolMembership, TechSMEEvaluation
from enterprises.models import Enterprise

HUTANG = ("湖塘镇", "常州湖塘精密机械有限公司")
HUTANG_2 = ("湖塘镇", "常州湖塘新材料有限公司")
NIUTANG = ("牛塘镇", "常州牛塘电子有限公司")


@pytest.fixture
def ladder(registry, settings):
    settings.PORTAL_TODAY = date(2019, 7, 15)
    return registry


def application(enterprise, **extra):
    values = {"year": 2019, "kind": ApplicationKind.FIRST} | extra
    return services.add_application(actor=None, enterprise=enterprise, **values)


def pool(enterprise, **extra):
    values = {"level": PoolLevel.DISTRICT, "year": 2018, "start": date(2018, 3, 1)} | extra
    return services.add_pool_membership(actor=None, enterprise=enterprise, **values)


def logs(enterprise):
    """The enterprise's history, oldest first: (action, actor, note, before, after)."""
    entries = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Enterprise), object_id=str(enterprise.pk)
    )
    return list(entries.order_by("pk").values_list("action", "actor", "note", "before", "after"))


# --- reading -----------------------------------------------------------------------------


def test_a_town_lists_only_its_own_records_and_another_towns_is_404(
    api_for, hutang, district, ladder
):
    own = application(ladder[HUTANG])
    other = application(ladder[NIUTANG])
    api = api_for(hutang)
    listed = api.get("/api/v1/applications/").json()
    assert (listed["count"], [a["id"] for a in listed["results"]]) == (1, [own.pk])
    assert listed["results"][0]["enterprise_name"] == "常州湖塘精密机械有限公司"
    assert listed["results"][0]["next_statuses"] == ["submitted", "withdrawn"]
    missing = api.get(f"/api/v1/applications/{other.pk}/")
    assert missing.status_code == 404
    assert missing.json() == {"message": "未找到该记录，或不在您的权限范围内。", "errors": {}}
    assert api.get(f"/api/v1/applications/{own.pk}/")["ETag"]
    assert api_for(district).get("/api/v1/applications/").json()["count"] == 2


def test_every_kind_is_listed_in_scope(api_for, hutang, niutang, ladder):
    for key in (HUTANG, NIUTANG):
        enterprise = ladder[key]
        services.record_evaluation(actor=None, enterprise=enterprise, year=2019)
        pool(enterprise)
        services.record_certificate(
            actor=None,
            enterprise=enterprise,
            number=f"GR{enterprise.pk:08d}",
            issued_on=date(2017, 11, 30),
            historical=True,
        )
        services.add_honour(
            actor=None, enterprise=enterprise, type="gazelle", level="city", year=2019
        )
    for resource in ("evaluations", "pool-memberships", "certificates", "honours"):
        results = api_for(niutang).get(f"/api/v1/{resource}/").json()["results"]
        assert [r["enterprise_name"] for r in results] == ["常州牛塘电子有限公司"], resource


def test_anonymous_is_401(api_for, ladder):
    api = api_for(None)
    assert api.get("/api/v1/evaluations/").status_code == 401
    response = api.post("/api/v1/honours/", {}, format="json")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "errors"}


def test_filters_are_the_pages_and_refuse_what_they_cannot_read(api_for, district, units, ladder):
    application(ladder[HUTANG], status=ApplicationStatus.SUBMITTED, submitted_on=date(2019, 5, 1))
    application(ladder[HUTANG], year=2018)
    application(ladder[NIUTANG])
    api = api_for(district)

    def ids(**query):
        response = api.get("/api/v1/applications/", query)
        assert response.status_code == 200, response.json()
        return sorted(a["enterprise_name"] + str(a["year"]) for a in response.json()["results"])

    assert ids(year=2019, status="submitted") == ["常州湖塘精密机械有限公司2019"]
    assert ids(unit=units["牛塘镇"].pk) == ["常州牛塘电子有限公司2019"]
    assert ids(enterprise=ladder[HUTANG].pk, year=2018) == ["常州湖塘精密机械有限公司2018"]
    for name, value in [("year", "2019.5"), ("status", "done"), ("kind", "x"), ("unit", "abc")]:
        response = api.get("/api/v1/applications/", {name: value})
        assert response.status_code == 400, (name, value)
        assert list(response.json()["errors"]) == [name]


def test_another_towns_enterprise_in_a_filter_is_refused_like_a_missing_one(
    api_for, hutang, ladder
):
    api = api_for(hutang)
    other = api.get("/api/v1/evaluations/", {"enterprise": ladder[NIUTANG].pk})
    missing = api.get("/api/v1/evaluations/", {"enterprise": 999999})
    assert other.status_code == missing.status_code == 400
    assert other.json()["errors"].keys() == {"enterprise"}


def test_certificates_filter_by_the_year_they_expire(api_for, district, ladder):
    for key, issued in [(HUTANG, date(2016, 11, 30)), (NIUTANG, date(2017, 11, 30))]:
        services.record_certificate(
            actor=None,
            enterprise=ladder[key],
            number=f"GR{issued:%Y}{ladder[key].pk:04d}",
            issued_on=issued,
            historical=True,
        )
    api = api_for(district)
    expiring = api.get("/api/v1/certificates/", {"expires_year": 2019}).json()["results"]
    assert [c["enterprise_name"] for c in expiring] == ["常州湖塘精密机械有限公司"]
    assert expiring[0]["expires_on"] == "2019-11-30"
    assert api.get("/api/v1/certificates/", {"expires_year": 0}).status_code == 400


# --- adding records ------------------------------------------------------------------------

# kind on the page → (API resource, form/API values, the model)
KINDS = {
    "evaluation": (
        "evaluations",
        {"year": 2019, "reg_number": "2019320412A0001", "evaluated_on": "2019-04-01"},
        TechSMEEvaluation,
    ),
    "pool": (
        "pool-memberships",
        {"level": "city", "year": 2019, "batch": "1", "start": "2019-03-01"},
        PoolMembership,
    ),
    "application": (
        "applications",
        {"year": 2019, "kind": "first", "status": "submitted", "submitted_on": "2019-06-01"},
        Application,
    ),
    "certificate": (
        "certificates",
        {"number": "gr20173200{tag}", "issued_on": "2017-11-30", "historical": True},
        Certificate,
    ),
    "honour": (
        "honours",
        {"type": "specialised", "level": "province", "year": 2019, "expires_year": 2021},
        Honour,
    ),
}


@pytest.mark.parametrize("kind", KINDS)
def test_adding_a_record_writes_what_the_page_writes(api_for, client_for, hutang, ladder, kind):
    resource, values, model = KINDS[kind]
    by_page, by_api = ladder[HUTANG], ladder[HUTANG_2]

    def body(tag):  # certificate numbers are unique: each enterprise gets its own
        return {k: v.format(tag=tag) if isinstance(v, str) else v for k, v in values.items()}

    page = client_for(hutang).post(
        reverse("cultivation:record_add", args=[by_page.pk, kind]), body("1")
    )
    assert page.status_code == 302
    api = api_for(hutang)
    history = len(logs(by_api))
    response = api.post(
        f"/api/v1/{resource}/", {"enterprise": by_api.pk, **body("2")}, format="json"
    )
    assert response.status_code == 201, response.json()
    created = model.objects.get(enterprise=by_api)
    assert response.json()["id"] == created.pk
    assert response["ETag"] == api.get(f"/api/v1/{resource}/{created.pk}/")["ETag"]
    # One entry more in the enterprise's history, by the token's user: the page's entry.
    entries = logs(by_api)
    assert len(entries) == history + 1
    assert entries[-1][:2] == ("create", hutang.pk)

    def text(entry, tag):
        return json.dumps(entry, ensure_ascii=False).replace(f"GR20173200{tag}", "…")

    assert text(entries[-1], "2") == text(logs(by_page)[-1], "1")


def test_another_towns_enterprise_does_not_exist_and_nothing_is_written(api_for, hutang, ladder):
    api = api_for(hutang)
    before = ChangeLog.objects.count()
    response = api.post(
        "/api/v1/honours/",
        {"enterprise": ladder[NIUTANG].pk, "type": "gazelle", "level": "city", "year": 2019},
        format="json",
    )
    assert response.status_code == 400
    assert "不存在" in response.json()["errors"]["enterprise"][0]
    assert not Honour.objects.exists() and ChangeLog.objects.count() == before


def test_a_leader_may_read_but_adding_is_403_and_writes_nothing(api_for, leader, ladder):
    own = application(ladder[HUTANG])
    api = api_for(leader)
    assert api.get(f"/api/v1/applications/{own.pk}/").status_code == 200
    before = ChangeLog.objects.count()
    response = api.post(
        "/api/v1/evaluations/", {"enterprise": ladder[HUTANG].pk, "year": 2019}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["message"] == "您的账号为只读权限，不能新增或修改记录。"
    advanced = api.post(
        f"/api/v1/applications/{own.pk}/advance/",
        {"status": "submitted", "on": "2019-06-01"},
        format="json",
    )
    assert advanced.status_code == 403
    assert advanced.json()["message"] == "您的账号为只读权限，不能修改梯次培育记录。"
    assert not TechSMEEvaluation.objects.exists() and ChangeLog.objects.count() == before
    own.refresh_from_db()
    assert own.status == ApplicationStatus.PLANNED


@pytest.mark.parametrize(
    ("resource", "values", "field", "text"),
    [
        ("evaluations", {"year": 2019, "evaluated_on": "2018-12-31"}, "evaluated_on", "2019年内"),
        ("applications", {"year": 2019, "kind": "renewal"}, "kind", "没有高企证书记录"),
        (
            "applications",
            {"year": 2019, "kind": "first", "status": "passed"},
            "submitted_on",
            "申报日期",
        ),
        ("certificates", {"number": "GR1", "issued_on": "2019-11-30"}, "issued_on", "历史补录"),
        (
            "honours",
            {"type": "gazelle", "level": "city", "year": 2019, "expires_year": 2018},
            "expires_year",
            "不能早于",
        ),
        (
            "pool-memberships",
            {"level": "city", "year": 2019, "start": "2019-03-01", "end": "2019-06-01"},
            "exit_reason",
            "出库原因",
        ),
    ],
)
def test_what_the_service_refuses_is_a_400_naming_the_field(
    api_for, hutang, ladder, resource, values, field, text
):
    api = api_for(hutang)
    before = ChangeLog.objects.count()
    response = api.post(
        f"/api/v1/{resource}/", {"enterprise": ladder[HUTANG].pk, **values}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"])[0] == field
    assert text in body["errors"][field][0] and text in body["message"]
    assert ChangeLog.objects.count() == before


def test_a_second_evaluation_for_the_year_is_the_services_400(api_for, hutang, ladder):
    services.record_evaluation(actor=None, enterprise=ladder[HUTANG], year=2019)
    response = api_for(hutang).post(
        "/api/v1/evaluations/", {"enterprise": ladder[HUTANG].pk, "year": 2019}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"year": ["该企业2019年已有科技型中小企业评价记录。"]}


def test_a_certificate_passes_its_application_and_ends_the_pool_as_on_the_page(
    api_for, hutang, ladder
):
    enterprise = ladder[HUTANG]
    applied = application(
        enterprise, status=ApplicationStatus.SUBMITTED, submitted_on=date(2019, 6, 1)
    )
    membership = pool(enterprise)
    response = api_for(hutang).post(
        "/api/v1/certificates/",
        {"enterprise": enterprise.pk, "number": "gr201932000001", "issued_on": "2019-11-30"},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["number"], response.json()["application"]) == (
        "GR201932000001",
        applied.pk,
    )
    assert response.json()["expires_on"] == "2022-11-30"
    applied.refresh_from_db()
    membership.refresh_from_db()
    assert applied.status == ApplicationStatus.PASSED
    assert (membership.end, membership.exit_reason) == (date(2019, 11, 30), PoolExit.CERTIFIED)


def test_a_date_too_late_to_expire_is_a_400_not_a_crash(api_for, hutang, ladder):
    response = api_for(hutang).post(
        "/api/v1/certificates/",
        {
            "enterprise": ladder[HUTANG].pk,
            "number": "GR9",
            "issued_on": "9999-01-01",
            "historical": True,
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["issued_on"]


def test_records_are_not_edited_or_deleted(api_for, hutang, ladder):
    own = application(ladder[HUTANG])
    api = api_for(hutang)
    url = f"/api/v1/applications/{own.pk}/"
    assert api.patch(url, {"year": 2020}, format="json").status_code == 405
    assert api.put(url, {"year": 2020}, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    assert Application.objects.get().year == 2019


# --- the steps on a record ------------------------------------------------------------------


def test_advancing_an_application_is_logged_and_answers_the_new_version(api_for, hutang, ladder):
    own = application(ladder[HUTANG], planned_on=date(2019, 3, 1))
    api = api_for(hutang)
    etag = api.get(f"/api/v1/applications/{own.pk}/")["ETag"]
    response = api.post(
        f"/api/v1/applications/{own.pk}/advance/",
        {"status": "submitted", "on": "2019-06-01"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["submitted_on"]) == ("submitted", "2019-06-01")
    assert body["next_statuses"] == ["passed", "failed", "withdrawn"]
    assert response["ETag"] == api.get(f"/api/v1/applications/{own.pk}/")["ETag"] != etag
    action, actor, _note, before, after = logs(ladder[HUTANG])[-1]
    assert (action, actor) == ("update", hutang.pk)
    assert (before["状态"], after["状态"], after["申报日期"]) == ("拟申报", "已申报", "2019-06-01")


def test_a_step_the_status_does_not_allow_is_a_400_naming_status(api_for, hutang, ladder):
    own = application(ladder[HUTANG])
    response = api_for(hutang).post(
        f"/api/v1/applications/{own.pk}/advance/",
        {"status": "passed", "on": "2019-06-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"status": ["“拟申报”的申报不能改为“通过”。"]}
    own.refresh_from_db()
    assert own.status == ApplicationStatus.PLANNED


def test_a_stale_if_match_is_412_and_changes_nothing(api_for, hutang, ladder):
    own = application(ladder[HUTANG])
    api = api_for(hutang)
    stale = api.get(f"/api/v1/applications/{own.pk}/")["ETag"]
    services.advance_application(
        actor=None, application=own, status="submitted", on=date(2019, 6, 1)
    )
    before = ChangeLog.objects.count()
    response = api.post(
        f"/api/v1/applications/{own.pk}/advance/",
        {"status": "withdrawn", "on": "2019-06-02"},
        format="json",
        HTTP_IF_MATCH=stale,
    )
    assert response.status_code == 412
    assert "已被他人修改" in response.json()["message"]
    own.refresh_from_db()
    assert own.status == ApplicationStatus.SUBMITTED and ChangeLog.objects.count() == before


def test_ending_a_pool_membership(api_for, hutang, niutang, ladder):
    membership = pool(ladder[HUTANG])
    url = f"/api/v1/pool-memberships/{membership.pk}/end/"
    body = {"end": "2019-06-30", "exit_reason": "withdrawn"}
    assert api_for(niutang).post(url, body, format="json").status_code == 404
    api = api_for(hutang)
    response = api.post(url, body, format="json")
    assert response.status_code == 200
    assert (response.json()["end"], response.json()["is_open"]) == ("2019-06-30", False)
    assert logs(ladder[HUTANG])[-1][0] == "update"
    again = api.post(url, {"end": "2019-07-01", "exit_reason": "other"}, format="json")
    assert again.status_code == 400
    assert again.json()["errors"] == {"end": ["该记录已于 2019-06-30 出库。"]}
    membership.refresh_from_db()
    assert (membership.end, membership.exit_reason) == (date(2019, 6, 30), "withdrawn")


def test_ending_before_the_start_is_the_services_400(api_for, hutang, ladder):
    membership = pool(ladder[HUTANG])
    response = api_for(hutang).post(
        f"/api/v1/pool-memberships/{membership.pk}/end/",
        {"end": "2017-01-01", "exit_reason": "other"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["end"]
    membership.refresh_from_db()
    assert membership.end is None


# --- ladder counts -----------------------------------------------------------------------------


def test_ladder_counts_answer_per_child_unit(api_for, district, units, ladder):
    filed = {"status": ApplicationStatus.SUBMITTED, "submitted_on": date(2019, 6, 1)}
    application(ladder[HUTANG], **filed)
    application(ladder[NIUTANG], **filed)
    application(ladder[HUTANG_2])  # 拟申报: not filed, not counted
    data = (
        api_for(district)
        .get("/api/v1/ladder-counts/", {"metric": "applications", "year": 2019})
        .json()
    )
    assert (data["metric"], data["label"], data["year"], data["as_of"]) == (
        "applications",
        "高企申报数",
        2019,
        "2019-07-15",
    )
    assert data["unit"] == {"id": units["武进区"].pk, "name": "武进区", "count": 2}
    assert {c["name"]: c["count"] for c in data["children"]}["湖塘镇"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"metric": "nonsense"}, "metric"),
        ({"metric": ""}, "metric"),
        ({"year": ""}, "year"),
        ({"year": "abc"}, "year"),
        ({"year": 1999}, "year"),
        ({"unit": "abc"}, "unit"),
        ({"unit": 0}, "unit"),
    ],
)
def test_ladder_counts_refuse_a_bad_parameter_naming_it(api_for, hutang, ladder, query, field):
    response = api_for(hutang).get("/api/v1/ladder-counts/", query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_ladder_counts_for_a_unit_outside_ones_scope_are_404(api_for, hutang, units, ladder):
    response = api_for(hutang).get("/api/v1/ladder-counts/", {"unit": units["牛塘镇"].pk})
    assert response.status_code == 404
