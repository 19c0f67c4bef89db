"""Quarterly reporting's scheduled notices: deadline reminders and overdue notices — each to
the right unit's users only, on its day (or a caught-up day), and never twice."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from core.models import Notification
from core.notifications import NoticeJob, notify, run_jobs
from htportal.celery import app as celery_app
from reports import tasks as notices
from reports.models import Submission
from reports.services import open_period

WINDOW_START, DEADLINE = date(2019, 7, 1), date(2019, 7, 10)


@pytest.fixture
def period(units, personas):
    return open_period(
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


# --- (a) reminders -----------------------------------------------------------------------------


def test_reminders_go_only_to_towns_without_a_submission_and_only_n_days_before(
    period, units, hutang, niutang, district, leader, settings
):
    settings.REMINDER_DAYS_BEFORE = 3
    submit(period, units["牛塘镇"])
    assert notices.send_deadline_reminders(date(2019, 7, 6)) == 0  # 4 days before: too early
    assert notices.send_deadline_reminders(date(2019, 7, 7)) == 1
    [notice] = inbox(hutang)
    assert "2019年第2季度" in notice.title and "还剩 3 天" in notice.title
    assert notice.link == f"/reports/periods/{period.pk}/"
    assert "牛塘" not in notice.body
    assert inbox(niutang) == []  # it has submitted
    assert inbox(district) == [] and inbox(leader) == []  # reminders are for towns


def test_the_number_of_days_is_a_setting(period, hutang, settings):
    settings.REMINDER_DAYS_BEFORE = 5
    assert notices.send_deadline_reminders(date(2019, 7, 4)) == 0
    assert notices.send_deadline_reminders(date(2019, 7, 5)) == 2  # 湖塘镇 and 牛塘镇 users
    assert len(inbox(hutang)) == 1


def test_a_missed_day_is_caught_up_once_and_nothing_after_the_deadline(period, hutang):
    assert notices.send_deadline_reminders(date(2019, 7, 9)) == 2  # 7/7 and 7/8 were missed
    assert notices.send_deadline_reminders(date(2019, 7, 10)) == 0  # already reminded
    assert notices.send_deadline_reminders(date(2019, 7, 11)) == 0  # past the deadline
    assert len(inbox(hutang)) == 1


def test_no_reminder_before_the_window_opens(units, personas, hutang):
    open_period(
        actor=None,
        unit=units["武进区"],
        year=2019,
        quarter=3,
        window_start=date(2019, 10, 9),
        deadline=date(2019, 10, 10),
    )
    assert notices.send_deadline_reminders(date(2019, 10, 8)) == 0
    assert notices.send_deadline_reminders(date(2019, 10, 9)) == 2


# --- (b) overdue -------------------------------------------------------------------------------


def test_overdue_after_the_deadline_to_the_town_and_one_list_to_the_district(
    period, units, hutang, niutang, district, leader
):
    submit(period, units["牛塘镇"])
    assert notices.send_overdue_notices(DEADLINE) == 0  # the deadline day itself is not late
    notices.send_overdue_notices(date(2019, 7, 11))
    [town_notice] = inbox(hutang)
    assert "已逾期" in town_notice.title and "湖塘镇尚未报送" in town_notice.body
    assert "牛塘" not in town_notice.body
    assert inbox(niutang) == []
    [summary] = inbox(district)
    assert "10 个单位未报送" in summary.title  # 11 required, 牛塘镇 submitted
    assert "湖塘镇" in summary.body and "常经开" in summary.body and "牛塘" not in summary.body
    assert inbox(leader) == []


def test_overdue_notices_stop_after_the_catch_up_days(period, hutang, settings):
    settings.NOTICE_CATCH_UP_DAYS = 7
    assert notices.send_overdue_notices(date(2019, 7, 19)) == 0
    assert notices.send_overdue_notices(date(2019, 7, 18)) > 0


# --- dedupe under re-runs and retries ----------------------------------------------------------


def test_running_the_daily_task_twice_sends_each_notice_once(period, hutang, district):
    first = notices.daily_notices("2019-07-11")
    second = notices.daily_notices.apply(kwargs={"on": "2019-07-11"}).get()
    assert first["overdue"] == 3 and second["overdue"] == 0  # 湖塘, 牛塘, the district
    assert len(inbox(hutang)) == 1 and len(inbox(district)) == 1


def test_a_retry_with_the_same_key_is_dropped(period, hutang, units):
    notices.send_overdue_notices(date(2019, 7, 11))
    key = f"overdue:{period.code}:p{period.pk}:unit{units['湖塘镇'].pk}"
    assert Notification.objects.filter(dedupe_key=f"{key}:u{hutang.pk}").count() == 1
    assert notify([hutang], title="重试", dedupe=key) == []  # what a retried task would do
    assert len(inbox(hutang)) == 1


def test_the_daily_task_runs_for_the_portals_today(period, hutang, settings):
    settings.PORTAL_TODAY = date(2019, 7, 8)
    assert notices.daily_notices()["reminders"] == 2
    assert "将于2019年7月10日截止" in inbox(hutang)[0].title


def test_one_failing_job_does_not_stop_the_others(period, hutang):
    def broken(on):
        raise ValueError("boom")

    jobs = [NoticeJob("broken", "坏任务", broken), *notices.NOTICE_JOBS]
    with pytest.raises(RuntimeError, match="坏任务"):
        run_jobs(jobs, date(2019, 7, 11))
    assert len(inbox(hutang)) == 1  # the overdue job still ran


# --- the schedule ------------------------------------------------------------------------------


def test_the_daily_schedule_is_registered_after_migrate(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="每日提醒（报送截止/逾期）")
    assert task.task == "reports.daily_notices" and task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("8", "0")
    assert str(task.crontab.timezone) == "Asia/Shanghai"
    assert "reports.daily_notices" in celery_app.tasks


def test_the_shell_entry_point_runs_the_same_jobs(period, hutang):
    out = StringIO()
    call_command("send_notices", "--date", "2019-07-11", stdout=out)
    assert "逾期通知 3 条" in out.getvalue()
    call_command("send_notices", "--date", "2019-07-11", stdout=out)  # a re-run sends nothing
    assert len(inbox(hutang)) == 1
