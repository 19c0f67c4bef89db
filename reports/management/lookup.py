"""The unit and the period a command names, shared by the quarterly commands."""

from django.core.management.base import CommandError
from django.db.models import Q

from core.models import OrgUnit

from ..models import ReportingPeriod


def unit_named(name: str) -> OrgUnit:
    """The active unit with this name or short name (湖塘镇 or 湖塘)."""
    matches = list(OrgUnit.objects.filter(Q(name=name) | Q(short_name=name), is_active=True))
    if len(matches) != 1:
        raise CommandError(f"单位“{name}”{'不存在' if not matches else '有重名，请写全称'}。")
    return matches[0]


def period_for(code: str, unit: OrgUnit) -> ReportingPeriod:
    """The period `code` (2019Q2) that `unit` reports in."""
    try:
        year, quarter = (int(part) for part in code.upper().split("Q"))
    except ValueError as exc:
        raise CommandError(f"期次“{code}”格式不对，应如 2019Q1。") from exc
    period = ReportingPeriod.objects.filter(year=year, quarter=quarter, required_units=unit).first()
    if period is None:
        raise CommandError(f"{unit}没有 {year}年第{quarter}季度 的报送期次。")
    return period
