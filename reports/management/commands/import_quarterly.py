from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from core.models import OrgUnit

from ... import services
from ...choices import JobStatus
from ...io.processing import process_job
from ...models import ReportingPeriod


class Command(BaseCommand):
    help = "从命令行导入季度报送表（与网页上传同一流程：检查、预览、全部写入或全部不写）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="报送表 .xlsx 或 .xls")
        parser.add_argument("--unit", required=True, help="报送单位（名称或简称），如 湖塘镇")
        parser.add_argument("--period", required=True, help="期次，如 2019Q1")
        parser.add_argument(
            "--dry-run", action="store_true", help="只检查并显示将写入的内容，不写入"
        )

    def handle(self, *args, file, unit, period, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        reporting_unit = self._unit(unit)
        reporting_period = self._period(period, reporting_unit)
        try:
            job = services.start_upload(
                actor=None,
                period=reporting_period,
                unit=reporting_unit,
                file_name=path.name,
                data=path.read_bytes(),
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if job.status != JobStatus.READY:  # a big file runs as a task: wait for it here
            process_job(job.pk)
            job.refresh_from_db()
        result = job.result
        if job.status != JobStatus.READY:
            problems = "\n".join(p["text"] for p in result.get("problems", []))
            raise CommandError(f"文件未导入（没有任何数据被修改）：\n{problems}")
        self.stdout.write(
            f"检查通过：新增 {result['counts']['created']} 家，更新 {result['counts']['updated']} 家，"
            f"无变化 {result['counts']['unchanged']} 家。"
        )
        for warning in result.get("warnings", []):
            self.stdout.write(f"  提示：{warning['text']}")
        if dry_run:
            self.stdout.write("（--dry-run：未写入）")
            return
        submission, created = services.confirm_upload(actor=None, job=job)
        if created:
            self.stdout.write(
                f"已报送：{reporting_unit} {reporting_period} 第{submission.version}版。"
            )
        else:
            self.stdout.write(f"内容与第{submission.version}版相同，未生成新版本。")

    def _unit(self, name: str) -> OrgUnit:
        matches = list(OrgUnit.objects.filter(Q(name=name) | Q(short_name=name), is_active=True))
        if len(matches) != 1:
            raise CommandError(f"单位“{name}”{'不存在' if not matches else '有重名，请写全称'}。")
        return matches[0]

    def _period(self, code: str, unit: OrgUnit) -> ReportingPeriod:
        try:
            year, quarter = int(code.upper().split("Q")[0]), int(code.upper().split("Q")[1])
        except (ValueError, IndexError) as exc:
            raise CommandError(f"期次“{code}”格式不对，应如 2019Q1。") from exc
        period = ReportingPeriod.objects.filter(
            year=year, quarter=quarter, required_units=unit
        ).first()
        if period is None:
            raise CommandError(f"{unit}没有 {year}年第{quarter}季度 的报送期次。")
        return period
