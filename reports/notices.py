"""Scheduled notices: deadline reminders, overdue notices, expiring 高企 certificates, annual
reports (年报), and 通报 to leaders — plain functions taking a date, run by thin Celery tasks
at the bottom.

Each job has a due day. It runs on that day or, if the scheduler missed it (worker down,
portal offline), on one of the following catch-up days. Every notice carries a dedupe key
of job + period or year + unit (notify() appends the user), so however often a job runs or
a task is retried, nobody gets the same notice twice.

A town's notice is about that town only: enterprise lists are read through the recipient's
own scope (`Enterprise.objects.for_user`) and narrowed to the town, never computed for the
district and then filtered.
"""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from core.choices import Role, UnitKind
from core.dates import today
from core.models import OrgUnit
from core.notifications import notify, users_of
from cultivation.selectors import expiring_certificates, valid_hte_ids
from enterprises.models import Enterprise
from targets.models import TargetPlan

from .bulletins import create_bulletin, key_sentence, unit_label
from .models import Bulletin, ReportingPeriod
from .selectors import missing_units

logger = logging.getLogger(__name__)

DISTRICT_KINDS = (UnitKind.DISTRICT, UnitKind.COUNTY)
ANNUAL_REPORT_DUE = (5, 31)  # 《高新技术企业认定管理办法》: 每年5月底前填报上一年度报表


# --- settings ---------------------------------------------------------------------------------


def reminder_days() -> int:
    return int(getattr(settings, "REMINDER_DAYS_BEFORE", 3))


def catch_up_days() -> int:
    return int(getattr(settings, "NOTICE_CATCH_UP_DAYS", 7))


def expiry_notice_day(year: int) -> datetime.date:
    month, day = str(getattr(settings, "EXPIRY_NOTICE_MONTH_DAY", "01-15")).split("-")
    return datetime.date(year, int(month), int(day))


def annual_report_notice_day(year: int) -> datetime.date:
    return datetime.date(year, 5, int(getattr(settings, "ANNUAL_REPORT_NOTICE_DAY", 15)))


def is_due(on: datetime.date, due: datetime.date, until: datetime.date | None = None) -> bool:
    """Whether a job due on `due` runs on `on`: that day, or a missed run caught up later."""
    last = until if until is not None else due + datetime.timedelta(days=catch_up_days())
    return due <= on <= last


def _districts():
    return OrgUnit.objects.filter(kind__in=DISTRICT_KINDS, is_active=True).order_by("path")


def _towns(district: OrgUnit):
    return district.children.filter(is_active=True).order_by("order", "name")


def _staff(unit: OrgUnit):
    return users_of(unit, roles=[Role.DISTRICT_STAFF])


