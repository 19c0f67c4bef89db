"""The home page's reads: what each user has to do today.

A town sees its open reporting periods — deadline, days left, where its submission stands;
the district sees who has not reported, what waits for its review, and the certificates
running out this quarter; everyone sees the headline completion figures (from the
dashboard's cached summary block) and their unread notices. Each item links to the page
that deals with it. Everything is read through the scoped selectors the pages use.
"""

import datetime
from dataclasses import dataclass

from django.urls import reverse

from core.dates import today
from core.models import Notification, OrgUnit, User
from core.scoping import visible_unit_ids
from cultivation.selectors import expiring_certificates
from enterprises.selectors import enterprises_for
from reports.choices import SubmissionStatus
from reports.models import ReportingPeriod, Submission
from reports.selectors import latest_submission, missing_units, periods_for, reopened_until

from . import selectors

NOTICES_SHOWN = 5
WAITING_SHOWN = 10


@dataclass(frozen=True)
class PeriodTask:
    """One open period as the reporting unit sees it."""

    period: ReportingPeriod
    deadline: datetime.date
    days_left: int
    reopened: bool
    submission: Submission | None

    @property
    def state(self) -> str:
        """未报送 / 待审核 / 已退回 / 已审核通过 — what the town does next depends on it."""
        if self.submission is None:
            return "未报送"
        return self.submission.get_status_display()


def quarter_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = datetime.date(day.year, first_month, 1)
    end_month = first_month + 2
    following = datetime.date(day.year + (end_month == 12), end_month % 12 + 1, 1)
    return start, following - datetime.timedelta(days=1)


def open_periods(user: User, unit: OrgUnit, on: datetime.date) -> list[PeriodTask]:
    """The periods the unit must report for that are open on `on` (reopened for it included)."""
    tasks = []
    periods = periods_for(user).filter(required_units=unit, window_start__lte=on)
    for period in periods.order_by("deadline"):
        reopened = reopened_until(period, on).get(unit.pk)
        deadline = max(period.deadline, reopened) if reopened else period.deadline
        if deadline < on:
            continue
        tasks.append(
            PeriodTask(
                period=period,
                deadline=deadline,
                days_left=(deadline - on).days,
                reopened=reopened is not None and reopened > period.deadline,
                submission=latest_submission(period, unit),
            )
        )
    return tasks


def review_queue(user: User, unit: OrgUnit) -> list[Submission]:
    """Versions waiting for this bureau's review: submitted to the periods it opened."""
    return list(
        Submission.objects.filter(
            period__in=periods_for(user).filter(unit=unit), status=SubmissionStatus.SUBMITTED
        )
        .exclude(unit=unit)
        .select_related("period", "unit", "uploaded_by")
        .order_by("uploaded_at")
    )


def expiring_this_quarter(user: User, unit: OrgUnit, on: datetime.date) -> dict:
    """The certificates the expiring page lists for this quarter (its link: the same list)."""
    start, end = quarter_bounds(on)
    quarter = (on.month - 1) // 3 + 1
    certificates = expiring_certificates(enterprises_for(user).in_unit(unit), on.year, quarter)
    url = f"{reverse('cultivation:expiring')}?unit={unit.pk}&year={on.year}&quarter={quarter}"
    return {"count": certificates.count(), "start": start, "end": end, "url": url}


def headline(user: User, unit: OrgUnit, year: int) -> dict:
    """The dashboard's summary cards (cached there), kept to the units the user may see."""
    visible = visible_unit_ids(user, within=unit)
    return selectors.scoped(selectors.payload("summary", unit, year), visible)


def unread_notices(user: User) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=user, read_at__isnull=True).order_by(
            "-created_at", "-id"
        )[:NOTICES_SHOWN]
    )


def todo(user: User) -> dict:
    """Everything the home page shows for `user`."""
    on = today()
    unit = user.unit
    context: dict = {"on": on, "notices": unread_notices(user)}
    if unit is None:
        return context
    context["periods"] = open_periods(user, unit, on)
    if unit.children.exists():  # a bureau with units below it: the district's list
        period = selectors.current_period(unit, on)
        if period is not None:
            visible = visible_unit_ids(user, within=unit)
            context["current_period"] = period
            context["not_reported"] = [
                u for u in missing_units(period) if u.pk in visible and u.pk != unit.pk
            ]
        if not user.is_read_only:
            waiting = review_queue(user, unit)
            context["reviews"] = True
            context["waiting"] = waiting[:WAITING_SHOWN]
            context["waiting_count"] = len(waiting)
        context["expiring"] = expiring_this_quarter(user, unit, on)
    context["headline"] = headline(user, unit, on.year)
    context["dashboard_url"] = selectors.dashboard_url(unit.pk, on.year)
    return context
