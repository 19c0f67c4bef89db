"""Ladder pages, API and command as each persona meets them."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from cultivation import services
from cultivation.choices import ApplicationKind, ApplicationStatus
from cultivation.models import Certificate, TechSMEEvaluation


@pytest.fixture
def ladder(registry, settings):
    """Two certified enterprises (湖塘镇, 牛塘镇) expiring in 2019; today pinned to mid-2019."""
    settings.PORTAL_TODAY = date(2019, 7, 15)
    for key in [("湖塘镇", "常州湖塘精密机械有限公司"), ("牛塘镇", "常州牛塘电子有限公司")]:
        enterprise = registry[key]
        services.add_application(
            actor=None,
            enterprise=enterprise,
            year=2016,
            kind=ApplicationKind.FIRST,
            status=ApplicationStatus.SUBMITTED,
            submitted_on=date(2016, 6, 1),
        )
        services.record_certificate(
            actor=None,
            enterprise=enterprise,
            number=f"GR2016{enterprise.pk:04d}",
            issued_on=date(2016, 11, 30),
        )
    return registry


PAGES = [
    "cultivation:index",
    "cultivation:funnel",
    "cultivation:expiring",
    "cultivation:stalled",
    "cultivation:diagnosis",
]


@pytest.mark.parametrize("page", PAGES)
def test_town_users_see_only_their_town(client_for, hutang, ladder, page):
    html = client_for(hutang).get(reverse(page), {"year": 2019}).content.decode()
    assert "牛塘" not in html.replace("牛塘镇服务中心", "")  # their own header aside
    assert "常州牛塘电子有限公司" not in html


@pytest.mark.parametrize("page", PAGES)
def test_another_towns_unit_parameter_is_404(client_for, hutang, units, ladder, page):
    assert client_for(hutang).get(reverse(page), {"unit": units["牛塘镇"].pk}).status_code == 404


def test_overview_counts_rungs_per_town(client_for, district, ladder, units):
    response = client_for(district).get(reverse("cultivation:index"))
    rows = {row["unit"].name: row for row in response.context["rows"]}
    assert rows["湖塘镇"]["certified"] == 1 and rows["湖塘镇"]["prospect"] == 2
    assert rows["牛塘镇"]["certified"] == 1 and response.context["totals"]["total"] == 6


def test_expiring_page_lists_certificates_and_renewal_status(client_for, district, ladder):
    services.add_application(
        actor=None,
        enterprise=ladder[("湖塘镇", "常州湖塘精密机械有限公司")],
        year=2019,
        kind=ApplicationKind.RENEWAL,
    )
    html = (
        client_for(district).get(reverse("cultivation:expiring"), {"year": 2019}).content.decode()
    )
    assert "共 2 张" in html and "已登记申报" in html and "未申报" in html


def test_enterprise_page_shows_the_timeline_and_current_rung(client_for, hutang, ladder):
    enterprise = ladder[("湖塘镇", "常州湖塘精密机械有限公司")]
    html = (
        client_for(hutang).get(reverse("enterprises:detail", args=[enterprise.pk])).content.decode()
    )
    assert "当前：高新技术企业" in html and "GR2016" in html and "有效期至 2019-11-30" in html


def test_adding_a_record_through_the_form(client_for, hutang, ladder):
    enterprise = ladder[("湖塘镇", "常州湖塘新材料有限公司")]
    url = reverse("cultivation:record_add", args=[enterprise.pk, "evaluation"])
    response = client_for(hutang).post(
        url, {"year": 2019, "reg_number": "20193204120001", "evaluated_on": "2019-05-06"}
    )
    assert response.status_code == 302
    assert TechSMEEvaluation.objects.get(enterprise=enterprise).reg_number == "20193204120001"
    again = client_for(hutang).post(url, {"year": 2019, "reg_number": "x"})
    assert "该企业2019年已有科技型中小企业评价记录" in again.content.decode()


def test_certificate_form_explains_a_missing_application(client_for, hutang, ladder):
    enterprise = ladder[("湖塘镇", "常州湖塘新材料有限公司")]
    url = reverse("cultivation:record_add", args=[enterprise.pk, "certificate"])
    html = (
        client_for(hutang)
        .post(url, {"number": "GR201932009999", "issued_on": "2019-11-28"})
        .content.decode()
    )
    assert "2019年没有该企业已申报的高企申报记录" in html
    assert not Certificate.objects.filter(number="GR201932009999").exists()


def test_leader_and_other_towns_cannot_add_records(client_for, leader, niutang, ladder):
    enterprise = ladder[("湖塘镇", "常州湖塘新材料有限公司")]
    url = reverse("cultivation:record_add", args=[enterprise.pk, "honour"])
    assert client_for(leader).get(url).status_code == 403
    assert client_for(niutang).get(url).status_code == 404


def test_diagnosis_page_explains_each_condition(client_for, hutang, ladder):
    enterprise = ladder[("湖塘镇", "常州湖塘新材料有限公司")]
    html = (
        client_for(hutang)
        .get(reverse("cultivation:diagnosis_detail", args=[enterprise.pk]), {"year": 2019})
        .content.decode()
    )
    assert "高新技术企业认定条件（按2019年申报）" in html
    assert "无法判断" in html and "缺少" in html  # only 2018 indicators exist in this registry


def test_ladder_counts_api_is_scoped(client_for, district, hutang, units, ladder):
    data = (
        client_for(district)
        .get("/api/v1/ladder-counts/", {"metric": "expiring", "year": 2019})
        .json()
    )
    assert data["unit"]["count"] == 2
    assert {c["name"]: c["count"] for c in data["children"]}["牛塘镇"] == 1
    own = (
        client_for(hutang)
        .get("/api/v1/ladder-counts/", {"metric": "expiring", "year": 2019})
        .json()
    )
    assert own["unit"] == {"id": units["湖塘镇"].pk, "name": "湖塘镇", "count": 1}
    assert (
        client_for(hutang).get("/api/v1/ladder-counts/", {"unit": units["武进区"].pk}).status_code
        == 404
    )
    certificates = client_for(hutang).get("/api/v1/certificates/").json()["results"]
    assert [c["enterprise_name"] for c in certificates] == ["常州湖塘精密机械有限公司"]


def test_diagnose_command_prints_json(ladder):
    enterprise = ladder[("湖塘镇", "常州湖塘精密机械有限公司")]
    out = StringIO()
    call_command("diagnose", enterprise.uscc.lower(), "--json", "--year", "2019", stdout=out)
    data = json.loads(out.getvalue())
    assert data["enterprise"]["name"] == "常州湖塘精密机械有限公司"
    assert data["hte"]["verdict"] in {"pass", "fail", "unknown"}
    assert {c["code"] for c in data["hte"]["conditions"]} >= {
        "rd_ratio",
        "st_staff",
        "innovation_score",
    }


def test_diagnose_command_names_an_unknown_code(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="未找到统一社会信用代码"):
        call_command("diagnose", "91320412MA0000000X")