def _d(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- (a) reminders before a period's deadline -------------------------------------------------


def send_deadline_reminders(on: datetime.date) -> int:
    """Towns that have not submitted, from N days before the deadline until the deadline
    (catching up a missed day); the window must be open, or there is nothing to upload."""
    last_day = on + datetime.timedelta(days=reminder_days())
    periods = ReportingPeriod.objects.filter(
        window_start__lte=on, deadline__gte=on, deadline__lte=last_day
    ).select_related("unit")
    sent = 0
    for period in periods:
        left = (period.deadline - on).days
        when = "今天截止" if left == 0 else f"还剩 {left} 天"
        link = reverse("reports:period", args=[period.pk])
        for unit in missing_units(period):
            sent += len(
                notify(
                    users_of(unit),
                    title=f"{period}报送将于{_d(period.deadline)}截止（{when}）",
                    body=(
                        f"{unit}尚未报送{period.unit}{period}数据。请下载预填模板，在 Excel "
                        f"或 WPS 中填写后于{_d(period.deadline)}前上传；上传即完成报送。"
                    ),
                    link=link,
                    dedupe=f"reminder:{period.code}:p{period.pk}:unit{unit.pk}",
                )
            )
    return sent


# --- (b) overdue notices after the deadline ---------------------------------------------------


def send_overdue_notices(on: datetime.date) -> int:
    """The day after the deadline (or a catch-up day): each missing town, and one notice to
    the district staff listing them all."""
    first = on - datetime.timedelta(days=1 + catch_up_days())
    periods = ReportingPeriod.objects.filter(deadline__lt=on, deadline__gte=first)
    sent = 0
    for period in periods.select_related("unit"):
        missing = missing_units(period)
        if not missing:
            continue
        link = reverse("reports:period", args=[period.pk])
        locked = period.deadline + datetime.timedelta(days=period.lock_days)
        for unit in missing:
            sent += len(
                notify(
                    users_of(unit),
                    title=f"{period}报送已逾期",
                    body=(
                        f"{period}报送已于{_d(period.deadline)}截止，{unit}尚未报送。请尽快上传；"
                        f"{_d(locked)}后将锁定，届时需联系{period.unit}科技局重新开放。"
                    ),
                    link=link,
                    dedupe=f"overdue:{period.code}:p{period.pk}:unit{unit.pk}",
                )
            )
        names = "、".join(unit_label(u) for u in missing)
        sent += len(
            notify(
                _staff(period.unit),
                title=f"{period}报送逾期：{len(missing)} 个单位未报送",
                body=f"截至{_d(on)}，以下单位尚未报送{period}数据：{names}。",
                link=link,
                dedupe=f"overdue:{period.code}:p{period.pk}:unit{period.unit_id}",
            )
        )
    return sent


# --- (c) certificates expiring this year ------------------------------------------------------


def _certificate_line(n: int, cert) -> str:
    renewing = "，已申报重新认定" if cert.renewing else ""
    return f"{n}. {cert.enterprise.name}（证书 {cert.number}，{_d(cert.expires_on)}到期{renewing}）"


def send_expiry_notices(on: datetime.date) -> int:
    """Once a year: each town's users get their own certificates expiring this year; the
    district staff get the count per town."""
    if not is_due(on, expiry_notice_day(on.year)):
        return 0
    year, sent = on.year, 0
    link = f"{reverse('cultivation:expiring')}?year={year}"
    for district in _districts():
        counts = []
        for town in _towns(district):
            in_town = Enterprise.objects.filter(town__path__startswith=town.path)
            counts.append((town, expiring_certificates(in_town, year).count()))
            for user in users_of(town):
                # The recipient's own scope, narrowed to this town: nothing else can leak in.
                mine = Enterprise.objects.for_user(user).filter(town__path__startswith=town.path)
                certificates = list(expiring_certificates(mine, year))
                if not certificates:
                    continue
                lines = [_certificate_line(n, c) for n, c in enumerate(certificates, start=1)]
                sent += len(
                    notify(
                        [user],
                        title=f"{year}年高企证书到期提醒：{town}共 {len(certificates)} 家",
                        body=(
                            f"{town}以下 {len(certificates)} 家高新技术企业的证书将于{year}年到期，"
                            "须在当年申报重新认定，请提前组织准备：\n" + "\n".join(lines)
                        ),
                        link=link,
                        dedupe=f"expiry:{year}:unit{town.pk}",
                    )
                )
        total = sum(n for _, n in counts)
        if not total:
            continue
        per_town = "；".join(f"{unit_label(t)} {n} 家" for t, n in counts if n)
        sent += len(
            notify(
                _staff(district),
                title=f"{year}年高企证书到期提醒：{district}共 {total} 家",
                body=f"{year}年到期的高企证书共 {total} 家，其中：{per_town}。各单位已收到本单位名单。",
                link=link,
                dedupe=f"expiry:{year}:unit{district.pk}",
            )
        )
    return sent


# --- (d) annual reports (年报), due end of May ------------------------------------------------


def send_annual_report_reminders(on: datetime.date) -> int:
    """Before 31 May: each town's users get the 高企 that must file last year's report —
    those holding a valid certificate at the end of last year."""
    due = annual_report_notice_day(on.year)
    deadline = datetime.date(on.year, *ANNUAL_REPORT_DUE)
    until = min(due + datetime.timedelta(days=catch_up_days()), max(due, deadline))
    if not is_due(on, due, until):
        return 0
    last_year, sent = on.year - 1, 0
    holders = valid_hte_ids(datetime.date(last_year, 12, 31))
    for district in _districts():
        for town in _towns(district):
            for user in users_of(town):
                names = list(
                    Enterprise.objects.for_user(user)
                    .filter(town__path__startswith=town.path, pk__in=holders)
                    .order_by("name")
                    .values_list("name", flat=True)
                )
                if not names:
                    continue
                sent += len(
                    notify(
                        [user],
                        title=f"{last_year}年度高企年报提醒：{town} {len(names)} 家（{deadline.month}月{deadline.day}日前）",
                        body=(
                            f"请督促以下 {len(names)} 家高新技术企业于{_d(deadline)}前登录"
                            f"“高新技术企业认定管理工作网”填报{last_year}年度发展情况报表（年报）；"
                            "累计两年未填报的，将被取消高企资格。\n" + "、".join(names)
                        ),
                        link=reverse("cultivation:index"),
                        dedupe=f"annual-report:{on.year}:unit{town.pk}",
                    )
                )
    return sent


# --- (e) 通报 to leaders ------------------------------------------------------------------------


def deliver_bulletin(bulletin: Bulletin) -> list:
    """To the unit's leaders' inboxes, once per bulletin however often this runs."""
    data = bulletin.data
    return notify(
        users_of(bulletin.unit, roles=[Role.LEADER]),
        title=f"{bulletin.title}（截至{data['as_of_text']}）",
        body=key_sentence(data) + f" 进度滞后单位 {len(data['lagging'])} 个。",
        link=reverse("reports:bulletin_print", args=[bulletin.pk]),
        dedupe=f"bulletin:{bulletin.pk}",
    )


@transaction.atomic
def issue_bulletin(*, actor, plan: TargetPlan, on: datetime.date | None = None) -> Bulletin:
    """On demand: build, store and send to the leaders (permission checked by the build)."""
    bulletin = create_bulletin(actor=actor, plan=plan, on=on)
    deliver_bulletin(bulletin)
    return bulletin


def send_scheduled_bulletins(on: datetime.date) -> list[Bulletin]:
    """One scheduled bulletin per district with a plan for `on`'s year; a re-run the same
    day re-delivers (deduplicated) instead of issuing a second one."""
    made = []
    plans = TargetPlan.objects.filter(year=on.year, unit__kind__in=DISTRICT_KINDS)
    for plan in plans.filter(unit__is_active=True).select_related("unit"):
        with transaction.atomic():
            TargetPlan.objects.select_for_update().filter(pk=plan.pk).first()  # one run at a time
            bulletin = Bulletin.objects.filter(unit=plan.unit, as_of=on, scheduled=True).first()
            if bulletin is None:
                bulletin = create_bulletin(actor=None, plan=plan, on=on, scheduled=True)
            deliver_bulletin(bulletin)
            made.append(bulletin)
    return made


# --- the daily run and the Celery tasks -------------------------------------------------------

DAILY_JOBS = {
    "reminders": send_deadline_reminders,
    "overdue": send_overdue_notices,
    "expiry": send_expiry_notices,
    "annual_reports": send_annual_report_reminders,
}


def run_daily(on: datetime.date) -> dict[str, int]:
    """Every job for `on`; one failing job does not stop the others, but fails the run so
    Celery records it (a retry is safe: what was sent is deduplicated)."""
    sent, failed = {}, []
    for name, job in DAILY_JOBS.items():
        try:
            sent[name] = job(on)
        except Exception:  # logged, and the run fails below once the others have run
            logger.exception("daily notice job %s failed for %s", name, on)
            failed.append(name)
    if failed:
        raise RuntimeError(f"每日提醒任务失败：{'、'.join(failed)}（其余已完成）")
    return sent


def _date(value: str | None) -> datetime.date:
    return datetime.date.fromisoformat(value) if value else today()


@shared_task(name="reports.daily_notices")
def daily_notices(on: str | None = None) -> dict[str, int]:
    """Daily at 08:00: reminders, overdue notices, certificate expiry, annual reports."""
    return run_daily(_date(on))


@shared_task(name="reports.monthly_bulletin")
def monthly_bulletin(on: str | None = None) -> list[int]:
    """Monthly: a 通报 for each district with a plan this year, sent to its leaders."""
    return [bulletin.pk for bulletin in send_scheduled_bulletins(_date(on))]
