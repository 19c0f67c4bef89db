"""首页 says what each persona has to do today (the demo, 2019-07-15): a town its open
period, deadline and where its submission stands; the district who has not reported, what
waits for review and the certificates running out this quarter; the leader the headline
figures. Every item links to the page that deals with it, and nothing of another town shows."""

import re
from datetime import date

import pytest
from django.urls import reverse

from core.demo import wujin_unit
from core.notifications import notify
from cultivation.models import Certificate
from reports import services as report_services
from reports.choices import SubmissionStatus
from reports.models import ReportingPeriod, Submission
from reports.selectors import missing_units

TODAY = date(2019, 7, 15)


@pytest.fixture
def demo(demo_data, db, settings, personas):
    settings.PORTAL_TODAY = TODAY


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def q2() -> ReportingPeriod:
    return ReportingPeriod.objects.get(year=2019, quarter=2)


def section(html: str, heading_id: str) -> str:
    """The home panel headed by `heading_id`, up to the next panel."""
    start = html.index(f'id="{heading_id}"')
    end = html.find('<section class="panel', start)
    return html[start : end if end != -1 else None]


def test_a_town_sees_its_open_period_deadline_and_pending_submission(demo, client_for, hutang):
    html = home(client_for(hutang))
    periods = section(html, "home-periods")
    assert "2019年第2季度" in periods
    assert "7月15日" in periods and "今天截止" in periods  # the deadline is today
    assert "待审核" in periods
    submission = Submission.objects.get(period=q2(), unit=wujin_unit("湖塘镇"))
    assert reverse("reports:submission", args=[submission.pk]) in periods
    # a town is nobody's reviewer and sees no other town
    assert 'id="home-waiting"' not in html and 'id="home-missing"' not in html
    assert "牛塘" not in html and "洛阳" not in html


def test_a_returned_submission_shows_the_reviewers_comment(
    demo, client_for, hutang, district, settings
):
    submission = Submission.objects.get(period=q2(), unit=wujin_unit("湖塘镇"))
    report_services.review(
        actor=district,
        submission=submission,
        approve=False,
        comment="高新技术产品收入缺少附表，请补充。",
    )
    periods = section(home(client_for(hutang)), "home-periods")
    assert "已退回" in periods
    assert "审核意见：高新技术产品收入缺少附表，请补充。" in periods
    assert "重新上传" in periods


def test_days_left_count_down_to_the_deadline(demo, client_for, hutang, settings):
    settings.PORTAL_TODAY = date(2019, 7, 11)
    assert re.search(
        r"还剩 <strong[^>]*>4</strong> 天", section(home(client_for(hutang)), "home-periods")
    )
    settings.PORTAL_TODAY = date(2019, 7, 16)  # past the deadline, not reopened: nothing open
    assert "目前没有需要本单位报送的期次" in home(client_for(hutang))


def test_the_district_sees_who_has_not_reported_and_what_waits_for_review(
    demo, client_for, district
):
    html = home(client_for(district))
    missing = section(html, "home-missing")
    absent = missing_units(q2())
    assert absent
    assert f'<strong class="status-fail">{len(absent)}</strong> 个单位尚未报送</a>' in missing
    for unit in absent:
        assert unit.label in missing
    waiting = section(html, "home-waiting")
    queue = Submission.objects.filter(status=SubmissionStatus.SUBMITTED)
    assert f"待审核的报送（{queue.count()}）" in waiting
    for submission in queue:
        assert reverse("reports:submission", args=[submission.pk]) in waiting


def test_the_district_sees_the_certificates_running_out_this_quarter(
    demo, client_for, district, settings
):
    settings.PORTAL_TODAY = date(2019, 11, 1)  # Q4: the demo's 2016 certificates run out
    expected = (
        Certificate.objects.filter(
            expires_on__range=(date(2019, 10, 1), date(2019, 12, 31)),
            revoked_on__isnull=True,
            enterprise__is_active=True,
        )
        .values("enterprise_id")
        .distinct()
        .count()
    )
    assert expected
    client = client_for(district)
    expiring = section(home(client), "home-expiring")
    assert f"<strong>{expected}</strong> 家企业" in expiring
    link = re.search(r'href="([^"]+quarter=4)"', expiring).group(1).replace("&amp;", "&")
    page = client.get(link).content.decode()
    assert "2019年第4季度到期的高企证书" in page
    assert f"共 {expected} 张" in page


def test_the_leader_sees_the_headline_figures_and_no_review_queue(demo, client_for, leader):
    html = home(client_for(leader))
    headline = section(html, "home-headline")
    assert "2019年目标完成情况" in headline
    assert "高企申报数" in headline and "498" in headline  # 武科发〔2019〕14号's 498
    assert 'id="home-waiting"' not in html  # read-only: reviews nothing
    assert 'id="home-missing"' in html


def test_unread_notices_link_to_what_they_are_about(demo, client_for, hutang):
    notify([hutang], title="2019年第2季度报送已退回", link="/reports/periods/1/")
    notices = section(home(client_for(hutang)), "home-notices")
    assert '<a href="/reports/periods/1/">2019年第2季度报送已退回</a>' in notices
