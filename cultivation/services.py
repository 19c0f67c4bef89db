"""Writes to the ladder. Each keeps the history consistent, checks scope, and is logged on the
enterprise (so its page shows ladder changes beside registry edits)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from core.changelog import log_change, snapshot
from core.choices import Action
from core.dates import today
from core.models import User
from core.scoping import ensure_in_scope
from enterprises.models import Enterprise

from .choices import (
    NEXT_STATUS,
    AnnualReportSource,
    ApplicationKind,
    ApplicationStatus,
    PoolExit,
)
from .models import (
    AnnualReport,
    Application,
    Certificate,
    Honour,
    PoolMembership,
    TechSMEEvaluation,
)

CERTIFICATE_YEARS = 3


def _save_and_log(actor, record, action, before=None, note=""):
    record.full_clean()
    record.save()
    log_change(
        actor=actor,
        instance=record.enterprise,
        action=action,
        unit=record.enterprise.town,
        before=before,
        after=snapshot(record, _logged_fields(record)),
        note=note or f"{record._meta.verbose_name}：{record}",
    )
    return record


def _logged_fields(record) -> list[str]:
    return [f.name for f in record._meta.concrete_fields if f.name not in ("enterprise",)]


def _guard(actor, enterprise: Enterprise):
    if actor is not None:
        ensure_in_scope(actor, enterprise)


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def record_evaluation(
    *,
    actor: User | None,
    enterprise: Enterprise,
    year: int,
    reg_number: str = "",
    evaluated_on: datetime.date | None = None,
    source: str = "",
) -> TechSMEEvaluation:
    _guard(actor, enterprise)
    if evaluated_on and evaluated_on.year != year:
        raise ValidationError({"evaluated_on": f"入库日期应在{year}年内。"})
    if enterprise.techsmeevaluations.filter(year=year).exists():
        raise ValidationError({"year": f"该企业{year}年已有科技型中小企业评价记录。"})
    record = TechSMEEvaluation(
        enterprise=enterprise,
        year=year,
        reg_number=reg_number.strip(),
        evaluated_on=evaluated_on,
        source=source,
    )
    return _save_and_log(actor, record, Action.CREATE)


@transaction.atomic
def add_pool_membership(
    *,
    actor: User | None,
    enterprise: Enterprise,
    level: str,
    year: int,
    start: datetime.date,
    batch: str = "",
    end: datetime.date | None = None,
    exit_reason: str = "",
    source: str = "",
) -> PoolMembership:
    _guard(actor, enterprise)
    record = PoolMembership(
        enterprise=enterprise,
        level=level,
        year=year,
        start=start,
        batch=batch,
        end=end,
        exit_reason=exit_reason,
        source=source,
    )
    _check_pool(record)
    return _save_and_log(actor, record, Action.CREATE)


def _check_pool(record: PoolMembership):
    if record.end and not record.exit_reason:
        raise ValidationError({"exit_reason": "填写出库日期时请选择出库原因。"})
    if record.end and record.end < record.start:
        raise ValidationError({"end": "出库日期不能早于入库日期。"})
    others = PoolMembership.objects.filter(
        enterprise=record.enterprise, level=record.level
    ).exclude(pk=record.pk)
    for other in others:
        starts_before_other_ends = other.end is None or record.start <= other.end
        ends_after_other_starts = record.end is None or record.end >= other.start
        if starts_before_other_ends and ends_after_other_starts:
            until = f"{other.end:%Y-%m-%d}" if other.end else "至今"
            raise ValidationError(
                {"start": f"与已有的{other}（{other.start:%Y-%m-%d} 至 {until}）时间重叠。"}
            )


@transaction.atomic
def end_pool_membership(
    *, actor: User | None, membership: PoolMembership, end: datetime.date, exit_reason: str
) -> PoolMembership:
    _guard(actor, membership.enterprise)
    if membership.end is not None:
        raise ValidationError({"end": f"该记录已于 {membership.end:%Y-%m-%d} 出库。"})
    before = snapshot(membership, _logged_fields(membership))
    membership.end, membership.exit_reason = end, exit_reason
    _check_pool(membership)
    return _save_and_log(actor, membership, Action.UPDATE, before=before)


@transaction.atomic
def add_application(
    *,
    actor: User | None,
    enterprise: Enterprise,
    year: int,
    kind: str,
    batch: str = "",
    status: str = ApplicationStatus.PLANNED,
    planned_on: datetime.date | None = None,
    submitted_on: datetime.date | None = None,
    decided_on: datetime.date | None = None,
    source: str = "",
) -> Application:
    _guard(actor, enterprise)
    if kind == ApplicationKind.RENEWAL and not enterprise.certificates.exists():
        raise ValidationError({"kind": "该企业没有高企证书记录，不能选择“重新认定”。"})
    if enterprise.applications.filter(year=year, batch=batch).exists():
        raise ValidationError({"year": f"该企业{year}年{batch and f'第{batch}批'}已有申报记录。"})
    record = Application(
        enterprise=enterprise,
        year=year,
        kind=kind,
        batch=batch,
        status=status,
        planned_on=planned_on,
        submitted_on=submitted_on,
        decided_on=decided_on,
        source=source,
    )
    _check_dates_for_status(record)
    return _save_and_log(actor, record, Action.CREATE)


def _check_dates_for_status(record: Application):
    required: dict[str, list[str]] = {
        ApplicationStatus.SUBMITTED: ["submitted_on"],
        ApplicationStatus.PASSED: ["submitted_on", "decided_on"],
        ApplicationStatus.FAILED: ["submitted_on", "decided_on"],
    }
    needs = required.get(record.status, [])
    labels = {"submitted_on": "申报日期", "decided_on": "结果日期"}
    missing = {
        name: f"状态为“{record.get_status_display()}”时请填写{labels[name]}。"
        for name in needs
        if getattr(record, name) is None
    }
    if missing:
        raise ValidationError(missing)


@transaction.atomic
def advance_application(
    *, actor: User | None, application: Application, status: str, on: datetime.date
) -> Application:
    """Move an application one step: 拟申报 → 已申报 → 通过 / 未通过 (or 撤回)."""
    _guard(actor, application.enterprise)
    allowed: set[str] = NEXT_STATUS.get(application.status, set())
    if status not in allowed:
        raise ValidationError(
            {
                "status": f"“{application.get_status_display()}”的申报不能改为“{ApplicationStatus(status).label}”。"
            }
        )
    before = snapshot(application, _logged_fields(application))
    application.status = status
    if status == ApplicationStatus.SUBMITTED:
        application.submitted_on = on
    elif status in (ApplicationStatus.PASSED, ApplicationStatus.FAILED):
        application.decided_on = on
    return _save_and_log(actor, application, Action.UPDATE, before=before)


@transaction.atomic
def record_certificate(
    *,
    actor: User | None,
    enterprise: Enterprise,
    number: str,
    issued_on: datetime.date,
    historical: bool = False,
    source: str = "",
) -> Certificate:
    """A certificate needs that year's application (marked 通过 here), unless it is a
    historical record being back-filled. Open pool memberships end: the enterprise made it."""
    _guard(actor, enterprise)
    if issued_on.year > datetime.date.max.year - CERTIFICATE_YEARS:
        raise ValidationError({"issued_on": "发证日期超出可登记的范围。"})
    latest = enterprise.certificates.order_by("-issued_on").first()
    if latest and issued_on <= latest.issued_on:
        raise ValidationError(
            {
                "issued_on": f"发证日期须晚于上一张证书 {latest.number} 的发证日期 {latest.issued_on:%Y-%m-%d}。"
            }
        )
    application = None
    if not historical:
        application = enterprise.applications.filter(
            year=issued_on.year,
            status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.PASSED],
            certificate__isnull=True,
        ).first()
        if application is None:
            raise ValidationError(
                {
                    "issued_on": f"{issued_on.year}年没有该企业已申报的高企申报记录：请先登记申报，或勾选“历史补录”。"
                }
            )
        if application.submitted_on and issued_on < application.submitted_on:
            raise ValidationError({"issued_on": "发证日期不能早于申报日期。"})
        if application.status != ApplicationStatus.PASSED:
            advance_application(
                actor=actor, application=application, status=ApplicationStatus.PASSED, on=issued_on
            )
    record = Certificate(
        enterprise=enterprise,
        number=number.strip().upper(),
        issued_on=issued_on,
        expires_on=add_years(issued_on, CERTIFICATE_YEARS),
        application=application,
        historical=historical,
        source=source,
    )
    _save_and_log(actor, record, Action.CREATE)
    for membership in enterprise.poolmemberships.filter(end__isnull=True, start__lte=issued_on):
        end_pool_membership(
            actor=actor, membership=membership, end=issued_on, exit_reason=PoolExit.CERTIFIED
        )
    return record


@transaction.atomic
def add_honour(
    *,
    actor: User | None,
    enterprise: Enterprise,
    type: str,
    level: str,
    year: int,
    expires_year: int | None = None,
    source: str = "",
) -> Honour:
    _guard(actor, enterprise)
    if expires_year is not None and expires_year < year:
        raise ValidationError({"expires_year": "有效至年度不能早于认定年度。"})
    record = Honour(
        enterprise=enterprise,
        type=type,
        level=level,
        year=year,
        expires_year=expires_year,
        source=source,
    )
    return _save_and_log(actor, record, Action.CREATE)


@transaction.atomic
def record_annual_report(
    *,
    actor: User | None,
    enterprise: Enterprise,
    year: int,
    filed_on: datetime.date,
    source: str = AnnualReportSource.ENTERED,
    notes: str = "",
    replace: bool = False,
) -> AnnualReport:
    """That `enterprise` filed its `year` 年报 on `filed_on`.

    A clerk's second entry for the same year is refused (it would silently move a date). An
    import passes `replace`: the national system's list is the authority, so a different date
    there wins (logged as a change) and the same date changes nothing — re-importing a file
    writes nothing and logs nothing.
    """
    _guard(actor, enterprise)
    if filed_on.year <= year:
        raise ValidationError({"filed_on": f"{year}年度年报的填报日期须在{year + 1}年1月1日之后。"})
    if filed_on > today():
        raise ValidationError({"filed_on": f"填报日期 {filed_on:%Y-%m-%d} 晚于今天。"})
    existing = AnnualReport.objects.filter(enterprise=enterprise, year=year).first()
    if existing is None:
        record = AnnualReport(
            enterprise=enterprise,
            year=year,
            filed_on=filed_on,
            source=source,
            recorded_by=actor,
            notes=notes.strip(),
        )
        return _save_and_log(actor, record, Action.CREATE)
    if existing.filed_on == filed_on and replace:
        return existing
    if not replace:
        raise ValidationError(
            {"year": f"该企业{year}年度年报已登记（{existing.filed_on:%Y-%m-%d}填报）。"}
        )
    before = snapshot(existing, _logged_fields(existing))
    existing.filed_on, existing.source, existing.recorded_by = filed_on, source, actor
    return _save_and_log(actor, existing, Action.UPDATE, before=before)
