"""Every edit form, saved as served: GET the page, POST back what a browser sends from it, and
nothing changes — no value (a date the browser could not read comes back empty), no change-log
entry — for every persona who may edit it."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.changelog import snapshot
from core.models import ChangeLog, OrgUnit, User
from enterprises import services as registry_services
from enterprises.models import Enterprise, EnterpriseYear
from targets import services as target_services
from targets.models import Metric, TargetPlan
from tests.browser_forms import post_data


@pytest.fixture
def objects(registry, units):
    enterprise = registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    registry_services.update_enterprise(
        actor=None,
        enterprise=enterprise,
        registered_on=datetime.date(2002, 1, 16),
        notes="第一行\n第二行",
        address="湖塘镇某路 1 号",
    )
    metrics = list(Metric.objects.filter(code__in=["first_applications", "new_hte"]))
    plan = target_services.create_plan(
        actor=None,
        unit=units["武进区"],
        year=2019,
        doc_number="武科发〔2019〕14号",
        issued_on=datetime.date(2019, 3, 1),
        columns=[(metrics[0], "2019年争取上报任务数")],
        own_goals=[metrics[1]],
    )
    target_services.set_values(
        actor=None,
        plan=plan,
        cells={
            (metrics[0].pk, units["湖塘镇"].pk): Decimal("25"),
            (metrics[0].pk, units["武进区"].pk): Decimal("350"),
            (metrics[1].pk, units["武进区"].pk): Decimal("232.5"),
        },
    )
    return {"enterprise": enterprise, "plan": plan, "unit": units["嘉泽镇"]}


def state(objects) -> dict:
    """Everything the edit forms below could change, and the change log."""
    enterprise, plan = objects["enterprise"], objects["plan"]
    return {
        "enterprise": snapshot(Enterprise.objects.get(pk=enterprise.pk)),
        "years": [snapshot(y) for y in EnterpriseYear.objects.filter(enterprise=enterprise)],
        "plan": snapshot(TargetPlan.objects.get(pk=plan.pk)),
        "columns": list(plan.plan_metrics.values_list("metric_id", "group", "breakdown", "order")),
        "values": sorted(plan.values.values_list("metric_id", "unit_id", "value")),
        "unit": snapshot(OrgUnit.objects.get(pk=objects["unit"].pk)),
        "metric": snapshot(Metric.objects.get(code="first_applications")),
        "log": ChangeLog.objects.count(),
    }


def _year(objects):
    return EnterpriseYear.objects.get(enterprise=objects["enterprise"], year=2018)


FORMS = {
    "enterprise": (lambda o: reverse("enterprises:edit", args=[o["enterprise"].pk]), ["district", "hutang", "admin"]),
    "enterprise year": (lambda o: reverse("enterprises:year_edit", args=[o["enterprise"].pk, 2018]), ["district", "hutang", "admin"]),
    "target plan": (lambda o: reverse("targets:edit", args=[o["plan"].pk]), ["district", "admin"]),
    "target values": (lambda o: reverse("targets:values", args=[o["plan"].pk]), ["district", "admin"]),
    "admin: org unit": (lambda o: reverse("admin:core_orgunit_change", args=[o["unit"].pk]), ["admin"]),
    "admin: enterprise": (lambda o: reverse("admin:enterprises_enterprise_change", args=[o["enterprise"].pk]), ["admin"]),
    "admin: enterprise year": (lambda o: reverse("admin:enterprises_enterpriseyear_change", args=[_year(o).pk]), ["admin"]),
    "admin: metric": (lambda o: reverse("admin:targets_metric_change", args=[Metric.objects.get(code="first_applications").pk]), ["admin"]),
}  # fmt: skip
CASES = [(form, persona) for form, (_, personas) in FORMS.items() for persona in personas]


@pytest.mark.parametrize(("form", "persona"), CASES)
def test_saving_an_edit_form_unchanged_changes_nothing(
    client_for, personas, objects, form, persona
):
    url = FORMS[form][0](objects)
    client = client_for(personas[persona])
    page = client.get(url)
    assert page.status_code == 200
    before = state(objects)
    response = client.post(url, post_data(page.content.decode()))
    assert response.status_code == 302, response.content.decode()[:2000]  # saved, no errors
    assert state(objects) == before


def test_every_persona_who_may_edit_is_covered(personas):
    writers = {u.username for u in User.objects.all() if u.unit_id and u.role != "leader"}
    covered = {persona for _, persona in CASES}
    assert writers <= covered | {"niutang"}  # 牛塘镇 may edit only its own: same forms as 湖塘镇
