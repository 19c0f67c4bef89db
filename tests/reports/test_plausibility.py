"""提醒: unlikely values are flagged in the preview, acknowledged by the uploader, seen by the
reviewer — and never refuse the file.

The registry (tests/enterprises/conftest.py, tests/reports VALUES_2019): code(n) has 2018
staff 100n, 科技人员 12n, sales 1234.5n; for 2019 code(1) has 120 / 20 / 1500 and code(2)
60 / 6 / rd 45.5; code(3) has no 2019 row.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from reports import services
from tests.enterprises.conftest import code
from tests.reports import period, pipeline, row_for, xlsx, year_2019  # noqa: F401
from tests.reports.test_submissions import DEADLINE, _upload_file, filled, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_period(registry, units, settings):
    """2019Q1 opened as the district does (every town required), today inside its window."""
    settings.PORTAL_TODAY = datetime.date(2019, 4, 10)
    return services.open_period(
        actor=None,
        unit=units["武进区"],
        year=2019,
        quarter=1,
        window_start=datetime.date(2019, 4, 1),
        deadline=DEADLINE,
    )


@pytest.fixture
def alerts(period, year_2019, units, hutang):  # noqa: F811
    def alerts(*rows) -> list[tuple[int, str, str]]:
        preview = pipeline(xlsx(rows), period=period, unit=units["湖塘镇"], user=hutang)
        assert preview.problems == []  # a 提醒 never refuses
        assert len(preview.staged) == len(rows)
        return [(a.row, a.column, a.message) for a in preview.alerts]

    return alerts


def test_staff_changing_by_more_than_half(alerts):
    assert alerts(row_for(1, 200, 20, 1500)) == [
        (3, "职工总数", "职工总数由本年已审核值 120 变为 200，变化超过一半，请核对")
    ]
    assert alerts(row_for(1, 175, 20, 1500)) == []  # +46%


def test_year_to_date_lower_than_the_approved(alerts):
    assert alerts(row_for(1, 120, 20, 1200)) == [
        (
            3,
            "销售收入（万元）",
            "销售收入为 1200，低于本年已审核值 1500：本年累计数一般不会减少，请核对",
        )
    ]


def test_more_than_n_times_or_less_than_a_nth(alerts):
    assert alerts(row_for(1, 120, 5, 6000)) == [
        (3, "科技人员数", "科技人员数为 5，不到本年已审核值 20 的 1/3，请核对"),
        (3, "销售收入（万元）", "销售收入为 6000，是本年已审核值 1500 的 4.0 倍，请核对"),
    ]


def test_the_factor_is_a_setting(alerts, settings):
    settings.PLAUSIBILITY_FACTOR = 5
    assert alerts(row_for(1, 120, 20, 6000)) == []
    assert [a[2] for a in alerts(row_for(1, 120, 20, 9000))] == [
        "销售收入为 9000，是本年已审核值 1500 的 6.0 倍，请核对"
    ]


def test_r_and_d_or_hightech_revenue_above_revenue(alerts):
    assert [a[1:] for a in alerts(row_for(1, 120, 20, 1500, 1600, 1800))] == [
        ("研发费用（万元）", "研发费用（1600）大于销售收入（1500），请核对"),
        (
            "高新技术产品（服务）收入（万元）",
            "高新技术产品（服务）收入（1800）大于销售收入（1500），请核对",
        ),
    ]


def test_what_was_approved_as_such_is_not_flagged_again(alerts, year_2019):  # noqa: F811
    from enterprises import services as enterprise_services

    enterprise = year_2019[("湖塘镇", "常州湖塘精密机械有限公司")]
    enterprise_services.save_year(
        actor=None, enterprise=enterprise, year=2019, values={"rd_expense": 1600}
    )
    assert alerts(row_for(1, 120, 20, 1500, 1600)) == []  # R&D > revenue, approved before
    assert len(alerts(row_for(1, 120, 20, 1500, 1700))) == 1  # the upload changes it


def test_a_years_first_figures_against_last_year(alerts):
    """code(3) has no 2019 row: 2018's values are the last approved ones. A first quarter's
    revenue is a fraction of last year's whole: low is expected, only a jump is flagged."""
    assert alerts(row_for(3, 290, 30, 500)) == []
    assert alerts(row_for(3, 100, 36, 20000)) == [
        (3, "职工总数", "职工总数由2018年已审核值 300 变为 100，变化超过一半，请核对"),
        (3, "销售收入（万元）", "销售收入为 20000，是2018年已审核值 3703.5 的 5.4 倍，请核对"),
    ]


def test_small_figures_and_new_enterprises_are_left_alone(alerts):
    assert alerts(row_for(2, 60, 2, None, 45.5)) == []  # 6 → 2 科技人员: too small to judge
    assert alerts([code(70), "常州新设科技有限公司", 5, 1, 100]) == []


def test_the_uploader_acknowledges_and_the_reviewer_sees_them(
    open_period,
    units,
    hutang,
    district,
    client_for,
):
    unit = units["湖塘镇"]
    job = upload(open_period, unit, hutang, filled(open_period, unit, {code(1): {"职工总数": 400}}))
    assert [a["message"] for a in job.result["alerts"]] == [
        "职工总数由2018年已审核值 100 变为 400，变化超过一半，请核对"
    ]
    town = client_for(hutang)
    page = town.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert "数据提醒 1 条" in page and 'name="acknowledged"' in page
    refused = town.post(reverse("reports:job_confirm", args=[job.pk]), follow=True)
    assert "请先核对并确认 1 条数据提醒，再报送。" in refused.content.decode()
    with pytest.raises(ValidationError):
        services.confirm_upload(actor=hutang, job=job)
    town.post(reverse("reports:job_confirm", args=[job.pk]), {"acknowledged": "1"})
    submission = services.latest_submission(open_period, unit)
    assert submission is not None and submission.version == 1
    review = client_for(district).get(reverse("reports:submission", args=[submission.pk]))
    assert "报送人已确认的数据提醒（1 条）" in review.content.decode()
    assert "变为 400，变化超过一半" in review.content.decode()


def test_the_upload_page_still_accepts_a_file_with_alerts(open_period, units, hutang, client_for):
    data = filled(open_period, units["湖塘镇"], {code(1): {"职工总数": 400}})
    response = client_for(hutang).post(
        reverse("reports:upload", args=[open_period.pk]), {"file": _upload_file(data, "湖塘.xlsx")}
    )
    assert "确认报送" in client_for(hutang).get(response.url).content.decode()
