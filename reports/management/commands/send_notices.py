import datetime

from django.core.management.base import BaseCommand, CommandError

from core.dates import today
from reports import notices


class Command(BaseCommand):
    help = "立即运行每日提醒（报送提醒、逾期、证书到期、年报）；可重复运行，已发送的不会重复发送。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日期运行（YYYY-MM-DD），默认今天")
        parser.add_argument("--bulletin", action="store_true", help="同时生成月度通报并发送给领导")

    def handle(self, *args, date=None, bulletin=False, **options):
        try:
            on = datetime.date.fromisoformat(date) if date else today()
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from exc
        sent = notices.run_daily(on)
        labels = {
            "reminders": "截止提醒",
            "overdue": "逾期通知",
            "expiry": "证书到期",
            "annual_reports": "年报提醒",
        }
        self.stdout.write(f"{on}：" + "，".join(f"{labels[k]} {n} 条" for k, n in sent.items()))
        if bulletin:
            for made in notices.send_scheduled_bulletins(on):
                self.stdout.write(f"通报：{made.title}（截至{made.as_of}）")
