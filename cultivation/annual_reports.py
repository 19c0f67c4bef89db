"""年报 (annual development reports): who had to file a year's report, who did, who is
overdue, and the risk to the qualification — the reads behind the 年报 page, the notices and
the enterprise page's flag (split from selectors.py, which passed 500 lines)."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from core.dates import today
from core.models import OrgUnit
from enterprises.models import Enterprise

from .models import AnnualReport, Certificate
from .selectors import count_by_child, valid_hte_ids, year_end

# --- 年报 (annual development reports) ---------------------------------------------------------
#
# 《高新技术企业认定管理办法》(国科发火〔2016〕32号): every 高企 files last year's report by the end
# of May (art. 17); 累计两年未填报 costs the qualification (art. 19). Who had to file a year's
# report is who held a valid certificate on 31 December of that year.

ANNUAL_REPORT_DUE = (5, 31)


def annual_report_deadline(year: int) -> datetime.date:
    """The last day to file the report on `year` (31 May of the next year)."""
    return datetime.date(year + 1, *ANNUAL_REPORT_DUE)


def last_closed_report_year(on: datetime.date) -> int:
    """The latest report year whose deadline has passed by `on`: after 31 May 2019, 2018."""
    return on.year - 1 if on > annual_report_deadline(on.year - 1) else on.year - 2


def annual_report_due_ids(year: int) -> QuerySet:
    return valid_hte_ids(year_end(year))


def annual_report_filed_ids(year: int, on: datetime.date) -> QuerySet:
    """Enterprises whose `year` report is recorded as filed on or before `on` (a late filing
    counts: art. 19 speaks of reports never filed, not filed late)."""
    return AnnualReport.objects.filter(year=year, filed_on__lte=on).values("enterprise_id")


def annual_report_unfiled_ids(year: int, on: datetime.date) -> QuerySet:
    """Enterprises that had to file the `year` report and have not by `on`."""
    return annual_report_due_ids(year).exclude(enterprise_id__in=annual_report_filed_ids(year, on))


def filed_dates(year: int, enterprise_ids: list[int]) -> dict[int, datetime.date]:
    """{enterprise id: filing date} of the `year` reports recorded for these enterprises."""
    rows = AnnualReport.objects.filter(year=year, enterprise_id__in=enterprise_ids)
    return dict(rows.values_list("enterprise_id", "filed_on"))


def tracked_report_years() -> list[int]:
    """Years for which the portal holds filings at all. A year without a single row means its
    list was never imported — not that every 高企 missed it — so it never counts as missed."""
    return sorted(AnnualReport.objects.order_by().values_list("year", flat=True).distinct())


@dataclass(frozen=True)
class ReportRisk:
    """Report years an enterprise has missed within its current qualification."""

    missed: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.missed)

    @property
    def cancellation(self) -> bool:
        return self.count >= 2

    @property
    def label(self) -> str:
        if self.cancellation:
            return f"累计 {self.count} 年未报：资格取消风险"
        return "1 年未报：风险" if self.count else ""

    @property
    def years_text(self) -> str:
        return "、".join(f"{year}年度" for year in self.missed)


def report_risks(enterprise_ids, on: datetime.date | None = None) -> dict[int, ReportRisk]:
    """{id: ReportRisk} for the enterprises with at least one missed report as of `on`.

    Counted within the qualification at stake: from the issue year of the certificate valid
    on `on` (else the latest one) — a renewed certificate is a new qualification. Only years
    whose deadline has passed and whose list the portal holds (tracked_report_years) count.
    Three queries whatever the number of enterprises.
    """
    on = on or today()
    ids = list(enterprise_ids)
    years = [y for y in tracked_report_years() if annual_report_deadline(y) < on]
    if not ids or not years:
        return {}
    certificates: dict[int, list[Certificate]] = {}
    for cert in Certificate.objects.filter(enterprise_id__in=ids, issued_on__lte=on).order_by(
        "issued_on"
    ):
        certificates.setdefault(cert.enterprise_id, []).append(cert)
    filed = set(
        AnnualReport.objects.filter(
            enterprise_id__in=ids, year__in=years, filed_on__lte=on
        ).values_list("enterprise_id", "year")
    )

    def valid(cert: Certificate, day: datetime.date) -> bool:
        revoked = cert.revoked_on is not None and cert.revoked_on <= day
        return cert.issued_on <= day <= cert.expires_on and not revoked

    risks = {}
    for enterprise_id, certs in certificates.items():
        current = next((c for c in reversed(certs) if valid(c, on)), certs[-1])
        missed = tuple(
            year
            for year in years
            if year >= current.issued_on.year
            and any(valid(c, year_end(year)) for c in certs)
            and (enterprise_id, year) not in filed
        )
        if missed:
            risks[enterprise_id] = ReportRisk(missed)
    return risks


def annual_report_counts(unit: OrgUnit, year: int, on: datetime.date) -> list[dict]:
    """Per child of `unit` (then the unit's total): how many had to file the `year` report,
    how many have by `on`, how many have not — each enterprise in its town as of `on`."""
    due = annual_report_due_ids(year)
    counts = {
        "due": count_by_child(due, unit, on),
        "filed": count_by_child(
            due.filter(enterprise_id__in=annual_report_filed_ids(year, on)), unit, on
        ),
        "unfiled": count_by_child(annual_report_unfiled_ids(year, on), unit, on),
    }
    children = list(unit.children.filter(is_active=True).order_by("order", "name"))
    rows = []
    for each in [*children, unit]:
        row = {"unit": each, "total": each is unit}
        row.update({key: per.get(each.pk, 0) for key, per in counts.items()})
        rows.append(row)
    return rows


def annual_report_status(enterprise: Enterprise, on: datetime.date | None = None) -> dict | None:
    """For an enterprise's page: the report due this year (on last year) — filed, pending or
    overdue — and the qualification risk. None when it never had to file one."""
    on = on or today()
    year = on.year - 1
    due = annual_report_due_ids(year).filter(enterprise_id=enterprise.pk).exists()
    report = enterprise.annualreports.filter(year=year, filed_on__lte=on).first()
    risk = report_risks([enterprise.pk], on).get(enterprise.pk)
    if not due and report is None and risk is None:
        return None
    deadline = annual_report_deadline(year)
    if report is not None:
        state, level = f"{year}年度年报已填报（{report.filed_on:%Y-%m-%d}）", "ok"
    elif not due:
        state, level = f"{year}年度无需填报年报", ""
    elif on > deadline:
        state, level = f"{year}年度年报逾期未报（截止 {deadline:%Y-%m-%d}）", "bad"
    else:
        state, level = f"{year}年度年报未填报（截止 {deadline:%Y-%m-%d}）", "warn"
    return {"year": year, "state": state, "level": level, "risk": risk}
