import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.cache import bump
from core.demo import DEMO_PASSWORD, PERSONAS


class Command(BaseCommand):
    help = "载入演示数据（可重复运行，不会产生重复记录）。"

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="不打印演示账号")

    def handle(self, *args, quiet_logins=False, **options):
        # Each app may ship a `demo` module with `load(stdout)`; run them in INSTALLED_APPS
        # order so later apps can build on earlier ones (units → enterprises → ladder …).
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if importlib.util.find_spec(module_name) is None:
                continue
            with transaction.atomic():
                importlib.import_module(module_name).load(self.stdout)
        bump()  # demo rows are bulk-written: make cached figures recompute
        if not quiet_logins:
            self.stdout.write("")
            self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}，仅用于演示数据）：")
            for username, display_name, unit_name, role, _ in PERSONAS:
                self.stdout.write(f"  {username:<9} {display_name}（{unit_name}，{role.label}）")
