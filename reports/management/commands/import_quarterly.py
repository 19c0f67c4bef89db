from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ... import services
from ...choices import JobStatus
from ..lookup import period_for, unit_named


class Command(BaseCommand):
    help = "从命令行导入季度报送表（与网页上传同一流程：检查、预览、全部写入或全部不写）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="报送表 .xlsx 或 .xls")
        parser.add_argument("--unit", required=True, help="报送单位（名称或简称），如 湖塘镇")
        parser.add_argument("--period", required=True, help="期次，如 2019Q1")
        parser.add_argument(
            "--dry-run", action="store_true", help="只检查并显示将写入的内容，不写入"
        )
        parser.add_argument(
            "--acknowledge",
            action="store_true",
            help="已核对预览中的数据提醒（与网页上勾选“我已核对以上提醒”相同）",
        )

    def handle(self, *args, file, unit, period, dry_run=False, acknowledge=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        reporting_unit = unit_named(unit)
        reporting_period = period_for(period, reporting_unit)
        try:
            # inline: checked here, whatever the size — the command waits for it anyway
            job = services.start_upload(
                actor=None,
                period=reporting_period,
                unit=reporting_unit,
                file_name=path.name,
                data=path.read_bytes(),
                inline=True,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        result = job.result
        if job.status != JobStatus.READY:
            problems = "\n".join(p["text"] for p in result.get("problems", []))
            raise CommandError(f"文件未导入（没有任何数据被修改）：\n{problems}")
        self._preview(result)
        if dry_run:
            self.stdout.write("（--dry-run：未写入）")
            return
        if result.get("alerts") and not acknowledge:
            raise CommandError(
                f"有 {len(result['alerts'])} 条数据提醒（见上），未报送。"
                "核对无误后加 --acknowledge 重新运行。"
            )
        try:
            submission, created = services.confirm_upload(
                actor=None, job=job, acknowledged=acknowledge
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if created:
            self.stdout.write(
                f"已报送：{reporting_unit} {reporting_period} 第{submission.version}版，"
                "待区科技局审核（审核通过后写入企业库）。"
            )
        else:
            self.stdout.write(f"内容与第{submission.version}版相同，未生成新版本。")

    def _preview(self, result: dict) -> None:
        counts = result["counts"]
        self.stdout.write(
            f"检查通过：新增 {counts['created']} 家，更新 {counts['updated']} 家，"
            f"无变化 {counts['unchanged']} 家。"
        )
        for warning in result.get("warnings", []):
            self.stdout.write(f"  提示：{warning['text']}")
        for alert in result.get("alerts", []):
            self.stdout.write(f"  数据提醒：{alert['text']}")
