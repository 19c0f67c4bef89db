"""The ladder's scheduled notices: certificates expiring this year and the 年报 reminder —
each to the right town's users only, on its day (or a caught-up day), and never twice."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from core.models import Notification
from cultivation import tasks as notices
from cultivation.models import Certificate
from cultivation.selectors import valid_hte_ids
from enterprises.models import Enterprise
from htportal.celery import app as celery_app


def inbox(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("id"))


@pytest.fixture
def demo(demo_data, db, settings):
    settings.PORTAL_TODAY = date(2019, 7, 15)


# --- (c) certificates expiring this year -------------------------------------------------------


def test_each_town_gets_only_its_own_expiring_certificates(demo, hutang, niutang, district):
    assert notices.send_expiry_notices(date(2019, 1, 14)) == 0  # not yet the day
    notices.send_expiry_notices(date(2019, 1, 15))
    expiring = Certificate.objects.filter(expires_on__year=2019, revoked_on__isnull=True)
    # Certificate numbers are unique (demo enterprise names can repeat across towns).
    own = set(expiring.filter(enterprise__town=hutang.unit).values_list("number", flat=True))
    others = set(expiring.filter(enterprise__town=niutang.unit).values_list("number", flat=True))
    assert len(own) == 9 and others

    [notice] = inbox(hutang)
    assert "湖塘镇共 9 家" in notice.title
    lines = notice.body.splitlines()[1:]
    assert len(lines) == 9
    assert {number for number in own if number in notice.body} == own
    assert not any(number in notice.body for number in others)  # never 牛塘镇's certificates
    assert "2019年" in lines[0] and "到期" in lines[0]

    [niutang_notice] = inbox(niutang)
    assert not any(number in niutang_notice.body for number in own)

    [summary] = inbox(district)
    assert "湖塘镇 9 家" in summary.body and "共 148 家" in summary.title  # the 附件's 到期数
    assert not any(number in summary.body for number in own)  # counts, not lists


def test_the_expiry_notice_is_sent_once_a_year_on_its_configured_day(demo, hutang, settings):
    settings.EXPIRY_NOTICE_MONTH_DAY = "02-01"
    assert notices.send_expiry_notices(date(2019, 1, 15)) == 0
    assert notices.send_expiry_notices(date(2019, 2, 3)) > 0  # caught up
    assert notices.send_expiry_notices(date(2019, 2, 4)) == 0
    assert notices.send_expiry_notices(date(2019, 2, 20)) == 0  # past the catch-up days
    assert len(inbox(hutang)) == 1


# --- (d) annual reports ------------------------------------------------------------------------


def test_annual_report_reminder_lists_the_towns_own_certified_enterprises(
    demo, hutang, niutang, district, settings
):
    assert notices.send_annual_report_reminders(date(2019, 5, 14)) == 0
    notices.send_annual_report_reminders(date(2019, 5, 15))
    [notice] = inbox(hutang)
    assert "2018年度高企年报提醒" in notice.title and "32 家" in notice.title  # 2018年底 32 家
    assert "2019年5月31日前" in notice.body
    own = notice.body.splitlines()[-1].split("、")
    niutang_names = inbox(niutang)[0].body.splitlines()[-1].split("、")
    assert (len(own), len(niutang_names)) == (32, 14)
    holders = Enterprise.objects.filter(pk__in=valid_hte_ids(date(2018, 12, 31)))
    assert sorted(own) == sorted(holders.filter(town=hutang.unit).values_list("name", flat=True))
    assert not any(name in own for name in set(niutang_names) - set(own))
    assert inbox(district) == []  # the towns follow up with their enterprises
    assert notices.send_annual_report_reminders(date(2019, 5, 16)) == 0  # once


def test_annual_report_day_is_configurable_and_ends_with_may(demo, hutang, settings):
    settings.ANNUAL_REPORT_NOTICE_DAY = 28
    assert notices.send_annual_report_reminders(date(2019, 5, 15)) == 0
    assert notices.send_annual_report_reminders(date(2019, 6, 1)) == 0  # after the due date
    assert notices.send_annual_report_reminders(date(2019, 5, 31)) > 0


def test_the_daily_schedule_is_registered_after_migrate(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="每日提醒（证书到期/年报）")
    assert task.task == "cultivation.daily_notices" and task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("8", "0")
    assert "cultivation.daily_notices" in celery_app.tasks


def test_the_shell_entry_point_runs_every_apps_jobs(demo, hutang):
    out = StringIO()
    call_command("send_notices", "--date", "2019-01-15", stdout=out)
    assert "证书到期" in out.getvalue() and "截止提醒 0 条" in out.getvalue()
    assert len(inbox(hutang)) == 1
