"""Demo ladder history for the Wujin towns, consistent with 武科发〔2019〕14号.

By construction, on 2018-12-31 each town holds exactly the notice's count of valid 高企,
and exactly its count of certificates expiring in 2019 ("2018年底高企到期数"). Around them:
older certificates (renewals), applications 2016–2018 with their outcomes (so pass rates
exist), mid-2019 applications in progress, pool members (some stalled), 科小 evaluations
and a few honours. Written with bulk_create: this is back-filled history, not user edits.

年报: the 2017 and 2018 filed lists, as the district would have imported them — most due 高企
filed, but a few towns have gaps (so on the demo date, 2019-07-15, the overdue list is real,
and an enterprise missing both years stands at 资格取消风险). Loaded on its own check, so a
database loaded before the 年报 existed gets them too, and a second run adds nothing.
"""

import datetime
import random
from collections import defaultdict

from core.seeds import WUJIN_2019_ROWS
from enterprises.demo import plan
from enterprises.models import Enterprise

from .annual_reports import annual_report_due_ids
from .choices import (
    AnnualReportSource,
    ApplicationKind,
    ApplicationStatus,
    HonourLevel,
    HonourType,
    PoolExit,
    PoolLevel,
)
from .models import (
    AnnualReport,
    Application,
    Certificate,
    Honour,
    PoolMembership,
    TechSMEEvaluation,
)
from .services import add_years

SEED = 2018
D = datetime.date
ISSUE_DATES = {  # the province's certificate batches, by year
    2013: [D(2013, 12, 3)],
    2014: [D(2014, 10, 31)],
    2015: [D(2015, 10, 10), D(2015, 11, 3)],
    2016: [D(2016, 11, 30), D(2016, 12, 6)],
    2017: [D(2017, 11, 17), D(2017, 12, 7)],
    2018: [D(2018, 11, 28), D(2018, 11, 30)],
}


class _Builder:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.rows = defaultdict(list)
        self.cert_seq = defaultdict(int)
        self.sme_seq = defaultdict(int)

    def certificate(
        self, enterprise_id, year, *, with_application=True, kind=ApplicationKind.FIRST
    ):
        issued = self.rng.choice(ISSUE_DATES[year])
        self.cert_seq[year] += 1
        application = None
        if with_application:
            application = self.application(
                enterprise_id, year, kind, ApplicationStatus.PASSED, decided=issued
            )
        self.rows[Certificate].append(
            Certificate(
                enterprise_id=enterprise_id,
                number=f"GR{year}3200{self.cert_seq[year]:04d}",
                issued_on=issued,
                expires_on=add_years(issued, 3),
                application=application,
                historical=not with_application,
                source="演示数据",
            )
        )

    def application(self, enterprise_id, year, kind, status, decided=None):
        submitted = D(year, self.rng.randint(5, 7), self.rng.randint(1, 28))
        planned = submitted - datetime.timedelta(days=self.rng.randint(20, 60))
        record = Application(
            enterprise_id=enterprise_id,
            year=year,
            kind=kind,
            status=status,
            planned_on=planned,
            submitted_on=submitted if status != ApplicationStatus.PLANNED else None,
            decided_on=decided or (D(year, 11, 20) if status == ApplicationStatus.FAILED else None),
            batch="",
            source="演示数据",
        )
        self.rows[Application].append(record)
        return record

    def pool(self, enterprise_id, year, end=None, exit_reason=""):
        self.rows[PoolMembership].append(
            PoolMembership(
                enterprise_id=enterprise_id,
                level=PoolLevel.PROVINCE,
                year=year,
                batch=str(self.rng.randint(1, 2)),
                start=D(year, self.rng.choice([6, 9]), 15),
                end=end,
                exit_reason=exit_reason,
                source="演示数据",
            )
        )

    def sme(self, enterprise_id, year):
        self.sme_seq[year] += 1
        self.rows[TechSMEEvaluation].append(
            TechSMEEvaluation(
                enterprise_id=enterprise_id,
                year=year,
                reg_number=f"{year}32041200{self.sme_seq[year]:04d}",
                evaluated_on=D(year, self.rng.randint(3, 8), self.rng.randint(1, 28)),
                source="演示数据",
            )
        )


def build(ids_by_town: dict[str, list[int]]) -> dict:
    """The demo ladder rows for each model, from the demo enterprises' ids per town."""
    b = _Builder()
    for row in WUJIN_2019_ROWS:
        ids = ids_by_town[row.unit]
        certified, candidates = ids[: row.valid_2018], ids[row.valid_2018 :]
        for index, enterprise_id in enumerate(certified):
            _certified_history(b, enterprise_id, expiring_2019=index < row.expiring)
        for index, enterprise_id in enumerate(candidates):
            _candidate_history(b, enterprise_id, index, new_target=row.new_applications)
    return b.rows


