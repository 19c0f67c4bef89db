"""The Celery app. Tasks live in each app's tasks.py and are found automatically.

With no broker configured (see settings: CELERY_TASK_ALWAYS_EAGER) the same tasks run
in-process, so callers never need to know which mode the portal is in.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "htportal.settings")

app = Celery("htportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
