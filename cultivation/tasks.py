"""The ladder's scheduled notices: each town's 高企 certificates expiring this year (once a
year), the 年报 (annual report) reminder before 31 May naming who has not filed yet, and
the overdue notice the day after, naming who still has not (with the art. 19 risk).

A town's notice is about that town only: enterprise lists are read through the recipient's
own scope (`Enterprise.objects.for_user`) and narrowed to the town, never computed for the
district and then filtered.
"""

import datetime

from celery import shared_task
from django.conf import settings
from django.urls import reverse

from core.choices import Role
from core.dates import today
from core.models import OrgUnit
from core.notifications import (
    NoticeJob,
    catch_up_days,
    chinese_date,
    is_due,
    notify,
    run_jobs,
    users_of,
)
from core.schedules import Schedule
from core.selectors import districts
from enterprises.models import Enterprise

from . import prediagnosis
from .annual_reports import annual_report_deadline, annual_report_unfiled_ids, report_risks
from .selectors import expiring_certificates


def _district_summary(
    district: OrgUnit, counts: list, *, title: str, lead: str, link: str, dedupe: str
) -> int:
    """The district staff's notice beside the towns' own lists: the total and the count per
    town ({total} in `title` and `lead`). Nothing when no town has any."""
    total = sum(n for _, n in counts)
    if not total:
        return 0
    per_town = "；".join(f"{t.notice_name} {n} 家" for t, n in counts if n)
    return len(
        notify(
            users_of(district, roles=[Role.DISTRICT_STAFF]),
            title=title.format(total=total),
            body=f"{lead.format(total=total)}，其中：{per_town}。各单位已收到本单位名单。",
            link=link,
            dedupe=dedupe,
        )
    )


def expiry_notice_day(year: int) -> datetime.date:
    month, day = str(getattr(settings, "EXPIRY_NOTICE_MONTH_DAY", "01-15")).split("-")
    return datetime.date(year, int(month), int(day))


def annual_report_notice_day(year: int) -> datetime.date:
    return datetime.date(year, 5, int(getattr(settings, "ANNUAL_REPORT_NOTICE_DAY", 15)))


def _towns(district: OrgUnit):
    return district.children.filter(is_active=True).order_by("order", "name")


def _certificate_line(n: int, cert) -> str:
    renewing = "，已申报重新认定" if cert.renewing else ""
    return (
        f"{n}. {cert.enterprise.name}（证书 {cert.number}，{chinese_date(cert.expires_on)}到期"
        f"{renewing}）"
    )


def send_expiry_notices(on: datetime.date) -> int:
    """Once a year: each town's users get their own certificates expiring this year; the
    district staff get the count per town."""
    if not is_due(on, expiry_notice_day(on.year)):
        return 0
    year, sent = on.year, 0
    link = f"{reverse('cultivation:expiring')}?year={year}"
    for district in districts():
        counts = []
        for town in _towns(district):
            counts.append(
                (town, expiring_certificates(Enterprise.objects.in_unit(town), year).count())
            )
            for user in users_of(town):
                # The recipient's own scope, narrowed to this town: nothing else can leak in.
                mine = Enterprise.objects.for_user(user).in_unit(town)
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
        sent += _district_summary(
            district,
            counts,
            title=f"{year}年高企证书到期提醒：{district}共 {{total}} 家",
            lead=f"{year}年到期的高企证书共 {{total}} 家",
            link=link,
            dedupe=f"expiry:{year}:unit{district.pk}",
        )
    return sent


def _unfiled_in(user, town: OrgUnit, year: int, on: datetime.date) -> list[Enterprise]:
    """The town's enterprises, as its user may see them, that had to file the `year` 年报
    and have not by `on`."""
    return list(
        Enterprise.objects.for_user(user)
        .in_unit(town)
        .filter(pk__in=annual_report_unfiled_ids(year, on))
        .order_by("name")
    )