def _certified_history(b: _Builder, enterprise_id: int, *, expiring_2019: bool):
    rng = b.rng
    if expiring_2019:
        # Certified 2016 (expires 2019); a third were renewing a 2013 certificate.
        renewal = rng.random() < 0.35
        if renewal:
            b.certificate(enterprise_id, 2013, with_application=False)
        b.certificate(
            enterprise_id, 2016, kind=ApplicationKind.RENEWAL if renewal else ApplicationKind.FIRST
        )
        roll = rng.random()  # mid-2019: most have filed their 重新认定
        if roll < 0.7:
            b.application(enterprise_id, 2019, ApplicationKind.RENEWAL, ApplicationStatus.SUBMITTED)
        elif roll < 0.85:
            b.application(enterprise_id, 2019, ApplicationKind.RENEWAL, ApplicationStatus.PLANNED)
    else:
        year = rng.choice([2017, 2018])
        renewal = rng.random() < 0.25
        if renewal:
            b.certificate(enterprise_id, year - 3, with_application=False)
        elif rng.random() < 0.5:  # came up through the pool
            b.pool(
                enterprise_id,
                year - 1,
                end=rng.choice(ISSUE_DATES[year]),
                exit_reason=PoolExit.CERTIFIED,
            )
        b.certificate(
            enterprise_id, year, kind=ApplicationKind.RENEWAL if renewal else ApplicationKind.FIRST
        )
    if rng.random() < 0.6:
        b.sme(enterprise_id, 2019)
    if rng.random() < 0.06:
        b.rows[Honour].append(
            Honour(
                enterprise_id=enterprise_id,
                type=rng.choice([HonourType.GAZELLE, HonourType.SPECIALISED]),
                level=rng.choice([HonourLevel.CITY, HonourLevel.PROVINCE]),
                year=rng.choice([2017, 2018]),
                source="演示数据",
            )
        )


def _candidate_history(b: _Builder, enterprise_id: int, index: int, *, new_target: int):
    rng = b.rng
    b.sme(enterprise_id, 2018)
    if rng.random() < 0.85:
        b.sme(enterprise_id, 2019)
    if index % 5 == 4:  # in the pool since 2016 and never applied: stalled
        b.pool(enterprise_id, 2016)
        return
    if rng.random() < 0.3:  # tried before and failed: pass rates below 100 %
        b.application(
            enterprise_id,
            rng.choice([2016, 2017, 2018]),
            ApplicationKind.FIRST,
            ApplicationStatus.FAILED,
        )
    b.pool(enterprise_id, rng.choice([2018, 2019]))
    status = ApplicationStatus.SUBMITTED if rng.random() < 0.6 else ApplicationStatus.PLANNED
    b.application(enterprise_id, 2019, ApplicationKind.FIRST, status)


def load(stdout) -> None:
    _load_ladder(stdout)
    _load_annual_reports(stdout)


def _load_ladder(stdout) -> None:
    if Certificate.objects.filter(source="演示数据").exists():
        stdout.write("梯次培育：演示记录已存在，跳过")
        return
    by_uscc = dict(Enterprise.objects.values_list("uscc", "id"))
    ids_by_town = defaultdict(list)
    for item in plan():
        if item["uscc"] in by_uscc:
            ids_by_town[item["town"]].append(by_uscc[item["uscc"]])
    rows = build(ids_by_town)
    # Applications first: certificates point at them.
    for model in (Application, Certificate, PoolMembership, TechSMEEvaluation, Honour):
        model.objects.bulk_create(rows[model], batch_size=500)
    counts = "，".join(f"{m._meta.verbose_name} {len(rows[m])} 条" for m in rows)
    stdout.write(f"梯次培育：新建 {counts}")


DEMO_NOTE = "演示数据"
# Share of the due 高企 that did NOT file, per town (the others filed everything): the gaps
# the overdue list and the notices show on the demo date.
MISSING_SHARE = {"湖塘镇": 0.12, "牛塘镇": 0.2, "雪堰镇": 0.25, "嘉泽镇": 0.3}


def build_annual_reports(due: dict[int, list[int]], town_of: dict[int, str]) -> list[AnnualReport]:
    """{report year: due enterprise ids} → the filings. Whoever skipped 2017 mostly skipped
    2018 too (the same firms neglect it), which is what puts some at 资格取消风险."""
    rng = random.Random(SEED + 17)
    rows, skipped = [], set()
    for year in sorted(due):
        for enterprise_id in sorted(due[year]):
            share = MISSING_SHARE.get(town_of.get(enterprise_id, ""), 0.0)
            chance = 0.7 if enterprise_id in skipped else share
            if rng.random() < chance:
                skipped.add(enterprise_id)
                continue
            # The last fortnight of May, when most file: the 15 May reminder still names all.
            filed = D(year + 1, 5, rng.randint(16, 31))
            rows.append(
                AnnualReport(
                    enterprise_id=enterprise_id,
                    year=year,
                    filed_on=filed,
                    source=AnnualReportSource.IMPORTED,
                    notes=DEMO_NOTE,
                )
            )
    return rows


def _load_annual_reports(stdout) -> None:
    if AnnualReport.objects.filter(notes=DEMO_NOTE).exists():
        stdout.write("年报：演示记录已存在，跳过")
        return
    demo_ids = set(
        Enterprise.objects.filter(uscc__in=[item["uscc"] for item in plan()]).values_list(
            "id", flat=True
        )
    )
    town_of = dict(Enterprise.objects.filter(pk__in=demo_ids).values_list("pk", "town__name"))
    due = {
        year: [
            i
            for i in annual_report_due_ids(year).values_list("enterprise_id", flat=True)
            if i in demo_ids
        ]
        for year in (2017, 2018)
    }
    rows = build_annual_reports(due, town_of)
    AnnualReport.objects.bulk_create(rows, batch_size=500)
    stdout.write(f"年报：新建 {AnnualReport._meta.verbose_name} {len(rows)} 条")
