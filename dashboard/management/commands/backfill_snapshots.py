import datetime

from django.core.management.base import BaseCommand, CommandError

from core.dates import quarter_ends, today
from core.models import OrgUnit
from dashboard.services import take_snapshots


class Command(BaseCommand):
    help = (
        "补录指标快照：指定年度已过去的各季度末（--year，可重复），和/或最近 N 天（--days N）。"
        "同一日期重复运行会替换原有快照，不会重复。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            default=[],
            help="年度，可重复：--year 2018 --year 2019",
        )
        parser.add_argument(
            "--quarters", action="store_true", help="补各年度的季度末（给了 --year 即补，可省略）"
        )
        parser.add_argument("--days", type=int, default=0, help="另补最近 N 天（含今天）")
        parser.add_argument(
            "--unit", help="只补该单位及其下级（单位 id 或名称）；默认所有有下级的单位"
        )

    def handle(self, *args, year, quarters, days, unit, **options):
        if not year and not days:
            raise CommandError("请用 --year 指定年度（可重复），或用 --days 指定最近天数。")
        units = [self._unit(unit)] if unit else None
        now = today()
        dates: set[datetime.date] = set()
        if quarters and not year:
            raise CommandError("--quarters 需要用 --year 指定年度。")
        for y in year:  # the quarter ends of each year, those already past
            dates.update(d for d in quarter_ends(y) if d <= now)
            skipped = [d for d in quarter_ends(y) if d > now]
            if skipped:
                self.stdout.write(f"{y}年：跳过尚未到来的季度末 {', '.join(map(str, skipped))}")
        dates.update(now - datetime.timedelta(days=n) for n in range(days))
        total = 0
        for day in sorted(dates):
            written = take_snapshots(day, units=units)
            total += written
            self.stdout.write(f"{day}：写入 {written} 条快照")
        self.stdout.write(self.style.SUCCESS(f"完成：{len(dates)} 个日期，共 {total} 条快照。"))

    def _unit(self, raw: str) -> OrgUnit:
        matches = OrgUnit.objects.filter(pk=int(raw)) if raw.isdigit() else None
        if matches is None or not matches.exists():
            matches = OrgUnit.objects.filter(name=raw)
        if matches.count() != 1:
            raise CommandError(f"找不到唯一的单位“{raw}”：请给出单位 id 或完整名称。")
        return matches.get()
