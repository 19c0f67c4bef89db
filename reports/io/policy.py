"""Who may upload for a period, and when — the rules an upload meets before its file is read
(beside safety's file checks, which it meets next)."""

import datetime

from django.core.exceptions import PermissionDenied

from core.dates import today
from core.models import OrgUnit, User
from core.scoping import ensure_unit_in_scope

from ..choices import SubmissionStatus
from ..models import ReportingPeriod
from ..selectors import latest_submission


def check_uploader(actor: User | None, period: ReportingPeriod, unit: OrgUnit) -> None:
    """The uploader may write for the unit, and the unit must report for the period."""
    if actor is not None:
        ensure_unit_in_scope(actor, unit)
    if not period.required_units.filter(pk=unit.pk).exists():
        raise PermissionDenied(f"{unit}不在{period}的报送单位名单中。")


def upload_refusal(period: ReportingPeriod, unit: OrgUnit, on: datetime.date | None = None) -> str:
    """Why `unit` may not upload for `period` now ("" if it may), in Chinese."""
    on = on or today()
    reopened = period.reopenings.filter(unit=unit, until__gte=on).exists()
    if on < period.window_start:
        return f"{period}报送尚未开始（{period.window_start:%Y年%m月%d日}起）。"
    latest = latest_submission(period, unit)
    if latest and latest.status == SubmissionStatus.APPROVED and not reopened:
        return f"{unit}{period}报送已审核通过并锁定；如需修改，请联系区科技局重新开放。"
    locked_after = period.deadline + datetime.timedelta(days=period.lock_days)
    if on > locked_after and not reopened:
        return (
            f"{period}报送截止日期为 {period.deadline:%Y年%m月%d日}，已于 {locked_after:%Y年%m月%d日} 后锁定，"
            "不能再上传；如需补报，请联系区科技局重新开放。"
        )
    return ""
