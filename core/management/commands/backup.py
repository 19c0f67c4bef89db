from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import backup


class Command(BaseCommand):
    help = "把数据库和上传文件备份到一个文件（平台运行时也可执行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            help="备份文件路径或目录；默认为当前目录下的 htportal-backup-年月日-时分秒.tar.gz",
        )

    def handle(self, *args: Any, output: str | None = None, **options: Any) -> None:
        try:
            summary = backup.create_backup(output=Path(output) if output else None)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已写入备份 {summary.path}（{backup.human_size(summary.size)}）："
            f"{backup.ENGINE_LABELS[summary.engine]} 数据库，上传文件 {summary.media_files} 个。"
        )
