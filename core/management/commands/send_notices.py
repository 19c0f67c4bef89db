import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.dates import today
from core.notifications import installed_jobs, run_jobs


class Command(BaseCommand):
    help = (
        "立即运行每日提醒（各模块的报送提醒、逾期、证书到期、年报……）；"
        "可重复运行，已发送的不会重复发送。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="按该日期运行（YYYY-MM-DD），默认今天")
        parser.add_argument("--bulletin", action="store_true", help="同时生成月度通报并发送给领导")

    def handle(
        self, *args: Any, date: str | None = None, bulletin: bool = False, **options: Any
    ) -> None:
        try:
            on = datetime.date.fromisoformat(date) if date else today()
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from exc
        jobs = [job for job in installed_jobs() if job.daily or bulletin]
        sent = run_jobs(jobs, on)
        labels = {job.name: job.label for job in jobs}
        self.stdout.write(f"{on}：" + "，".join(f"{labels[k]} {n} 条" for k, n in sent.items()))
