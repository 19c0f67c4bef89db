"""`python manage.py api_token USERNAME [--name 用途]`: make a personal token and print its key
(for scripts and the contract tests; people use their 我的 API 令牌 page)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core import services
from core.models import User


class Command(BaseCommand):
    help = "为用户创建个人 API 令牌，并打印密钥（只显示这一次）。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="命令行创建", help="令牌用途")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"没有名为 {username} 的有效用户。")
        try:
            _, key = services.create_api_token(actor=user, user=user, name=name)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(key)