def send_annual_report_reminders(on: datetime.date) -> int:
    """Before 31 May: each town's users get the 高企 that must file last year's report —
    those holding a valid certificate at the end of last year — and have not filed yet."""
    due = annual_report_notice_day(on.year)
    deadline = annual_report_deadline(on.year - 1)
    until = min(due + datetime.timedelta(days=catch_up_days()), max(due, deadline))
    if not is_due(on, due, until):
        return 0
    last_year, sent = on.year - 1, 0
    for district in districts():
        for town in _towns(district):
            for user in users_of(town):
                names = [e.name for e in _unfiled_in(user, town, last_year, on)]
                if not names:
                    continue
                sent += len(
                    notify(
                        [user],
                        title=(
                            f"{last_year}年度高企年报提醒：{town} {len(names)} 家未填报"
                            f"（{deadline.month}月{deadline.day}日前）"
                        ),
                        body=(
                            f"请督促以下 {len(names)} 家尚未填报的高新技术企业于{chinese_date(deadline)}前"
                            f"登录“高新技术企业认定管理工作网”填报{last_year}年度发展情况报表（年报）；"
                            "累计两年未填报的，将被取消高企资格。\n" + "、".join(names)
                        ),
                        link=f"{reverse('cultivation:annual_reports')}?year={last_year}",
                        dedupe=f"annual-report:{on.year}:unit{town.pk}",
                    )
                )
    return sent


def _overdue_line(n: int, enterprise: Enterprise, risk) -> str:
    return f"{n}. {enterprise.name}" + (f"（{risk.label}）" if risk else "")


def send_annual_report_overdue(on: datetime.date) -> int:
    """The day after 31 May: each town's users get their 高企 that have not filed last year's
    report, each with its qualification risk; the district staff get the count per town."""
    deadline = annual_report_deadline(on.year - 1)
    if not is_due(on, deadline + datetime.timedelta(days=1)):
        return 0
    year, sent = on.year - 1, 0
    link = f"{reverse('cultivation:annual_reports')}?year={year}"
    for district in districts():
        counts = []
        for town in _towns(district):
            counts.append(
                (
                    town,
                    Enterprise.objects.in_unit(town)
                    .filter(pk__in=annual_report_unfiled_ids(year, on))
                    .count(),
                )
            )
            for user in users_of(town):
                overdue = _unfiled_in(user, town, year, on)
                if not overdue:
                    continue
                risks = report_risks([e.pk for e in overdue], on)
                lines = [_overdue_line(n, e, risks.get(e.pk)) for n, e in enumerate(overdue, 1)]
                at_stake = sum(r.cancellation for r in risks.values())
                stake = f"，其中 {at_stake} 家累计 2 年未报，面临取消高企资格" if at_stake else ""
                sent += len(
                    notify(
                        [user],
                        title=f"{year}年度高企年报逾期：{town} {len(overdue)} 家未填报",
                        body=(
                            f"{year}年度发展情况报表（年报）已于{chinese_date(deadline)}截止，"
                            f"{town}以下 {len(overdue)} 家高新技术企业尚未填报{stake}。"
                            "请督促尽快补报；已填报的，请在平台登记或由区科技局导入名单：\n"
                            + "\n".join(lines)
                        ),
                        link=link,
                        dedupe=f"annual-report-overdue:{year}:unit{town.pk}",
                    )
                )
        sent += _district_summary(
            district,
            counts,
            title=f"{year}年度高企年报逾期：{district}共 {{total}} 家未填报",
            lead=f"{year}年度年报逾期未报共 {{total}} 家",
            link=link,
            dedupe=f"annual-report-overdue:{year}:unit{district.pk}",
        )
    return sent


NOTICE_JOBS = [
    NoticeJob("expiry", "证书到期", send_expiry_notices),
    NoticeJob("annual_reports", "年报提醒", send_annual_report_reminders),
    NoticeJob("annual_reports_overdue", "年报逾期", send_annual_report_overdue),
]


@shared_task(name="cultivation.daily_notices")
def daily_notices(on: str | None = None) -> dict[str, int]:
    """Daily at 08:00; each job decides itself whether today is its day."""
    return run_jobs(NOTICE_JOBS, datetime.date.fromisoformat(on) if on else today())


@shared_task(name="cultivation.refresh_prediagnoses")
def refresh_prediagnoses(enterprise_ids: list[int]) -> int:
    """Recompute the stale stored pre-diagnoses of these enterprises (queued by the change
    hook, cultivation/prediagnosis.py on_change, once the change has committed)."""
    return prediagnosis.refresh_prediagnoses(enterprise_ids=enterprise_ids)


SCHEDULES = [
    Schedule("每日提醒（证书到期/年报）", "cultivation.daily_notices", hour="8", minute="0")
]
