from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from targets.io import TableErrors, parse_attachment
from targets.io.read import fmt
from targets.models import TargetPlan
from targets.services import create_plan, replace_table

from .export_targets import find_unit


class Command(BaseCommand):
    help = (
        "从任务分解表（.xlsx）导入某单位某年度的目标任务：没有该年度的计划则新建，"
        "然后用表中的指标和数值整体替换。有任何错误则一条也不写入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="任务分解表文件（.xlsx）")
        parser.add_argument("--year", type=int, required=True, help="年度，如 2019")
        parser.add_argument("--unit", required=True, help="下达单位的名称或简称，如 武进区")
        parser.add_argument("--dry-run", action="store_true", help="只检查并显示将写入的内容")

    def handle(self, *args, file, year, unit, dry_run, **options):
        org = find_unit(unit)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件“{path}”。")
        try:
            with path.open("rb") as fh:
                table = parse_attachment(fh, unit=org, year=year)
        except TableErrors as exc:
            lines = "\n".join(f"  - {e}" for e in exc.errors)
            raise CommandError(
                f"导入失败，共 {len(exc.errors)} 处错误，未写入任何数据：\n{lines}"
            ) from None
        for warning in table.warnings:
            self.stderr.write(self.style.WARNING(f"注意：{warning}"))

        plan = TargetPlan.objects.filter(unit=org, year=year).first()
        self._describe(table, org, year)
        if dry_run:
            action = "更新已有的目标任务" if plan else "新建目标任务"
            self.stdout.write(f"试运行：将{action}（{year}年{org.name}），未写入任何数据。")
            return
        note = f"从文件“{path.name}”导入"
        with transaction.atomic():
            created = plan is None
            if plan is None:
                plan = create_plan(
                    actor=None, unit=org, year=year, title=table.title, columns=table.columns
                )
            changed = replace_table(actor=None, plan=plan, table=table, note=note)
        self.stdout.write(
            self.style.SUCCESS(
                f"已{'新建并' if created else ''}导入 {year}年{org.name}的目标任务："
                f"{len(table.columns)} 个指标，{changed} 个数值有变化。"
            )
        )

    def _describe(self, table, org, year):
        units: dict[int, set[int]] = defaultdict(set)
        totals: dict[int, Decimal] = {}
        for (metric_id, unit_id), value in table.cells.items():
            if unit_id == org.pk:
                totals[metric_id] = value
            else:
                units[metric_id].add(unit_id)
        self.stdout.write(f"工作表“{table.sheet}”：{table.title or '（无标题）'}")
        for metric, group in table.columns:
            total = totals.get(metric.pk)
            self.stdout.write(
                f"  【{group + ' / ' if group else ''}{metric.header_for(year)}】"
                f"{len(units[metric.pk])} 个单位，"
                f"合计 {'（空）' if total is None else fmt(total)}"
            )
