"""Numbers count only when approved: a town's confirmed upload is 待审核 — shown beside the
official values, counted nowhere — until the district approves it; a returned version never
counts. One story, as a town and the district live it."""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.sheets import to_bytes
from enterprises.models import EnterpriseYear
from reports import services
from reports.columns import DATA_SHEET, SUMMARY_SHEET
from reports.io.template import build_template
from targets import services as target_services
from targets.models import Metric
from targets.selectors import completion
from tests.enterprises.conftest import code


@pytest.fixture
def period(registry, units, settings):
    settings.PORTAL_TODAY = date(2019, 4, 10)
    return services.open_period(
        actor=None,
        unit=units["武进区"],
        year=2019,
        quarter=1,
        window_start=date(2019, 4, 1),
        deadline=date(2019, 4, 15),
    )


@pytest.fixture
def plan(period, units):
    """A 2019 plan whose one metric the towns report themselves (科创项目招引数)."""
    metric = Metric.objects.get(code="projects_attracted")
    plan = target_services.create_plan(
        actor=None, unit=units["武进区"], year=2019, columns=[(metric, "")]
    )
    target_services.set_values(
        actor=None,
        plan=plan,
        cells={(metric.pk, units["湖塘镇"].pk): 10, (metric.pk, units["武进区"].pk): 100},
    )
    return plan


def town_file(period, unit, *, staff: int, projects: int) -> bytes:
    """湖塘镇's template with 职工总数 of code(1) and its 科创项目招引数 filled in."""
    book = load_workbook(io.BytesIO(build_template(period=period, unit=unit)))
    data = book[DATA_SHEET]
    row = next(r for r in data.iter_rows() if r[0].value == code(1))
    row[2].value = staff  # 职工总数, after the code and the name
    summary = book[SUMMARY_SHEET]  # 指标名称 | 计量单位 | 本年累计值
    line = next(r for r in summary.iter_rows() if r[0].value == "科创项目招引数")
    line[2].value = projects
    return to_bytes(book)


def staff_2019():
    found = EnterpriseYear.objects.filter(enterprise__uscc=code(1), year=2019).first()
    return found.staff_total if found else None


def town_figures(plan, unit) -> tuple:
    result = completion(plan)
    [row] = [r for r in result.rows if r.unit == unit]
    return next(iter(row.cells.values())).actual


def test_a_version_counts_only_once_the_district_approves_it(
    plan, period, units, hutang, district, client_for, registry
):
    unit = units["湖塘镇"]
    enterprise = registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    data = town_file(period, unit, staff=999, projects=6)
    job = services.start_upload(
        actor=hutang, period=period, unit=unit, file_name="湖塘.xlsx", data=data
    )
    first, _ = services.confirm_upload(actor=hutang, job=job, acknowledged=True)

    # Pending: shown beside the official value, counted nowhere.
    assert staff_2019() is None and town_figures(plan, unit) is None
    page = client_for(hutang).get(reverse("enterprises:detail", args=[enterprise.pk]))
    assert "待审核" in page.content.decode() and "999" in page.content.decode()
    review_page = client_for(district).get(reverse("reports:submission", args=[first.pk]))
    assert "正式数据 → 待审核数据" in review_page.content.decode()

    services.review(actor=district, submission=first, approve=False, comment="职工总数有误")
    assert staff_2019() is None and town_figures(plan, unit) is None
    page = client_for(hutang).get(reverse("enterprises:detail", args=[enterprise.pk]))
    assert "待审核" not in page.content.decode()

    data = town_file(period, unit, staff=150, projects=6)
    job = services.start_upload(
        actor=hutang, period=period, unit=unit, file_name="湖塘v2.xlsx", data=data
    )
    second, _ = services.confirm_upload(actor=hutang, job=job, acknowledged=True)
    assert staff_2019() is None
    services.review(actor=district, submission=second, approve=True)
    assert staff_2019() == 150 and town_figures(plan, unit) == 6

    # The dashboard's card for the town reads the same official figure.
    summary = (
        client_for(hutang).get("/dashboard/data/summary/", {"unit": unit.pk, "year": 2019}).json()
    )
    [card] = [c for c in summary["cards"] if c["code"] == "projects_attracted"]
    assert card["actual"] == 6


def test_a_later_version_replaces_a_pending_one(period, units, hutang, district):
    unit = units["湖塘镇"]
    jobs = [
        services.start_upload(
            actor=hutang,
            period=period,
            unit=unit,
            file_name=f"v{staff}.xlsx",
            data=town_file(period, unit, staff=staff, projects=1),
        )
        for staff in (120, 130)
    ]
    first, _ = services.confirm_upload(actor=hutang, job=jobs[0], acknowledged=True)
    second, _ = services.confirm_upload(actor=hutang, job=jobs[1], acknowledged=True)
    first.refresh_from_db()
    assert first.get_status_display() == "已被新版本替换" and second.version == 2
    services.review(actor=district, submission=second, approve=True)
    assert staff_2019() == 130
