"""提醒未报送单位: the district reminds the towns that have not submitted, now, from the period
page — at most once a day per town, whether the button or the daily reminder job comes first.
Towns and the read-only leader neither see the button nor may press it."""

from datetime import date

import pytest
from django.urls import reverse

from core.models import Notification
from reports import services
from reports import tasks as notices
from reports.models import Submission

WINDOW_START, DEADLINE = date(2019, 7, 1), date(2019, 7, 10)
BUTTON = "提醒未报送单位</button>"


@pytest.fixture
def period(units, personas, settings):
    settings.PORTAL_TODAY = date(2019, 7, 5)
    return services.open_period(
        actor=None,
        unit=units["武进区"],
        year=2019,
        quarter=2,
        window_start=WINDOW_START,
        deadline=DEADLINE,
    )


def submit(period, unit):
    return Submission.objects.create(
        period=period,
        unit=unit,
        version=1,
        file="submissions/x.xlsx",
        file_name="x.xlsx",
        sha256="0" * 64,
        on_time=True,
    )


def inbox(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def press(client, period):
    return client.post(reverse("reports:remind", args=[period.pk]), follow=True)


def test_the_district_reminds_the_towns_that_have_not_submitted_and_the_page_says_how_many(
    period, units, client_for, district, hutang, niutang, leader
):
    submit(period, units["牛塘镇"])
    client = client_for(district)
    assert BUTTON in client.get(reverse("reports:period", args=[period.pk])).content.decode()
    page = press(client, period).content.decode()
    [notice] = inbox(hutang)
    assert "2019年第2季度" in notice.title and notice.link == f"/reports/periods/{period.pk}/"
    assert "湖塘镇尚未报送" in notice.body and "2019年7月10日" in notice.body
    assert inbox(niutang) == []  # it has submitted
    assert inbox(district) == [] and inbox(leader) == []
    # 湖塘镇 is told; the other towns without a user of their own are named for a phone call.
    assert "已提醒 1 个未报送单位：湖塘镇" in page
    assert "没有可接收通知的账号" in page


def test_pressing_twice_the_same_day_sends_no_second_copy_and_a_later_day_does(
    period, client_for, district, hutang, niutang, settings
):
    client = client_for(district)
    press(client, period)
    page = press(client, period).content.decode()
    assert len(inbox(hutang)) == 1 and len(inbox(niutang)) == 1
    assert "今天已收到提醒，未重复发送" in page and "已提醒" not in page
    settings.PORTAL_TODAY = date(2019, 7, 6)
    assert "已提醒 2 个未报送单位" in press(client, period).content.decode()
    assert len(inbox(hutang)) == 2


def test_the_daily_reminder_after_the_button_the_same_day_sends_nothing(
    period, client_for, district, hutang, settings
):
    settings.PORTAL_TODAY = date(2019, 7, 8)  # the daily job reminds from 3 days before
    press(client_for(district), period)
    assert notices.send_deadline_reminders(date(2019, 7, 8)) == 0
    assert len(inbox(hutang)) == 1
    # Its own reminder, once per period, still comes on a later day.
    assert notices.send_deadline_reminders(date(2019, 7, 9)) == 2


def test_the_button_after_the_daily_reminder_the_same_day_sends_nothing(
    period, client_for, district, hutang, settings
):
    settings.PORTAL_TODAY = date(2019, 7, 8)
    assert notices.send_deadline_reminders(date(2019, 7, 8)) == 2
    page = press(client_for(district), period).content.decode()
    assert len(inbox(hutang)) == 1
    assert "湖塘镇、牛塘镇今天已收到提醒，未重复发送" in page


def test_when_every_town_has_submitted_the_page_says_so(period, units, client_for, district):
    for unit in period.required_units.all():
        submit(period, unit)
    client = client_for(district)
    assert BUTTON not in client.get(reverse("reports:period", args=[period.pk])).content.decode()
    assert "所有单位均已报送，无需提醒" in press(client, period).content.decode()
    assert not Notification.objects.exists()


def test_after_the_deadline_the_reminder_says_it_is_overdue_and_locked_towns_are_not_told(
    period, units, client_for, district, hutang, niutang, settings
):
    settings.PORTAL_TODAY = date(2019, 7, 12)  # past the deadline, before the lock
    press(client_for(district), period)
    assert "已于2019年7月10日截止" in inbox(hutang)[0].body
    settings.PORTAL_TODAY = date(2019, 7, 20)  # locked (7 days after); 湖塘镇 reopened
    services.reopen(actor=district, period=period, unit=units["湖塘镇"], until=date(2019, 7, 25))
    done = services.remind_missing(actor=district, period=period)
    assert done.reminded == [units["湖塘镇"]] and units["牛塘镇"] in done.locked
    assert "报送已锁定，请先重新开放" in done.message()
    assert len(inbox(niutang)) == 1  # only the first, before the lock


@pytest.mark.parametrize("persona", ["hutang", "niutang", "leader"])
def test_towns_and_the_leader_do_not_see_the_button_and_may_not_press_it(
    period, personas, client_for, persona
):
    client = client_for(personas[persona])
    assert BUTTON not in client.get(reverse("reports:period", args=[period.pk])).content.decode()
    assert client.post(reverse("reports:remind", args=[period.pk])).status_code == 403
    assert not Notification.objects.exists()


def test_the_button_refuses_a_get_and_a_period_not_yet_open(period, client_for, district, settings):
    client = client_for(district)
    assert client.get(reverse("reports:remind", args=[period.pk])).status_code == 405
    settings.PORTAL_TODAY = date(2019, 6, 20)
    assert "尚未开始" in press(client, period).content.decode()
    assert not Notification.objects.exists()
