from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from core import backup


class Command(BaseCommand):
    help = "从 manage.py backup 生成的备份文件恢复数据库和上传文件（覆盖当前数据）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="备份文件（.tar.gz）")
        parser.add_argument(
            "--noinput",
            "--no-input",
            "--yes",
            action="store_false",
            dest="interactive",
            help="不询问，直接恢复",
        )

    def handle(self, *args: Any, archive: str, interactive: bool = True, **options: Any) -> None:
        path = Path(archive)
        try:
            found = backup.inspect_backup(archive=path)
            if interactive:
                self.confirm(found)
            summary = backup.restore_backup(archive=path)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已从 {summary.path}（{backup.human_size(summary.size)}，"
            f"{summary.created:%Y-%m-%d %H:%M} 备份）恢复 "
            f"{backup.ENGINE_LABELS[summary.engine]} 数据库和上传文件 {summary.media_files} 个。"
        )
        for note in summary.notes:
            self.stdout.write(self.style.WARNING(note))

    def confirm(self, found: backup.Summary) -> None:
        self.stdout.write(
            f"将用 {found.created:%Y-%m-%d %H:%M} 的备份 {found.path} 覆盖当前数据库 "
            f"{connection.settings_dict['NAME']} 和上传文件目录 {settings.MEDIA_ROOT}；"
            "当前的数据和文件将全部丢失。"
        )
        if input("输入 yes 继续：").strip().lower() != "yes":
            raise CommandError("已取消，未做任何改动。")
